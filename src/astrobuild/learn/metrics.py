"""Binary metrics and the yardsticks every trained model is compared with.

* AUROC by ranks (the Mann-Whitney U statistic; ties get average ranks), null
  when the labels hold one class only (it is undefined there, not 0.5);
* accuracy and F1 of the positive class at a score threshold of 0.5;
* loss: mean binary cross-entropy of the probabilities (clipped to [1e-7, 1 - 1e-7]).

Baselines, fitted on the training split and scored on the same rows as the model:

* ``majority``: every run gets the training split's positive rate as its score
  (so its AUROC is 0.5 by construction and its accuracy is the majority share);
* ``logistic_planet_params``: ridge-penalised logistic regression (Newton/IRLS,
  numpy: scikit-learn is not a dependency) on the planet parameters alone,
  standardised with training statistics, unknown values imputed with the
  training mean and flagged. It reads the planet table whatever
  ``train.modalities`` says: a yardstick that moved with the ablation would
  measure nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

EPS = 1e-7


def auroc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    """auroc, accuracy, f1, loss, n and positives; floats rounded to 6 digits (stable JSON)."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not len(labels):
        return {"auroc": None, "accuracy": None, "f1": None, "loss": None, "n": 0, "positives": 0}
    predicted = scores >= threshold
    tp = int((predicted & labels).sum())
    fp = int((predicted & ~labels).sum())
    fn = int((~predicted & labels).sum())
    p = np.clip(scores, EPS, 1 - EPS)
    loss = float(-np.mean(np.where(labels, np.log(p), np.log(1 - p))))
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    area = auroc(labels, scores)
    return {"auroc": None if area is None else round(area, 6), "accuracy": round(float((predicted == labels).mean()), 6),
            "f1": round(f1, 6), "loss": round(loss, 6), "n": int(len(labels)), "positives": int(labels.sum())}


def confusion(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """[[TN, FP], [FN, TP]]."""
    labels = np.asarray(labels, dtype=bool)
    predicted = np.asarray(scores) >= threshold
    return np.array([[int((~predicted & ~labels).sum()), int((predicted & ~labels).sum())],
                     [int((~predicted & labels).sum()), int((predicted & labels).sum())]])


def majority_scores(train_labels: np.ndarray, n: int) -> np.ndarray:
    rate = float(np.mean(train_labels)) if len(train_labels) else 0.5
    return np.full(n, rate)


def _design(values: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    present = np.isfinite(values)
    z = np.where(present, (values - mean) / std, 0.0)
    return np.concatenate([np.ones((len(values), 1)), z, present.astype(float)], axis=1)


def logistic_scores(train_values: np.ndarray, train_labels: np.ndarray, test_values: np.ndarray,
                    ridge: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Probabilities for ``test_values`` of a ridge logistic regression fitted on the training rows.

    ``*_values`` are [n, params] with NaN where unknown. The intercept is not penalised.
    """
    train_values = np.asarray(train_values, dtype=np.float64)
    test_values = np.asarray(test_values, dtype=np.float64)
    y = np.asarray(train_labels, dtype=np.float64)
    finite = np.isfinite(train_values)
    count = finite.sum(axis=0)
    mean = np.where(count > 0, np.where(finite, train_values, 0).sum(axis=0) / np.maximum(count, 1), 0.0)
    var = np.where(finite, (train_values - mean) ** 2, 0).sum(axis=0) / np.maximum(count, 1)
    std = np.where(var > 1e-24, np.sqrt(var), 1.0)
    x = _design(train_values, mean, std)
    penalty = np.full(x.shape[1], ridge)
    penalty[0] = 0.0
    w = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (y - p) - penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w = w + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return 1.0 / (1.0 + np.exp(-np.clip(_design(test_values, mean, std) @ w, -30, 30)))
