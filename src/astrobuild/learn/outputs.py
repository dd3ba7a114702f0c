"""The files rule ``train`` writes, each atomically and byte-deterministically (same config, same bytes on CPU).

``results/train/``:

* ``model.pt``: ``{"format", "version", "state_dict", "model_spec", "config", "norm_stats",
  "vocabulary", "layout", "task"}`` (``task``: :meth:`astrobuild.learn.tasks.Task.to_json`, the classes
  or a regression target's training mean and sd), plain containers and tensors only, so it loads with
  ``torch.load(path, weights_only=True)`` (no arbitrary code runs on load). It stands alone:
  besides the weights and the shapes to rebuild the model, the ``train`` config, the
  normalisation statistics, the compound vocabulary (ids in embedding order and their SHA-256;
  None without the graph modality) and the feature layout (:mod:`astrobuild.learn.compat`).
  :func:`load_checkpoint` rebuilds the model from it and refuses, naming both sides, a graph
  store or config whose vocabulary or layout differs, and a checkpoint of another version;
* ``metrics.json`` (DVC metrics; layout in :mod:`astrobuild.learn.pipeline`), ``curves.csv``
  (DVC plots: one row per epoch of the model in ``model.pt``), ``predictions.parquet`` (run_id,
  fold, split, score, label: the out-of-fold predictions under cross-validation, split ``test``;
  with ``train.cv.folds: 1`` every run's score with its split and fold 0), ``norm_stats.json``
  (``model.pt``'s), ``report.json``;
* ``curves.png`` (loss and AUROC per epoch of ``model.pt``'s training), ``confusion.png``
  (out-of-fold or test predictions, threshold 0.5), ``calibration.png`` (reliability curve of
  the same predictions, the network beside the yardsticks);
* ``manifest.json``: size and SHA-256 of the files above and of every input file, so that a
  pulled model gets build timestamps only when it was trained on exactly the data present
  (:func:`astrobuild.versioning.manifest.restore_stage_times`).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from astrobuild.contracts.products import TRAIN_OUTPUTS
from astrobuild.io import atomic_path, write_parquet, write_text
from astrobuild.learn.compat import check_compatible, vocabulary_entry
from astrobuild.learn.config import TrainConfig
from astrobuild.learn.model import MultiModalNet
from astrobuild.learn.tasks import METRIC_LABELS, Task

CHECKPOINT_FORMAT = "astrobuild-multimodal"
# 2: the compound vocabulary and the feature layout (a v1 file cannot be checked against the data)
# 3: the spectrum encoder reads the bin's position (spectrum_bins in model_spec)
CHECKPOINT_VERSION = 4  # 4: the climate encoder reads each cell's valid share (climate_inputs in model_spec)
CHECKPOINT_KEYS = ("format", "version", "state_dict", "model_spec", "config", "norm_stats", "vocabulary", "layout",
                   "task")
# a model.pt without ``task`` is the binary one on ``label`` (Task.from_json(None))
OPTIONAL_KEYS = ("task",)
CURVE_COLUMNS = ("epoch", "train_loss", "val_loss", "train_auroc", "val_auroc")


@dataclass(frozen=True)
class TrainOutputs:
    """Where the training writes; the paths are declared in astrobuild.contracts.products.TRAIN_OUTPUTS."""

    model: str = TRAIN_OUTPUTS["model"]
    metrics: str = TRAIN_OUTPUTS["metrics"]
    curves: str = TRAIN_OUTPUTS["curves"]
    predictions: str = TRAIN_OUTPUTS["predictions"]
    norm_stats: str = TRAIN_OUTPUTS["norm_stats"]
    report: str = TRAIN_OUTPUTS["report"]
    curves_plot: str = TRAIN_OUTPUTS["curves_plot"]
    confusion_plot: str = TRAIN_OUTPUTS["confusion_plot"]
    calibration_plot: str = TRAIN_OUTPUTS["calibration_plot"]
    # last: size and sha256 of the files above and of every input (astrobuild.versioning.manifest)
    manifest: str = TRAIN_OUTPUTS["manifest"]


def _plain(obj: Any) -> Any:
    """Only dict/list/str/int/float/bool/None (what the weights-only unpickler accepts without allow-listing)."""
    return json.loads(json.dumps(obj))


def save_checkpoint(path: str | os.PathLike[str], model: MultiModalNet, config: dict[str, Any],
                    norm_stats: dict[str, Any], compound_ids: Sequence[str] | None, layout: dict[str, Any],
                    task: Task | None = None) -> None:
    """Write ``model.pt``; ``compound_ids``: the graph store's ids by vocabulary index (None without
    the graph modality), ``layout``: :func:`astrobuild.learn.compat.feature_layout` of the config,
    ``task``: the fitted task (classes, a regression target's statistics), kept under ``task``."""
    vocabulary = vocabulary_entry(compound_ids)
    spec = model.spec
    if "bio_graph" in spec["modalities"] and (vocabulary is None
                                              or vocabulary["compounds"]["size"] != spec["vocabulary"]):
        raise ValueError(f"the graph encoder embeds {spec['vocabulary']} compounds, the vocabulary given has "
                         f"{None if vocabulary is None else vocabulary['compounds']['size']}")
    if list(layout.get("modalities", ())) != list(spec["modalities"]):
        raise ValueError(f"layout modalities {layout.get('modalities')} are not the model's {spec['modalities']}")
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
               "state_dict": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
               "model_spec": _plain(spec), "config": _plain(config), "norm_stats": _plain(norm_stats),
               "vocabulary": _plain(vocabulary) if "bio_graph" in spec["modalities"] else None,
               "layout": _plain(layout), "task": _plain((task or Task()).to_json())}
    # Saved through a buffer: torch names the archive's folder after the file it writes, which
    # here would be atomic_path's random temporary name (different bytes on every run).
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def read_checkpoint(path: str | os.PathLike[str], map_location: str = "cpu") -> dict[str, Any]:
    """The checkpoint's dict (``weights_only=True``), refused when not this format and version."""
    payload = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(f"{path}: not an {CHECKPOINT_FORMAT} checkpoint (format {found!r})")
    version = payload.get("version")
    if version != CHECKPOINT_VERSION:
        if isinstance(version, int) and version < 2:
            why = (" (written before model.pt kept its compound vocabulary and feature layout, so it cannot be "
                   "checked against the data it would be fed)")
        elif version == 2:
            why = " (its spectrum encoder has no position channel or per-bin readout, so its weights do not fit)"
        elif version == 3:
            why = (" (its climate encoder has no valid-share channels and its cubes were pooled without "
                   "calendar seasons or pressure layers, so its weights do not fit)")
        else:
            why = ""
        raise ValueError(f"{path}: an {CHECKPOINT_FORMAT} v{version} checkpoint; this version of astrobuild reads "
                         f"v{CHECKPOINT_VERSION} only{why}: retrain it (rule train, e.g. `dvc repro train`)")
    absent = [k for k in CHECKPOINT_KEYS if k not in payload and k not in OPTIONAL_KEYS]
    if absent:
        raise ValueError(f"{path}: {CHECKPOINT_FORMAT} v{version} checkpoint without {absent}")
    return payload


def load_checkpoint(path: str | os.PathLike[str], map_location: str = "cpu", *, graphs: Any = None,
                    layout: TrainConfig | dict[str, Any] | None = None
                    ) -> tuple[MultiModalNet, dict[str, Any]]:
    """The model (eval mode) and the checkpoint's dict, loaded with ``weights_only=True``.

    Pass what the model will be fed: ``graphs``, the KEGG graph store (a
    :class:`~astrobuild.features.graphs.UnionGraphs`, a loaded store, its folder, or the compound ids in
    index order, as a features store records them), and ``layout``, the ``train`` config the inputs
    are made with (or a layout dict). Each given one is checked against the checkpoint's
    (:func:`astrobuild.learn.compat.check_compatible`): a different vocabulary or layout is refused
    with a ValueError naming both sides, never silently misaligned.
    """
    payload = read_checkpoint(path, map_location)
    check_compatible(payload, graphs=graphs, layout=layout, name=str(path))
    model = MultiModalNet(payload["model_spec"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, payload


def write_curves(curves: list[dict[str, Any]], path: str) -> None:
    # binary: CURVE_COLUMNS; another task's figure replaces auroc (astrobuild.learn.tasks.Task.headline)
    columns = list(curves[0]) if curves else list(CURVE_COLUMNS)
    lines = [",".join(columns)]
    for row in curves:
        lines.append(",".join("" if row[c] is None else repr(row[c]) for c in columns))
    write_text("\n".join(lines) + "\n", path)


def write_predictions(rows: list[dict[str, Any]], path: str, task: Task | None = None) -> None:
    # group: the run's cross-validation group (host star), the unit of the paired bootstrap (make ablate);
    # then the task's prediction columns and the true target (binary: score, label)
    task = task or Task()
    schema = pa.schema([("run_id", pa.string()), ("group", pa.string()), ("fold", pa.int64()), ("split", pa.string()),
                        *task.prediction_fields(), task.truth_field()])
    write_parquet(pa.Table.from_pylist(rows, schema=schema), path, dictionary=["split"])


def _savefig(fig, path: str) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})


def plot_curves(curves: list[dict[str, Any]], best_epoch: int, path: str, task: Task | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in curves]
    task = task or Task()
    name = task.headline
    loss = {"binary": "binary cross-entropy", "multiclass": "cross-entropy",
            "regression": f"{task.loss.upper()} (standardised target)"}[task.kind]

    def series(key: str) -> list[float]:
        return [np.nan if r[key] is None else r[key] for r in curves]

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    left.plot(epochs, series("train_loss"), label="train")
    left.plot(epochs, series("val_loss"), label="validation")
    left.set_xlabel("epoch")
    left.set_ylabel(loss)
    right.plot(epochs, series(f"train_{name}"), label="train")
    right.plot(epochs, series(f"val_{name}"), label="validation")
    right.set_xlabel("epoch")
    right.set_ylabel(METRIC_LABELS[name])
    if task.kind != "regression":
        right.set_ylim(0, 1.02)
    for ax in (left, right):
        ax.axvline(best_epoch, color="grey", ls=":", lw=1, label=f"kept (epoch {best_epoch})")
        ax.legend(fontsize=7)
    fig.tight_layout()
    _savefig(fig, path)
    plt.close(fig)


def plot_confusion(matrix: np.ndarray, path: str, title: str, classes: Sequence[str] | None = None) -> None:
    """Counts by true (rows) and predicted (columns) class; ``classes`` None: the binary 0/1 labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(matrix)
    fig, ax = plt.subplots(figsize=(3.6 + 0.5 * max(0, k - 2), 3.4 + 0.4 * max(0, k - 2)))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, int(matrix.max())))
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(int(count)), ha="center", va="center", fontsize=12,
                color="white" if count > matrix.max() / 2 else "black")
    if classes is None:
        ax.set_xticks([0, 1], ["predicted 0", "predicted 1"])
        ax.set_yticks([0, 1], ["label 0", "label 1"])
    else:
        ax.set_xticks(range(k), [f"predicted\n{c}" for c in classes], fontsize=7)
        ax.set_yticks(range(k), list(classes), fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _savefig(fig, path)
    plt.close(fig)


def reliability(labels: np.ndarray, scores: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean score, observed positive rate, runs) of each non-empty equal-width score bin."""
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    which = np.clip((scores * bins).astype(np.int64), 0, bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            out.append((float(scores[inside].mean()), float(labels[inside].mean()), int(inside.sum())))
    return out


def plot_calibration(labels: np.ndarray, scores: dict[str, np.ndarray], path: str, title: str,
                     bins: int = 10) -> None:
    """Reliability curves (10 equal-width bins; marker area by runs) and the score histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(4.8, 5.4), height_ratios=(3, 1), sharex=True)
    top.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfectly calibrated")
    edges = np.linspace(0, 1, bins + 1)
    for name, values in scores.items():
        points = reliability(labels, values, bins)
        if points:
            x, y, n = (np.array(v) for v in zip(*points, strict=True))
            line, = top.plot(x, y, marker="o", ms=3, lw=1.2, label=name)
            top.scatter(x, y, s=8 + 60 * n / n.max(), color=line.get_color(), alpha=0.5)
            bottom.hist(np.asarray(values, dtype=np.float64), bins=edges, histtype="step",
                        color=line.get_color(), label=name)
    top.set_ylabel("observed positive rate")
    top.set_xlim(0, 1)
    top.set_ylim(-0.02, 1.02)
    top.set_title(title, fontsize=9)
    top.legend(fontsize=7, loc="upper left")
    bottom.set_xlabel("predicted probability")
    bottom.set_ylabel("runs")
    fig.tight_layout()
    _savefig(fig, path)
    plt.close(fig)


def plot_regression(truth: np.ndarray, predictions: dict[str, np.ndarray], path: str, title: str,
                    kind: str = "scatter") -> None:
    """Each model's predictions against the true values (``scatter``, with the identity line) or the
    histogram of its residuals, prediction - truth (``residuals``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth = np.asarray(truth, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    if kind == "scatter":
        values = np.concatenate([truth, *(np.asarray(v, dtype=np.float64) for v in predictions.values())])
        low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        ax.plot([low, high], [low, high], color="grey", ls=":", lw=1, label="prediction = truth")
        for name, values in predictions.items():
            ax.scatter(truth, values, s=10, alpha=0.6, label=name)
        ax.set_xlabel("true value")
        ax.set_ylabel("predicted value")
    else:
        residuals = {n: np.asarray(v, dtype=np.float64) - truth for n, v in predictions.items()}
        spread = max([float(np.abs(r).max()) for r in residuals.values() if len(r)] + [1e-9])
        edges = np.linspace(-spread, spread, 21)
        for name, values in residuals.items():
            ax.hist(values, bins=edges, histtype="step", label=name)
        ax.axvline(0, color="grey", ls=":", lw=1)
        ax.set_xlabel("prediction - truth")
        ax.set_ylabel("runs")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    _savefig(fig, path)
    plt.close(fig)
