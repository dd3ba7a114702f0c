"""Normalisation statistics, fitted on the training split alone and applied to every split.

Per modality, a mean and a standard deviation per channel:

* climate: per variable, over every cell, step and layer of the training cubes;
* spectrum: per feature, over the observed (unmasked) bins of the training spectra;
* planet_params: per column (after log10 where it applies), over the training runs'
  planets that have a value;
* bio_graph: per graph feature (mean env vector, pathway count).

Values that are unknown (NaN: a masked bin, a missing parameter, a cube cell
without data) become 0 after normalisation, i.e. the training mean, and the
masks say so. A channel with no spread (or no training value) gets std 1, so
it passes through centred instead of dividing by zero. Standardised values are
clipped to +-``CLIP`` (5): an archive outlier (a 9,600 Earth-radius "planet") or
a channel the training split barely saw cannot dominate the model.

The statistics are written as ``results/train/norm_stats.json`` (a build product
of the train rule, since they depend on the split, hence on the ``train``
params) and stored in ``model.pt``, so a checkpoint normalises new data exactly
as in training. ``fitted_on`` lists the training runs they were computed from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from astrobuild.features.graphs import GRAPH_FEATURES
from astrobuild.features.spectra import SPECTRUM_FEATURES

NORM_VERSION = 1
CLIP = 5.0


@dataclass
class NormStats:
    """``stats[modality] = {"channels": [...], "mean": [...], "std": [...]}`` and the runs fitted on."""

    stats: dict[str, dict[str, list]] = field(default_factory=dict)
    fitted_on: list[str] = field(default_factory=list)

    def mean_std(self, modality: str) -> tuple[np.ndarray, np.ndarray]:
        s = self.stats[modality]
        return np.asarray(s["mean"], dtype=np.float32), np.asarray(s["std"], dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        return {"version": NORM_VERSION, "fitted_on": {"split": "train", "runs": len(self.fitted_on),
                                                         "run_ids": list(self.fitted_on)},
                "modalities": self.stats}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> NormStats:
        return cls(stats=payload["modalities"], fitted_on=list(payload["fitted_on"]["run_ids"]))


def _moments(values: np.ndarray) -> tuple[list[float], list[float]]:
    """Per column of [n, channels] (NaN ignored): mean and std, with the fallbacks above."""
    if values.size == 0:
        n = values.shape[1] if values.ndim == 2 else 0
        return [0.0] * n, [1.0] * n
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    safe = np.where(finite, values, 0.0)
    mean = np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), 0.0)
    var = np.where(count > 0, (np.where(finite, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count, 1), 1.0)
    std = np.sqrt(var)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    return [float(m) for m in mean], [float(s) for s in std]


def fit_norm(raws: Iterable[tuple[str, dict[str, Any]]], modalities: Iterable[str],
             channel_names: dict[str, list[str]]) -> NormStats:
    """Fit on ``(run_id, raw)`` pairs of the training split (raw as :meth:`astrobuild.features.store.FeatureStore.raw` gives it)."""
    raws = list(raws)
    stats = {}
    for modality in modalities:
        present = [raw[modality] for _, raw in raws if raw.get(modality) is not None]
        if modality == "climate":
            # [runs, vars, ...] -> [cells, vars]
            stacked = np.stack(present) if present else np.zeros((0, len(channel_names[modality])))
            cols = np.moveaxis(stacked, 1, -1).reshape(-1, stacked.shape[1]) if present else stacked
        elif modality == "spectrum":
            cols = np.concatenate([f[m] for f, m in present]) if present else np.zeros((0, len(SPECTRUM_FEATURES)))
        elif modality == "planet_params":
            cols = np.stack([v for v, _ in present]) if present else np.zeros((0, len(channel_names[modality])))
        elif modality == "bio_graph":
            cols = np.stack([g["features"] for g in present]) if present else np.zeros((0, len(GRAPH_FEATURES)))
        else:
            raise ValueError(modality)
        mean, std = _moments(np.asarray(cols, dtype=np.float64))
        stats[modality] = {"channels": list(channel_names[modality]), "mean": mean, "std": std}
    return NormStats(stats=stats, fitted_on=sorted(run_id for run_id, _ in raws))


def standardise(values: np.ndarray, mean: np.ndarray, std: np.ndarray, axis: int) -> np.ndarray:
    """(values - mean) / std along ``axis`` (the channel axis), clipped to +-CLIP; NaN -> 0; float32."""
    shape = [1] * values.ndim
    shape[axis] = -1
    out = (np.asarray(values, dtype=np.float32) - mean.reshape(shape)) / std.reshape(shape)
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=CLIP, neginf=-CLIP), -CLIP, CLIP).astype(np.float32)
