"""Benchmark: what a cube added to a local climate source costs to convert again, by batch layout.

    python benchmarks/bench_batch_rerun.py [--cubes 240] [--batch-size 20] [--repeat 2]

A conversion batch (rule nc_to_zarr_<n>) is rerun whole when its set of cubes changes. The sample's
climate cubes (``--cubes``, small ones: the interpreter start is what batches save) are laid out
in batches twice, and one new cube that sorts first, one in the middle and one last are each
added in turn; for each, the batches that differ from the layout before are converted again with
the rule's own function (``convert_batch``: conversion, read-back check, contract):

* ours: batches cut by content (``astrobuild.climate.stems.conversion_batches``);
* baseline: fixed runs of ``--batch-size`` stems in sorted order (the layout before it: without
  Snakemake's ``update`` flag, which wedged after a killed job, a new first cube shifts every run).

Prints cubes and seconds of reconversion per added cube, and the ratio baseline/ours (how many
times more work fixed runs redo). Same cubes, same machine, the two interleaved.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import row  # noqa: E402

from astrobuild.climate.pipeline import convert_batch  # noqa: E402
from astrobuild.climate.stems import conversion_batches, stems_of  # noqa: E402
from astrobuild.configschema import defaults  # noqa: E402
from astrobuild.sample import generate  # noqa: E402


def fixed_runs(cubes: dict[str, str], batch_size: int) -> list[list[str]]:
    stems = sorted(cubes)
    return [stems[i:i + batch_size] for i in range(0, len(stems), batch_size)]


def rerun(batches_before: list[list[str]], batches_after: list[list[str]], cubes: dict[str, str],
          out: Path) -> tuple[int, float]:
    """Convert every batch of ``batches_after`` that is not one of ``batches_before``: (cubes, seconds)."""
    changed = [b for b in batches_after if b not in batches_before]
    stems = [s for b in changed for s in b]
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    for batch in changed:
        convert_batch(cubes=[cubes[s] for s in batch], stores=[str(out / f"{s}.zarr") for s in batch],
                      reports=[str(out / f"{s}.json") for s in batch],
                      validations=[str(out / f"climate_{s}.json") for s in batch],
                      timings=[str(out / f"{s}.timing.json") for s in batch], logs=[str(out / f"{s}.log") for s in batch],
                      options=defaults("climate"), threads=1)
    return len(stems), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cubes", type=int, default=240, help="cubes in the source (a multiple of 12)")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many reruns each")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    with tempfile.TemporaryDirectory(prefix="bench_batch_rerun_") as tmp:
        root = Path(tmp)
        files = generate("climate", root / "cubes", scale=max(1, args.cubes // 12), seed=0, time_steps=2)
        cubes = stems_of(files)
        template = next(iter(sorted(cubes.values())))
        stems = sorted(cubes)
        added = {"first": "aaa_new", "middle": stems[len(stems) // 2] + "_new", "last": "zzz_new"}
        print(f"{len(cubes)} cubes, batch size {args.batch_size}; one cube added at a time (its own batch counts in both)")
        total = {"ours": [0, 0.0], "baseline": [0, 0.0]}
        for where, stem in added.items():
            with_new = {**cubes, stem: shutil.copy2(template, root / f"{stem}.nc")}
            layouts = {"ours": (conversion_batches(cubes, args.batch_size), conversion_batches(with_new, args.batch_size)),
                       "baseline": (fixed_runs(cubes, args.batch_size), fixed_runs(with_new, args.batch_size))}
            best = {name: (0, float("inf")) for name in layouts}
            for _ in range(args.repeat):
                for name, (before, after) in layouts.items():
                    n, seconds = rerun(before, after, with_new, root / "out")
                    best[name] = (n, min(best[name][1], seconds))
            for name, (n, seconds) in best.items():
                total[name][0] += n
                total[name][1] += seconds
            row(f"added {where}: ours (content-cut)", f"{best['ours'][0]:4d} cubes reconverted, {best['ours'][1]:6.2f} s")
            row(f"added {where}: baseline (fixed runs)",
                f"{best['baseline'][0]:4d} cubes reconverted, {best['baseline'][1]:6.2f} s")
        row("all three: ours", f"{total['ours'][0]} cubes, {total['ours'][1]:.2f} s")
        row("all three: baseline", f"{total['baseline'][0]} cubes, {total['baseline'][1]:.2f} s")
        row("ratio baseline/ours (seconds)", f"{total['baseline'][1] / total['ours'][1]:.2f}")


if __name__ == "__main__":
    main()
