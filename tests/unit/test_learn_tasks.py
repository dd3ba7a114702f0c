"""Each task's metrics, loss, head, yardsticks and prediction columns, with known values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics as skm

from astrobuild.learn.metrics import group_bootstrap, paired_group_bootstrap
from astrobuild.learn.tasks import (
    TargetError,
    Task,
    balanced_accuracy,
    boosted_trees_probabilities,
    boosted_trees_values,
    class_names,
    log_loss,
    macro_f1,
    mae,
    r2,
    rmse,
)

LABELS = np.array([0, 0, 1, 1, 2, 2, 2, 0])
PROBS = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1],
                  [0.1, 0.1, 0.8], [0.5, 0.1, 0.4], [0.2, 0.2, 0.6], [0.6, 0.3, 0.1]])


def test_multiclass_metrics_are_scikit_learns():
    predicted = PROBS.argmax(axis=1)
    assert macro_f1(LABELS, PROBS) == pytest.approx(skm.f1_score(LABELS, predicted, average="macro"))
    assert balanced_accuracy(LABELS, PROBS) == pytest.approx(skm.balanced_accuracy_score(LABELS, predicted))
    assert log_loss(LABELS, PROBS) == pytest.approx(skm.log_loss(LABELS, PROBS))
    # a perfect prediction; a class nobody predicts counts in macro-F1 with F1 = 0
    assert macro_f1(LABELS, np.eye(3)[LABELS]) == 1.0
    assert macro_f1(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]])) == pytest.approx(1 / 3)
    assert macro_f1(np.zeros(0), np.zeros((0, 3))) is None


def test_regression_metrics_are_scikit_learns():
    truth, predicted = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.0, 5.0])
    assert rmse(truth, predicted) == pytest.approx(np.sqrt(skm.mean_squared_error(truth, predicted)))
    assert mae(truth, predicted) == pytest.approx(0.625)
    assert r2(truth, predicted) == pytest.approx(skm.r2_score(truth, predicted))
    assert r2(np.ones(3), np.zeros(3)) is None  # the truth does not vary: undefined


def test_task_facts():
    binary, multi, reg = Task(), Task("multiclass", "kind"), Task("regression", "x", "huber")
    assert (binary.headline, binary.better, binary.outputs) == ("auroc", "higher", 1)
    assert binary.layout() == {"kind": "binary_classification", "target": "label", "output": "logit"}
    assert multi.fitted(pd.Series(["b", "a", "c", "a"])).classes == ("a", "b", "c")
    assert multi.fitted(pd.Series([2.0, 0.0, 10.0])).classes == ("0", "2", "10")  # numbers in numeric order
    assert (reg.headline, reg.better, reg.yardsticks) == ("rmse", "lower", ("mean", "boosted_trees"))
    assert Task.from_json(multi.fitted(pd.Series(["a", "b"])).to_json()).classes == ("a", "b")
    assert Task.from_json(None) == Task()
    with pytest.raises(TargetError, match="at least 2"):
        multi.fitted(pd.Series(["a", "a"]))
    with pytest.raises(TargetError, match="'x' holds values that are no numbers"):
        reg.truth(pd.Series(["a"]))
    with pytest.raises(TargetError, match="not 0/1/true/false"):
        binary.truth(pd.Series(["maybe"]))
    assert class_names(pd.Series([1.0, 2.5, True, "x"])) == ["1", "2.5", "true", "x"]


def test_regression_target_is_standardised_with_training_statistics_and_turned_back():
    task = Task("regression", "x").fitted(pd.Series([1.0, 3.0, 5.0]), train=True)
    assert (task.mean, task.std) == pytest.approx((3.0, np.std([1.0, 3.0, 5.0])))
    encoded = task.encode(pd.Series([1.0, 7.0]))
    assert encoded.dtype == np.float32 and encoded[0] == pytest.approx(-1.0 / (np.sqrt(8 / 3) / 2))
    assert task.scores(torch.from_numpy(encoded)) == pytest.approx([1.0, 7.0], rel=1e-6)
    assert task.decode(encoded) == pytest.approx([1.0, 7.0], rel=1e-6)


def test_losses_and_heads():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    target = torch.tensor([0.0, 2.0])  # class indices carried as float32, as the dataset gives them
    expected = torch.nn.functional.cross_entropy(logits, target.long(), reduction="sum")
    assert float(Task("multiclass", classes=("a", "b", "c")).loss_fn()(logits, target)) == pytest.approx(float(expected))
    out, y = torch.tensor([0.0, 3.0]), torch.tensor([0.5, 0.0])
    assert float(Task("regression").loss_fn()(out, y)) == pytest.approx(0.25 + 9.0)
    assert float(Task("regression", loss="huber").loss_fn()(out, y)) == pytest.approx(0.125 + 2.5)
    assert Task("regression", loss="huber").monitor_loss(np.array([0.5, 0.0]), np.array([0.0, 3.0])) == \
        pytest.approx((0.125 + 2.5) / 2)
    from astrobuild.learn.model import MultiModalNet

    spec = {"modalities": ["planet_params"], "hidden": 8, "n_params": 2, "outputs": 3}
    batch = {"planet_params": torch.zeros(4, 2), "planet_params_mask": torch.ones(4, 2, dtype=torch.bool),
             "present": torch.ones(4, 1, dtype=torch.bool)}
    assert MultiModalNet(spec)(batch).shape == (4, 3)
    assert MultiModalNet({**spec, "outputs": 1})(batch).shape == (4,)
    assert MultiModalNet({k: v for k, v in spec.items() if k != "outputs"})(batch).shape == (4,)  # an older model.pt


def test_yardsticks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    classes = (X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int)
    task = Task("multiclass", "k", classes=("0", "1", "2"))
    got = task.yardstick_scores(classes[:40], 20, X[:40], classes[:40], X[40:], seed=0)
    assert got["majority"] == pytest.approx(np.tile(np.bincount(classes[:40], minlength=3) / 40, (20, 1)))
    assert got["boosted_trees"].shape == (20, 3) and np.allclose(got["boosted_trees"].sum(axis=1), 1.0)
    assert np.array_equal(got["boosted_trees"], boosted_trees_probabilities(X[:40], classes[:40], X[40:], 0, 3))
    # a class the training rows lack gets probability 0 (the head still has its column)
    only = boosted_trees_probabilities(X[:40], np.where(classes[:40] == 2, 1, classes[:40]), X[40:], 0, 3)
    assert (only[:, 2] == 0).all()
    y = 2.0 * X[:, 0] + 0.1 * rng.normal(size=60)
    reg = Task("regression", "y").yardstick_scores(y[:40], 20, X[:40], y[:40], X[40:], seed=0)
    assert reg["mean"] == pytest.approx(np.full(20, y[:40].mean()))
    assert rmse(y[40:], reg["boosted_trees"]) < rmse(y[40:], reg["mean"])
    assert np.array_equal(reg["boosted_trees"], boosted_trees_values(X[:40], y[:40], X[40:], 0))


def test_prediction_columns():
    multi = Task("multiclass", "k", classes=("a", "b", "c"))
    columns = multi.prediction_columns(PROBS[:2])
    assert list(columns) == ["p_a", "p_b", "p_c", "predicted"] and columns["predicted"] == ["a", "b"]
    assert [f[0] for f in multi.prediction_fields()] == ["p_a", "p_b", "p_c", "predicted"]
    assert Task().prediction_columns(np.array([0.25])) == {"score": [0.25]}
    assert Task("regression").prediction_columns(np.array([1.5])) == {"prediction": [1.5]}
    assert multi.confusion(LABELS, PROBS).tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 2]]


def test_the_host_star_bootstrap_takes_each_tasks_metrics():
    groups = np.array(["s1", "s1", "s2", "s3", "s4", "s4", "s5", "s6"])
    multi = Task("multiclass", "k", classes=("a", "b", "c"))
    uniform = np.full_like(PROBS, 1 / 3)
    intervals = group_bootstrap(LABELS, {"network": PROBS, "majority": uniform}, groups, 200, 0,
                                metrics=multi.interval_metrics)
    assert set(intervals["network"]) == {f"{k}_ci_{e}" for k in ("macro_f1", "balanced_accuracy", "log_loss")
                                         for e in ("low", "high")}
    low, high = intervals["network"]["log_loss_ci_low"], intervals["network"]["log_loss_ci_high"]
    assert low <= log_loss(LABELS, PROBS) <= high
    truth = np.arange(8, dtype=float)
    paired = paired_group_bootstrap(truth, {"network": truth + 0.1, "mean": np.full(8, truth.mean())}, groups,
                                    "network", 200, 0, metric=rmse, name="rmse")
    # RMSE(network) - RMSE(mean): negative, the network is better where lower is
    assert paired["mean"]["diff"] < 0 and paired["mean"]["diff_ci_high"] < 0
    assert set(paired["network"]) == {"rmse", "rmse_ci_low", "rmse_ci_high", "diff", "diff_ci_low", "diff_ci_high"}
