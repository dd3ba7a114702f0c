"""Benchmark: indices_to_sample_table against a bare pyarrow CSV read of the same index.

    python benchmarks/bench_indices_to_sample_table.py [--rows 1000000] [--repeat 3] [--quick]

Generates an IGSR sequence.index (current 22-column layout) of --rows data
rows in a temporary directory, then times, in the same run and on the same
file:

* ours: the whole rule function (layout detection, parse, row checks,
  population join, Parquet + quarantine + report written);
* baseline: ``pyarrow.csv.read_csv`` of the file (tab-separated, quoting off,
  all columns, type inference), the floor any Python parser of it stands on.

Prints rows/s for both, the ratio (target >= 0.5) and our peak memory against
the file size (target <= 3x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from pyarrow import csv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_interleaved, peak_rss_mb, row  # noqa: E402

from astrobuild.genomes.pipeline import indices_to_sample_table  # noqa: E402
from astrobuild.sample.genomes import write_sequence_index  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50,000 rows, one repeat (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat = 50_000, 1

    with tempfile.TemporaryDirectory(prefix="bench_indices_") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        raw.mkdir()
        index = write_sequence_index(raw / "1000G_2504_high_coverage.sequence.index", args.rows, seed=0)
        (raw / "x.panel").write_text("sample\tpop\tsuper_pop\tgender\nHG18000\tGBR\tEUR\tmale\n")
        size_mb = index.stat().st_size / 2**20
        out = tmp / "out"

        def ours() -> None:
            indices_to_sample_table([raw], ["*.index"], ["*.panel"], out / "t.parquet", out / "q.tsv",
                                    out / "r.json", threads=2)

        def baseline() -> None:
            csv.read_csv(index, parse_options=csv.ParseOptions(delimiter="\t", quote_char=False))

        baseline()  # warm the page cache for both
        ours()
        t_base, t_ours = best_interleaved([baseline, ours], args.repeat)
        base_rss, end_rss = peak_rss_mb(
            "from pathlib import Path\n"
            "from astrobuild.genomes.pipeline import indices_to_sample_table\n"
            f"o = Path({str(out)!r})\n"
            f"indices_to_sample_table([Path({str(raw)!r})], ['*.index'], ['*.panel'], o/'t.parquet', o/'q.tsv', "
            "o/'r.json', threads=2)"
        )

    ours_rate, base_rate = args.rows / t_ours, args.rows / t_base
    print(f"indices_to_sample_table: {args.rows:,} index rows, {size_mb:.0f} MiB file")
    row("ours (parse + checks + join + Parquet)", f"{ours_rate / 1e6:6.2f} M rows/s  ({t_ours:.2f} s)")
    row("baseline: bare pyarrow.csv.read_csv", f"{base_rate / 1e6:6.2f} M rows/s  ({t_base:.2f} s)")
    row("ratio ours/baseline (target >= 0.5)", f"{ours_rate / base_rate:6.2f}")
    extra = end_rss - base_rss
    row("peak memory above imports", f"{extra:6.0f} MiB = {extra / size_mb:.2f} x file size (target <= 3)")
    row("peak memory of the whole process", f"{end_rss:6.0f} MiB = {end_rss / size_mb:.2f} x file size")


if __name__ == "__main__":
    main()
