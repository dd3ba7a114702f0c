"""Benchmark: how the build's cost grows with the number of inputs (KGML pathways, climate cubes).

At each size (100 / 1,000 / 10,000 KGML pathways beside 10 / 100 / 1,000 small cubes) it
generates the raw inputs into a temporary copy of this checkout, points the `kegg` and `climate`
sources at them (local mode) and measures, in the same run:

* DAG: `snakemake -n` of the KEGG edge table and the climate-run table (every cube converted,
  verified and validated), i.e. the time Snakemake needs to plan the build (target < 30 s at the
  largest size);
* build: `snakemake --cores 1` of the same targets, per item;
* bare work: the same library functions the rules call (``kegg_to_edges`` on all files,
  ``convert_batch`` on all cubes, ``index_climate_runs``), called once in this process: no
  Snakemake, no job start-up.
  The ratio build / bare is the overhead of running it as a workflow (target <= 2 at the largest
  size). One core for both, so the ratio is overhead, not parallelism;
* growth: the exponent k of time ~ items^k between the two largest sizes (1 = linear);
* `dvc add` of the raw inputs and the products, then `dvc status` and `dvc push` to an empty
  local remote at each size (target < 10 s at the largest).

    .venv/bin/python benchmarks/bench_dag_scale.py            # 100/10, 1,000/100, 10,000/1,000
    .venv/bin/python benchmarks/bench_dag_scale.py --quick    # smoke run: 100/10 and 300/30
    .venv/bin/python benchmarks/bench_dag_scale.py --sizes 1000:100 10000:1000   # the two largest
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, copy_checkout, row, sh, timed  # noqa: E402

KGML_PER_SCALE = 20  # about this many KGML files per unit of the KEGG sample's scale (31 at 5, 22 at 41)
CUBES_PER_SCALE = 12  # 4 planets x 3 climate runs
TARGETS = ["data/interim/kegg_edges.parquet", "data/interim/climate_runs.parquet"]
GIT_ID = ["-c", "user.name=astrobuild bench", "-c", "user.email=bench@astrobuild.invalid"]


def write_raw(gen: Path, raw: Path, pathways: int, cubes: int) -> tuple[list[Path], list[Path]]:
    """``pathways`` KGML files and ``cubes`` NetCDF cubes from the sample generator, under ``raw``."""
    from astrobuild.sample import generate

    scale = math.ceil(pathways / KGML_PER_SCALE) + 1
    while len(kgml := [p for p in generate("kegg", gen / "kegg", scale=scale) if p.suffix in (".xml", ".kgml")]) < pathways:
        shutil.rmtree(gen / "kegg")
        scale = math.ceil(scale * pathways / max(len(kgml), 1)) + 1  # the files per scale fall as it grows
    nc = [p for p in generate("climate", gen / "climate", scale=math.ceil(cubes / CUBES_PER_SCALE))
          if p.suffix == ".nc"]
    if len(kgml) < pathways or len(nc) < cubes:
        raise SystemExit(f"the generator wrote {len(kgml)} KGML and {len(nc)} cubes; {pathways}/{cubes} wanted")
    out_k, out_c = [], []
    for src, dest_dir, out in [*((p, raw / "kegg", out_k) for p in kgml[:pathways]),
                               *((p, raw / "climate", out_c) for p in nc[:cubes])]:
        dest_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest_dir / src.name)
        out.append(dest_dir / src.name)
    return out_k, out_c


def bare_work(work: Path, kgml: list[Path], cubes: list[Path], climate: dict) -> float:
    """The rules' library functions on the same files, in this process (outputs in a scratch folder)."""
    from astrobuild.climate.pipeline import convert_batch, index_climate_runs
    from astrobuild.kegg.pipeline import kegg_to_edges
    from astrobuild.paths import SourceRoot

    out = work / "bare"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    logging.disable(logging.INFO)  # the rules log to files; printing here would time the terminal
    start = time.perf_counter()
    kegg_to_edges(inputs=[str(p) for p in kgml], patterns=["*.xml", "*.kgml"], table=str(out / "edges.parquet"),
                  quarantine_path=str(out / "edges.quarantine.parquet"), report_path=str(out / "edges.json"),
                  source=SourceRoot("kegg", kgml[0].parent))
    stems = [p.stem for p in cubes]
    per = {kind: [str(out / kind / f"{s}.{ext}") for s in stems]
           for kind, ext in (("stores", "zarr"), ("reports", "json"), ("validations", "json"),
                             ("timings", "json"), ("logs", "log"))}
    for kind in per:
        (out / kind).mkdir()
    convert_batch(cubes=[str(p) for p in cubes], **per, options=climate, threads=1, keep_unchanged=False,
                  source=SourceRoot("climate", cubes[0].parent))
    index_climate_runs(cubes={s: str(p) for s, p in zip(stems, cubes, strict=True)},
                       stores=dict(zip(stems, per["stores"], strict=True)), roots=[str(cubes[0].parent)],
                       table=str(out / "runs.parquet"), quarantine_path=str(out / "runs.quarantine.tsv"),
                       report_path=str(out / "runs.json"), source=SourceRoot("climate", cubes[0].parent))
    seconds = time.perf_counter() - start
    logging.disable(logging.NOTSET)
    shutil.rmtree(out)
    return seconds


def configure(work: Path) -> dict:
    """Local `kegg` and `climate` sources in config/config.yaml; returns the climate section the build uses."""
    from astrobuild.configschema import defaults

    path = work / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    config["sources"]["kegg"] = {"mode": "local", "path": "data/raw/local/kegg"}
    config["sources"]["climate"] = {"mode": "local", "path": "data/raw/local/climate"}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return {**defaults("climate"), **(config.get("climate") or {})}


def growth(sizes: list[int], seconds: list[float]) -> float:
    """Exponent k of seconds ~ items^k between the two largest sizes."""
    return math.log(seconds[-1] / seconds[-2]) / math.log(sizes[-1] / sizes[-2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 100/10 and 300/30")
    parser.add_argument("--sizes", nargs="+", metavar="PATHWAYS:CUBES",
                        help="the sizes to run (default 100:10 1000:100 10000:1000)")
    args = parser.parse_args()
    sizes = [(100, 10), (300, 30)] if args.quick else [(100, 10), (1000, 100), (10000, 1000)]
    if args.sizes:
        sizes = [tuple(int(n) for n in size.split(":")) for size in args.sizes]
    snakemake, dvc = str(BIN / "snakemake"), str(BIN / "dvc")
    results = []
    print(f"bench_dag_scale: DAG, build and DVC time against the number of inputs ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="bench_dag_scale_") as tmp:
        for pathways, cubes in sizes:
            work = Path(tmp) / f"p{pathways}"
            work.mkdir()
            copy_checkout(work)
            climate = configure(work)
            kgml, nc = write_raw(Path(tmp) / f"gen{pathways}", work / "data/raw/local", pathways, cubes)
            items = pathways + cubes
            dag_s = timed(work, snakemake, "-n", "--cores", "1", *TARGETS)
            build_s = timed(work, snakemake, "--cores", "1", *TARGETS)
            bare_s = bare_work(work, kgml, nc, climate)
            # The checkout's .dvc/ is kept (its cache and settings); its stages are not what is
            # measured here (the build stage's outs need every product), so the folders are added.
            # The products are git-ignored here (DVC refuses to add an ignored path): nothing is committed.
            (work / "dvc.yaml").unlink()
            (work / ".gitignore").unlink()
            sh(work, "git", "init", "-q")
            sh(work, dvc, "remote", "add", "-f", "bench", str(Path(tmp) / f"remote{pathways}"))
            tracked = ["data/raw/local/kegg", "data/raw/local/climate", "data/interim", "data/processed/climate"]
            add_s = timed(work, dvc, "add", "-q", *tracked)
            status_s = timed(work, dvc, "status")
            push_s = timed(work, dvc, "push", "-r", "bench")
            files = sum(1 for d in tracked for p in (work / d).rglob("*") if p.is_file())
            results.append(dict(pathways=pathways, cubes=cubes, items=items, dag=dag_s, build=build_s, bare=bare_s,
                                add=add_s, status=status_s, push=push_s, files=files))
            r = results[-1]
            print(f"\n{pathways:,} pathways + {cubes:,} cubes ({items:,} items; {files:,} files under DVC)")
            row("snakemake -n (DAG)", f"{dag_s:8.2f} s")
            row("build (snakemake --cores 1)", f"{build_s:8.2f} s  {1000 * build_s / items:7.2f} ms/item")
            row("bare work (library calls, no Snakemake)", f"{bare_s:8.2f} s  {1000 * bare_s / items:7.2f} ms/item")
            row("ratio build / bare", f"{build_s / bare_s:8.2f}")
            row("dvc add (raw inputs, edge table, stores)", f"{r['add']:8.2f} s")
            row("dvc status", f"{status_s:8.2f} s")
            row("dvc push (empty local remote)", f"{push_s:8.2f} s")
            shutil.rmtree(work)
            shutil.rmtree(Path(tmp) / f"gen{pathways}")
    items = [r["items"] for r in results]
    last = results[-1]
    print("\nsummary")
    row("DAG time at the largest size (target < 30 s)", f"{last['dag']:8.2f} s")
    row("build / bare at the largest size (target <= 2)", f"{last['build'] / last['bare']:8.2f}")
    for key in ("dag", "build", "bare"):
        row(f"growth exponent of {key} (1 = linear)", f"{growth(items, [r[key] for r in results]):8.2f}")
    row("dvc status / push at the largest size (< 10 s)", f"{last['status']:8.2f} s / {last['push']:.2f} s")


if __name__ == "__main__":
    main()
