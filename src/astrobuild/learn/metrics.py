"""Binary metrics and the yardsticks every trained model is compared with.

* AUROC by ranks (the Mann-Whitney U statistic; ties get average ranks), null
  when the labels hold one class only (it is undefined there, not 0.5);
* accuracy and F1 of the positive class at a score threshold of 0.5;
* AUPRC as average precision: the precision at each distinct score threshold,
  weighted by the recall it adds (null without a positive);
* Brier score: the mean squared difference of probability and label;
* loss: mean binary cross-entropy of the probabilities (clipped to [1e-7, 1 - 1e-7]).

:func:`group_bootstrap` gives each pooled figure a 95% percentile interval by
resampling host-star groups (every run of a drawn star comes with it), the
same draws for every model, so their intervals are comparable and paired
differences can be read off the same resamples. Why groups, and why not the
spread across folds: runs of one planet (and planets of one star) are not
independent draws, so resampling runs would make the interval far too narrow;
resampling the groups treats the unit that was actually sampled as the unit
of uncertainty. The across-fold spread is not used: with k = 5 it is a
standard deviation of five correlated numbers (the folds share 3/4 of their
training planets), each on a small test fold whose AUROC is itself noisy, so
it neither has the right coverage nor uses the pooled out-of-fold predictions
it would qualify. (It stays visible in ``metrics.json`` per fold.)

Baselines, fitted on the training split and scored on the same rows as the model:

* ``majority``: every run gets the training split's positive rate as its score
  (so its AUROC is 0.5 by construction and its accuracy is the majority share;
  pooled over cross-validation folds it is not: its score moves with each fold's
  training rate, and a fold with fewer positives than the others gets a higher
  one, so its pooled AUROC, typically a little under 0.5, is what the folds'
  base rates alone rank);
* ``logistic_planet_params``: ridge-penalised logistic regression (Newton/IRLS,
  written here in numpy) on the planet parameters alone,
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
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    ranks = (starts + (counts + 1) / 2.0)[inverse]  # average ranks over ties, 1-based
    u = ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def auprc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Average precision (step-wise area under the precision-recall curve); None without a positive."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(labels.sum())
    if n_pos == 0:
        return None
    values, inverse = np.unique(-scores, return_inverse=True)  # thresholds, highest score first
    tp = np.cumsum(np.bincount(inverse, weights=labels, minlength=len(values)))
    seen = np.cumsum(np.bincount(inverse, minlength=len(values)))
    recall = tp / n_pos
    precision = tp / seen
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


def brier(labels: np.ndarray, scores: np.ndarray) -> float | None:
    labels = np.asarray(labels, dtype=np.float64)
    if not len(labels):
        return None
    return float(np.mean((np.asarray(scores, dtype=np.float64) - labels) ** 2))


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    """auroc, auprc, brier, accuracy, f1, loss, n and positives; floats rounded to 6 digits (stable JSON)."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not len(labels):
        return {"auroc": None, "auprc": None, "brier": None, "accuracy": None, "f1": None, "loss": None,
                "n": 0, "positives": 0}
    predicted = scores >= threshold
    tp = int((predicted & labels).sum())
    fp = int((predicted & ~labels).sum())
    fn = int((~predicted & labels).sum())
    p = np.clip(scores, EPS, 1 - EPS)
    loss = float(-np.mean(np.where(labels, np.log(p), np.log(1 - p))))
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    area = auroc(labels, scores)
    return {"auroc": _r(area), "auprc": _r(auprc(labels, scores)), "brier": _r(brier(labels, scores)),
            "accuracy": round(float((predicted == labels).mean()), 6),
            "f1": round(f1, 6), "loss": round(loss, 6), "n": int(len(labels)), "positives": int(labels.sum())}


INTERVAL_METRICS = {"auroc": auroc, "auprc": auprc, "brier": brier}


def group_bootstrap(labels: np.ndarray, scores: dict[str, np.ndarray], groups: np.ndarray,
                    resamples: int = 1000, seed: int = 0, level: float = 0.95,
                    metrics: dict[str, Any] | None = None) -> dict[str, dict[str, float | None]]:
    """Percentile intervals of AUROC, AUPRC and Brier per model, resampling whole groups.

    ``scores``: model name -> scores of the same rows as ``labels``; ``groups``: each row's
    group (host star). Each resample draws as many groups as there are, with replacement,
    from ``numpy.random.Generator(PCG64(seed))``; all models are scored on the same draws. A
    draw with one class only has no AUROC or AUPRC and is left out of those intervals.
    Returns ``{model: {"auroc_ci_low": ..., "auroc_ci_high": ..., ...}}`` rounded to 6 digits.
    ``metrics``: name -> fn(labels, scores) giving a float or None (default AUROC, AUPRC and Brier of
    binary labels); another task's (:mod:`astrobuild.learn.tasks`) are drawn the same way.
    """
    labels = np.asarray(labels, dtype=bool) if metrics is None else np.asarray(labels)
    metrics = INTERVAL_METRICS if metrics is None else metrics
    groups = np.asarray(groups).astype(str)
    names, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(names))]
    rng = np.random.Generator(np.random.PCG64(seed))
    draws: dict[str, dict[str, list[float]]] = {m: {k: [] for k in metrics} for m in scores}
    for _ in range(resamples):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(names), len(names))]) if len(names) \
            else np.zeros(0, dtype=np.int64)
        for model, values in scores.items():
            for key, fn in metrics.items():
                got = fn(labels[rows], np.asarray(values, dtype=np.float64)[rows])
                if got is not None:
                    draws[model][key].append(got)
    tail = (1.0 - level) / 2.0
    out: dict[str, dict[str, float | None]] = {}
    for model, per_key in draws.items():
        out[model] = {}
        for key, values in per_key.items():
            low = _r(np.quantile(values, tail)) if values else None
            high = _r(np.quantile(values, 1.0 - tail)) if values else None
            out[model][f"{key}_ci_low"], out[model][f"{key}_ci_high"] = low, high
    return out


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


def paired_group_bootstrap(labels: np.ndarray, scores: dict[str, np.ndarray], groups: np.ndarray,
                           reference: str, resamples: int = 1000, seed: int = 0, level: float = 0.95,
                           metric: Any = None, name: str = "auroc") -> dict[str, dict[str, float | None]]:
    """AUROC of each model and its paired difference from ``reference``, resampling whole groups.

    The draws are :func:`group_bootstrap`'s (same ``seed``, same groups: the same resampled rows),
    so a model's AUROC interval here is the one ``group_bootstrap`` gives it. ``diff``:
    AUROC(reference) - AUROC(model) on all rows, its interval the percentiles of that difference
    taken within each draw: the host stars that are easy or hard for both models move both
    AUROCs together and cancel out, which comparing two separate intervals would not allow.
    Returns ``{model: {"auroc", "auroc_ci_low", "auroc_ci_high", "diff", "diff_ci_low",
    "diff_ci_high"}}`` rounded to 6 digits; the reference's ``diff*`` are None. ``metric`` (with its
    ``name`` for the keys): another figure than AUROC, fn(labels, scores) -> float or None.
    """
    if reference not in scores:
        raise ValueError(f"reference {reference!r} is not one of the models {sorted(scores)}")
    labels = np.asarray(labels, dtype=bool) if metric is None else np.asarray(labels)
    metric = auroc if metric is None else metric
    values = {m: np.asarray(s, dtype=np.float64) for m, s in scores.items()}
    names, inverse = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(names))]
    rng = np.random.Generator(np.random.PCG64(seed))
    draws: dict[str, list[float]] = {m: [] for m in values}
    diffs: dict[str, list[float]] = {m: [] for m in values}
    for _ in range(resamples):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(names), len(names))]) if len(names) \
            else np.zeros(0, dtype=np.int64)
        got = {m: metric(labels[rows], s[rows]) for m, s in values.items()}
        for m, area in got.items():
            if area is not None and got[reference] is not None:  # one class only: no AUROC, for every model alike
                draws[m].append(area)
                diffs[m].append(got[reference] - area)
    tail = (1.0 - level) / 2.0

    def interval(v: list[float]) -> tuple[float | None, float | None]:
        return (_r(np.quantile(v, tail)), _r(np.quantile(v, 1.0 - tail))) if v else (None, None)

    out: dict[str, dict[str, float | None]] = {}
    full = {m: metric(labels, s) for m, s in values.items()}
    for m in values:
        low, high = interval(draws[m])
        out[m] = {name: _r(full[m]), f"{name}_ci_low": low, f"{name}_ci_high": high,
                  "diff": None, "diff_ci_low": None, "diff_ci_high": None}
        if m != reference:
            low, high = interval(diffs[m])
            point = None if full[m] is None or full[reference] is None else full[reference] - full[m]
            out[m].update(diff=_r(point), diff_ci_low=low, diff_ci_high=high)
    return out
