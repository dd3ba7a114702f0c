"""Pooling: each run's raw products -> its model inputs, as arrays over a batch of runs.

:class:`RawSources` reads one registry row's four modalities from the built
products (a climate store pooled onto the model grid, the union graph of its
pathways, its spectrum binned on the common grid, its planet's parameters), each
source opened once, on first use. :func:`pool_runs` stacks a batch of runs into
the arrays the features store holds (:data:`astrobuild.features.store.ARRAYS`):
one row per run, a missing modality as zeros/NaN with its ``*_present`` flag
False, and every graph's node ids and edges concatenated with per-run counts.

This runs once per build, in batches (rule ``pool_features_<n>``, one per
climate conversion batch), so no training reads a cube again.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from astrobuild.features.climate import CubeReader
from astrobuild.features.config import PoolingConfig, RawInputs
from astrobuild.features.graphs import GRAPH_FEATURES, UnionGraphs
from astrobuild.features.params import PlanetParams
from astrobuild.features.spectra import SPECTRUM_FEATURES, Spectra
from astrobuild.progress import progress

log = logging.getLogger(__name__)

# The registry columns pooling and training read (pooling also each train.run_columns' run:<name>).
RUN_COLUMNS = ["run_id", "planet", "scenario", "label", "climate_store", "spectrum", "pathways"]


def none_if_missing(value: Any) -> Any:
    """None for a registry cell that holds nothing (None, NaN, pandas NA)."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA else value


def pathway_list(value: Any) -> list[str]:
    return str(none_if_missing(value) or "").split()


class RawSources:
    """Readers of the modalities ``config`` uses; each opens its store or table on first use."""

    def __init__(self, config: PoolingConfig, inputs: RawInputs | None = None, root: str | os.PathLike[str] = "."):
        root, inputs = Path(root), inputs or RawInputs()
        self.config = config
        self.cubes = CubeReader(config.climate, root) if config.uses("climate") else None
        self.graphs = UnionGraphs(root / inputs.graphs) if config.uses("bio_graph") else None
        self.spectra = Spectra(root / inputs.spectra, config.spectrum) if config.uses("spectrum") else None
        self.params = PlanetParams(root / inputs.exoplanets, config.planet_columns,
                                   hypothetical_path=root / inputs.hypothetical_planets,
                                   run_columns=config.run_columns) if config.uses("planet_params") else None

    def channel_names(self) -> dict[str, list[str]]:
        return {"climate": [v.name for v in self.config.climate.variables], "bio_graph": list(GRAPH_FEATURES),
                "spectrum": list(SPECTRUM_FEATURES), "planet_params": list(self.config.param_columns)}

    def read(self, run: dict[str, Any]) -> dict[str, Any]:
        """Raw inputs of one registry row: modality -> value, None when the run lacks it."""
        raw: dict[str, Any] = {}
        if self.cubes is not None:
            raw["climate"], raw["climate_valid"] = self.cubes.pool(run["climate_store"])
        if self.graphs is not None:
            pathways = pathway_list(run.get("pathways"))
            raw["bio_graph"] = self.graphs.union(pathways) if pathways else None
        if self.spectra is not None:
            sid = none_if_missing(run.get("spectrum"))
            raw["spectrum"] = self.spectra.features(sid) if sid is not None else None
        if self.params is not None:
            raw["planet_params"] = self.params.values(none_if_missing(run.get("planet")), run)
        return raw


def empty_arrays(config: PoolingConfig, n: int, pathways: int) -> dict[str, np.ndarray]:
    """The arrays of ``n`` runs that have nothing (every modality absent)."""
    bins, p = config.spectrum.bins, len(config.param_columns)
    return {
        "run_id": np.zeros(n, dtype=object),
        "climate": np.full((n, *config.climate.shape), np.nan, np.float32),
        "climate_valid": np.zeros((n, *config.climate.shape), np.float32),
        "climate_present": np.zeros(n, bool),
        "spectrum": np.zeros((n, bins, len(SPECTRUM_FEATURES)), np.float32),
        "spectrum_mask": np.zeros((n, bins), bool),
        "spectrum_present": np.zeros(n, bool),
        "planet_params": np.full((n, p), np.nan, np.float64),
        "planet_params_mask": np.zeros((n, p), bool),
        "planet_params_present": np.zeros(n, bool),
        "graph_features": np.full((n, len(GRAPH_FEATURES)), np.nan, np.float32),
        "graph_present": np.zeros(n, bool),
        "graph_node_count": np.zeros(n, np.int64),
        "graph_edge_count": np.zeros(n, np.int64),
        "graph_nodes": np.zeros(0, np.int64),
        "graph_edges": np.zeros((2, 0), np.int64),
        "pathways": np.zeros((n, pathways), np.uint8),
    }


def pool_runs(runs: pd.DataFrame, sources: RawSources) -> dict[str, np.ndarray]:
    """The features-store arrays of ``runs`` (registry rows), in ``run_id`` order (a progress bar on stderr)."""
    runs = runs.sort_values("run_id", kind="stable").reset_index(drop=True)
    pathway_ids = sources.graphs.pathway_ids if sources.graphs is not None else []
    position = {p: i for i, p in enumerate(pathway_ids)}
    out = empty_arrays(sources.config, len(runs), len(pathway_ids))
    nodes, edges = [], []
    started = time.perf_counter()
    for i, run in enumerate(progress(runs.to_dict("records"), "pool features", total=len(runs), unit="run")):
        out["run_id"][i] = str(run["run_id"])
        raw = sources.read(run)
        if raw.get("climate") is not None:
            out["climate"][i], out["climate_valid"][i] = raw["climate"], raw["climate_valid"]
            out["climate_present"][i] = True
        if raw.get("spectrum") is not None:
            out["spectrum"][i], out["spectrum_mask"][i] = raw["spectrum"]
            out["spectrum_present"][i] = True
        if raw.get("planet_params") is not None:
            out["planet_params"][i], out["planet_params_mask"][i] = raw["planet_params"]
            out["planet_params_present"][i] = True
        graph = raw.get("bio_graph")
        if graph is not None:
            out["graph_features"][i], out["graph_present"][i] = graph["features"], True
            out["graph_node_count"][i], out["graph_edge_count"][i] = len(graph["x"]), graph["edge_index"].shape[1]
            nodes.append(graph["x"])
            edges.append(graph["edge_index"])
            out["pathways"][i, [position[p] for p in set(pathway_list(run.get("pathways")))]] = 1
        if (i + 1) % 500 == 0:
            log.info("pooled %d/%d run(s) (%.1f s)", i + 1, len(runs), time.perf_counter() - started)
    if nodes:
        out["graph_nodes"] = np.concatenate(nodes).astype(np.int64)
        out["graph_edges"] = np.concatenate(edges, axis=1).astype(np.int64)
    out["run_id"] = out["run_id"].astype(str)
    return out
