"""The sample table: parsed IGSR indices (:mod:`astrobuild.genomes.index_files`) →
canonical columns, row checks, populations joined, streamed in parts.

An index that cannot be read at all, or has a header but no rows, is quarantined
whole (file and reason) and the others go on; rows are checked and quarantined one by one.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.genomes import Genomes1000gSamples
from astrobuild.genomes.filenames import basenames, platforms_from_names, samples_from_paths
from astrobuild.genomes.index_files import (
    ALIASES,
    IndexFormatError,
    IndexLayout,
    IndexResult,
    data_line_numbers,
    detect_layout,
    read_index,
)
from astrobuild.genomes.populations import SUPER_POPULATION
from astrobuild.paths import source_label
from astrobuild.progress import progress
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

SAMPLE_TABLE_SCHEMA = arrow_schema(Genomes1000gSamples)


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


def missing_path_reason(layout: IndexLayout) -> str:
    """Why a row of an index without a file column has a null file path."""
    if layout.field("directory") and layout.field("run_name"):
        return "no file column, and DIRECTORY or RUN_NAME empty: file path left null"
    return "no file column, and no DIRECTORY and RUN_NAME columns to build one: file path left null"


def _file_paths(table: pa.Table, layout: IndexLayout) -> pa.ChunkedArray | pa.Array:
    """The file column; in the older index without one, DIRECTORY/RUN_NAME (null where a part is empty)."""
    if not layout.derives_file_path:
        return _column(table, layout, "file_path")
    directory, run_name = _column(table, layout, "directory"), _column(table, layout, "run_name")
    if directory is None or run_name is None:
        return _nulls(table.num_rows)
    return pc.binary_join_element_wise(pc.utf8_rtrim(directory, characters="/"), run_name, "/")


def normalise_index(table: pa.Table, layout: IndexLayout, index_name: str) -> pa.Table:
    """Canonical columns for one parsed index (population tables are joined later)."""
    n = table.num_rows
    file_path = _file_paths(table, layout)
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


def row_problems(table: pa.Table, path_required: bool = True) -> pa.ChunkedArray:
    """Per row, why it cannot be kept (null when it is fine). Vectorised: runs on every row.

    ``path_required``: a row of an index of files is that file's record, so it needs
    its path; a row of the older index without a file column describes a run, whose
    sample belongs in the table even when its path cannot be built.
    """
    sample_ok = pc.fill_null(pc.match_substring_regex(table["sample_id"], r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"), False)
    md5_ok = pc.fill_null(pc.match_substring_regex(table["md5"], r"^[0-9a-f]{32}$"), True)
    path_ok = pc.fill_null(pc.invert(pc.match_substring_regex(
        table["file_path"], r"[\x00-\x1f\x7f]|(^|/)\.\.(/|$)")), not path_required)
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
        for name, values in (("population", population), ("super_population", super_population)):
            i = table.schema.get_field_index(name)
            table = table.set_column(i, table.schema.field(i), values)  # the field, not the name: keeps its metadata
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
    on two cores the checks and the Parquet encoding overlap. An index that
    cannot be read, or has a header but no rows, is quarantined whole, named as the
    quarantine's source names it (relative to the source's root); only when no index
    can be read does this raise, naming each file and its reason.
    """
    lookup = PopulationLookup(populations)
    per_index: dict[str, dict[str, object]] = {}
    samples: list[pa.Array] = []
    unreadable: list[str] = []
    paths_left_null: Counter = Counter()
    conflicts = without_population = rows_out = 0

    def work(item: tuple[int, pa.Table], layout: IndexLayout, name: str):
        start, raw = item
        table = normalise_index(raw, layout, name)
        problems = row_problems(table, path_required=not layout.derives_file_path)
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
            parsed, layout = _parse_or_quarantine(path, quarantine, threads, per_index)
            if parsed is None:
                unreadable.append(f"{source_label(quarantine.source, path)}: {per_index[path.name]['unreadable']}")
                continue
            rejected: list[tuple[int, str, str]] = []
            kept = null_paths = 0
            items = _parts(parsed.table)
            jobs = pool.map(work, items, [layout] * len(items), [path.name] * len(items))
            for table, bad_rows, n_conflicts in jobs:
                rejected += bad_rows
                kept += table.num_rows
                null_paths += table["file_path"].null_count
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
            if layout.derives_file_path:
                per_index[path.name]["file_path_from"] = "DIRECTORY/RUN_NAME"
                if null_paths:
                    per_index[path.name]["rows_without_file_path"] = {missing_path_reason(layout): null_paths}
                    paths_left_null[missing_path_reason(layout)] += null_paths
            log.info("%s: %s", path, per_index[path.name])
            del parsed
    if indices and len(unreadable) == len(indices):
        raise ValueError("no index could be read: " + "; ".join(unreadable))
    all_samples = pa.concat_arrays([pa.array([], pa.string()), *samples])
    report.update(indices=per_index, rows=rows_out,
                  coverage=lookup.coverage(all_samples, conflicts, without_population),
                  file_paths_left_null=dict(sorted(paths_left_null.items())),
                  quarantine_reasons=quarantine.counts())


def _parse_or_quarantine(path: Path, quarantine: Quarantine, threads: int, per_index: dict
                         ) -> tuple[IndexResult | None, IndexLayout | None]:
    """Parse one index; a file that is not a readable index, or holds no data line, is quarantined
    whole with its reason (None returned)."""
    lines = Quarantine(source=quarantine.source)  # its line records count only if the whole file is read
    try:
        layout = detect_layout(path)
        parsed = read_index(path, layout, lines, threads=threads)
    except IndexFormatError as exc:
        line, reason = exc.line, f"unreadable index: {exc.reason}"
    except (OSError, ValueError) as exc:  # unreadable file; pyarrow's ArrowInvalid is a ValueError
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        line, reason = None, f"unreadable index: {detail}"
    else:
        if not header_only(parsed):
            quarantine.extend(lines)
            return parsed, layout
        # Left to itself, a header-only index adds nothing and, alone, ends as an empty table that the
        # quality bar refuses naming the table: named here, the file is what the user gets to look at.
        line, reason = layout.skip_lines, "empty index: a header line but no data rows"
    quarantine.add(path, line, reason)
    per_index[path.name] = {"unreadable": reason, "line": line}
    log.warning("%s: %s: quarantined, the other indices go on", path, reason)
    return None, None


def header_only(parsed: IndexResult) -> bool:
    """No data line at all: not one row read, salvaged or quarantined (a header, ``##`` and blank lines)."""
    return parsed.rows_read == 0 and parsed.salvaged == 0 and parsed.quarantined == 0


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
        line_of = data_line_numbers(path, layout, parsed.rows_read, positions)
    for pos, reason, file_path in rejected:
        quarantine.add(path, line_of.get(pos), reason, file_path)


