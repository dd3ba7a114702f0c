"""Scoring runs with a trained ``model.pt``: what rule ``predict`` does.

A group trains a model to score the runs it has no answer for. Rule ``predict``
reads the registry's runs without a value of the target (``train.target``, default
``label``), their inputs from the features store
(``data/processed/features``, the same rows training reads) and a checkpoint,
and writes each run's scores to ``results/predict/predictions.parquet`` (the task's
columns: binary ``score``; multiclass ``p_<class>`` per class and ``predicted``; regression
``prediction``, in the target's units) with the
SHA-256 of the model file and the features store's digest, so every score says
which model and which data made it.

The checkpoint is checked against the data it will be fed before any run is
scored, and refused with a message naming what differs:

* the task: the checkpoint's own (kind and target, :class:`astrobuild.learn.tasks.Task`) against
  the one asked (``train.task`` and ``train.target`` of the current config);
* the pooling settings the store was made with, against the ones the model was
  trained on (``train.climate``, ``train.spectrum``, ``train.planet_columns``
  of the checkpoint's own config): a model for another grid, binning or column
  order;
* the compound vocabulary, when the model reads the graph
  (:func:`astrobuild.learn.compat.check_vocabulary`).

The model's modalities, normalisation statistics and settings are the
checkpoint's, not the current config's: a model trained on fewer modalities
scores with those.

Why not the training's dataset and loader: they build each run as a dict of
tensors and collate them, right for shuffled minibatches over epochs but a
Python step per run. Scoring has one pass in store order, so :func:`model_batch`
makes each batch's tensors from the store's arrays at once (the graph edges
offset by a cumulative sum instead of a loop of concatenations). It gives the
very tensors the dataset and ``collate`` give (tested), and the model scores them
with :meth:`~astrobuild.learn.model.MultiModalNet.score`, the encoders' faster
arrangement of ``forward``'s arithmetic, so the scores are the training's to float
rounding. Batches of 128 (``predict.batch_size``) keep each batch's per-cell
activations in the CPU cache: about twice the speed of 1,024 (benchmarks/README.md).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import torch

from astrobuild.contracts.products import TRAIN_OUTPUTS
from astrobuild.features.config import POOLING_KEYS
from astrobuild.features.store import FeatureStore, load_store, store_digest
from astrobuild.io import atomic_path, sha256_file, write_parquet
from astrobuild.learn.compat import IncompatibleCheckpoint, check_vocabulary
from astrobuild.learn.model import MultiModalNet
from astrobuild.learn.norm import NormStats, standardise
from astrobuild.learn.outputs import read_checkpoint
from astrobuild.learn.tasks import KINDS, Task
from astrobuild.versioning.manifest import write_stage_manifest

log = logging.getLogger(__name__)

def prediction_schema(task: Task) -> pa.Schema:
    """run_id, planet, scenario, the task's columns (binary: ``score``), model_sha256, features_sha256."""
    return pa.schema([("run_id", pa.string()), ("planet", pa.string()), ("scenario", pa.string()),
                      *task.prediction_fields(), ("model_sha256", pa.string()), ("features_sha256", pa.string())])


PREDICTION_SCHEMA = prediction_schema(Task())  # the binary task's


class PredictError(ValueError):
    """Nothing to score, or inputs that cannot be scored; the message names the file."""


@dataclass(frozen=True)
class Scorer:
    """A checkpoint ready to score: the model (eval mode), its config and normalisation, and its file's hash."""

    model: MultiModalNet
    modalities: tuple[str, ...]
    norm: NormStats
    model_sha256: str
    task: Task = Task()


def _what(kind: str, target: str) -> str:
    return f"{kind} on {target!r}"


def load_scorer(model_path: str | os.PathLike[str], store: FeatureStore,
                asked: dict[str, str] | None = None) -> Scorer:
    """The checkpoint at ``model_path``, refused unless its task fits ``asked`` (``{"task", "target"}``,
    the current ``train`` section's; None: any) and its pooling and vocabulary fit ``store``."""
    name = str(model_path)
    payload = read_checkpoint(model_path)
    task = Task.from_json(payload.get("task"))
    if payload["layout"].get("task") != task.layout() or task.kind not in KINDS:
        raise IncompatibleCheckpoint(f"{name} was trained for a task this version does not know "
                                     f"({payload['layout'].get('task')})")
    if asked is not None and (asked["task"], asked["target"]) != (task.kind, task.target):
        raise IncompatibleCheckpoint(
            f"{name} was trained for {_what(task.kind, task.target)}, but {_what(asked['task'], asked['target'])} is "
            "asked (train.task, train.target): set those to the model's, or name a model trained for them "
            "(predict.model)")
    # the checkpoint's config and the store's attributes hold the pooling settings alike (plain JSON)
    differ = store.pooling_differences({k: payload["config"].get(k) for k in POOLING_KEYS})
    if differ:
        detail = "; ".join(f"train.{k}: {Path(name).name} {want!r}, store {have!r}" for k, have, want in differ)
        raise IncompatibleCheckpoint(f"{name} was trained on features pooled otherwise than {store.path} ({detail}): "
                                     "rebuild the store with the model's settings, or retrain")
    modalities = tuple(payload["model_spec"]["modalities"])
    if "bio_graph" in modalities:
        check_vocabulary(payload, store.compound_ids, name, where=f"the features store {store.path}")
    model = MultiModalNet(payload["model_spec"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return Scorer(model, modalities, NormStats.from_json(payload["norm_stats"]), sha256_file(model_path), task)


def _graph_batch(store: FeatureStore, rows: np.ndarray, present: np.ndarray) -> dict[str, torch.Tensor]:
    """The batched graph of ``rows`` (absent graphs: no nodes), as ``collate`` joins the runs' graphs."""
    a = store.arrays
    nodes = np.where(present, a["graph_node_count"][rows], 0)
    edges = np.where(present, a["graph_edge_count"][rows], 0)
    x = np.concatenate([a["graph_nodes"][s:s + n] for s, n in zip(store.node_start[rows], nodes, strict=True)]
                       + [np.zeros(0, np.int64)])
    local = np.concatenate([a["graph_edges"][:, s:s + n] for s, n in zip(store.edge_start[rows], edges, strict=True)]
                           + [np.zeros((2, 0), np.int64)], axis=1)
    offset = np.concatenate([[0], np.cumsum(nodes)[:-1]]).astype(np.int64)
    return {"x": torch.from_numpy(x), "edge_index": torch.from_numpy(local + np.repeat(offset, edges)),
            "batch": torch.from_numpy(np.repeat(np.arange(len(rows), dtype=np.int64), nodes))}


def model_batch(store: FeatureStore, rows: np.ndarray, modalities: Sequence[str], norm: NormStats) -> dict[str, Any]:
    """The model's input for store ``rows``: the tensors :class:`~astrobuild.learn.dataset.PlanetRunDataset`
    and :func:`~astrobuild.learn.dataset.collate` make, built from whole arrays (missing modalities as
    the dataset gives them: zeros, NaN features standardised to 0, empty graphs, False in ``present``)."""
    a, n = store.arrays, len(rows)
    batch: dict[str, Any] = {}
    present = []
    if "climate" in modalities:
        here = a["climate_present"][rows]
        mean, std = norm.mean_std("climate")
        cube = standardise(a["climate"][rows], mean, std, axis=1)
        cube[~here] = 0.0  # an absent cube is zeros, not standardised zeros
        batch["climate_cube"] = torch.from_numpy(cube)
        batch["climate_valid"] = torch.from_numpy(np.where(here[:, None, None, None, None, None],
                                                           a["climate_valid"][rows], 0.0).astype(np.float32))
        present.append(here)
    if "bio_graph" in modalities:
        here = a["graph_present"][rows]
        mean, std = norm.mean_std("bio_graph")
        features = np.where(here[:, None], a["graph_features"][rows], np.nan)
        graph = _graph_batch(store, rows, here)
        batch["bio_graph"] = {**graph, "features": torch.from_numpy(standardise(features, mean, std, axis=1)),
                              "num_graphs": n}
        present.append(here)
    if "spectrum" in modalities:
        here = a["spectrum_present"][rows]
        mask = a["spectrum_mask"][rows] & here[:, None]
        mean, std = norm.mean_std("spectrum")
        values = np.where(mask[:, :, None], a["spectrum"][rows], np.nan)
        batch["spectrum"] = torch.from_numpy(standardise(values, mean, std, axis=2))
        batch["spectrum_mask"] = torch.from_numpy(mask)
        present.append(here)
    if "planet_params" in modalities:
        here = a["planet_params_present"][rows]
        mean, std = norm.mean_std("planet_params")
        values = np.where(here[:, None], a["planet_params"][rows], np.nan)
        batch["planet_params"] = torch.from_numpy(standardise(values, mean, std, axis=1))
        batch["planet_params_mask"] = torch.from_numpy(a["planet_params_mask"][rows] & here[:, None])
        present.append(here)
    batch["present"] = torch.from_numpy(np.stack(present, axis=1))
    return batch


@torch.inference_mode()
def score_rows(scorer: Scorer, store: FeatureStore, rows: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """The scores of each of ``rows``, in their order, on the CPU (float64): P(label) [n] (binary),
    P(class) [n, classes] (multiclass), the value in the target's units [n] (regression)."""
    out = []
    for start in range(0, len(rows), batch_size):
        batch = model_batch(store, rows[start:start + batch_size], scorer.modalities, scorer.norm)
        out.append(scorer.task.scores(scorer.model.score(batch)))
    if not out:
        return np.zeros((0, scorer.task.outputs) if scorer.task.kind == "multiclass" else 0)
    return np.concatenate(out).astype(np.float64)


def runs_to_predict(registry_path: str | os.PathLike[str], target: str = "label") -> pd.DataFrame:
    """The registry's runs without a value of ``target`` (run_id, planet, scenario), in run_id order."""
    import pyarrow.parquet as pq

    if target not in pq.read_schema(registry_path).names:
        raise PredictError(f"{registry_path} has no column {target!r} (the model's target): no run can be told "
                           "to have it or not; give the runs.csv that column")
    runs = pd.read_parquet(registry_path, columns=list(dict.fromkeys(["run_id", "planet", "scenario", target])))
    return runs[runs[target].isna()].sort_values("run_id").reset_index(drop=True)[["run_id", "planet", "scenario"]]


def predict_runs(model_path: str | os.PathLike[str], registry_path: str | os.PathLike[str],
                 features_path: str | os.PathLike[str], predictions_path: str | os.PathLike[str],
                 report_path: str | os.PathLike[str], batch_size: int = 128, threads: int = 1,
                 model_name: str | None = None, manifest_path: str | os.PathLike[str] | None = None,
                 manifest_inputs: Sequence[str] = (), asked: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything rule ``predict`` does; returns the report written to ``report_path``.

    ``model_name`` is how the report names the model (a DVC revision's path, say); default the path.
    ``manifest_path``: where to record the sizes and sha256 of the two files and of ``manifest_inputs``
    (the job's inputs), so that a ``dvc pull`` of predictions made from exactly these inputs is not
    rerun (:func:`astrobuild.versioning.manifest.restore_stage_times`). ``asked``: the task and target
    the model must have been trained for (``{"task", "target"}``; None: the model's own).
    """
    torch.set_num_threads(threads)
    started = time.perf_counter()
    store = load_store(features_path)
    scorer = load_scorer(model_path, store, asked)
    runs = runs_to_predict(registry_path, scorer.task.target)
    scores = score_rows(scorer, store, store.rows(list(runs["run_id"])), batch_size)
    features_sha = store_digest(features_path)
    table = pa.table({
        "run_id": runs["run_id"].astype(str).tolist(),
        "planet": [None if pd.isna(p) else str(p) for p in runs["planet"]],
        "scenario": [None if pd.isna(s) else str(s) for s in runs["scenario"]],
        **scorer.task.prediction_columns(scores), "model_sha256": [scorer.model_sha256] * len(runs),
        "features_sha256": [features_sha] * len(runs),
    }, schema=prediction_schema(scorer.task))
    write_parquet(table, predictions_path)
    report = {
        "model": model_name or str(model_path), "model_sha256": scorer.model_sha256,
        "features": str(features_path), "features_sha256": features_sha,
        "modalities": list(scorer.modalities), "task": scorer.task.layout(),
        "runs_scored": len(runs), "runs_in_store": len(store), **_summary(scorer.task, scores),
        "seconds": round(time.perf_counter() - started, 3),
    }
    if not len(runs):
        log.warning("predict: every run of %s has a label: nothing to score", registry_path)
    with atomic_path(report_path) as tmp:
        tmp.write_text(json.dumps({k: v for k, v in report.items() if k != "seconds"}, indent=1, sort_keys=True)
                       + "\n", encoding="utf-8")
    if manifest_path is not None:
        write_stage_manifest([str(predictions_path), str(report_path)], list(manifest_inputs), manifest_path)
    log.info("predict: %d run(s) scored with %s (sha256 %s) in %.1f s", len(runs), report["model"],
             scorer.model_sha256[:12], report["seconds"])
    return report


def _summary(task: Task, scores: np.ndarray) -> dict[str, Any]:
    """The report's figures of the scores (binary: as it always had)."""
    if task.kind == "binary":
        return {"score_mean": float(scores.mean()) if len(scores) else None,
                "predicted_positive": int((scores >= 0.5).sum())}
    if task.kind == "regression":
        return {"prediction_mean": float(scores.mean()) if len(scores) else None}
    predicted = task.prediction_columns(scores)["predicted"]
    return {"predicted": {c: predicted.count(c) for c in task.classes}}


def predict_rule(settings: dict[str, Any], model: str | None, registry: str, features: str, predictions: str,
                 report: str, manifest: str, inputs: Sequence[str] = (), threads: int = 1,
                 repo: str | os.PathLike[str] = ".", asked: dict[str, str] | None = None) -> dict[str, Any]:
    """Rule predict: ``settings`` is config ``predict``; ``model`` the job's model input (None with
    ``predict.rev``: the model is then read at that revision into a temporary folder); ``inputs``
    every input of the job (recorded in ``manifest``); ``asked``: config ``train``'s task and target."""
    common = {"registry_path": registry, "features_path": features, "predictions_path": predictions,
              "report_path": report, "batch_size": settings["batch_size"], "threads": threads,
              "manifest_path": manifest, "manifest_inputs": list(inputs), "asked": asked}
    if not settings.get("rev"):
        return predict_runs(model, **common)
    path = settings.get("model") or TRAIN_OUTPUTS["model"]
    with tempfile.TemporaryDirectory() as scratch:
        fetched = model_from_revision(settings["rev"], path, repo, Path(scratch) / "model.pt")
        return predict_runs(fetched, model_name=f"{path}@{settings['rev']}", **common)


def model_from_revision(rev: str, path: str, repo: str | os.PathLike[str], into: str | os.PathLike[str]) -> Path:
    """``path`` (a DVC-tracked model.pt) as recorded at git revision ``rev`` of ``repo``, copied to ``into``."""
    try:
        import dvc.api
    except ImportError as err:  # the learn env need not carry DVC
        raise PredictError(f"predict.rev is {rev!r}, but DVC is not installed here to read {path} at that "
                           "revision: install it (pip install dvc) or set predict.model to a file") from err
    with dvc.api.open(path, repo=str(repo), rev=rev, mode="rb") as src, atomic_path(into) as tmp:
        with open(tmp, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                dst.write(block)
    return Path(into)


__all__: Sequence[str] = ("PREDICTION_SCHEMA", "prediction_schema", "PredictError", "Scorer", "load_scorer", "model_batch", "score_rows",
                          "runs_to_predict", "predict_runs", "predict_rule", "model_from_revision")
