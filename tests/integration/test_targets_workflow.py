"""Every task end to end on the scale-1 sample (issue 18, targets): the sample's build (binary on ``label``,
shared with the other integration tests), then rule train rerun alone for a 3-class target
(``habitability``) and a regression target (``habitable_fraction``), and rule predict for the regression
model. Only training (and predict) reruns: the targets are train-stage params, not pooling keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from tests.workflow import clone_build, snakemake

pytestmark = pytest.mark.integration

METRICS = "results/train/metrics.json"


def _train(work: Path, task: str, target: str, *targets: str) -> dict:
    (work / f"{task}.yaml").write_text(f"train: {{task: {task}, target: {target}}}\n")
    proc = snakemake(work, *(targets or ("train",)), "--configfile", f"{task}.yaml")
    assert "rule pool_features" not in proc.stdout + proc.stderr  # no data rebuilt for another target
    return json.loads((work / METRICS).read_text())


def test_the_three_tasks_train_end_to_end_and_predict(sample_build, tmp_path):
    binary = json.loads((sample_build / METRICS).read_text())
    assert binary["task"] == {"kind": "binary", "target": "label", "headline": "auroc", "better": "higher"}
    assert "auroc_diff" in binary["network_minus"]["boosted_trees"]
    registry = pq.read_table(sample_build / "data/processed/planet_runs.parquet")
    assert registry.schema.field("habitable_fraction").type == "double"
    assert registry.schema.field("habitability").type == "string"

    work = clone_build(sample_build, tmp_path / "work")
    multi = _train(work, "multiclass", "habitability")
    classes = ["biosignature", "habitable", "uninhabitable"]
    assert multi["task"] == {"kind": "multiclass", "target": "habitability", "headline": "macro_f1",
                             "better": "higher", "classes": classes}
    assert set(multi["pooled"]) == {"network", "majority", "boosted_trees"}
    for model in multi["pooled"].values():
        for key in ("macro_f1", "balanced_accuracy", "log_loss"):
            assert model[f"{key}_ci_low"] <= model[key] <= model[f"{key}_ci_high"], (key, model)
    assert set(multi["network_minus"]["majority"]) == {"macro_f1_diff", "ci_low", "ci_high"}
    predictions = pq.read_table(work / "results/train/predictions.parquet").to_pandas()
    assert [f"p_{c}" for c in classes] + ["predicted", "target"] == list(predictions.columns[4:])
    assert np.allclose(predictions[[f"p_{c}" for c in classes]].sum(axis=1), 1.0)
    payload = torch.load(work / "results/train/model.pt", weights_only=True)
    assert payload["task"]["classes"] == classes and payload["model_spec"]["outputs"] == 3
    assert "train_macro_f1" in (work / "results/train/curves.csv").read_text().splitlines()[0]

    regression = _train(work, "regression", "habitable_fraction", "train", "predict")
    assert regression["task"]["better"] == "lower" and regression["task"]["headline"] == "rmse"
    assert set(regression["pooled"]) == {"network", "mean", "boosted_trees"}
    for model in regression["pooled"].values():
        assert model["rmse_ci_low"] <= model["rmse"] <= model["rmse_ci_high"] and model["mae"] >= 0
    assert "rmse_diff" in regression["network_minus"]["mean"]
    payload = torch.load(work / "results/train/model.pt", weights_only=True)
    assert payload["task"]["kind"] == "regression" and payload["task"]["std"] > 0  # the training statistics
    scored = pq.read_table(work / "results/predict/predictions.parquet").to_pandas()
    assert "prediction" in scored.columns and "score" not in scored.columns
    assert len(scored) == 1 and (scored["scenario"] == "outlook").all()
    report = json.loads((work / "results/predict/report.json").read_text())
    assert report["task"] == {"kind": "regression", "target": "habitable_fraction", "output": "standardised value"}

    # the regression model (predict.model) asked to predict the label (the default train section): refused
    (work / "regression.pt").write_bytes((work / "results/train/model.pt").read_bytes())
    (work / "other.yaml").write_text("predict: {model: regression.pt}\n")
    proc = snakemake(work, "predict", "--configfile", "other.yaml", check=False)
    assert proc.returncode != 0
    log = (work / "logs/predict.log").read_text()
    assert "trained for regression on 'habitable_fraction', but binary on 'label' is asked" in log
