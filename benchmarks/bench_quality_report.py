"""Benchmark: the quality report of a table against the contract check it builds on.

    python benchmarks/bench_quality_report.py [--rows 200000] [--repeat 3] [--quick]

Generates an IGSR sequence.index of --rows rows, turns it into the
``1000g_samples`` table (the rule function), then times, in the same run, on
the same Parquet file:

* baseline: ``validate_table`` (read + lazy Pandera contract check), what the
  build already pays for every table;
* ours: ``build_report`` of that table (read + completeness, lazy validity with
  failing rows counted, uniqueness on its key, consistency rules), JSON-ready;
* the HTML page (completeness chart + histograms), reported on its own.

Prints rows/s and the ratio ours/baseline time (target <= 2: grading costs at
most twice the contract check).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_interleaved, row  # noqa: E402

from astrobuild.contracts.validate import validate_table  # noqa: E402
from astrobuild.genomes.pipeline import indices_to_sample_table  # noqa: E402
from astrobuild.quality.html import render_html  # noqa: E402
from astrobuild.quality.report import build_report, load_tables  # noqa: E402
from astrobuild.sample.genomes import write_sequence_index  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one repeat (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat = 20_000, 1
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")

    with tempfile.TemporaryDirectory(prefix="bench_quality_") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        raw.mkdir()
        write_sequence_index(raw / "1000G_2504_high_coverage.sequence.index", args.rows, seed=0)
        (raw / "x.panel").write_text("sample\tpop\tsuper_pop\tgender\nHG18000\tGBR\tEUR\tmale\n")
        table = tmp / "1000g_samples.parquet"
        indices_to_sample_table([raw], ["*.index"], ["*.panel"], table, tmp / "q.tsv", tmp / "r.json")
        tables = {"1000g_samples": str(table)}
        result = {}

        def baseline() -> None:
            validate_table("1000g_samples", table)

        def ours() -> None:
            result["report"] = build_report(tables, {}, {})

        baseline()
        t_base, t_ours = best_interleaved([baseline, ours], args.repeat)
        frames = load_tables(tables)
        start = time.perf_counter()
        page = render_html(result["report"], frames, {})
        t_html = time.perf_counter() - start

    entry = result["report"]["tables"]["1000g_samples"]
    rows = entry["rows"]
    print(f"quality report of 1000g_samples: {rows:,} rows, grade {entry['grade']} {entry['scores']}")
    row("baseline: validate_table (read + contract)", f"{rows / t_base / 1e3:8.1f} k rows/s  ({t_base:.2f} s)")
    row("ours: build_report (read + 4 dimensions)", f"{rows / t_ours / 1e3:8.1f} k rows/s  ({t_ours:.2f} s)")
    row("ratio ours/baseline time (target <= 2)", f"{t_ours / t_base:8.2f}")
    row("HTML page (charts, histograms)", f"{t_html:8.2f} s  ({len(page) / 2**10:.0f} KiB)")


if __name__ == "__main__":
    main()
