"""Input discovery and path safety.

Rules hand scripts either files or directories (a generated sample is a
directory; a local source is a list of files). :func:`collect_files` turns
both into one sorted list, so the order of work, and so of output rows, never
depends on the file system.

Paths that come from someone else's listing or index are data, not paths to
open: :func:`unsafe_path_reason` says why such a path may not be used as is.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
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
