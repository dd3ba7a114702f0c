"""IGSR ``*.index`` files (sequence.index, alignment.index): their layout, and parsing them into columns.

Variants read, old and new:

* ``##KEY=description`` lines before the header, or none;
* a header starting with ``#`` (``#FASTQ_FILE``, ``#ENA_FILE_PATH``, ``#CRAM``) or
  without it (``FASTQ_FILE ...``), or no header at all (the phase 3
  ``BAM_FILE BAM_MD5 BAI_FILE BAI_MD5 BAS_FILE BAS_MD5`` alignment index);
* header names with spaces (IGSR's phase 3 alignment indices, the top-level
  ``alignment.index`` among them: ``BAM FILE<TAB>BAM MD5<TAB>BAI FILE ...``): a
  run of spaces reads as ``_``, so they meet the same aliases as the header-less
  layout and, like it, take the sample from the BAM file's name;
* an older sequence.index with no file column at all (``RUN_ID STUDY_ID ...
  RUN_NAME ... DIRECTORY ANALYSIS_GROUP``): the file path is ``DIRECTORY/RUN_NAME``;
* trailing tabs on the header or on data lines, empty fields, double quotes
  inside unquoted fields (IGSR never quotes, so quoting is switched off).

The heavy lifting is one multi-threaded ``pyarrow.csv`` read that converts only
the columns the table needs. Rows with the wrong number of fields are handed
back by pyarrow; those that are only a trailing tab too long are salvaged, the
rest quarantined with their line number. A file with bytes that are not UTF-8
takes a line-by-line path that quarantines those lines and parses the rest.
A file that is not an index at all raises :class:`IndexFormatError`.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from pyarrow import csv

from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

# Canonical field -> header names that carry it, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "file_path": ("FASTQ_FILE", "ENA_FILE_PATH", "FASTQ_ENA_PATH", "CRAM", "CRAM_FILE", "BAM_FILE", "BAM", "FILE"),
    "md5": ("MD5", "MD5SUM", "CRAM_MD5", "BAM_MD5", "FILE_MD5"),
    "sample_id": ("SAMPLE_NAME", "SAMPLE"),
    "population": ("POPULATION",),
    "platform": ("INSTRUMENT_PLATFORM",),
    "index_file_path": ("CRAI", "CRAI_FILE", "BAI_FILE", "BAI"),
    "withdrawn": ("WITHDRAWN",),
    "read_count": ("READ_COUNT",),
    "base_count": ("BASE_COUNT",),
    "analysis_group": ("ANALYSIS_GROUP",),
    # Parts of the file path in the older index without a file column (read only there).
    "directory": ("DIRECTORY",),
    "run_name": ("RUN_NAME",),
}
PATH_PARTS = ("directory", "run_name")
# The phase 3 alignment indices have no header line at all.
HEADERLESS_ALIGNMENT = ("BAM_FILE", "BAM_MD5", "BAI_FILE", "BAI_MD5", "BAS_FILE", "BAS_MD5")
# A header line without '#' is told from a data line by its names: upper-case words, which a
# data line's paths, md5s and free text are not. Words may be split by spaces ("BAM FILE").
_HEADER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*(?: +[A-Z0-9_]+)*$")


def header_name(name: str) -> str:
    """A header name as the aliases spell it: ``BAM FILE`` -> ``BAM_FILE`` (whitespace runs become ``_``)."""
    return re.sub(r"\s+", "_", name.strip())


class IndexFormatError(ValueError):
    """A file that cannot be read as an IGSR index at all (the whole file is unusable)."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, reason: str) -> None:
        self.line, self.reason = line, reason
        where = f"{os.fspath(path)}: line {line}" if line is not None else os.fspath(path)
        super().__init__(f"{where}: {reason}")


@dataclass
class IndexLayout:
    """Where the header is and what the columns are called."""

    columns: list[str]
    skip_lines: int  # lines before the first data line (## lines and the header)
    padding: int = 0  # empty trailing fields every data line carries beyond the header

    def field(self, canonical: str) -> str | None:
        for alias in ALIASES[canonical]:
            if alias in self.columns:
                return alias
        return None

    @property
    def width(self) -> int:
        return len(self.columns) + self.padding

    @property
    def derives_file_path(self) -> bool:
        """No file column: the path comes from DIRECTORY and RUN_NAME."""
        return self.field("file_path") is None

    def read_columns(self) -> list[str]:
        """The header names the sample table needs from this index."""
        skip = () if self.derives_file_path else PATH_PARTS
        return [name for canonical in ALIASES if canonical not in skip and (name := self.field(canonical))]


@dataclass
class IndexResult:
    table: pa.Table
    rows_read: int
    salvaged: int = 0
    quarantined: int = 0
    slow_path: bool = False
    reasons: Counter = field(default_factory=Counter)
    # Line number of every table row, when the parse already knows them (line-by-line path).
    line_numbers: list[int] | None = None


def _head_lines(path: Path, limit: int = 1 << 20) -> list[bytes]:
    with open(path, "rb") as handle:
        # a byte-order mark would hide the "##" of line 1 (pyarrow's reader skips it on its own)
        head = handle.read(limit).removeprefix(codecs.BOM_UTF8)
    return head.split(b"\n")[:-1] if b"\n" in head else [head]


def detect_layout(path: str | os.PathLike[str]) -> IndexLayout:
    """Find the header (or infer the header-less layout) from the start of the file."""
    path = Path(path)
    lines = _head_lines(path)
    skip = 0
    for raw in lines:
        text = raw.decode("utf-8", errors="replace").rstrip("\r")
        if text.startswith("##") or not text.strip():
            skip += 1
            continue
        break
    else:
        raise IndexFormatError(path, None, "no header and no data lines: not an IGSR index file")
    first = lines[skip].decode("utf-8", errors="replace").rstrip("\r")
    candidate = first[1:] if first.startswith("#") else first
    names = candidate.split("\t")
    while names and names[-1].strip() == "":
        names.pop()
    names = [n.strip() for n in names]
    if first.startswith("#") or (names and all(_HEADER_NAME.match(n) for n in names)):
        columns, skip = [header_name(n) for n in names], skip + 1
    elif len(names) == len(HEADERLESS_ALIGNMENT) and "/" in names[0]:
        columns = list(HEADERLESS_ALIGNMENT)
    else:
        raise IndexFormatError(path, skip + 1, "no header line (expected upper-case column names, e.g. "
                                               "'#FASTQ_FILE ...', '#CRAM ...' or 'BAM FILE ...') and not "
                                               "the 6-column header-less alignment index")
    if len(set(columns)) != len(columns):
        dupes = sorted(n for n, c in Counter(columns).items() if c > 1)
        raise IndexFormatError(path, skip, f"duplicate column names {dupes}")
    layout = IndexLayout(columns=columns, skip_lines=skip)
    if layout.derives_file_path and layout.field("sample_id") is None:
        raise IndexFormatError(path, skip, f"neither a file column (one of {ALIASES['file_path']}) nor a sample "
                                           f"column (one of {ALIASES['sample_id']}) among {names}")
    # Some releases end every data line with a tab: give pyarrow a column for it.
    if len(lines) > skip:
        sample = lines[skip].decode("utf-8", errors="replace").rstrip("\r").split("\t")
        extra = len(sample) - len(columns)
        if extra > 0 and all(f == "" for f in sample[len(columns):]):
            layout.padding = extra
    return layout


def _read_options(layout: IndexLayout, threads: bool, skip: int) -> csv.ReadOptions:
    names = layout.columns + [f"__pad{i}" for i in range(layout.padding)]
    return csv.ReadOptions(column_names=names, skip_rows=skip, use_threads=threads, block_size=16 << 20)


def _convert_options(layout: IndexLayout) -> csv.ConvertOptions:
    # Everything as text, counts included: they may be blank or junk in old releases
    # and are converted with checks later.
    wanted = layout.read_columns()
    return csv.ConvertOptions(
        include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string()), null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True,
    )


def _parse_options(handler) -> csv.ParseOptions:
    return csv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False, escape_char=False,
                            newlines_in_values=False, ignore_empty_lines=True, invalid_row_handler=handler)


def _salvage(fields: list[str], width: int) -> list[str] | None:
    """A row that is too long only by empty trailing fields is fine."""
    if len(fields) > width and all(f == "" for f in fields[width:]):
        return fields[:width]
    return None


def _file_lines(path: Path) -> tuple[list[bytes], bool]:
    """The file's lines without their newline, and whether the last one was ended by a newline."""
    data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    terminated = data.endswith(b"\n")
    lines = data.split(b"\n")
    if terminated:
        lines.pop()
    return lines, terminated


def _bad_line_reason(text: str, n_fields: int, width: int, unterminated_last: bool) -> str:
    if unterminated_last:
        return "truncated last line"
    if text.startswith("#"):
        return "comment line inside data"
    return f"expected {width} fields, found {n_fields}"


def read_index(path: str | os.PathLike[str], layout: IndexLayout, quarantine: Quarantine,
               threads: int = 2) -> IndexResult:
    """Parse one index into a table of the canonical fields that it has (all as strings)."""
    path = Path(path)
    bad_rows: list[str] = []

    def handler(row: csv.InvalidRow) -> str:
        bad_rows.append(row.text)
        return "skip"

    opts = (_read_options(layout, threads > 1, layout.skip_lines), _parse_options(handler), _convert_options(layout))
    try:
        table = csv.read_csv(path, read_options=opts[0], parse_options=opts[1], convert_options=opts[2])
    except pa.ArrowInvalid as exc:
        # Bytes that are not UTF-8 (in a field, or in a line pyarrow hands back as
        # invalid) stop the fast reader: take the careful line-by-line path.
        log.warning("%s: fast reader stopped (%s): reading line by line", path, str(exc).splitlines()[0][:200])
        try:
            return _read_index_slow(path, layout, quarantine)
        except pa.ArrowInvalid as slow_exc:
            raise IndexFormatError(path, None, f"cannot be parsed as an IGSR index: {slow_exc}") from slow_exc

    result = IndexResult(table=table, rows_read=table.num_rows)
    if bad_rows:
        # Rare: find the line numbers, salvage rows that only carry trailing tabs.
        salvaged = _resolve_bad_rows(path, layout, bad_rows, quarantine, result)
        if salvaged:
            extra = csv.read_csv(io.BytesIO(("\n".join(salvaged) + "\n").encode()),
                                 read_options=_read_options(layout, False, 0),
                                 parse_options=_parse_options(None), convert_options=opts[2])
            result.table = pa.concat_tables([table, extra])
            result.salvaged = len(salvaged)
    return result


def _resolve_bad_rows(path: Path, layout: IndexLayout, bad_rows: list[str], quarantine: Quarantine,
                      result: IndexResult) -> list[str]:
    wanted = Counter(bad_rows)
    salvaged: list[str] = []
    lines, terminated = _file_lines(path)
    for lineno, raw in enumerate(lines, start=1):
        if lineno <= layout.skip_lines:
            continue
        text = raw.decode("utf-8", errors="replace")
        if wanted.get(text, 0) <= 0:
            continue
        wanted[text] -= 1
        fields = text.rstrip("\r").split("\t")
        fixed = _salvage(fields, layout.width)
        if fixed is not None:
            salvaged.append("\t".join(fixed))
            continue
        reason = _bad_line_reason(text, len(fields), layout.width, lineno == len(lines) and not terminated)
        quarantine.add(path, lineno, reason, text)
        result.quarantined += 1
        result.reasons[reason] += 1
    return salvaged


def _read_index_slow(path: Path, layout: IndexLayout, quarantine: Quarantine) -> IndexResult:
    lines, terminated = _file_lines(path)
    clean = io.BytesIO()
    reasons: Counter = Counter()
    salvaged = 0
    kept_lines: list[int] = []
    for lineno, raw in enumerate(lines, start=1):
        if lineno <= layout.skip_lines or not raw.strip():
            continue
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            reason = "not UTF-8 text"
        else:
            fields = text.split("\t")
            if len(fields) != layout.width and (fixed := _salvage(fields, layout.width)) is not None:
                fields, salvaged = fixed, salvaged + 1
            if len(fields) == layout.width:
                clean.write(("\t".join(fields) + "\n").encode())
                kept_lines.append(lineno)
                continue
            reason = _bad_line_reason(text, len(fields), layout.width, lineno == len(lines) and not terminated)
        quarantine.add(path, lineno, reason, raw)
        reasons[reason] += 1
    clean.seek(0)
    table = csv.read_csv(clean, read_options=_read_options(layout, False, 0), parse_options=_parse_options(None),
                         convert_options=_convert_options(layout))
    return IndexResult(table=table, rows_read=table.num_rows, salvaged=salvaged, quarantined=sum(reasons.values()),
                       slow_path=True, reasons=reasons, line_numbers=kept_lines)


def data_line_numbers(path: Path, layout: IndexLayout, direct_rows: int, positions: set[int]) -> dict[int, int]:
    """Line numbers of table rows on the fast path.

    pyarrow keeps well-formed lines in file order; salvaged lines (a trailing
    tab too many) were appended after them, in file order too.
    """
    found: dict[int, int] = {}
    direct = 0
    salvaged = direct_rows
    with open(path, "rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if lineno <= layout.skip_lines:
                continue
            text = raw.rstrip(b"\r\n")
            if not text.strip():
                continue
            fields = text.split(b"\t")
            if len(fields) == layout.width:
                ordinal, direct = direct, direct + 1
            elif len(fields) > layout.width and all(f == b"" for f in fields[layout.width:]):
                ordinal, salvaged = salvaged, salvaged + 1
            else:
                continue
            if ordinal in positions:
                found[ordinal] = lineno
                if len(found) == len(positions):
                    break
    return found
