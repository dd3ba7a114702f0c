"""``make ablate`` for the tasks other than binary: the out-of-fold truth and scores of each variant's
predictions.parquet, and the task's headline metric (macro-F1, RMSE) for the paired host-star bootstrap.

The binary table (AUROC from ``score`` and ``label``) stays in :mod:`astrobuild.learn.ablate` as it was;
this module only reads the other tasks' columns (:meth:`astrobuild.learn.tasks.Task.prediction_columns`):
``p_<class>`` per class and the true ``target`` (multiclass), ``prediction`` and ``target`` (regression).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from astrobuild.learn.tasks import Task

LABELS = {"auroc": "AUROC", "macro_f1": "macro-F1", "rmse": "RMSE"}


def task_of_section(train: dict[str, Any]) -> Task:
    """The task config/config.yaml's ``train`` section asks for (default binary on ``label``)."""
    return Task(kind=train.get("task") or "binary", target=train.get("target") or "label",
                loss=train.get("loss") or "mse")


def score_columns(task: Task, frame: pd.DataFrame) -> list[str]:
    """The prediction columns of ``task`` in a predictions frame (multiclass: its ``p_<class>`` in order)."""
    if task.kind == "binary":
        return ["score"]
    if task.kind == "regression":
        return ["prediction"]
    return [c for c in frame.columns if c.startswith("p_")]


def oof_arrays(task: Task, frames: dict[str, pd.DataFrame], ids: pd.Index
               ) -> tuple[np.ndarray, dict[str, np.ndarray], Callable[[np.ndarray, np.ndarray], float | None], str]:
    """(truth, variant -> scores, the headline metric, its name) of the out-of-fold rows ``ids``;
    the first frame is the reference (``all``)."""
    reference = next(iter(frames.values()))
    columns = score_columns(task, reference)
    truth = reference.loc[ids, "target"]
    if task.kind == "multiclass":
        classes = [c[2:] for c in columns]
        truth = truth.map({c: i for i, c in enumerate(classes)}).to_numpy(np.int64)
        scores = {v: f.loc[ids, columns].to_numpy(np.float64) for v, f in frames.items()}
    else:
        truth = truth.to_numpy(np.float64)
        scores = {v: f.loc[ids, columns[0]].to_numpy(np.float64) for v, f in frames.items()}
    return truth, scores, task.interval_metrics[task.headline], task.headline
