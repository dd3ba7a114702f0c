"""Directory listings of the 1000 Genomes FTP tree → one master table of files.

Two listing formats are read, detected per file:

* ``ls -lR`` output (what FTP mirrors publish as ``ls-lR``/``ls-lR.gz``):
  sections headed ``<dir>:``, ``total N`` lines, one ``ls -l`` line per entry,
  with or without the group column, classic (``Mar 12  2020``/``Mar 12 10:22``)
  or ISO (``2020-03-12 10:22``) dates, symlinks as ``name -> target``;
* md5sum manifests (``<32 hex>  <path>``, ``*`` for binary mode), which name
  files but give no size.

Every line is either a file row, a structural line (headers, totals, blank
lines, directories: counted) or a quarantined line with its reason.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from astrobuild.genomes.filenames import data_type_from_path, population_from_path, sample_from_path
from astrobuild.paths import unsafe_path_reason
from astrobuild.progress import progress
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

_DATE = r"(?:[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}(?:\s+\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:\s+[+-]\d{4})?)"
_LS_LINE = re.compile(
    r"^(?P<kind>[-dlcbps])[rwxsStTlL-]{9}[.+@]?\s+\d+\s+"  # mode, link count
    r"(?:\S+\s+){1,2}"  # owner, optional group
    r"(?P<size>\d+)\s+"
    + _DATE
    + r"\s(?P<name>.+)$"
)
_MD5_LINE = re.compile(r"^(?P<md5>[0-9a-fA-F]{32}) [ *](?P<path>.+)$")
_TOTAL = re.compile(r"^total\s+\d+[KMG]?$")

MASTER_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("population", pa.string()),
        ("data_type", pa.string()),
        ("ftp_path", pa.string()),
        ("file_size", pa.int64()),
        ("md5", pa.string()),
        ("listing", pa.string()),
    ]
)


@dataclass
class ListingStats:
    files: int = 0
    directories: int = 0
    symlinks: int = 0
    structural_lines: int = 0
    quarantined: int = 0
    formats: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "directories": self.directories,
            "symlinks": self.symlinks,
            "structural_lines": self.structural_lines,
            "quarantined": self.quarantined,
            "formats": dict(sorted(self.formats.items())),
        }


def _read_lines(path: Path) -> tuple[list[bytes], bool]:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    ends_with_newline = data.endswith(b"\n")
    lines = data.split(b"\n")
    if ends_with_newline:
        lines.pop()
    return lines, ends_with_newline


def _detect_format(lines: list[bytes]) -> str | None:
    for raw in lines[:200]:
        text = raw.decode("utf-8", errors="replace").rstrip("\r")
        if not text.strip():
            continue
        if _MD5_LINE.match(text):
            return "md5"
        if _LS_LINE.match(text) or _TOTAL.match(text) or text.endswith(":"):
            return "ls-lR"
    return None


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory not in ("", ".") else name


def parse_listing(path: str | os.PathLike[str], quarantine: Quarantine, stats: ListingStats) -> dict[str, list]:
    """Rows of the master table from one listing file (columns of :data:`MASTER_SCHEMA`)."""
    path = Path(path)
    lines, ends_with_newline = _read_lines(path)
    fmt = _detect_format(lines)
    if fmt is None:
        first = lines[0][:120].decode("utf-8", errors="backslashreplace") if lines else "<empty file>"
        raise ValueError(
            f"{path}: not an ls -lR listing or md5 manifest (first line: {first!r}); "
            "a listing must contain `ls -l` entry lines or `<md5>  <path>` lines"
        )
    stats.formats[fmt] += 1
    rows: dict[str, list] = {name: [] for name in MASTER_SCHEMA.names}
    directory = ""
    last = len(lines)
    for lineno, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            quarantine.add(path, lineno, "not UTF-8 text", raw)
            stats.quarantined += 1
            continue
        truncated = lineno == last and not ends_with_newline
        if fmt == "md5":
            match = _MD5_LINE.match(text)
            if not text.strip():
                stats.structural_lines += 1
                continue
            if not match:
                reason = "truncated last line" if truncated else "not an md5 manifest line"
                quarantine.add(path, lineno, reason, text)
                stats.quarantined += 1
                continue
            file_path, size, md5 = match.group("path"), None, match.group("md5").lower()
        else:
            if not text.strip() or _TOTAL.match(text):
                stats.structural_lines += 1
                continue
            match = _LS_LINE.match(text)
            if match is None:
                if text.endswith(":") and not truncated:
                    directory = text[:-1].rstrip("/")
                    directory = directory[2:] if directory.startswith("./") else directory.lstrip("/")
                    stats.structural_lines += 1
                    continue
                reason = "truncated last line" if truncated else "unrecognised listing line"
                quarantine.add(path, lineno, reason, text)
                stats.quarantined += 1
                continue
            kind, name = match.group("kind"), match.group("name")
            if kind == "d":
                stats.directories += 1
                continue
            size = int(match.group("size"))
            if kind == "l":
                # A link's size is the length of its target's name, not a file size.
                name, size = name.split(" -> ", 1)[0], None
                stats.symlinks += 1
            elif kind != "-":
                quarantine.add(path, lineno, f"special file of type {kind!r}", text)
                stats.quarantined += 1
                continue
            file_path, md5 = _join(directory, name), None
        reason = unsafe_path_reason(file_path)
        if reason:
            quarantine.add(path, lineno, reason, text)
            stats.quarantined += 1
            continue
        rows["sample_id"].append(sample_from_path(file_path))
        rows["population"].append(population_from_path(file_path))
        rows["data_type"].append(data_type_from_path(file_path))
        rows["ftp_path"].append(file_path)
        rows["file_size"].append(size)
        rows["md5"].append(md5)
        rows["listing"].append(path.name)
        stats.files += 1
    return rows


def build_master_table(listings: list[Path], quarantine: Quarantine) -> tuple[pa.Table, dict[str, object]]:
    """All listings → one table, sorted by path; plus the numbers for the rule's report."""
    stats = ListingStats()
    tables = []
    for path in progress(listings, desc="listings", unit="file"):
        before = len(quarantine)
        rows = parse_listing(path, quarantine, stats)
        tables.append(pa.table(rows, schema=MASTER_SCHEMA))
        log.info("%s: %d file rows, %d quarantined", path, len(rows["ftp_path"]), len(quarantine) - before)
    table = pa.concat_tables(tables) if tables else MASTER_SCHEMA.empty_table()
    table = table.sort_by([("ftp_path", "ascending"), ("listing", "ascending")])
    report = {
        "listings": [p.name for p in listings],
        **stats.as_dict(),
        "rows": table.num_rows,
        "samples": len(set(filter(None, table["sample_id"].to_pylist()))),
        "data_types": dict(sorted(Counter(table["data_type"].to_pylist()).items())),
        "quarantine_reasons": quarantine.counts(),
    }
    return table, report
