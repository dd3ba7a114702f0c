"""Input discovery and path safety.

Rules hand scripts either files or directories (a generated sample is a
directory; a local source is a list of files). :func:`collect_files` turns
both into one sorted list, so the order of work, and so of output rows, never
depends on the file system.

Paths that come from someone else's listing or index are data, not paths to
open: :func:`unsafe_path_reason` says why such a path may not be used as is.

Paths written into outputs (quarantine files, reports) are relative to their
source's root (:class:`SourceRoot`), so that outputs do not depend on where a
machine keeps the files.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL = re.compile(r"^(?:ftp|https?)://[^/\s]+(/.*)?$")


def collect_files(inputs: Iterable[str | os.PathLike[str]], patterns: Iterable[str]) -> list[Path]:
    """Files among ``inputs`` (directories are searched recursively) whose name matches a pattern."""
    patterns = tuple(patterns)
    found: set[Path] = set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            candidates = (p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            candidates = iter([path])
        else:
            raise FileNotFoundError(f"input does not exist: {path}")
        for candidate in candidates:
            if candidate.name.startswith("."):
                continue
            if any(fnmatch.fnmatch(candidate.name, pat) for pat in patterns):
                found.add(candidate)
    return sorted(found, key=lambda p: p.as_posix())


def unsafe_path_reason(path: str) -> str | None:
    """Why ``path`` (from an upstream listing) is unsafe to use, or None when it is fine.

    Accepted: relative POSIX paths and ftp/http(s) URLs, without control
    characters and without ``..`` segments (which could escape a download
    directory once joined to it).
    """
    if not path:
        return "empty path"
    if _CONTROL.search(path):
        return "control character in path"
    match = _URL.match(path)
    rel = (match.group(1) or "/") if match else path
    # String tests, not pathlib: this runs once per line of multi-million-line listings.
    if "/../" in f"/{rel}/":
        return "'..' segment in path"
    if not match and rel.strip("/") == "":
        return "path is the root directory"
    return None


@dataclass(frozen=True)
class SourceRoot:
    """A source's name and the directory its files are found under (the sample directory or the local ``path``).

    Outputs record an input file as :meth:`label` gives it, ``<source>:<path under the root>``,
    never as the path on this machine: the same files give the same bytes wherever the
    checkout and the source directory are, and no local directory name travels to a remote.
    """

    name: str
    root: str | os.PathLike[str]

    def label(self, path: str | os.PathLike[str]) -> str:
        """``<name>:<POSIX path relative to root>``; the path as given when it is not under the root."""
        path, root = Path(path), Path(self.root)
        for candidate, base in ((path, root), (Path(os.path.realpath(path)), Path(os.path.realpath(root)))):
            if candidate.is_relative_to(base):
                return f"{self.name}:{candidate.relative_to(base).as_posix()}"
        return os.fspath(path)


def source_label(source: SourceRoot | None, path: str | os.PathLike[str]) -> str:
    """How an output names ``path`` of ``source``; without a source (direct calls, tests), the path as given."""
    return source.label(path) if source is not None else os.fspath(path)
