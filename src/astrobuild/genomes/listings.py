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

import codecs
import gzip
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.genomes import Genomes1000gMaster
from astrobuild.genomes.filenames import data_types_from_paths, populations_from_paths, samples_from_paths
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
# An `ls -l` entry line up to (and with) the space before the name.
_LS_HEAD = r"^[-dlcbps][rwxsStTlL-]{9}[.+@]?\s+\d+\s+(?:\S+\s+){1,2}\d+\s+" + _DATE + r"\s"
_MD5_LINE = re.compile(r"^(?P<md5>[0-9a-fA-F]{32}) [ *](?P<path>.+)$")
_TOTAL = re.compile(r"^total\s+\d+[KMG]?$")
# One `ls -l` entry line (kind, size, name): also read by astrobuild.fetch.listing, which writes listings.
LS_LINE = _LS_LINE

MASTER_SCHEMA = arrow_schema(Genomes1000gMaster)


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


def _read(path: Path) -> bytes:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        return handle.read()


def _lines(path: Path, data: bytes, quarantine: Quarantine, stats: ListingStats) -> tuple[pa.Array, bool]:
    """All lines as one Arrow string array (line k at index k-1); undecodable lines become empty."""
    ends_with_newline = data.endswith(b"\n")
    if ends_with_newline:
        data = data[:-1]
    data = data.removeprefix(codecs.BOM_UTF8)  # a byte-order mark is no part of line 1
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Rare: find the bad lines one by one, quarantine them, keep their line numbers.
        parts = data.split(b"\n")
        decoded = []
        for lineno, raw in enumerate(parts, start=1):
            try:
                decoded.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                quarantine.add(path, lineno, "not UTF-8 text", raw)
                stats.quarantined += 1
                decoded.append("")
        text = "\n".join(decoded)
    lines = pc.list_flatten(pc.split_pattern(pa.array([text], pa.large_string()), "\n"))
    lines = pc.cast(pc.utf8_rtrim(lines, characters="\r"), pa.string())
    return lines, ends_with_newline


def _detect_format(lines: pa.Array) -> str | None:
    head = lines.slice(0, 200)
    if pc.any(pc.match_substring_regex(head, _MD5_LINE.pattern)).as_py():
        return "md5"
    if pc.any(pc.match_substring_regex(head, _LS_LINE.pattern)).as_py() or pc.any(
            pc.match_substring_regex(head, _TOTAL.pattern)).as_py() or pc.any(pc.ends_with(head, ":")).as_py():
        return "ls-lR"
    return None


def _directories(lines: pa.Array, is_header: np.ndarray) -> pa.Array:
    """For every line, the directory of the section it stands in (forward-filled headers)."""
    n = len(lines)
    headers = pc.replace_substring_regex(lines, pattern=r"/*:$", replacement="")
    headers = pc.replace_substring_regex(headers, pattern=r"^(?:\./|/+)", replacement="")
    headers = pc.if_else(pc.equal(headers, "."), "", headers)
    position = np.where(is_header, np.arange(n), -1)
    current = np.maximum.accumulate(position) if n else position
    # Lines before the first header belong to the listing's root ("").
    with_root = pa.concat_arrays([pa.array([""], pa.string()), headers.cast(pa.string())])
    return pc.take(with_root, pa.array(current + 1))


def parse_listing(path: str | os.PathLike[str], quarantine: Quarantine, stats: ListingStats) -> pa.Table:
    """Rows of the master table from one listing file (:data:`MASTER_SCHEMA`), in line order.

    Whole-file Arrow kernels do the per-line work (regex matching, section
    headers, path joining, field extraction); Python only touches the lines
    that end up quarantined.
    """
    path = Path(path)
    data = _read(path)
    lines, ends_with_newline = _lines(path, data, quarantine, stats)
    fmt = _detect_format(lines)
    if fmt is None:
        first = lines[0].as_py()[:120] if len(lines) else "<empty file>"
        raise ValueError(
            f"{path}: not an ls -lR listing or md5 manifest (first line: {first!r}); "
            "a listing must contain `ls -l` entry lines or `<md5>  <path>` lines"
        )
    stats.formats[fmt] += 1
    n = len(lines)
    truncated = np.zeros(n, dtype=bool)
    if n and not ends_with_newline:
        truncated[-1] = True
    blank = pc.equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False)
    if fmt == "md5":
        fields = pc.extract_regex(lines, _MD5_LINE.pattern)
        matched = pc.is_valid(fields).to_numpy(zero_copy_only=False)
        structural = blank
        file_path = pc.struct_field(fields, "path")
        md5 = pc.ascii_lower(pc.struct_field(fields, "md5"))
        size = pa.nulls(n, pa.int64())
        is_file = matched
        unrecognised_reason = "not an md5 manifest line"
    else:
        # Capture groups make RE2 fall back to its slow engines: the fields are cut
        # out with match/replace kernels instead (each a single fast pass).
        is_entry = pc.match_substring_regex(lines, _LS_HEAD)
        matched = is_entry.to_numpy(zero_copy_only=False)
        total = pc.match_substring_regex(lines, _TOTAL.pattern).to_numpy(zero_copy_only=False)
        is_header = ~matched & pc.ends_with(lines, ":").to_numpy(zero_copy_only=False) & ~truncated & ~blank
        structural = blank | total | is_header
        kind = np.where(matched, pc.utf8_slice_codeunits(lines, 0, 1).to_numpy(zero_copy_only=False), "")
        stats.directories += int((kind == "d").sum())
        is_link = kind == "l"
        stats.symlinks += int(is_link.sum())
        is_file = matched & ((kind == "-") | is_link)
        for i in np.flatnonzero(matched & ~is_file & (kind != "d")):
            quarantine.add(path, int(i) + 1, f"special file of type {kind[i]!r}", lines[int(i)].as_py())
            stats.quarantined += 1
        name = pc.replace_substring_regex(lines, _LS_HEAD, "")
        # A link's size is the length of its target's name, not a file size.
        name = pc.if_else(pa.array(is_link), pc.list_element(pc.split_pattern(name, " -> ", max_splits=1), 0),
                          name)
        directory = _directories(lines, is_header)
        file_path = pc.if_else(pc.equal(directory, ""), name,
                               pc.binary_join_element_wise(directory, name, "/"))
        before_date = pc.replace_substring_regex(lines, r"\s+" + _DATE + r"\s.*$", "")
        size_text = pc.replace_substring_regex(before_date, r"^.*\s", "")
        size = pc.cast(pc.if_else(pa.array(matched & ~is_link), size_text, pa.scalar(None, pa.string())), pa.int64())
        md5 = pa.nulls(n, pa.string())
        unrecognised_reason = "unrecognised listing line"
    stats.structural_lines += int((structural & ~matched).sum())
    for i in np.flatnonzero(~matched & ~structural & ~blank):
        text = lines[int(i)].as_py()
        if text == "" and not data:
            continue
        reason = "truncated last line" if truncated[i] else unrecognised_reason
        quarantine.add(path, int(i) + 1, reason, text)
        stats.quarantined += 1
    unsafe = pc.fill_null(pc.match_substring_regex(file_path, r"[\x00-\x1f\x7f]|(?:^|/)\.\.(?:/|$)"), False)
    unsafe = unsafe.to_numpy(zero_copy_only=False) & is_file
    for i in np.flatnonzero(unsafe):
        quarantine.add(path, int(i) + 1, unsafe_path_reason(file_path[int(i)].as_py()) or "unsafe path",
                       lines[int(i)].as_py())
        stats.quarantined += 1
    keep = pa.array(is_file & ~unsafe)
    file_path = pc.filter(file_path, keep)
    stats.files += len(file_path)
    return pa.table(
        {
            "sample_id": samples_from_paths(file_path),
            "population": populations_from_paths(file_path),
            "data_type": data_types_from_paths(file_path),
            "ftp_path": file_path,
            "file_size": pc.filter(size, keep),
            "md5": pc.filter(md5, keep),
            "listing": pa.repeat(pa.scalar(path.name), len(file_path)),
        },
        schema=MASTER_SCHEMA,
    )


def build_master_table(listings: list[Path], quarantine: Quarantine) -> tuple[pa.Table, dict[str, object]]:
    """All listings → one table, sorted by path; plus the numbers for the rule's report."""
    stats = ListingStats()
    tables = []
    for path in progress(listings, desc="listings", unit="file"):
        before = len(quarantine)
        table = parse_listing(path, quarantine, stats)
        tables.append(table)
        log.info("%s: %d file rows, %d quarantined", path, table.num_rows, len(quarantine) - before)
    table = pa.concat_tables(tables) if tables else MASTER_SCHEMA.empty_table()
    table = table.sort_by([("ftp_path", "ascending"), ("listing", "ascending")])
    report = {
        "listings": [p.name for p in listings],
        **stats.as_dict(),
        "rows": table.num_rows,
        "samples": pc.count_distinct(table["sample_id"]).as_py(),
        "data_types": {d["values"]: d["counts"] for d in sorted(
            pc.value_counts(table["data_type"]).to_pylist(), key=lambda d: d["values"])},
        "quarantine_reasons": quarantine.counts(),
    }
    return table, report
