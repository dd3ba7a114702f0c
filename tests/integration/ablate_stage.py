"""A stand-in for the train stage in the ablation tests' tiny DVC repositories (seconds, not minutes).

Reads ``train`` of config/config.yaml and writes results/train/predictions.parquet (run_id, group,
fold, split, score, label: the train stage's columns) and results/train/metrics.json (``modalities``
and ``pooled.network`` with its host-star interval, from astrobuild.learn.metrics, as the train stage
does). Deterministic: every run has one fixed feature per modality, the label plus noise; a run's
score sums the features of the modalities in use, weighted by ``WEIGHTS``. So leaving out a modality
of larger weight costs more AUROC, and leaving out any modality costs some: the paired differences
"all - variant" are positive, largest without climate. ``train.fail_without: <modality>`` makes a
variant without that modality fail (exit 1), for a failed experiment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from astrobuild.learn.metrics import binary_metrics, group_bootstrap

WEIGHTS = {"climate": 2.0, "spectrum": 1.0, "bio_graph": 0.5, "planet_params": 0.25}
RUNS, RUNS_PER_STAR = 150, 3


def main() -> None:
    train = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))["train"]
    modalities = list(train["modalities"])
    if train.get("fail_without") and train["fail_without"] not in modalities:
        sys.exit(f"ablate_stage: {train['fail_without']} left out (train.fail_without)")
    folds = int(train["cv"]["folds"])
    seed = int(train["seed"] if train.get("split_seed") is None else train["split_seed"])
    rng = np.random.default_rng(12345)  # the data: the same whatever the modalities
    label = rng.random(RUNS) < 0.4
    features = {m: np.where(label, 1.0, -1.0) + rng.normal(0.0, 2.0, RUNS) for m in WEIGHTS}
    noise = rng.normal(0.0, 1.0, RUNS)
    star = np.arange(RUNS) // RUNS_PER_STAR
    fold = np.random.default_rng(seed).permutation(star.max() + 1)[star] % folds  # by star, from the seed
    logit = noise + sum(WEIGHTS[m] * features[m] for m in modalities)
    score = 1.0 / (1.0 + np.exp(-logit))
    order = np.argsort(fold, kind="stable")  # fold by fold, as the train stage writes them
    frame = pd.DataFrame({"run_id": [f"run{i:03d}" for i in range(RUNS)], "group": [f"star{s:02d}" for s in star],
                          "fold": fold, "split": "test", "score": score, "label": label}).iloc[order]
    out = Path("results/train")
    out.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out / "predictions.parquet", index=False)
    labels, scores, groups = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["group"].to_numpy()
    interval = group_bootstrap(labels, {"network": scores}, groups, int(train["cv"]["bootstrap"]), seed)
    metrics = {"modalities": "+".join(modalities),
               "pooled": {"network": {**binary_metrics(labels, scores), **interval["network"]}}}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
