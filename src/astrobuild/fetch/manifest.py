"""Lists of files to fetch: a manifest (``path,md5,bytes`` CSV under a source's URL) or config entries.

Every path is relative to the source's base URL and becomes the same relative path under the
download folder, so it is checked like any name from a remote listing (no ``..``, not absolute, no
odd characters); a duplicate is refused (it would be fetched twice into one file). md5 and bytes are
optional per file; where given, the download is verified against them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from astrobuild.fetch.files import NOTHING_EXPECTED, Expected
from astrobuild.fetch.safety import safe_relpath

MANIFEST_COLUMNS = ("path", "md5", "bytes")
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class Entry:
    """One file to fetch: its path under the base URL (and the download folder), and its checks."""

    rel: PurePosixPath
    expected: Expected = NOTHING_EXPECTED

    @property
    def path(self) -> str:
        return self.rel.as_posix()


def _entry(path: object, md5: object, size: object, where: str) -> Entry:
    if not isinstance(path, str):
        raise ValueError(f"{where}: path {path!r} is not a string")
    rel = safe_relpath(path.strip(), what=f"{where}: path")
    md5_text = "" if md5 is None else str(md5).strip()
    if md5_text and not _MD5.match(md5_text):
        raise ValueError(f"{where}: md5 {md5_text!r} is not 32 hexadecimal digits")
    size_text = "" if size is None else str(size).strip()
    if size_text and not size_text.isdigit():
        raise ValueError(f"{where}: bytes {size_text!r} is not a whole number")
    return Entry(rel, Expected(size=int(size_text) if size_text else None, md5=md5_text or None))


def _unique(entries: list[Entry], where: str) -> list[Entry]:
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry.path in seen:
            raise ValueError(f"{where}: {entry.path!r} listed twice (entries {seen[entry.path] + 1} and {i + 1})")
        seen[entry.path] = i
    return entries


def parse_manifest(text: str, origin: str) -> list[Entry]:
    """Entries of a manifest CSV (header ``path,md5,bytes``; md5 and bytes may be empty); errors
    name ``origin`` and the line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != MANIFEST_COLUMNS:
        raise ValueError(f"{origin}: line 1: header must be {','.join(MANIFEST_COLUMNS)}, got {header!r}")
    entries = []
    for lineno, row in enumerate(reader, start=2):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        if len(row) != len(MANIFEST_COLUMNS):
            raise ValueError(f"{origin}: line {lineno}: {len(row)} fields, expected {len(MANIFEST_COLUMNS)}")
        entries.append(_entry(row[0], row[1], row[2], f"{origin}: line {lineno}"))
    return _unique(entries, origin)


def config_entries(items: Iterable[str | Mapping[str, object]], key: str) -> list[Entry]:
    """Entries of a config list: each a relative path, or a mapping {path, md5, bytes}."""
    entries = []
    for i, item in enumerate(items):
        where = f"config: {key}[{i}]"
        if isinstance(item, Mapping):
            entries.append(_entry(item.get("path"), item.get("md5"), item.get("bytes"), where))
        else:
            entries.append(_entry(item, None, None, where))
    return _unique(entries, f"config: {key}")


def manifest_text(entries: Iterable[Entry]) -> str:
    """A manifest CSV of ``entries`` (what the test servers publish; the format parse_manifest reads)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for entry in entries:
        writer.writerow([entry.path, entry.expected.md5 or "", "" if entry.expected.size is None else entry.expected.size])
    return out.getvalue()
