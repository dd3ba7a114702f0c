"""IGSR ``*.index`` files (sequence.index, alignment.index) → the sample table.

Variants read, old and new:

* ``##KEY=description`` lines before the header, or none;
* a header starting with ``#`` (``#FASTQ_FILE``, ``#ENA_FILE_PATH``, ``#CRAM``) or
  without it (``FASTQ_FILE ...``), or no header at all (the phase 3
  ``BAM_FILE BAM_MD5 BAI_FILE BAI_MD5 BAS_FILE BAS_MD5`` alignment index);
* trailing tabs on the header or on data lines, empty fields, double quotes
  inside unquoted fields (IGSR never quotes, so quoting is switched off).

The heavy lifting is one multi-threaded ``pyarrow.csv`` read that converts only
the columns the table needs. Rows with the wrong number of fields are handed
back by pyarrow; those that are only a trailing tab too long are salvaged, the
rest quarantined with their line number. A file with bytes that are not UTF-8
takes a line-by-line path that quarantines those lines and parses the rest.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

from astrobuild.genomes.filenames import basenames, platforms_from_names, samples_from_paths
from astrobuild.genomes.populations import SUPER_POPULATION
from astrobuild.progress import progress
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
}
_INTEGER_FIELDS = ("read_count", "base_count")
# The phase 3 alignment indices have no header line at all.
HEADERLESS_ALIGNMENT = ("BAM_FILE", "BAM_MD5", "BAI_FILE", "BAI_MD5", "BAS_FILE", "BAS_MD5")
_HEADER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

SAMPLE_TABLE_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("population", pa.string()),
        ("super_population", pa.string()),
        ("platform", pa.string()),
        ("file_path", pa.string()),
        ("md5", pa.string()),
        ("index_file_path", pa.string()),
        ("read_count", pa.int64()),
        ("base_count", pa.int64()),
        ("withdrawn", pa.bool_()),
        ("analysis_group", pa.string()),
        ("data_type", pa.string()),
        ("index_file", pa.string()),
    ]
)


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
        raise ValueError(f"{path}: no header and no data lines: not an IGSR index file")
    first = lines[skip].decode("utf-8", errors="replace").rstrip("\r")
    candidate = first[1:] if first.startswith("#") else first
    names = candidate.split("\t")
    while names and names[-1].strip() == "":
        names.pop()
    names = [n.strip() for n in names]
    if first.startswith("#") or (names and all(_HEADER_NAME.match(n) for n in names)):
        columns, skip = names, skip + 1
    elif len(names) == len(HEADERLESS_ALIGNMENT) and "/" in names[0]:
        columns = list(HEADERLESS_ALIGNMENT)
    else:
        raise ValueError(
            f"{path}: line {skip + 1}: no header line (expected '#FASTQ_FILE ...', '#CRAM ...' or "
            f"similar) and not the 6-column header-less alignment index"
        )
    if len(set(columns)) != len(columns):
        dupes = sorted(n for n, c in Counter(columns).items() if c > 1)
        raise ValueError(f"{path}: line {skip}: duplicate column names {dupes}")
    layout = IndexLayout(columns=columns, skip_lines=skip)
    if layout.field("file_path") is None:
        raise ValueError(f"{path}: line {skip}: no file column among {columns} (expected one of {ALIASES['file_path']})")
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
    wanted = [name for canonical in ALIASES if (name := layout.field(canonical))]
    types = {name: pa.string() for name in wanted}
    for canonical in _INTEGER_FIELDS:
        if (name := layout.field(canonical)) is not None:
            # Counts may be blank or junk in old releases: read as text, convert with checks.
            types[name] = pa.string()
    return csv.ConvertOptions(
        include_columns=wanted, column_types=types, null_values=[""], strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


def _parse_options(handler) -> csv.ParseOptions:
    return csv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False, escape_char=False,
                            newlines_in_values=False, ignore_empty_lines=True, invalid_row_handler=handler)


def _salvage(fields: list[str], width: int) -> list[str] | None:
    """A row that is too long only by empty trailing fields is fine."""
    if len(fields) > width and all(f == "" for f in fields[width:]):
        return fields[:width]
    return None


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
            raise ValueError(f"{path}: cannot be parsed as an IGSR index: {slow_exc}") from slow_exc

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
    width = len(layout.columns) + layout.padding
    salvaged: list[str] = []
    with open(path, "rb") as handle:
        data = handle.read().removeprefix(codecs.BOM_UTF8)
    ends_with_newline = data.endswith(b"\n")
    lines = data.split(b"\n")
    if ends_with_newline:
        lines.pop()
    for lineno, raw in enumerate(lines, start=1):
        if lineno <= layout.skip_lines:
            continue
        text = raw.decode("utf-8", errors="replace")
        if wanted.get(text, 0) <= 0:
            continue
        wanted[text] -= 1
        fields = text.rstrip("\r").split("\t")
        fixed = _salvage(fields, width)
        if fixed is not None:
            salvaged.append("\t".join(fixed))
            continue
        if lineno == len(lines) and not ends_with_newline:
            reason = "truncated last line"
        elif text.startswith("#"):
            reason = "comment line inside data"
        else:
            reason = f"expected {width} fields, found {len(fields)}"
        quarantine.add(path, lineno, reason, text)
        result.quarantined += 1
        result.reasons[reason] += 1
    return salvaged


def _read_index_slow(path: Path, layout: IndexLayout, quarantine: Quarantine) -> IndexResult:
    width = len(layout.columns) + layout.padding
    with open(path, "rb") as handle:
        data = handle.read().removeprefix(codecs.BOM_UTF8)
    ends_with_newline = data.endswith(b"\n")
    lines = data.split(b"\n")
    if ends_with_newline:
        lines.pop()
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
            if len(fields) != width and (fixed := _salvage(fields, width)) is not None:
                fields, salvaged = fixed, salvaged + 1
            if len(fields) == width:
                clean.write(("\t".join(fields) + "\n").encode())
                kept_lines.append(lineno)
                continue
            if lineno == len(lines) and not ends_with_newline:
                reason = "truncated last line"
            else:
                reason = f"expected {width} fields, found {len(fields)}"
        quarantine.add(path, lineno, reason, raw)
        reasons[reason] += 1
    clean.seek(0)
    table = csv.read_csv(clean, read_options=_read_options(layout, False, 0), parse_options=_parse_options(None),
                         convert_options=_convert_options(layout))
    return IndexResult(table=table, rows_read=table.num_rows, salvaged=salvaged, quarantined=sum(reasons.values()),
                       slow_path=True, reasons=reasons, line_numbers=kept_lines)


def _column(table: pa.Table, layout: IndexLayout, canonical: str) -> pa.ChunkedArray | None:
    name = layout.field(canonical)
    return table[name] if name is not None else None


def _nulls(n: int, type_: pa.DataType | None = None) -> pa.Array:
    return pa.nulls(n, type=type_ or pa.string())


def _to_int(values: pa.ChunkedArray | None, n: int) -> pa.Array | pa.ChunkedArray:
    if values is None:
        return _nulls(n, pa.int64())
    try:
        return pc.cast(values, pa.int64())  # the common case: every count is a number or empty
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Junk in a count column is not worth losing the row for: it becomes null.
        digits = pc.match_substring_regex(values, r"^\d+$")
        return pc.cast(pc.if_else(digits, values, None), pa.int64())


def normalise_index(table: pa.Table, layout: IndexLayout, index_name: str) -> pa.Table:
    """Canonical columns for one parsed index (population tables are joined later)."""
    n = table.num_rows
    file_path = _column(table, layout, "file_path")
    sample = _column(table, layout, "sample_id")
    platform = _column(table, layout, "platform")
    # Reading sample and platform out of file names costs regexes on every row:
    # only pay it when the index lacks the column or leaves some of it empty.
    if sample is None or sample.null_count or platform is None or platform.null_count:
        names = basenames(file_path)
        if sample is None or sample.null_count:
            from_path = samples_from_paths(names)
            sample = from_path if sample is None else pc.coalesce(sample, from_path)
        if platform is None or platform.null_count:
            guessed = platforms_from_names(names)
            platform = guessed if platform is None else pc.coalesce(platform, guessed)
    withdrawn = _column(table, layout, "withdrawn")
    if withdrawn is not None:
        withdrawn = pc.equal(withdrawn, "1")
    else:
        withdrawn = _nulls(n, pa.bool_())
    kind = "alignment" if layout.field("file_path") in ALIASES["file_path"][3:] else "sequence"

    def text(canonical: str) -> pa.ChunkedArray | pa.Array:
        col = _column(table, layout, canonical)
        return col if col is not None else _nulls(n)

    md5 = text("md5")
    return pa.table(
        {
            "sample_id": sample,
            "population": text("population"),
            "super_population": _nulls(n),
            "platform": platform,
            "file_path": file_path,
            "md5": pc.ascii_lower(md5),  # hex is ASCII; anything else fails the check
            "index_file_path": text("index_file_path"),
            "read_count": _to_int(_column(table, layout, "read_count"), n),
            "base_count": _to_int(_column(table, layout, "base_count"), n),
            "withdrawn": withdrawn,
            "analysis_group": text("analysis_group"),
            "data_type": pa.repeat(pa.scalar(kind), n),
            "index_file": pa.repeat(pa.scalar(index_name), n),
        },
        schema=SAMPLE_TABLE_SCHEMA,
    )


def row_problems(table: pa.Table) -> pa.ChunkedArray:
    """Per row, why it cannot be kept (null when it is fine). Vectorised: runs on every row."""
    sample_ok = pc.fill_null(pc.match_substring_regex(table["sample_id"], r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"), False)
    md5_ok = pc.fill_null(pc.match_substring_regex(table["md5"], r"^[0-9a-f]{32}$"), True)
    path_ok = pc.fill_null(pc.invert(pc.match_substring_regex(
        table["file_path"], r"[\x00-\x1f\x7f]|(^|/)\.\.(/|$)")), False)
    reason = pc.if_else(path_ok, pa.scalar(None, pa.string()), "unsafe or missing file path")
    reason = pc.if_else(md5_ok, reason, pc.coalesce(reason, pa.scalar("md5 is not 32 hex digits")))
    reason = pc.if_else(sample_ok, reason, pc.coalesce(reason, pa.scalar("no sample id in the row or its file name")))
    return reason


class PopulationLookup:
    """Fills population and super population from the population tables, part by part,
    and keeps the counts for the join coverage report."""

    def __init__(self, populations: pa.Table) -> None:
        self.ids = populations["sample_id"].combine_chunks()
        self.population = populations["population"].combine_chunks()
        self.super_population = populations["super_population"].combine_chunks()
        self.codes = pa.array(sorted(SUPER_POPULATION))
        self.groups = pa.array([SUPER_POPULATION[c] for c in self.codes.to_pylist()])

    def apply(self, table: pa.Table) -> tuple[pa.Table, int]:
        """The table with populations joined, and its number of rows whose index and table disagree."""
        positions = pc.index_in(table["sample_id"], value_set=self.ids)
        ref_pop = pc.take(self.population, positions)
        index_pop = table["population"]
        conflicts = pc.sum(pc.fill_null(pc.not_equal(index_pop, ref_pop), False)).as_py() or 0
        # The population table is the reference; the index's own column fills its gaps.
        population = pc.coalesce(ref_pop, index_pop)
        derived = pc.take(self.groups, pc.index_in(population, value_set=self.codes))
        super_population = pc.coalesce(pc.take(self.super_population, positions), derived)
        table = table.set_column(table.schema.get_field_index("population"), "population", population)
        table = table.set_column(table.schema.get_field_index("super_population"), "super_population",
                                 super_population)
        return table, int(conflicts)

    def coverage(self, sample_ids: pa.Array, conflicts: int, without_population: int) -> dict[str, object]:
        index_samples = pc.unique(sample_ids)
        in_tables = pc.is_in(index_samples, value_set=self.ids)
        missing = pc.filter(index_samples, pc.invert(in_tables))
        table_samples = pc.unique(self.ids)
        unused = pc.sum(pc.invert(pc.is_in(table_samples, value_set=index_samples))).as_py() or 0
        return {
            "samples_in_indices": len(index_samples),
            "samples_in_population_tables": len(table_samples),
            "samples_in_both": int(pc.sum(in_tables).as_py() or 0),
            "samples_only_in_indices": len(missing),
            "samples_only_in_indices_examples": sorted(missing.to_pylist())[:50],
            "samples_only_in_population_tables": int(unused),
            "rows_with_population_conflict": conflicts,
            "rows_without_population": without_population,
        }


def join_populations(table: pa.Table, populations: pa.Table) -> tuple[pa.Table, dict[str, object]]:
    """Join a whole table at once (the streaming path uses :class:`PopulationLookup` directly)."""
    lookup = PopulationLookup(populations)
    table, conflicts = lookup.apply(table)
    coverage = lookup.coverage(table["sample_id"].combine_chunks(), conflicts, table["population"].null_count)
    return table, coverage


def _parts(table: pa.Table, min_rows: int = 1 << 16) -> list[tuple[int, pa.Table]]:
    """(first row, slice) pieces of at least ``min_rows`` rows along the reader's batches.

    Boundaries depend on the reader's fixed block size only, not on thread
    count, so the Parquet row groups come out the same however many threads ran.
    """
    parts, start, rows = [], 0, 0
    for batch in table.to_batches():
        rows += batch.num_rows
        if rows - start >= min_rows:
            parts.append((start, table.slice(start, rows - start)))
            start = rows
    if rows > start or not parts:
        parts.append((start, table.slice(start, rows - start)))
    return parts


def iter_sample_table(indices: list[Path], populations: pa.Table, quarantine: Quarantine, report: dict,
                      threads: int = 2) -> Iterator[pa.Table]:
    """Parts of the sample table, in file and row order; ``report`` is filled as they go.

    Each index is parsed whole (a multi-threaded pyarrow read), then cut into
    parts that are normalised, checked and joined in a thread pool (Arrow's
    kernels release the GIL) while the caller writes the parts already done:
    on two cores the checks and the Parquet encoding overlap.
    """
    lookup = PopulationLookup(populations)
    per_index: dict[str, dict[str, object]] = {}
    samples: list[pa.Array] = []
    conflicts = without_population = rows_out = 0

    def work(item: tuple[int, pa.Table], layout: IndexLayout, name: str):
        start, raw = item
        table = normalise_index(raw, layout, name)
        problems = row_problems(table)
        bad = pc.fill_null(pc.is_valid(problems), False)
        n_bad = pc.sum(bad).as_py() or 0
        bad_rows = []
        if n_bad:
            positions = pc.indices_nonzero(bad).to_pylist()
            reasons, paths = problems.to_pylist(), table["file_path"].to_pylist()
            bad_rows = [(start + i, reasons[i], paths[i] or "") for i in positions]
            table = table.filter(pc.invert(bad))
        table, n_conflicts = lookup.apply(table)
        return table, bad_rows, n_conflicts

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for path in progress(indices, desc="indices", unit="file"):
            layout = detect_layout(path)
            parsed = read_index(path, layout, quarantine, threads=threads)
            rejected: list[tuple[int, str, str]] = []
            kept = 0
            items = _parts(parsed.table)
            jobs = pool.map(work, items, [layout] * len(items), [path.name] * len(items))
            for table, bad_rows, n_conflicts in jobs:
                rejected += bad_rows
                kept += table.num_rows
                conflicts += n_conflicts
                without_population += table["population"].null_count
                samples.append(pc.unique(table["sample_id"].combine_chunks()))
                yield table
            if rejected:
                _quarantine_rows(path, layout, parsed, rejected, quarantine)
            rows_out += kept
            per_index[path.name] = {
                "layout": layout.columns[:3] + (["..."] if len(layout.columns) > 3 else []),
                "rows": parsed.rows_read + parsed.salvaged,
                "rows_kept": kept,
                "salvaged_trailing_tabs": parsed.salvaged,
                "quarantined": parsed.quarantined + len(rejected),
                "read_line_by_line": parsed.slow_path,
            }
            log.info("%s: %s", path, per_index[path.name])
            del parsed
    all_samples = pa.concat_arrays([pa.array([], pa.string()), *samples])
    report.update(indices=per_index, rows=rows_out,
                  coverage=lookup.coverage(all_samples, conflicts, without_population),
                  quarantine_reasons=quarantine.counts())


def build_sample_table(indices: list[Path], populations: pa.Table, quarantine: Quarantine,
                       threads: int = 2) -> tuple[pa.Table, dict[str, object]]:
    """Every index and the population tables → the whole sample table in memory, and its report."""
    report: dict[str, object] = {}
    parts = list(iter_sample_table(indices, populations, quarantine, report, threads=threads))
    table = pa.concat_tables(parts) if parts else SAMPLE_TABLE_SCHEMA.empty_table()
    return table, report


def _quarantine_rows(path: Path, layout: IndexLayout, parsed: IndexResult, rejected: list[tuple[int, str, str]],
                     quarantine: Quarantine) -> None:
    """Quarantine rows that parsed but failed the row checks, with their file lines."""
    positions = {pos for pos, _, _ in rejected}
    if parsed.line_numbers is not None:
        line_of = {pos: parsed.line_numbers[pos] for pos in positions}
    else:
        line_of = _data_line_numbers(path, layout, parsed.rows_read, positions)
    for pos, reason, file_path in rejected:
        quarantine.add(path, line_of.get(pos), reason, file_path)


def _data_line_numbers(path: Path, layout: IndexLayout, direct_rows: int, positions: set[int]) -> dict[int, int]:
    """Line numbers of table rows on the fast path.

    pyarrow keeps well-formed lines in file order; salvaged lines (a trailing
    tab too many) were appended after them, in file order too.
    """
    width = len(layout.columns) + layout.padding
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
            if len(fields) == width:
                ordinal, direct = direct, direct + 1
            elif len(fields) > width and all(f == b"" for f in fields[width:]):
                ordinal, salvaged = salvaged, salvaged + 1
            else:
                continue
            if ordinal in positions:
                found[ordinal] = lineno
                if len(found) == len(positions):
                    break
    return found
