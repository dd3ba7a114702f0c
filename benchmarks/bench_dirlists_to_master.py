"""Benchmark: dirlists_to_master against a minimal line loop over the same ls -lR listing.

    python benchmarks/bench_dirlists_to_master.py [--samples 20000] [--repeat 3] [--quick]

Generates an ``ls -lR`` listing of a 1000 Genomes-like tree (per sample: an
alignment directory with BAM/BAI/BAS files and a link, a sequence_read
directory) and times, in the same run:

* ours: the whole rule function (format detection, parse, path checks,
  sample/population/type extraction, sort, Parquet + quarantine + report);
* baseline: the least any Python ls -lR parser does: read, decode and split
  every line, keeping name and size of entry lines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_interleaved, row  # noqa: E402

from astrobuild.genomes.pipeline import dirlists_to_master  # noqa: E402
from astrobuild.sample.genomes import POPULATIONS, _write_listings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2,000 samples, one repeat")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.repeat = 2_000, 1
    rng = np.random.Generator(np.random.PCG64(0))
    samples = [(f"HG{i:05d}", POPULATIONS[i % len(POPULATIONS)], "male") for i in range(args.samples)]
    with tempfile.TemporaryDirectory(prefix="bench_listing_") as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        _write_listings(raw, rng, samples)
        (raw / "1000_genomes_project.md5").unlink()
        listing = raw / "ls-lR"
        lines = listing.read_bytes().count(b"\n")
        size_mb = listing.stat().st_size / 2**20
        out = Path(tmp) / "out"

        def ours() -> None:
            dirlists_to_master([raw], ["ls-lR"], out / "m.parquet", out / "q.tsv", out / "r.json")

        def baseline() -> None:
            kept = []
            with open(listing, "rb") as handle:
                for raw_line in handle:
                    fields = raw_line.decode("utf-8").split(None, 8)
                    if len(fields) == 9 and fields[0][0] in "-l":
                        kept.append((fields[8], int(fields[4])))

        t_base, t_ours = best_interleaved([baseline, ours], args.repeat)
    print(f"dirlists_to_master: ls -lR of {args.samples:,} samples, {lines:,} lines, {size_mb:.0f} MiB")
    row("ours (whole rule function)", f"{lines / t_ours / 1e6:6.2f} M lines/s  ({t_ours:.2f} s)")
    row("baseline: decode + split every line", f"{lines / t_base / 1e6:6.2f} M lines/s  ({t_base:.2f} s)")
    row("ratio ours/baseline", f"{t_base / t_ours:6.2f}")


if __name__ == "__main__":
    main()
