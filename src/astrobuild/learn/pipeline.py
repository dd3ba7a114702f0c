"""Rule ``train``: registry -> splits -> raw inputs -> normalisation -> model -> metrics and files.

Runs without a label cannot be trained or scored: they are left out and
counted; when no run has one (local mode with a ``runs.csv`` without a
``label`` column, or none at all), training refuses, saying so. Splits are made
over the labelled runs before any modality is looked at, so every ablation
variant of one seed is trained and tested on the same planets. A run lacking a
selected modality is then skipped or masked (``train.missing``); both are
counted per modality in ``report.json``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import torch

from astrobuild.io import write_json
from astrobuild.learn.compat import feature_layout
from astrobuild.learn.config import Inputs, TrainConfig, train_config
from astrobuild.learn.dataset import RUN_COLUMNS, PlanetRunDataset, Sources
from astrobuild.learn.metrics import binary_metrics, confusion, logistic_scores, majority_scores
from astrobuild.learn.model import MultiModalNet, model_spec
from astrobuild.learn.norm import fit_norm
from astrobuild.learn.outputs import (
    TrainOutputs,
    plot_confusion,
    plot_curves,
    save_checkpoint,
    write_curves,
    write_predictions,
)
from astrobuild.learn.params import PlanetParams
from astrobuild.learn.splits import SPLITS, assign_splits
from astrobuild.learn.train import fit, make_loader, predict, resolve_device, seed_everything
from astrobuild.versioning.manifest import write_stage_manifest

log = logging.getLogger(__name__)


class TrainError(ValueError):
    pass


def labelled_runs(registry_path: str | os.PathLike[str]) -> tuple[pd.DataFrame, int]:
    """The registry's runs with a label (sorted by run_id) and how many had none."""
    runs = pq.read_table(registry_path, columns=RUN_COLUMNS).to_pandas()
    unlabelled = int(runs["label"].isna().sum())
    runs = runs[runs["label"].notna()].sort_values("run_id", kind="stable").reset_index(drop=True)
    if runs.empty:
        raise TrainError(
            f"train: none of the {unlabelled} run(s) in {registry_path} has a label, so there is nothing to learn. "
            "In local mode give the runs.csv beside your cubes (sources.climate.path) a `label` column (0/1); "
            "or build the data without training: `snakemake build`.")
    return runs, unlabelled


def read_inputs(runs: pd.DataFrame, sources: Sources, known: dict[str, dict[str, Any]] | None = None
                ) -> dict[str, dict[str, Any]]:
    """Raw inputs of every run (selected modalities only), read once; progress in the log.

    ``known``: raw inputs already read with the same ``train`` settings (but possibly more
    modalities), reused for the runs that have every selected modality in it, and updated with
    what is read here (the ablation script shares one across its trainings).
    """
    cache: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for i, run in enumerate(runs.to_dict("records"), 1):
        kept = None if known is None else known.get(run["run_id"])
        if kept is not None and all(m in kept for m in sources.config.modalities):
            cache[run["run_id"]] = {m: kept[m] for m in sources.config.modalities}
        else:
            cache[run["run_id"]] = sources.read(run)
            if known is not None:
                known[run["run_id"]] = {**(kept or {}), **cache[run["run_id"]]}
        if i % 200 == 0 or i == len(runs):
            log.info("read inputs of %d/%d run(s) (%.1f s)", i, len(runs), time.perf_counter() - start)
    return cache


def handle_missing(runs: pd.DataFrame, cache: dict[str, dict[str, Any]], config: TrainConfig
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Apply ``train.missing``; returns the runs kept and the counts for the report."""
    lacking = {m: [rid for rid in runs["run_id"] if cache[rid][m] is None] for m in config.modalities}
    incomplete = sorted({rid for ids in lacking.values() for rid in ids})
    counts = {"policy": config.missing, "runs_lacking": {m: len(ids) for m, ids in lacking.items()},
              "runs_incomplete": len(incomplete)}
    if config.missing == "skip":
        runs = runs[~runs["run_id"].isin(incomplete)].reset_index(drop=True)
        counts["runs_skipped"], counts["runs_masked"] = len(incomplete), 0
    else:
        counts["runs_skipped"], counts["runs_masked"] = 0, len(incomplete)
    return runs, counts


def _baseline_values(runs: pd.DataFrame, params: PlanetParams) -> np.ndarray:
    rows = []
    for planet in runs["planet"]:
        got = params.values(None if pd.isna(planet) else planet)
        rows.append(got[0] if got is not None else np.full(len(params.columns), np.nan))
    return np.stack(rows) if rows else np.zeros((0, len(params.columns)))


def train_model(section: dict[str, Any], inputs: Inputs | None = None, outputs: TrainOutputs | None = None,
                root: str | os.PathLike[str] = ".", threads: int = 1,
                manifest_inputs: Sequence[str] = (), known_inputs: dict[str, dict[str, Any]] | None = None
                ) -> dict[str, Any]:
    """Everything rule ``train`` does; returns the metrics written to ``outputs.metrics``.

    ``section`` is the validated ``config["train"]``; paths are relative to ``root``.
    ``manifest_inputs`` are the job's input files and folders, recorded in ``outputs.manifest``.
    ``threads`` (the job's, config ``resources.train``) are torch's intra-op threads.
    ``known_inputs``: see :func:`read_inputs` (only for callers that train several times on one
    build with the same settings but the modalities; the rule passes none).
    """
    config = train_config(section)
    inputs, outputs = inputs or Inputs(), outputs or TrainOutputs()
    torch.set_num_threads(threads)
    root = Path(root)
    started = time.perf_counter()
    runs, unlabelled = labelled_runs(root / inputs.registry)
    split_seed = config.seed if config.split_seed is None else config.split_seed
    runs["split"] = assign_splits(runs, config.split, split_seed).to_numpy()
    sources = Sources(config, inputs, root)
    cache = read_inputs(runs, sources, known_inputs)
    runs, missing = handle_missing(runs, cache, config)
    parts = {s: runs[runs["split"] == s].reset_index(drop=True) for s in SPLITS}
    empty = [s for s, part in parts.items() if part.empty]
    if empty:
        raise TrainError(f"train: no run left in split(s) {empty} (train.missing={config.missing}: "
                         f"{missing['runs_skipped']} run(s) skipped); use train.missing: mask or more planets")

    norm = fit_norm(((rid, cache[rid]) for rid in parts["train"]["run_id"]), config.modalities,
                    sources.channel_names())
    write_json(norm.to_json(), root / outputs.norm_stats)

    device = resolve_device(config.device)
    seed_everything(config.seed)
    # ids by vocabulary index: the embedding rows, kept in model.pt (astrobuild.learn.compat)
    compound_ids = sources.graphs.compound_ids if sources.graphs is not None else None
    model = MultiModalNet(model_spec(config, 0 if compound_ids is None else len(compound_ids)))
    datasets = {s: PlanetRunDataset(part, sources, norm, cache) for s, part in parts.items()}
    result = fit(model, datasets["train"], datasets["val"], config, device)

    predictions, metrics = [], {}
    scored: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in SPLITS:
        scores, labels, meta = predict(result.model, make_loader(datasets[split], config, device, shuffle=False),
                                       device)
        scored[split] = (scores, labels)
        metrics[split] = binary_metrics(labels, scores)
        predictions += [{"run_id": m["run_id"], "split": split, "score": float(s), "label": bool(y)}
                        for m, s, y in zip(meta, scores, labels, strict=True)]
    test_scores, test_labels = scored["test"]
    train_labels = scored["train"][1]
    # The yardstick reads the planet table whatever the modalities (see astrobuild.learn.metrics).
    params = sources.params or PlanetParams(root / inputs.exoplanets, config.planet_columns)
    metrics["baselines"] = {
        "majority": binary_metrics(test_labels, majority_scores(train_labels, len(test_labels))),
        "logistic_planet_params": binary_metrics(test_labels, logistic_scores(
            _baseline_values(parts["train"], params), train_labels, _baseline_values(parts["test"], params))),
    }
    metrics["best_epoch"], metrics["epochs_run"] = result.best_epoch, result.epochs_run
    metrics["modalities"] = "+".join(config.modalities)

    save_checkpoint(root / outputs.model, result.model, config.to_dict(), norm.to_json(), compound_ids,
                    feature_layout(config))
    write_json(metrics, root / outputs.metrics)
    write_curves(result.curves, root / outputs.curves)
    write_predictions(predictions, root / outputs.predictions)
    plot_curves(result.curves, result.best_epoch, root / outputs.curves_plot)
    plot_confusion(confusion(test_labels, test_scores), root / outputs.confusion_plot,
                   f"test split ({len(test_labels)} runs), threshold 0.5")
    report = {
        "registry_runs": len(runs) + missing["runs_skipped"] + unlabelled, "runs_without_label": unlabelled,
        "missing_modalities": missing, "modalities": list(config.modalities),
        "splits": {s: {"runs": len(p), "planets": int(p["planet"].nunique()), "positives": int(p["label"].sum())}
                   for s, p in parts.items()},
        "device": device.type, "autocast": "bf16" if device.type == "cuda" else None,
        "epochs_run": result.epochs_run, "best_epoch": result.best_epoch, "stopped_early": result.stopped_early,
        "spectrum_points_flagged": sources.spectra.flagged_points if sources.spectra is not None else None,
        "parameters": sum(p.numel() for p in result.model.parameters()),
    }
    write_json(report, root / outputs.report)
    with contextlib.chdir(root):  # the manifest names files relative to the working directory
        written = [getattr(outputs, name) for name in outputs.__dataclass_fields__ if name != "manifest"]
        write_stage_manifest(written, list(manifest_inputs), outputs.manifest)
    log.info("trained on %d run(s) in %.1f s on %s: test %s; baselines %s", len(parts["train"]),
             time.perf_counter() - started, device.type, metrics["test"], metrics["baselines"])
    return metrics
