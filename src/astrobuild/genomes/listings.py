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
import mmap
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
from astrobuild.genomes.filenames import (
    basenames,
    data_types_from_names,
    data_types_from_paths,
    populations_from_paths,
    samples_and_populations,
    samples_from_paths,
    value_bytes,
)
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
_KINDS = np.frombuffer(b"-dlcbps", np.uint8)  # first byte of an `ls -l` entry

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


def _read(path: Path) -> bytes | mmap.mmap:
    """The file's bytes: a gzip file decompressed, a plain one mapped (no copy of a large file)."""
    with open(path, "rb") as handle:
        magic = handle.read(2)
        if magic == b"\x1f\x8b":
            handle.seek(0)
            with gzip.open(handle, "rb") as unzipped:
                return unzipped.read()
        if len(magic) < 2:  # an empty file cannot be mapped
            return magic + handle.read()
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


@dataclass
class _Lines:
    """A listing's lines as one Arrow string array (line k at index k-1) and what numpy knows of them."""

    text: pa.Array
    first: np.ndarray  # first byte of each line (0 for an empty line)
    empty: np.ndarray
    ends_with_colon: np.ndarray
    ends_with_newline: bool  # False: the last line may have been cut short

    def take(self, index: np.ndarray) -> pa.Array:
        return self.text.take(pa.array(index, pa.int64()))


def _split(body: memoryview) -> pa.Array:
    """Arrow's split kernel cuts the whole file in one pass (numpy masks and bytes.replace are
    slower on large files); line k at index k-1, as binary."""
    wide = len(body) >= 2**31
    offsets = pa.py_buffer(np.array([0, len(body)], np.int64 if wide else np.int32))
    whole = pa.Array.from_buffers(pa.large_binary() if wide else pa.binary(), 1, [None, offsets, pa.py_buffer(body)])
    return pc.list_flatten(pc.split_pattern(whole, "\n"))


def _lines(path: Path, data: bytes | mmap.mmap, quarantine: Quarantine, stats: ListingStats) -> _Lines:
    """Split ``data`` at newlines without a Python object per line; undecodable lines become empty."""
    ends_with_newline = data[-1:] == b"\n"
    start = len(codecs.BOM_UTF8) if data[:3] == codecs.BOM_UTF8 else 0  # a byte-order mark is no part of line 1
    stop = len(data) - ends_with_newline
    lines = _split(memoryview(data)[start:stop])
    text = lines.view(pa.large_string() if pa.types.is_large_binary(lines.type) else pa.string())
    try:
        text.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        # Rare: find the bad lines one by one, quarantine them, keep their line numbers.
        parts = data[start:stop].split(b"\n")
        for lineno, raw in enumerate(parts, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                quarantine.add(path, lineno, "not UTF-8 text", raw)
                stats.quarantined += 1
                parts[lineno - 1] = b""
        lines = _split(memoryview(b"\n".join(parts)))
        text = lines.view(pa.large_string() if pa.types.is_large_binary(lines.type) else pa.string())
    n = len(text)
    _, offsets, values = text.buffers()
    offsets = np.frombuffer(offsets, np.int64 if pa.types.is_large_string(text.type) else np.int32)
    offsets = offsets[text.offset:text.offset + n + 1]
    content = np.frombuffer(values, np.uint8) if values is not None else np.zeros(1, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    if data.find(b"\r") >= 0:  # CRLF line ends: rare enough for the slower kernels
        text = pc.utf8_rtrim(text, characters="\r")
        empty = pc.equal(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)
        ends_with_colon = pc.ends_with(text, ":").to_numpy(zero_copy_only=False)
    else:
        empty = ends == starts
        ends_with_colon = np.zeros(n, bool)
        ends_with_colon[~empty] = content[ends[~empty] - 1] == ord(":")
    first = np.zeros(n, np.uint8)
    first[~empty] = content[starts[~empty]]
    return _Lines(text, first, empty, ends_with_colon, ends_with_newline)


def _blank(text: pa.Array) -> np.ndarray:
    return pc.equal(pc.utf8_trim_whitespace(text), "").to_numpy(zero_copy_only=False)


def _detect_format(lines: pa.Array) -> str | None:
    head = lines.slice(0, 200)
    if pc.any(pc.match_substring_regex(head, _MD5_LINE.pattern)).as_py():
        return "md5"
    if pc.any(pc.match_substring_regex(head, _LS_LINE.pattern)).as_py() or pc.any(
            pc.match_substring_regex(head, _TOTAL.pattern)).as_py() or pc.any(pc.ends_with(head, ":")).as_py():
        return "ls-lR"
    return None


@dataclass
class _Files:
    """The file rows of one listing, before the columns read from their paths."""

    line: np.ndarray  # index of each row's line
    path: pa.Array
    size: pa.Array
    md5: pa.Array
    # ls -lR only: the entry's name and the index of its section's directory in `directories`.
    name: pa.Array | None = None
    section: np.ndarray | None = None
    directories: pa.Array | None = None

    def filter(self, keep: np.ndarray) -> _Files:
        mask = pa.array(keep)
        return _Files(self.line[keep], self.path.filter(mask), self.size.filter(mask), self.md5.filter(mask),
                      None if self.name is None else self.name.filter(mask),
                      None if self.section is None else self.section[keep], self.directories)


def _quarantine_lines(path: Path, lines: _Lines, index: np.ndarray, reason: str, quarantine: Quarantine,
                      stats: ListingStats) -> None:
    """Quarantine the lines at ``index`` (a cut-short last line says so)."""
    last = len(lines.text) - 1
    for i in index.tolist():
        why = "truncated last line" if i == last and not lines.ends_with_newline else reason
        quarantine.add(path, i + 1, why, lines.text[i].as_py())
    stats.quarantined += len(index)


def _parse_md5(path: Path, lines: _Lines, quarantine: Quarantine, stats: ListingStats) -> _Files:
    fields = pc.extract_regex(lines.text, _MD5_LINE.pattern)
    matched = pc.is_valid(fields).to_numpy(zero_copy_only=False)
    blank = _blank(lines.text)
    stats.structural_lines += int((blank & ~matched).sum())
    _quarantine_lines(path, lines, np.flatnonzero(~matched & ~blank), "not an md5 manifest line", quarantine, stats)
    keep = pa.array(matched)
    file_path = pc.struct_field(fields, "path").filter(keep)
    return _Files(np.flatnonzero(matched), file_path, pa.nulls(len(file_path), pa.int64()),
                  pc.ascii_lower(pc.struct_field(fields, "md5")).filter(keep))


def _sizes(entries: pa.Array) -> pa.Array:
    """The size field of matched `ls -l` lines."""
    if (value_bytes(entries) == 0x0B).any():
        # RE2's \s has no vertical tab where ASCII whitespace splitting has one: let the regex cut.
        before_date = pc.replace_substring_regex(entries, r"\s+" + _DATE + r"\s.*$", "")
        return pc.cast(pc.replace_substring_regex(before_date, r"^.*\s", ""), pa.int64())
    # Fields: mode, links, owner, [group,] size, date. The line matched _LS_HEAD, so the 5th field
    # is the size exactly when it is a number (a date's first field never is); else the 4th is.
    fields = pc.ascii_split_whitespace(entries, max_splits=5)
    fifth = pc.list_element(fields, 4)
    grouped = pc.ascii_is_decimal(fifth)
    if grouped.true_count == len(entries):  # the usual listing: every line has its group column
        return pc.cast(fifth, pa.int64())
    return pc.cast(pc.if_else(grouped, fifth, pc.list_element(fields, 3)), pa.int64())


def _section_directories(headers: pa.Array) -> pa.Array:
    """Section headers (``./data/HG00096:``) → directories; index 0 is the root, before any header.

    The ':' and the slashes before it go, then a leading ``./`` or all leading
    slashes; ``.`` is the root. (Slicing and trimming kernels: regexes cost
    several times more.)
    """
    as_bytes = headers.view(pa.binary())  # ':', '.' and '/' are one byte: cutting them splits no character
    directories = pc.utf8_rtrim(pc.binary_slice(as_bytes, 0, -1).view(headers.type), characters="/")
    dotted = pc.starts_with(directories, "./")
    undotted = pc.utf8_slice_codeunits(directories.filter(dotted), 2)
    directories = pc.replace_with_mask(pc.utf8_ltrim(directories, characters="/"), dotted, undotted)
    directories = pc.if_else(pc.equal(directories, "."), "", directories)
    return pa.concat_arrays([pa.array([""], headers.type), directories])


def _keep(values: pa.Array, mask: np.ndarray) -> pa.Array:
    return values if mask.all() else values.filter(pa.array(mask))


def _parse_ls(path: Path, lines: _Lines, quarantine: Quarantine, stats: ListingStats) -> _Files:
    # Each kernel sees only the lines its answer can differ on: entry lines start with a
    # mode letter, headers end with ':', totals start with 't'.
    n = len(lines.text)
    candidates = np.flatnonzero(np.isin(lines.first, _KINDS))
    candidate_text = lines.take(candidates)
    rest = pc.replace_substring_regex(candidate_text, _LS_HEAD, "")  # the name, where the head matched
    hit = pc.not_equal(pc.binary_length(rest), pc.binary_length(candidate_text)).to_numpy(zero_copy_only=False)
    entries = candidates[hit]
    entry_text, rest = _keep(candidate_text, hit), _keep(rest, hit)
    matched = np.zeros(n, bool)
    matched[entries] = True
    kind = lines.first[entries]
    stats.directories += int((kind == ord("d")).sum())
    is_link = kind == ord("l")
    stats.symlinks += int(is_link.sum())
    is_file = (kind == ord("-")) | is_link
    for j in np.flatnonzero(~is_file & (kind != ord("d"))).tolist():
        quarantine.add(path, int(entries[j]) + 1, f"special file of type {chr(kind[j])!r}",
                       entry_text[j].as_py())
        stats.quarantined += 1

    header = lines.ends_with_colon & ~matched
    if not lines.ends_with_newline:
        header[-1] = False  # a cut-short line ending in ':' is no header
    totals = np.flatnonzero((lines.first == ord("t")) & ~header)
    total = np.zeros(n, bool)
    total[totals[pc.match_substring_regex(lines.take(totals), _TOTAL.pattern).to_numpy(zero_copy_only=False)]] = True
    others = np.flatnonzero(~matched & ~header & ~total & ~lines.empty)
    blank = _blank(lines.take(others))
    stats.structural_lines += int(lines.empty.sum() + blank.sum() + total.sum() + header.sum())
    _quarantine_lines(path, lines, others[~blank], "unrecognised listing line", quarantine, stats)

    files = entries[is_file]
    name = _keep(rest, is_file)
    link = is_link[is_file]
    size = np.zeros(len(files), np.int64)
    size[~link] = _sizes(_keep(entry_text, is_file & ~is_link)).to_numpy(zero_copy_only=False)
    size = pa.array(size, mask=link)
    if link.any():
        # A link's name is what stands before its ` -> target`; its size is the target's length, not a file size.
        targets = pc.split_pattern(name.filter(pa.array(link)), " -> ", max_splits=1)
        name = pc.replace_with_mask(name, pa.array(link), pc.list_element(targets, 0))
    header_lines = np.flatnonzero(header)
    directories = _section_directories(lines.take(header_lines))
    section = np.searchsorted(header_lines, files, side="right")  # 0: before the first header, the root
    directory = directories.take(pa.array(section))
    file_path = pc.binary_join_element_wise(directory, name, "/")
    root = pc.equal(pc.binary_length(directories), 0).to_numpy(zero_copy_only=False)[section]
    if root.any():
        file_path = pc.if_else(pa.array(root), name, file_path)
    return _Files(files, file_path, size, pa.nulls(len(files), pa.string()), name, section, directories)


def _unsafe(paths: pa.Array) -> np.ndarray:
    """Rows whose path has a control character or a '..' segment (the regex runs only where one may be)."""
    unsafe = np.zeros(len(paths), bool)
    raw = value_bytes(paths)
    control = bool(len(raw)) and (raw.min() < 0x20 or bool((raw == 0x7F).any()))
    if not control and not (np.diff(np.flatnonzero(raw == ord("."))) == 1).any():  # no '..' anywhere
        return unsafe
    index = np.flatnonzero(np.ones(len(paths), bool) if control
                           else pc.match_substring(paths, "..").to_numpy(zero_copy_only=False))
    hit = pc.match_substring_regex(paths.take(pa.array(index)), r"[\x00-\x1f\x7f]|(?:^|/)\.\.(?:/|$)")
    unsafe[index[pc.fill_null(hit, False).to_numpy(zero_copy_only=False)]] = True
    return unsafe


def _path_columns(files: _Files) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Sample, population and data type of each row."""
    if files.name is None:
        return samples_from_paths(files.path), populations_from_paths(files.path), data_types_from_paths(files.path)
    name, section, directories = files.name, files.section, files.directories
    if (value_bytes(name) == ord("/")).any():
        slash = pc.match_substring(name, "/").to_numpy(zero_copy_only=False)
        # A name holding '/' (`sub/x.bam`): its own directory joins the list.
        index = np.flatnonzero(slash)
        paths = files.path.take(pa.array(index))
        name = pc.replace_with_mask(name, pa.array(slash), basenames(paths))
        section = section.copy()
        section[index] = len(directories) + np.arange(len(index))
        directories = pa.concat_arrays([directories, pc.replace_substring_regex(paths, r"/[^/]*$", "")])
    sample, population = samples_and_populations(name, section, directories)
    return sample, population, data_types_from_names(name)


def parse_listing(path: str | os.PathLike[str], quarantine: Quarantine, stats: ListingStats) -> pa.Table:
    """Rows of the master table from one listing file (:data:`MASTER_SCHEMA`), in line order.

    Numpy splits the lines and sorts them by their first and last byte; Arrow
    kernels do the rest over whole columns (regex matching, fields, path
    joining), each on only the lines it concerns. Python touches only the
    lines that end up quarantined.
    """
    path = Path(path)
    data = _read(path)
    lines = _lines(path, data, quarantine, stats)
    fmt = _detect_format(lines.text)
    if fmt is None:
        first = lines.text[0].as_py()[:120] if len(lines.text) else "<empty file>"
        raise ValueError(
            f"{path}: not an ls -lR listing or md5 manifest (first line: {first!r}); "
            "a listing must contain `ls -l` entry lines or `<md5>  <path>` lines"
        )
    stats.formats[fmt] += 1
    files = (_parse_md5 if fmt == "md5" else _parse_ls)(path, lines, quarantine, stats)
    unsafe = _unsafe(files.path)
    if unsafe.any():
        for i in np.flatnonzero(unsafe).tolist():
            quarantine.add(path, int(files.line[i]) + 1, unsafe_path_reason(files.path[i].as_py()) or "unsafe path",
                           lines.text[int(files.line[i])].as_py())
        stats.quarantined += int(unsafe.sum())
        files = files.filter(~unsafe)
    stats.files += len(files.path)
    sample, population, data_type = _path_columns(files)
    return pa.table(
        {
            "sample_id": sample,
            "population": population,
            "data_type": data_type,
            "ftp_path": files.path,
            "file_size": files.size,
            "md5": files.md5,
            "listing": pa.repeat(pa.scalar(path.name), len(files.path)),
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
