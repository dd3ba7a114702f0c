"""Ablations: leave-one-modality-out and "all modalities", each over several seeds; prints the table.

Trains by calling the train rule's own function
(:func:`astrobuild.learn.pipeline.train_model`) on an already built sample, once
per variant and seed, each writing its results under
``<root>/results/ablations/<variant>/seed<k>/`` (the build's own files are only
read). Every training uses the same settings but the modalities, so the raw inputs (pooled
cubes, binned spectra, union graphs) are read once and shared. This is the same code ``dvc exp run -S 'config/config.yaml:train.modalities=[...]'``
runs for one variant (``rule train`` calls ``train_model``), without one DVC
experiment commit per training: 15 trainings in one interpreter, not 15
Snakemake + DVC start-ups. By default each seed also draws its own planet split, so
the seed-to-seed spread includes which planets are tested (the paired drop leaves that
out); ``--split-seed N`` holds one split (``train.split_seed``) for every training, so
the spread is the training's alone.

Printed: one row per variant (``-x``: modality x left out), mean ± sd (sample sd,
n - 1) of test AUROC over the seeds, the drop from "all", the paired drop (per seed,
"all" minus the variant on the same split; its sd leaves out the split's own
spread), and the two yardsticks every training reports
(majority class, logistic regression on planet_params; their values depend only on
the seed's split, so they are the same in every variant). Then the verdict of the
issue's goal: every leave-one-out variant's mean is lower than "all" by more
than that variant's seed-to-seed sd, and "all" beats every baseline.

    # build the sample once, in a scratch copy of the checkout (--scale 300: 3,600 runs, the size at
    # which the goal is met, README; default: the config's scale, 25 = 300 runs), then train
    PYTHONPATH=src .venv/bin/python benchmarks/ablations.py --build /tmp/ablations --scale 300
    # or reuse a built checkout (data/processed/... present)
    PYTHONPATH=src .venv/bin/python benchmarks/ablations.py --root /tmp/ablations --seeds 3 4 5 6 7
    # no training: the same table for a perfect reader of the sample's four facts, at a given scale
    PYTHONPATH=src .venv/bin/python benchmarks/ablations.py --perfect 300 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MODALITIES = ("climate", "bio_graph", "spectrum", "planet_params")
ALL = "all"
BASELINES = ("majority", "logistic_planet_params")


def variants(modalities: tuple[str, ...] = MODALITIES) -> dict[str, list[str]]:
    """``all`` and one ``-<modality>`` per modality (that modality left out)."""
    out = {ALL: list(modalities)}
    for left_out in modalities:
        out[f"-{left_out}"] = [m for m in modalities if m != left_out]
    return out


def _mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per variant (and per baseline) mean and sd of test AUROC over seeds, and the goal's verdict.

    ``records``: ``{"variant", "seed", "auroc", "baselines": {name: auroc}}`` per training.
    Baselines are averaged over one record per seed (they do not depend on the variant).
    """
    rows: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["variant"] for r in records):
        mine = [r for r in records if r["variant"] == name]
        mean, sd = _mean_sd([r["auroc"] for r in mine])
        rows[name] = {"mean": mean, "sd": sd, "n": len(mine), "seeds": sorted(r["seed"] for r in mine),
                      "values": [r["auroc"] for r in sorted(mine, key=lambda r: r["seed"])],
                      "val_mean": _mean_sd([r.get("val_auroc") for r in mine])[0]}
    per_seed = {r["seed"]: r["baselines"] for r in records}
    baselines = {}
    for name in BASELINES:
        mean, sd = _mean_sd([b.get(name) for b in per_seed.values()])
        baselines[name] = {"mean": mean, "sd": sd, "n": len(per_seed)}
    all_mean = rows.get(ALL, {}).get("mean")
    all_by_seed = {r["seed"]: r["auroc"] for r in records if r["variant"] == ALL}
    checks = []
    for name, row in rows.items():
        if name == ALL:
            continue
        drop = None if all_mean is None or row["mean"] is None else all_mean - row["mean"]
        row["drop"] = drop
        # the same seed is the same split: the per-seed difference leaves out which planets were tested
        paired = [all_by_seed[r["seed"]] - r["auroc"] for r in records if r["variant"] == name
                  and all_by_seed.get(r["seed"]) is not None and r["auroc"] is not None]
        row["paired_drop"], row["paired_sd"] = _mean_sd(paired)
        checks.append({"what": f"{name}: drop {_f(drop)} > its sd {_f(row['sd'])}",
                       "ok": drop is not None and drop > row["sd"]})
    for name, base in baselines.items():
        checks.append({"what": f"all {_f(all_mean)} > {name} {_f(base['mean'])}",
                       "ok": all_mean is not None and base["mean"] is not None and all_mean > base["mean"]})
    return {"variants": rows, "baselines": baselines, "checks": checks,
            "goal_met": bool(checks) and all(c["ok"] for c in checks)}


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_table(summary: dict[str, Any]) -> str:
    """The Markdown table (as in the README) and the verdict lines."""
    lines = ["| variant | test AUROC (mean ± sd) | drop from all | paired drop (mean ± sd) | per seed | val AUROC (mean) |",
             "|---|---|---|---|---|---|"]
    for name, row in summary["variants"].items():
        per_seed = ", ".join(_f(v) for v in row["values"])
        drop = "" if name == ALL else _f(row.get("drop"))
        paired = "" if name == ALL else f"{_f(row.get('paired_drop'))} ± {_f(row.get('paired_sd'))}"
        lines.append(f"| {name} | {_f(row['mean'])} ± {_f(row['sd'])} | {drop} | {paired} | {per_seed} "
                     f"| {_f(row.get('val_mean'))} |")
    for name, base in summary["baselines"].items():
        lines.append(f"| baseline: {name} | {_f(base['mean'])} ± {_f(base['sd'])} | | | | |")
    lines.append("")
    for check in summary["checks"]:
        lines.append(f"{'ok  ' if check['ok'] else 'FAIL'} {check['what']}")
    lines.append(f"goal met: {'yes' if summary['goal_met'] else 'no'}")
    return "\n".join(lines)


# what each modality shows of the sample's label (astrobuild.sample.universe): its fact
FACT_OF = {"planet_params": "rocky", "climate": "habitable", "bio_graph": "methanogenic", "spectrum": "ch4_band"}


def perfect_score(scale: int, seeds: list[int]) -> dict[str, Any]:
    """The ablation of a model that reads each modality's fact without error, on the trainings' own splits.

    Per seed, the planets are split as ``train`` splits them (:func:`astrobuild.learn.splits.assign_splits`
    on the sample's planet names, the same split as that seed's trainings on a sample of this scale); the
    score of a test run is the positive share of the training runs that share its facts (all four, or
    all but the left-out modality's). No model can do better on average; the spread over seeds shows how
    much of a table's sd is which planets are tested, whatever the model.
    """
    import numpy as np
    import pandas as pd
    from snakemake.utils import validate

    from astrobuild.learn.metrics import auroc
    from astrobuild.learn.splits import assign_splits
    from astrobuild.sample.universe import build_universe

    section = {"train": {}}
    validate(section, str(REPO / "schemas" / "config.schema.yaml"))  # the default split fractions
    split = tuple(section["train"]["split"][s] for s in ("train", "val", "test"))
    universe = build_universe(scale, 0)
    rocky = {p.name: p.rocky for p in universe.planets}
    runs = pd.DataFrame({"run_id": [r.run_name for r in universe.runs], "planet": [r.planet for r in universe.runs],
                         "rocky": [rocky[r.planet] for r in universe.runs],
                         **{f: [getattr(r, f) for r in universe.runs] for f in ("habitable", "methanogenic", "ch4_band")},
                         "label": [r.label for r in universe.runs]})
    records = []
    for seed in seeds:
        where = assign_splits(runs, split, seed)
        train, test = runs[where == "train"], runs[where == "test"]
        for name, kept in variants().items():
            facts = [FACT_OF[m] for m in kept]
            share = train.groupby(facts)["label"].mean()
            keys = pd.MultiIndex.from_frame(test[facts])
            scores = share.reindex(keys).fillna(train["label"].mean()).to_numpy()
            records.append({"variant": name, "seed": seed,
                            "auroc": auroc(test["label"].to_numpy(bool), np.asarray(scores, float)),
                            "baselines": {}})
    return aggregate(records)


def format_perfect(summary: dict[str, Any]) -> str:
    lines = ["| perfect score | test AUROC (mean ± sd) | paired drop (mean ± sd) |", "|---|---|---|"]
    for name, row in summary["variants"].items():
        paired = "" if name == ALL else f"{_f(row.get('paired_drop'))} ± {_f(row.get('paired_sd'))}"
        lines.append(f"| {name} | {_f(row['mean'])} ± {_f(row['sd'])} | {paired} |")
    return "\n".join(lines)


def build_sample(dest: Path, scale: int | None = None) -> None:
    """The sample of config/config.yaml built in a scratch copy of this checkout; ``scale`` replaces
    ``sample.scale`` in the copy's config (so the copy stays up to date for Snakemake as built)."""
    sys.path.insert(0, str(REPO))
    from tests.workflow import SNAKEMAKE, copy_workflow

    copy_workflow(dest)
    if scale is not None:
        config = dest / "config" / "config.yaml"
        text, n = re.subn(r"^(  scale:) *\d+", rf"\g<1> {scale}", config.read_text(encoding="utf-8"), count=1,
                          flags=re.MULTILINE)
        if n != 1:
            raise SystemExit(f"no `sample: scale:` line in {config} to set to {scale}")
        config.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    proc = subprocess.run([SNAKEMAKE, "--cores", "2", "build"], cwd=dest, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"snakemake build failed in {dest}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    print(f"built the sample in {dest} in {time.perf_counter() - start:.0f} s")


def train_one(root: Path, modalities: list[str], seed: int, out: Path, threads: int,
              overrides: dict[str, Any]) -> dict[str, Any]:
    import yaml
    from snakemake.utils import validate

    from astrobuild.learn.outputs import TrainOutputs
    from astrobuild.learn.pipeline import train_model

    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    section = {**config.get("train", {}), **overrides, "modalities": modalities, "seed": seed}
    wrapped = {"train": section}
    validate(wrapped, str(REPO / "schemas" / "config.schema.yaml"))  # fills in the schema's defaults
    rel = out.relative_to(root)
    outputs = TrainOutputs(**{name: str(rel / Path(getattr(TrainOutputs, name)).name)
                              for name in TrainOutputs.__dataclass_fields__})
    return train_model(wrapped["train"], outputs=outputs, root=root, threads=threads)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--root", type=Path, help="a checkout where the sample is built (data/processed/...)")
    where.add_argument("--build", type=Path, help="build the sample here first (scratch folder)")
    where.add_argument("--perfect", type=int, metavar="SCALE",
                       help="no training: the ablation of a perfect reader of the four facts on the sample of "
                            "this scale, over --seeds (the same splits as the trainings)")
    parser.add_argument("--scale", type=int, help="with --build: sample.scale of the built sample (default: "
                        "config/config.yaml's, 25 = 300 runs; 100 = 1,200 runs)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--split-seed", default="seed", metavar="N|seed",
                        help="seed of the planet split: 'seed' (default) lets each seed draw its own split, so the "
                             "sd spans held-out planets too; N holds one split for every training, so the sd is "
                             "the training's alone (weights, batch order)")
    # 1 by default: the model is small, and on a shared machine two OpenMP threads that wait on each other
    # made a training ~5x slower than one (scale 100, load 8 on 2 cores)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of each training (default 1)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=YAML",
                        help="override a train: key for every training (e.g. --set epochs=30)")
    parser.add_argument("--json", type=Path, help="also write the records and summary here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    import yaml

    if args.perfect is not None:
        print(format_perfect(perfect_score(args.perfect, args.seeds)))
        return
    root = args.build or args.root
    if args.build:
        build_sample(args.build, args.scale)
    root = root.resolve()
    overrides: dict[str, Any] = {"split_seed": None if args.split_seed == "seed" else int(args.split_seed),
                                 # one split per seed (its test planets are the perfect score's): no
                                 # cross-validation here unless --set cv=... asks for it
                                 "cv": {"folds": 1}}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    records = []
    for seed in args.seeds:
        for name, kept in variants().items():
            start = time.perf_counter()
            metrics = train_one(root, kept, seed, root / "results" / "ablations" / name.replace("-", "without_") / f"seed{seed}",
                                args.threads, overrides)
            records.append({"variant": name, "seed": seed, "auroc": metrics["test"]["auroc"],
                            "val_auroc": metrics["val"]["auroc"], "best_epoch": metrics["best_epoch"],
                            "baselines": {b: metrics["baselines"][b]["auroc"] for b in BASELINES}})
            print(f"  seed {seed} {name:<15s} val AUROC {_f(metrics['val']['auroc'])} "
                  f"test AUROC {_f(metrics['test']['auroc'])} "
                  f"(best epoch {metrics['best_epoch']}, {time.perf_counter() - start:.1f} s)", flush=True)
    summary = aggregate(records)
    print(format_table(summary))
    if args.json:
        args.json.write_text(json.dumps({"records": records, "summary": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
