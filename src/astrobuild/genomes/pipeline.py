"""The 1000 Genomes steps as whole-file functions (what the rule scripts call)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from astrobuild.genomes.indices import SAMPLE_TABLE_SCHEMA, iter_sample_table
from astrobuild.genomes.listings import build_master_table
from astrobuild.genomes.populations import POPULATION_SCHEMA, read_population_tables
from astrobuild.io import read_parquet, write_json, write_parquet, write_parquet_parts
from astrobuild.paths import SourceRoot, collect_files
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)
# Columns of the sample table with few distinct values (dictionary-encoded in Parquet).
LOW_CARDINALITY = ["population", "super_population", "platform", "withdrawn", "analysis_group",
                   "data_type", "index_file"]
# Unique columns: delta encodings are both smaller and ~2x faster to write than plain + zstd.
ENCODINGS = {"md5": "DELTA_BYTE_ARRAY", "read_count": "DELTA_BINARY_PACKED",
             "base_count": "DELTA_BINARY_PACKED"}
PathLike = str | os.PathLike[str]


def dirlists_to_master(inputs: Sequence[PathLike], patterns: Sequence[str], table_path: PathLike,
                       quarantine_path: PathLike, report_path: PathLike, source: SourceRoot | None = None) -> dict:
    listings = collect_files(inputs, patterns)
    if not listings:
        raise FileNotFoundError(f"no directory listings matching {list(patterns)} in {list(map(str, inputs))}")
    quarantine = Quarantine(source=source)
    table, report = build_master_table(listings, quarantine)
    write_parquet(table, table_path)
    quarantine.write(quarantine_path)
    write_json(report, report_path)
    log.info("master table: %d files, %d samples, %d line(s) quarantined",
             report["rows"], report["samples"], len(quarantine))
    return report


def indices_to_sample_table(inputs: Sequence[PathLike], index_patterns: Sequence[str],
                            population_patterns: Sequence[str], table_path: PathLike, quarantine_path: PathLike,
                            report_path: PathLike, threads: int = 2, source: SourceRoot | None = None) -> dict:
    indices = collect_files(inputs, index_patterns)
    if not indices:
        raise FileNotFoundError(f"no index files matching {list(index_patterns)} in {list(map(str, inputs))}")
    pop_files = collect_files(inputs, population_patterns)
    quarantine = Quarantine(source=source)
    populations = read_population_tables(pop_files, quarantine) if pop_files else POPULATION_SCHEMA.empty_table()
    if not pop_files:
        log.warning("no population table (%s): every population comes from the indices alone", population_patterns)
    report: dict = {"population_tables": [p.name for p in pop_files]}
    parts = iter_sample_table(indices, populations, quarantine, report, threads=threads)
    write_parquet_parts(parts, SAMPLE_TABLE_SCHEMA, table_path, dictionary=LOW_CARDINALITY, encodings=ENCODINGS)
    quarantine.write(quarantine_path)
    write_json(report, report_path)
    cov = report["coverage"]
    log.info("sample table: %d rows; %d samples only in the indices, %d only in the population tables",
             report["rows"], cov["samples_only_in_indices"], cov["samples_only_in_population_tables"])
    return report


def summarise_1000g(master_path: PathLike, samples_path: PathLike, summary_path: PathLike,
                    plot_path: PathLike) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from astrobuild.io import atomic_path

    master = read_parquet(master_path).to_pandas()
    samples = read_parquet(samples_path).to_pandas()
    per_sample = samples.drop_duplicates("sample_id")
    by_pop = per_sample.groupby(["super_population", "population"], dropna=False).size()
    summary = {
        "files_listed": len(master),
        "bytes_listed": int(master["file_size"].fillna(0).sum()),
        "files_by_type": {str(k): int(v) for k, v in master["data_type"].value_counts().sort_index().items()},
        "indexed_files": len(samples),
        "samples": int(per_sample.shape[0]),
        "samples_by_super_population": {
            str(k): int(v) for k, v in per_sample["super_population"].fillna("unknown").value_counts().sort_index().items()
        },
        "samples_without_population": int(per_sample["population"].isna().sum()),
    }
    labels = [f"{sup if isinstance(sup, str) else '?'}/{pop if isinstance(pop, str) else '?'}" for sup, pop in by_pop.index]
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(labels)), 4))
    ax.bar(range(len(labels)), by_pop.to_numpy(), color="#4C72B0")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_ylabel("samples")
    ax.set_title("1000 Genomes samples per population (indexed files)")
    fig.tight_layout()
    Path(plot_path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(plot_path) as tmp:
        # Fixed metadata keeps the PNG byte-identical across builds.
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    write_json(summary, summary_path)
    return summary
