"""What the network predicts (config ``train.task``, ``train.target``): one object per task that the
rest of the learning stage asks for its head size, loss, metrics, yardsticks and prediction columns.

* ``binary`` (default, target ``label``): one logit, binary cross-entropy; scores are P(positive);
  AUROC (headline), AUPRC, Brier; yardsticks majority rate, logistic regression on the planet
  parameters, boosted trees. Everything as before tasks existed, byte for byte.
* ``multiclass``: one logit per class, cross-entropy; scores are the softmax probabilities
  ``[n, classes]``; macro-F1 (headline), balanced accuracy, log loss; yardsticks the training
  classes' frequencies (``majority``) and ``HistGradientBoostingClassifier``. The classes are the
  target's distinct values over every labelled run, sorted (numbers as integers: ``0``, ``1``, ``2``),
  so every fold's head has the same outputs even where a fold's training lacks a class.
* ``regression``: one output, MSE or Huber (``train.loss``); the target is standardised with the
  training slice's mean and standard deviation (kept in ``model.pt``), so the loss and the learning
  rate mean the same whatever the target's units, and the predictions are turned back into them;
  RMSE (headline, lower is better), MAE, R²; yardsticks the training mean (``mean``) and
  ``HistGradientBoostingRegressor``.

Why macro-F1 and RMSE as headlines: macro-F1 weighs each class alike (a rare ``biosignature`` class
counts as much as the common one, where accuracy would not), and RMSE is in the target's own units.
Every metric's 95% interval comes from the host-star bootstrap of :mod:`astrobuild.learn.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from astrobuild.learn.metrics import (
    EPS,
    INTERVAL_METRICS,
    auroc,
    binary_metrics,
    confusion,
    logistic_scores,
    majority_scores,
)

KINDS = ("binary", "multiclass", "regression")
# how each task's headline metric is written for people (plots, the ablation table)
METRIC_LABELS = {"auroc": "AUROC", "macro_f1": "macro-F1", "rmse": "RMSE"}
LOSSES = ("mse", "huber")
_TRUE, _FALSE = {"1", "1.0", "true", "yes", "t", "y"}, {"0", "0.0", "false", "no", "f", "n"}


class TargetError(ValueError):
    """A target column that does not fit the task; the message names the column."""


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


# --- multiclass metrics (labels: class indices [n]; scores: probabilities [n, K]) ---------------------

def macro_f1(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mean F1 over the classes that occur in the labels or the predictions (argmax), as scikit-learn."""
    labels = np.asarray(labels, dtype=np.int64)
    if not len(labels):
        return None
    predicted = np.asarray(probabilities).argmax(axis=1)
    scores = []
    for c in np.union1d(labels, predicted):
        tp = int(((predicted == c) & (labels == c)).sum())
        wrong = int(((predicted == c) != (labels == c)).sum())
        scores.append(2 * tp / (2 * tp + wrong))
    return float(np.mean(scores))


def balanced_accuracy(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mean recall over the classes that occur in the labels."""
    labels = np.asarray(labels, dtype=np.int64)
    if not len(labels):
        return None
    predicted = np.asarray(probabilities).argmax(axis=1)
    return float(np.mean([(predicted[labels == c] == c).mean() for c in np.unique(labels)]))


def log_loss(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mean negative log probability of the true class (clipped to [1e-7, 1])."""
    labels = np.asarray(labels, dtype=np.int64)
    if not len(labels):
        return None
    p = np.asarray(probabilities, dtype=np.float64)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(p, EPS, 1.0))))


# --- regression metrics ----------------------------------------------------------------------------

def rmse(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    truth = np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean((np.asarray(predicted, dtype=np.float64) - truth) ** 2))) if len(truth) else None


def mae(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    truth = np.asarray(truth, dtype=np.float64)
    return float(np.mean(np.abs(np.asarray(predicted, dtype=np.float64) - truth))) if len(truth) else None


def r2(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    """1 - SSE / SST; None where the truth does not vary (SST = 0: undefined, not 0 or 1)."""
    truth = np.asarray(truth, dtype=np.float64)
    if len(truth) < 2:
        return None
    total = float(np.sum((truth - truth.mean()) ** 2))
    if total <= 0:
        return None
    return 1.0 - float(np.sum((np.asarray(predicted, dtype=np.float64) - truth) ** 2)) / total


# --- the boosted-trees yardsticks of the other tasks ------------------------------------------------

def _trees(estimator: Callable[[], Any], train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray):
    """The fitted estimator and the test rows, or None where no training column has a value."""
    from threadpoolctl import threadpool_limits

    train_X, test_X = np.asarray(train_X, dtype=np.float64), np.asarray(test_X, dtype=np.float64)
    known = ~np.isnan(train_X).all(axis=0)  # as astrobuild.learn.summary.boosted_trees_scores (why: there)
    if not known.any() or not len(test_X):
        return None, test_X
    # one OpenMP thread: bytes that do not depend on the machine (summary.boosted_trees_scores says why)
    with threadpool_limits(limits=1, user_api="openmp"):
        return estimator().fit(train_X[:, known], train_y), test_X[:, known]


def boosted_trees_probabilities(train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray, seed: int,
                                n_classes: int) -> np.ndarray:
    """P(class) [len(test_X), n_classes] of ``HistGradientBoostingClassifier(random_state=seed)``; a class
    the training rows lack gets 0; with one class only, its frequency (1)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    train_y = np.asarray(train_y, dtype=np.int64)
    out = np.tile(frequencies(train_y, n_classes), (len(test_X), 1))
    if len(np.unique(train_y)) < 2:
        return out
    model, rows = _trees(lambda: HistGradientBoostingClassifier(random_state=seed), train_X, train_y, test_X)
    if model is None:
        return out
    out[:] = 0.0
    with threadpool_limits(limits=1, user_api="openmp"):
        out[:, model.classes_] = model.predict_proba(rows)
    return np.ascontiguousarray(out, dtype=np.float64)


def boosted_trees_values(train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray, seed: int) -> np.ndarray:
    """Predictions [len(test_X)] of ``HistGradientBoostingRegressor(random_state=seed)`` (the training
    mean where nothing can be fitted)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    train_y = np.asarray(train_y, dtype=np.float64)
    model, rows = _trees(lambda: HistGradientBoostingRegressor(random_state=seed), train_X, train_y, test_X)
    if model is None:
        return np.full(len(test_X), float(train_y.mean()) if len(train_y) else 0.0)
    with threadpool_limits(limits=1, user_api="openmp"):
        return np.ascontiguousarray(model.predict(rows), dtype=np.float64)


def frequencies(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each class's share of ``labels`` (uniform without any)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes).astype(np.float64)
    return counts / counts.sum() if counts.sum() else np.full(n_classes, 1.0 / n_classes)


# --- the task -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """A task and, once :meth:`fitted`, what it learnt from the labels: the classes (multiclass), the
    training slice's mean and standard deviation of the target (regression)."""

    kind: str = "binary"
    target: str = "label"
    loss: str = "mse"  # regression only: mse | huber
    classes: tuple[str, ...] = ()
    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"train.task: {self.kind!r} is not one of {list(KINDS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"train.loss: {self.loss!r} is not one of {list(LOSSES)}")

    # what the task is
    @property
    def headline(self) -> str:
        return {"binary": "auroc", "multiclass": "macro_f1", "regression": "rmse"}[self.kind]

    @property
    def better(self) -> str:
        return "lower" if self.kind == "regression" else "higher"

    @property
    def outputs(self) -> int:
        return len(self.classes) if self.kind == "multiclass" else 1

    @property
    def yardsticks(self) -> tuple[str, ...]:
        return {"binary": ("majority", "logistic_planet_params", "boosted_trees"),
                "multiclass": ("majority", "boosted_trees"), "regression": ("mean", "boosted_trees")}[self.kind]

    @property
    def interval_metrics(self) -> dict[str, Callable[[np.ndarray, np.ndarray], float | None]]:
        if self.kind == "binary":
            return dict(INTERVAL_METRICS)
        if self.kind == "multiclass":
            return {"macro_f1": macro_f1, "balanced_accuracy": balanced_accuracy, "log_loss": log_loss}
        return {"rmse": rmse, "mae": mae, "r2": r2}

    @property
    def fold_keys(self) -> tuple[str, ...]:
        return ("auroc", "auprc", "brier", "n", "positives") if self.kind == "binary" else (*self.interval_metrics, "n")

    def layout(self) -> dict[str, Any]:
        """The checkpoint layout's ``task`` (binary on ``label``: the entry every earlier model.pt has)."""
        kind = {"binary": "binary_classification", "multiclass": "multiclass_classification",
                "regression": "regression"}[self.kind]
        output = {"binary": "logit", "multiclass": "logits (softmax over the classes)",
                  "regression": "standardised value"}[self.kind]
        return {"kind": kind, "target": self.target, "output": output}

    def describe(self) -> dict[str, Any]:
        """metrics.json's ``task``: what was predicted and which way the headline metric is better."""
        out = {"kind": self.kind, "target": self.target, "headline": self.headline, "better": self.better}
        if self.kind == "multiclass":
            out["classes"] = list(self.classes)
        if self.kind == "regression":
            out["loss"] = self.loss
        return out

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "classes": list(self.classes)}

    @classmethod
    def from_json(cls, entry: dict[str, Any] | None) -> Task:
        """A checkpoint's task; None (a model.pt from before tasks): binary on ``label``."""
        if not entry:
            return cls()
        return cls(**{**entry, "classes": tuple(entry.get("classes", ()))})

    # the labels
    def truth(self, values: pd.Series) -> np.ndarray:
        """The target in metric form: bool (binary), class index (multiclass), float (regression)."""
        if self.kind == "binary":
            return _binary(values, self.target)
        if self.kind == "multiclass":
            names = class_names(values)
            index = {c: i for i, c in enumerate(self.classes)}
            unknown = sorted(set(names) - set(index))
            if unknown:
                raise TargetError(f"train.target {self.target!r}: classes {unknown} are not the model's {list(self.classes)}")
            return np.array([index[n] for n in names], dtype=np.int64)
        try:
            return pd.to_numeric(values, errors="raise").to_numpy(np.float64)
        except (TypeError, ValueError) as err:
            raise TargetError(f"train.task is regression but train.target {self.target!r} holds values that are "
                              f"no numbers ({err}); runs.csv gives a column numbers only, or use multiclass") from err

    def fitted(self, values: pd.Series, train: bool = False) -> Task:
        """The classes of every labelled run (``train`` False) or the training slice's statistics."""
        if self.kind == "multiclass" and not train:
            classes = tuple(sorted(set(class_names(values)), key=_class_key))
            if len(classes) < 2:
                raise TargetError(f"train.target {self.target!r}: {len(classes)} class(es) {list(classes)}; "
                                  "multiclass needs at least 2")
            return replace(self, classes=classes)
        if self.kind == "regression" and train:
            y = self.truth(values)
            std = float(y.std()) if len(y) else 1.0
            return replace(self, mean=float(y.mean()) if len(y) else 0.0, std=std if std > 1e-12 else 1.0)
        return self

    def encode(self, values: pd.Series) -> np.ndarray:
        """What the loss compares the output with (float32): 0/1, the class index, the standardised value."""
        y = self.truth(values)
        if self.kind == "regression":
            y = (y - self.mean) / self.std
        return y.astype(np.float32)

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        """:meth:`encode`'s output back in metric form."""
        encoded = np.asarray(encoded)
        if self.kind == "binary":
            return encoded.astype(bool)
        if self.kind == "multiclass":
            return encoded.astype(np.int64)
        return encoded.astype(np.float64) * self.std + self.mean

    # the network's output
    def loss_fn(self) -> torch.nn.Module:
        if self.kind == "binary":
            return torch.nn.BCEWithLogitsLoss(reduction="sum")
        if self.kind == "multiclass":
            return _ClassLoss()
        return torch.nn.MSELoss(reduction="sum") if self.loss == "mse" else torch.nn.HuberLoss(reduction="sum")

    def scores(self, outputs: torch.Tensor) -> np.ndarray:
        """Model outputs -> scores: P(positive) [n], P(class) [n, K], the value in the target's units [n]."""
        outputs = outputs.detach().float()
        if self.kind == "binary":
            return torch.sigmoid(outputs).cpu().numpy()
        if self.kind == "multiclass":
            return torch.softmax(outputs, dim=1).cpu().numpy()
        return (outputs.cpu().numpy().astype(np.float64) * self.std + self.mean)

    def monitor_loss(self, encoded: np.ndarray, scores: np.ndarray) -> float | None:
        """The validation loss early stopping watches, from the scores (binary: as it always was)."""
        if not len(encoded):
            return None
        if self.kind == "binary":
            p = np.clip(scores, 1e-7, 1 - 1e-7)
            return float(-np.mean(np.where(encoded.astype(bool), np.log(p), np.log(1 - p))))
        if self.kind == "multiclass":
            return log_loss(encoded, scores)
        z = (np.asarray(scores, dtype=np.float64) - self.mean) / self.std - encoded
        if self.loss == "mse":
            return float(np.mean(z ** 2))
        return float(np.mean(np.where(np.abs(z) <= 1.0, 0.5 * z ** 2, np.abs(z) - 0.5)))

    def curve_value(self, truth: np.ndarray, scores: np.ndarray) -> float | None:
        """The per-epoch figure of curves.csv (binary: AUROC, else the headline)."""
        return auroc(truth, scores) if self.kind == "binary" else self.interval_metrics[self.headline](truth, scores)

    # metrics and yardsticks
    def metrics(self, truth: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
        if self.kind == "binary":
            return binary_metrics(truth, scores)
        out: dict[str, Any] = {k: _r(fn(truth, scores)) for k, fn in self.interval_metrics.items()}
        if self.kind == "multiclass":
            predicted = np.asarray(scores).argmax(axis=1) if len(truth) else np.zeros(0, np.int64)
            out["accuracy"] = _r(float((predicted == truth).mean())) if len(truth) else None
        return {**out, "n": int(len(truth))}

    def yardstick_scores(self, train_truth: np.ndarray, n_test: int, trees_X: np.ndarray, trees_y: np.ndarray,
                         test_X: np.ndarray, seed: int, params: tuple[np.ndarray, np.ndarray] | None = None
                         ) -> dict[str, np.ndarray]:
        """Each yardstick's scores of the test rows: fitted on the training slice (majority, mean,
        logistic on ``params`` = (train, test) planet parameters) or the whole training side (trees)."""
        from astrobuild.learn.summary import boosted_trees_scores

        if self.kind == "binary":
            return {"majority": majority_scores(train_truth, n_test),
                    "boosted_trees": boosted_trees_scores(trees_X, trees_y, test_X, seed),
                    "logistic_planet_params": logistic_scores(params[0], train_truth, params[1])}
        if self.kind == "multiclass":
            rate = frequencies(train_truth, self.outputs)
            return {"majority": np.tile(rate, (n_test, 1)),
                    "boosted_trees": boosted_trees_probabilities(trees_X, trees_y, test_X, seed, self.outputs)}
        mean = float(np.mean(train_truth)) if len(train_truth) else 0.0
        return {"mean": np.full(n_test, mean), "boosted_trees": boosted_trees_values(trees_X, trees_y, test_X, seed)}

    def confusion(self, truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Rows: true class, columns: predicted (binary: threshold 0.5, [[TN, FP], [FN, TP]])."""
        if self.kind == "binary":
            return confusion(truth, scores)
        k = self.outputs
        predicted = np.asarray(scores).argmax(axis=1)
        return np.bincount(np.asarray(truth) * k + predicted, minlength=k * k).reshape(k, k)

    # predictions.parquet
    def prediction_columns(self, scores: np.ndarray) -> dict[str, list[Any]]:
        """binary ``score``; multiclass ``p_<class>`` per class and ``predicted``; regression ``prediction``."""
        if self.kind == "binary":
            return {"score": [float(s) for s in scores]}
        if self.kind == "regression":
            return {"prediction": [float(s) for s in scores]}
        scores = np.asarray(scores, dtype=np.float64).reshape(-1, self.outputs)
        columns: dict[str, list[Any]] = {f"p_{c}": scores[:, i].tolist() for i, c in enumerate(self.classes)}
        columns["predicted"] = [self.classes[i] for i in scores.argmax(axis=1)] if len(scores) else []
        return columns

    def prediction_fields(self) -> list[tuple[str, Any]]:
        """(name, Arrow type) of :meth:`prediction_columns`."""
        import pyarrow as pa

        if self.kind == "binary":
            return [("score", pa.float64())]
        if self.kind == "regression":
            return [("prediction", pa.float64())]
        return [*((f"p_{c}", pa.float64()) for c in self.classes), ("predicted", pa.string())]

    def truth_field(self) -> tuple[str, Any]:
        """The true target's column in the training's predictions.parquet (binary: ``label``, as before)."""
        import pyarrow as pa

        return {"binary": ("label", pa.bool_()), "multiclass": ("target", pa.string()),
                "regression": ("target", pa.float64())}[self.kind]

    def truth_value(self, value: Any) -> Any:
        if self.kind == "binary":
            return bool(value)
        return self.classes[int(value)] if self.kind == "multiclass" else float(value)


class _ClassLoss(torch.nn.Module):
    """Cross-entropy (summed) of logits [B, K] and class indices carried as float32."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(logits, target.long(), reduction="sum")


def _class_key(name: str) -> tuple[int, float | str]:
    """Numbers in numeric order, then names in text order."""
    try:
        return (0, float(name))
    except ValueError:
        return (1, name)


def class_names(values: pd.Series) -> list[str]:
    """The class of each value as text: integral numbers without ``.0`` (``2.0`` -> ``"2"``)."""
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            out.append(str(bool(v)).lower())
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out.append(str(int(v)) if float(v).is_integer() else repr(float(v)))
        else:
            out.append(str(v))
    return out


def _binary(values: pd.Series, target: str) -> np.ndarray:
    out = []
    for v in values:
        text = str(v).strip().lower()
        if isinstance(v, (bool, np.bool_)) or text in ("true", "false"):
            out.append(text == "true")
        elif text in _TRUE or text in _FALSE:
            out.append(text in _TRUE)
        else:
            raise TargetError(f"train.task is binary but train.target {target!r} holds {v!r} (not 0/1/true/false); "
                              "use train.task: multiclass")
    return np.array(out, dtype=bool)


def task_of(config: Any) -> Task:
    """The (unfitted) task of a :class:`~astrobuild.learn.config.TrainConfig`."""
    return Task(kind=config.task, target=config.target, loss=config.loss)
