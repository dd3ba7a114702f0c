"""Size and SHA-256 of the files and folders a crate records.

A file: its byte count and the SHA-256 of its bytes. A folder (a Zarr store, the generated sample of
a source, a graph store): the byte count of its files and the SHA-256 of its *listing*, the text
``sha256sum`` prints for its files, one line ``<sha256>  <path relative to the folder>`` per file in
sorted path order. So a folder is checked with standard tools::

    cd data/processed/features && find . -type f | sed 's|^\\./||' | LC_ALL=C sort \\
        | xargs -d '\\n' sha256sum | sha256sum
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from astrobuild.io import sha256_file
from astrobuild.versioning.manifest import is_ignored


@dataclass(frozen=True)
class Described:
    """What the crate records of one path."""

    path: str
    kind: str  # "file", "folder" or "missing"
    size: int | None = None
    sha256: str | None = None
    files: int | None = None  # a folder's file count


def folder_listing(folder: str | os.PathLike[str]) -> list[tuple[str, str, int]]:
    """(path relative to ``folder``, sha256, bytes) of every file under it, sorted by path (bytewise)."""
    root = Path(folder)
    entries = []
    for item in root.rglob("*"):
        if item.is_file():
            rel = item.relative_to(root).as_posix()
            entries.append((rel, sha256_file(item), item.stat().st_size))
    return sorted(entries, key=lambda e: e[0].encode("utf-8"))


def listing_digest(entries: Iterable[tuple[str, str, int]]) -> str:
    """SHA-256 of the ``sha256sum`` listing of ``entries`` (as :func:`folder_listing` gives them)."""
    text = "".join(f"{digest}  {rel}\n" for rel, digest, _ in entries)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe(path: str, root: str | os.PathLike[str] = ".") -> Described:
    """Size and checksum of ``path`` (relative to ``root``, or absolute)."""
    full = Path(root) / path
    if full.is_file():
        return Described(path, "file", full.stat().st_size, sha256_file(full))
    if full.is_dir():
        entries = folder_listing(full)
        return Described(path, "folder", sum(e[2] for e in entries), listing_digest(entries), len(entries))
    return Described(path, "missing")


def run_specific(path: str, patterns: Sequence[str]) -> bool:
    """Whether ``path`` is a run's own record (timings, matched by gitignore-style ``patterns``): never in a crate."""
    return not PurePosixPath(path).is_absolute() and is_ignored(PurePosixPath(path).as_posix(), patterns)


def describe_all(paths: Iterable[str], root: str | os.PathLike[str] = ".", threads: int = 1) -> dict[str, Described]:
    """:func:`describe` of every path (hashed on ``threads`` threads: hashlib releases the GIL), by path."""
    unique = sorted(set(paths))
    if threads <= 1:
        return {p: describe(p, root) for p in unique}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(unique, pool.map(lambda p: describe(p, root), unique), strict=True))
