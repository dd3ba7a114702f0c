"""The multi-modal dataset over the planet-run registry, and the batch it collates.

One item is one run::

    climate_cube        float32 [vars, time, lat, lon, lev]   (see astrobuild.features.climate)
    climate_valid       float32 [vars, time, lat, lon, lev]: each cell's share with data (0: none, value 0)
    bio_graph           {x: int64 [N] compound ids, edge_index: int64 [2, E], features: float32 [5]}
    spectrum            float32 [bins, 3], spectrum_mask bool [bins]   (see learn.spectra)
    planet_params       float32 [n_params], planet_params_mask bool [n_params]
    present             bool [n_modalities]: which selected modalities the run has
    label               float32 scalar: the target as the loss reads it (0/1, class index, standardised value)
    run_metadata        {run_id, planet, scenario}

A modality not in ``train.modalities`` has no key at all. A missing one (no
spectrum, no pathways, no planet) is zeros with ``present`` False. The raw
inputs come from the features store (:meth:`astrobuild.features.store.FeatureStore.raw`,
views of arrays in memory: a DataLoader worker forked from the training process
opens nothing); items are normalised with the training split's statistics once
and kept.

:func:`collate` stacks items; graphs become one batched graph: node ids
concatenated, each graph's ``edge_index`` offset by the nodes before it, and a
``batch`` vector giving each node's graph (the layout PyTorch Geometric uses).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from astrobuild.features.graphs import GRAPH_FEATURES
from astrobuild.features.pool import RUN_COLUMNS, none_if_missing
from astrobuild.features.spectra import SPECTRUM_FEATURES
from astrobuild.learn.config import TrainConfig
from astrobuild.learn.norm import NormStats, standardise

__all__ = ["RUN_COLUMNS", "PlanetRunDataset", "collate", "to_device"]


class PlanetRunDataset(Dataset):
    """Items of ``runs`` (registry rows), normalised with ``norm``; ``cache``: run id -> raw inputs."""

    def __init__(self, runs: pd.DataFrame, config: TrainConfig, norm: NormStats, cache: dict[str, dict[str, Any]]):
        # y: the target as the loss reads it (astrobuild.learn.tasks.Task.encode); without it, the 0/1 label
        self.runs = runs[[c for c in (*RUN_COLUMNS, "y") if c in runs.columns]].reset_index(drop=True)
        # plain dicts: a pandas row lookup per item costs more than the item itself
        self._records = self.runs.to_dict("records")
        self.config, self.norm, self.cache = config, norm, cache
        self.modalities = config.modalities
        self._items: dict[int, dict[str, Any]] = {}  # normalised items, per process (each worker its own)

    def __len__(self) -> int:
        return len(self._records)

    def raw(self, i: int) -> dict[str, Any]:
        return self.cache[self._records[i]["run_id"]]

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = self._items.get(i)
        if item is None:
            item = self._items[i] = self._make(i)
        # a fresh dict: collate may not mutate the kept one (its tensors are only read)
        return dict(item)

    def _make(self, i: int) -> dict[str, Any]:
        run = self._records[i]
        raw = self.raw(i)
        config = self.config
        item: dict[str, Any] = {}
        if "climate" in self.modalities:
            cube = raw["climate"]
            mean, std = self.norm.mean_std("climate")
            item["climate_cube"] = torch.from_numpy(standardise(cube, mean, std, axis=0) if cube is not None
                                                    else np.zeros(config.climate.shape, np.float32))
            valid = raw.get("climate_valid") if cube is not None else None
            if valid is None:  # a cache made without the store's share: known where the value is
                valid = np.isfinite(cube) if cube is not None else np.zeros(config.climate.shape, bool)
            item["climate_valid"] = torch.from_numpy(np.asarray(valid, dtype=np.float32))
        if "bio_graph" in self.modalities:
            graph = raw["bio_graph"]
            mean, std = self.norm.mean_std("bio_graph")
            if graph is None:
                graph = {"x": np.zeros(0, np.int64), "edge_index": np.zeros((2, 0), np.int64),
                         "features": np.full(len(GRAPH_FEATURES), np.nan, np.float32)}
            item["bio_graph"] = {"x": torch.from_numpy(graph["x"]), "edge_index": torch.from_numpy(graph["edge_index"]),
                                 "features": torch.from_numpy(standardise(graph["features"], mean, std, axis=0))}
        if "spectrum" in self.modalities:
            bins = config.spectrum.bins
            features, mask = raw["spectrum"] if raw["spectrum"] is not None else (
                np.full((bins, len(SPECTRUM_FEATURES)), np.nan, np.float32), np.zeros(bins, bool))
            mean, std = self.norm.mean_std("spectrum")
            values = standardise(np.where(mask[:, None], features, np.nan), mean, std, axis=1)
            item["spectrum"], item["spectrum_mask"] = torch.from_numpy(values), torch.from_numpy(mask.copy())
        if "planet_params" in self.modalities:
            n = len(config.param_columns)
            values, present = raw["planet_params"] if raw["planet_params"] is not None else (
                np.full(n, np.nan), np.zeros(n, bool))
            mean, std = self.norm.mean_std("planet_params")
            item["planet_params"] = torch.from_numpy(standardise(values, mean, std, axis=0))
            item["planet_params_mask"] = torch.from_numpy(present.copy())
        item["present"] = torch.tensor([raw[m] is not None for m in self.modalities], dtype=torch.bool)
        item["label"] = torch.tensor(float(run["y"]) if "y" in run else float(bool(run["label"])),
                                     dtype=torch.float32)
        item["run_metadata"] = {"run_id": str(run["run_id"]), "planet": none_if_missing(run.get("planet")),
                                "scenario": none_if_missing(run.get("scenario"))}
        return item


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack items into a batch; graphs into one batched graph (offset edge_index + batch vector)."""
    batch: dict[str, Any] = {}
    for key in ("climate_cube", "climate_valid", "spectrum", "spectrum_mask", "planet_params", "planet_params_mask", "present", "label"):
        if key in items[0]:
            batch[key] = torch.stack([item[key] for item in items])
    if "bio_graph" in items[0]:
        xs, edges, owner, offset = [], [], [], 0
        for g, item in enumerate(items):
            graph = item["bio_graph"]
            n = int(graph["x"].shape[0])
            xs.append(graph["x"])
            edges.append(graph["edge_index"] + offset)
            owner.append(torch.full((n,), g, dtype=torch.long))
            offset += n
        batch["bio_graph"] = {"x": torch.cat(xs), "edge_index": torch.cat(edges, dim=1), "batch": torch.cat(owner),
                              "features": torch.stack([item["bio_graph"]["features"] for item in items]),
                              "num_graphs": len(items)}
    batch["run_metadata"] = [item["run_metadata"] for item in items]
    return batch


def to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """Tensors of a batch on ``device`` (non-blocking: pinned host memory copies asynchronously)."""
    out: dict[str, Any] = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            out[key] = value.to(device, non_blocking=True)
        elif isinstance(value, dict):
            out[key] = to_device(value, device)
        else:
            out[key] = value
    return out
