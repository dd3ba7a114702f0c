"""The features store: every run's model inputs, pooled once by the build, read by every training.

``data/processed/features`` is a Zarr v3 group. Its arrays (:data:`ARRAYS`) are
indexed by run, in ``run_id`` order, except the two flat graph arrays, which hold
each run's graph one after the other (``graph_node_count`` / ``graph_edge_count``
rows at a time, the layout PyTorch Geometric batches use; edges index the run's
own nodes). ``compound_ids`` (the graph store's vocabulary, by index: a node id
is an index into it) and ``pathway_ids`` (the columns of ``pathways``) are arrays
too. The group's attributes record the format, the pooling settings
(:class:`~astrobuild.features.config.PoolingConfig`), the channel names and how
many flagged spectrum points were left out.

Why a store of arrays and not the cubes: a training reads a few kB per run
from it (the cube pooled to the model grid) instead of opening each run's
store, so an ablation, a fold or a ``dvc exp run`` costs the model's time only.
Its bytes depend on the products and the pooling settings alone (the build's
params), so a change of a model setting leaves it, and its DVC hash, alone.

Written in batches (:func:`write_batch`, one ``.npz`` per climate conversion
batch; numpy's format without pickles), merged by :func:`write_store`, which
reads the store back and compares it with the batches before it calls it done,
and checked against the registry and the config by :func:`check_store`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from astrobuild.features.config import PoolingConfig
from astrobuild.features.graphs import GRAPH_FEATURES
from astrobuild.features.spectra import SPECTRUM_FEATURES
from astrobuild.io import atomic_path, remove_stale_temps, sha256_file, temp_path

FORMAT = "astrobuild-features"
FORMAT_VERSION = 2  # 2: climate_valid (the valid share of each climate cell); calendar seasons, pressure layers

# name -> (dtype, dims): "run" is the run axis; the flat graph arrays have their own.
ARRAYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "run_id": ("str", ("run",)),
    "climate": ("float32", ("run", "vars", "time", "lat", "lon", "lev")),
    # the share of each cell with data (0: none, and climate is NaN there): the model's mask channel
    "climate_valid": ("float32", ("run", "vars", "time", "lat", "lon", "lev")),
    "climate_present": ("bool", ("run",)),
    "spectrum": ("float32", ("run", "bins", "spectrum_features")),
    "spectrum_mask": ("bool", ("run", "bins")),
    "spectrum_present": ("bool", ("run",)),
    "planet_params": ("float64", ("run", "planet_columns")),
    "planet_params_mask": ("bool", ("run", "planet_columns")),
    "planet_params_present": ("bool", ("run",)),
    "graph_features": ("float32", ("run", "graph_features")),
    "graph_present": ("bool", ("run",)),
    "graph_node_count": ("int64", ("run",)),
    "graph_edge_count": ("int64", ("run",)),
    "graph_nodes": ("int64", ("node",)),
    "graph_edges": ("int64", ("pair", "edge")),
    "pathways": ("uint8", ("run", "pathway")),
}
# Rows per chunk along the run axis: about 4 MB of the widest array, whatever the grid.
CHUNK_BYTES = 4 << 20


class FeaturesError(ValueError):
    """A features store (or batch) that is not what training expects; the message names it."""


def dims_sizes(config: PoolingConfig, pathways: int) -> dict[str, int]:
    vars_, time, lat, lon, lev = config.climate.shape
    return {"vars": vars_, "time": time, "lat": lat, "lon": lon, "lev": lev, "bins": config.spectrum.bins,
            "spectrum_features": len(SPECTRUM_FEATURES), "planet_columns": len(config.param_columns),
            "graph_features": len(GRAPH_FEATURES), "pathway": pathways, "pair": 2}


def pooling_attrs(config: PoolingConfig) -> dict[str, Any]:
    """The settings and names a store was pooled with, as plain JSON values."""
    return {"pooling": json.loads(json.dumps(config.to_dict())),
            "channels": {"climate": [v.name for v in config.climate.variables],
                         "spectrum": list(SPECTRUM_FEATURES), "bio_graph": list(GRAPH_FEATURES),
                         "planet_params": list(config.param_columns)}}


# --- batches -------------------------------------------------------------------------------------

def write_batch(arrays: dict[str, np.ndarray], meta: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """One batch's arrays and its metadata (vocabularies, settings) as one ``.npz``, atomically."""
    payload = {name: np.asarray(arrays[name]) for name in ARRAYS}
    payload["run_id"] = payload["run_id"].astype(str)
    payload["meta"] = np.asarray(json.dumps(meta, sort_keys=True))
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **payload)


def read_batch(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    with np.load(path, allow_pickle=False) as data:
        missing = [name for name in (*ARRAYS, "meta") if name not in data.files]
        if missing:
            raise FeaturesError(f"{path}: not a features batch: no array(s) {missing}")
        arrays = {name: data[name] for name in ARRAYS}
        meta = json.loads(str(data["meta"]))
    return arrays, meta


def merge_batches(paths: Sequence[str | os.PathLike[str]]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The batches as one set of arrays in ``run_id`` order; their metadata must agree."""
    if not paths:
        raise FeaturesError("no features batch to merge")
    parts = [read_batch(p) for p in paths]
    meta = parts[0][1]
    for path, (_, other) in zip(paths[1:], parts[1:], strict=True):
        if other != meta:
            keys = sorted(k for k in set(meta) | set(other) if meta.get(k) != other.get(k))
            raise FeaturesError(f"{path}: pooled with other settings or vocabularies than {paths[0]}: {keys}")
    merged: dict[str, np.ndarray] = {}
    for name in ARRAYS:
        if name == "graph_edges":
            merged[name] = np.concatenate([a[name] for a, _ in parts], axis=1)
        else:
            merged[name] = np.concatenate([a[name] for a, _ in parts], axis=0)
    ids = merged["run_id"]
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise FeaturesError(f"run(s) pooled in two batches: {unique[counts > 1][:5].tolist()}")
    return reorder(merged, np.argsort(ids, kind="stable")), meta


def graph_slices(node_count: np.ndarray, edge_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets of each run's nodes and edges in the flat arrays."""
    return (np.concatenate([[0], np.cumsum(node_count)[:-1]]).astype(np.int64),
            np.concatenate([[0], np.cumsum(edge_count)[:-1]]).astype(np.int64))


def reorder(arrays: dict[str, np.ndarray], order: np.ndarray) -> dict[str, np.ndarray]:
    """The runs in ``order`` (the flat graph arrays regrouped to follow)."""
    node_start, edge_start = graph_slices(arrays["graph_node_count"], arrays["graph_edge_count"])
    out = {name: arrays[name][order] for name, (_, dims) in ARRAYS.items() if dims[0] == "run"}
    nodes = [arrays["graph_nodes"][node_start[i]:node_start[i] + arrays["graph_node_count"][i]] for i in order]
    edges = [arrays["graph_edges"][:, edge_start[i]:edge_start[i] + arrays["graph_edge_count"][i]] for i in order]
    out["graph_nodes"] = np.concatenate(nodes).astype(np.int64) if nodes else np.zeros(0, np.int64)
    out["graph_edges"] = np.concatenate(edges, axis=1).astype(np.int64) if edges else np.zeros((2, 0), np.int64)
    return out


# --- the store -----------------------------------------------------------------------------------

def _chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    if not shape:
        return shape
    row = max(1, int(np.prod(shape[1:], dtype=np.int64)) * itemsize)
    return (max(1, min(shape[0] or 1, CHUNK_BYTES // row)), *[max(1, s) for s in shape[1:]])


def _write_group(path: Path, arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> None:
    import zarr

    group = zarr.open_group(path, mode="w", zarr_format=3)
    group.attrs.update(attrs)
    for name, values in arrays.items():
        if values.dtype.kind in "UO":
            array = group.create_array(name, shape=values.shape, dtype=str, chunks=_chunks(values.shape, 64))
        else:
            array = group.create_array(name, shape=values.shape, dtype=values.dtype,
                                       chunks=_chunks(values.shape, values.dtype.itemsize))
        if values.size:
            array[...] = values


def write_store(arrays: dict[str, np.ndarray], meta: dict[str, Any], path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the store (a temporary folder renamed into place), read it back and compare every array
    with what was written; returns the attributes."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    tmp = temp_path(target)
    compound_ids = np.asarray(meta.get("compound_ids", []), dtype=str)
    pathway_ids = np.asarray(meta.get("pathway_ids", []), dtype=str)
    attrs = {"format": FORMAT, "format_version": FORMAT_VERSION, "runs": int(len(arrays["run_id"])),
             **{k: v for k, v in meta.items() if k not in ("compound_ids", "pathway_ids")},
             "compound_vocabulary": {"size": len(compound_ids), "sha256": ids_sha256(compound_ids.tolist())}}
    everything = {**{name: np.asarray(arrays[name]) for name in ARRAYS},
                  "compound_ids": compound_ids, "pathway_ids": pathway_ids}
    try:
        _write_group(tmp, everything, attrs)
        back = load_store(tmp, check=False)
        for name, values in everything.items():
            got = back.arrays.get(name) if name in ARRAYS else getattr(back, name)
            if not np.array_equal(np.asarray(got, dtype=values.dtype) if values.dtype.kind not in "UO" else
                                  _strings(got), values, equal_nan=values.dtype.kind == "f"):
                raise FeaturesError(f"{target}: array {name!r} read back differs from what was written")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return attrs


def ids_sha256(ids: Sequence[str]) -> str:
    """SHA-256 of ids joined by newlines (the checkpoint's vocabulary hash, astrobuild.learn.compat)."""
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


@dataclass
class FeatureStore:
    """A loaded store: its arrays in memory, the run index, the vocabularies and attributes."""

    path: Path
    arrays: dict[str, np.ndarray]
    compound_ids: list[str]
    pathway_ids: list[str]
    attrs: dict[str, Any]

    def __post_init__(self) -> None:
        self.row = {str(r): i for i, r in enumerate(self.arrays["run_id"])}
        self.node_start, self.edge_start = graph_slices(self.arrays["graph_node_count"],
                                                        self.arrays["graph_edge_count"])

    def __len__(self) -> int:
        return len(self.row)

    def rows(self, run_ids: Sequence[str]) -> np.ndarray:
        """Row numbers of ``run_ids``; a run the store lacks is an error naming it."""
        absent = [r for r in run_ids if r not in self.row]
        if absent:
            raise FeaturesError(f"{self.path}: {len(absent)} run(s) of the registry are not in the features store, "
                                f"e.g. {absent[:3]}: the store is older than the registry (rebuild: snakemake build)")
        return np.asarray([self.row[r] for r in run_ids], dtype=np.int64)

    def graph(self, i: int) -> dict[str, np.ndarray]:
        a = self.arrays
        n0, e0 = self.node_start[i], self.edge_start[i]
        return {"x": a["graph_nodes"][n0:n0 + a["graph_node_count"][i]],
                "edge_index": a["graph_edges"][:, e0:e0 + a["graph_edge_count"][i]],
                "features": a["graph_features"][i]}

    def raw(self, run_id: str, modalities: Sequence[str]) -> dict[str, Any]:
        """One run's inputs of ``modalities``, as the model's dataset takes them (None: absent)."""
        i, a = self.rows([run_id])[0], self.arrays
        raw: dict[str, Any] = {}
        if "climate" in modalities:
            raw["climate"] = a["climate"][i] if a["climate_present"][i] else None
            raw["climate_valid"] = a["climate_valid"][i] if a["climate_present"][i] else None
        if "bio_graph" in modalities:
            raw["bio_graph"] = self.graph(i) if a["graph_present"][i] else None
        if "spectrum" in modalities:
            raw["spectrum"] = (a["spectrum"][i], a["spectrum_mask"][i]) if a["spectrum_present"][i] else None
        if "planet_params" in modalities:
            raw["planet_params"] = (a["planet_params"][i], a["planet_params_mask"][i]) \
                if a["planet_params_present"][i] else None
        return raw

    def pooling_differences(self, want: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        """(key, the store's value, ``want``'s value) of every pooling key whose value in ``want`` (plain
        JSON values, as :func:`pooling_attrs` gives them) differs from the store's, by key."""
        have = self.attrs.get("pooling", {})
        return [(k, have.get(k), want.get(k)) for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]

    def check_pooling(self, config: PoolingConfig) -> None:
        """Refuse a store pooled with other settings than ``config``, naming the keys and both values."""
        differ = self.pooling_differences(pooling_attrs(config)["pooling"])
        if differ:
            detail = "; ".join(f"train.{k}: store {have!r}, config {want!r}" for k, have, want in differ)
            raise FeaturesError(f"{self.path} was pooled with other settings than the config ({detail}): "
                                "rebuild it (snakemake build)")


def load_store(path: str | os.PathLike[str], check: bool = True) -> FeatureStore:
    """Every array of the store in memory (a few kB per run)."""
    import zarr

    path = Path(path)
    if not (path / "zarr.json").is_file():
        raise FeaturesError(f"{path}: no features store here (no zarr.json); build it: snakemake build")
    group = zarr.open_group(path, mode="r", zarr_format=3)
    attrs = dict(group.attrs)
    if check and (attrs.get("format") != FORMAT or attrs.get("format_version") != FORMAT_VERSION):
        raise FeaturesError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} store: {attrs.get('format')!r} "
                            f"v{attrs.get('format_version')!r}")
    with warnings.catch_warnings():
        # Snakemake marks a directory() output with a .snakemake_timestamp file inside it; zarr
        # warns about every file it does not know when it lists the group
        warnings.filterwarnings("ignore", message=r"Object at \.snakemake_timestamp is not recognized")
        names = set(group.array_keys())
    missing = [n for n in (*ARRAYS, "compound_ids", "pathway_ids") if n not in names]
    if missing:
        raise FeaturesError(f"{path}: array(s) {missing} missing")
    arrays = {n: np.asarray(group[n][...]) for n in ARRAYS}
    arrays["run_id"] = _strings(arrays["run_id"])
    return FeatureStore(path=path, arrays=arrays, compound_ids=_strings(group["compound_ids"][...]).tolist(),
                        pathway_ids=_strings(group["pathway_ids"][...]).tolist(), attrs=attrs)


def _strings(values: Any) -> np.ndarray:
    """A fixed-width str array from what Zarr gives back (numpy's variable-width StringDType)."""
    return np.asarray([str(v) for v in np.asarray(values).tolist()], dtype=str)


def check_store(store: FeatureStore, registry_ids: Sequence[str], config: PoolingConfig) -> dict[str, Any]:
    """The store's contract: shapes and dtypes from :data:`ARRAYS` and the config, one row per registry
    run in run_id order, masks that agree with the values, graphs within their vocabulary. Returns the
    report (``valid``, ``failures``)."""
    failures: list[str] = []
    a = store.arrays
    n = len(a["run_id"])
    sizes = {**dims_sizes(config, len(store.pathway_ids)), "run": n,
             "node": int(a["graph_node_count"].sum()), "edge": int(a["graph_edge_count"].sum())}
    for name, (dtype, dims) in ARRAYS.items():
        want = tuple(sizes[d] for d in dims)
        if a[name].shape != want:
            failures.append(f"{name}: shape {a[name].shape}, expected {want} ({', '.join(dims)})")
        kind = np.asarray(a[name]).dtype
        if dtype == "str" and kind.kind not in "UO" or dtype != "str" and kind != np.dtype(dtype):
            failures.append(f"{name}: dtype {kind}, expected {dtype}")
    try:
        store.check_pooling(config)
    except FeaturesError as error:
        failures.append(str(error))
    ids = a["run_id"].tolist()
    if ids != sorted(set(registry_ids)):
        extra, absent = sorted(set(ids) - set(registry_ids)), sorted(set(registry_ids) - set(ids))
        failures.append(f"runs differ from the registry's: {len(absent)} missing (e.g. {absent[:3]}), "
                        f"{len(extra)} not in it (e.g. {extra[:3]}), or not in run_id order")
    if not failures:
        if np.isfinite(a["climate"][~a["climate_present"]]).any():
            failures.append("climate: a run without a cube has values")
        valid = a["climate_valid"]
        if not ((valid >= 0) & (valid <= 1)).all() or (valid[~a["climate_present"]] > 0).any():
            failures.append("climate_valid: a share outside 0..1, or above 0 for a run without a cube")
        if not np.array_equal(valid > 0, np.isfinite(a["climate"])):
            failures.append("climate_valid: differs from where the climate values are known")
        if a["spectrum_mask"][~a["spectrum_present"]].any():
            failures.append("spectrum_mask: a run without a spectrum has covered bins")
        if (a["spectrum_present"] & ~a["spectrum_mask"].any(axis=1)).any():
            failures.append("spectrum_present: a spectrum without a covered bin")
        if not np.array_equal(a["planet_params_mask"], np.isfinite(a["planet_params"])):
            failures.append("planet_params_mask: differs from where the values are known")
        if (~a["graph_present"] & ((a["graph_node_count"] > 0) | (a["pathways"].sum(axis=1) > 0))).any():
            failures.append("graph_present: a run without pathways has a graph")
        vocab = len(store.compound_ids)
        if a["graph_nodes"].size and (a["graph_nodes"].min() < 0 or a["graph_nodes"].max() >= vocab):
            failures.append(f"graph_nodes: a compound id outside the vocabulary of {vocab}")
        edges, counts = a["graph_edges"], a["graph_node_count"]
        owner = np.repeat(np.arange(n), a["graph_edge_count"])
        if edges.size and ((edges < 0).any() or (edges >= counts[owner][None, :]).any()):
            failures.append("graph_edges: an edge names a node outside its run's graph")
    report = {"store": store.path.as_posix(), "valid": not failures, "failures": failures, "runs": n,
              "present": {m: int(a[f"{m}_present"].sum()) for m in ("climate", "spectrum", "planet_params", "graph")},
              "nodes": sizes["node"], "edges": sizes["edge"], "compound_vocabulary": len(store.compound_ids),
              "pathways": len(store.pathway_ids)}
    return report


def store_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 over the store's files (relative path and content hash, sorted): one hash per store."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(root).as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()
