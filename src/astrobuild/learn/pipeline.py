"""Rule ``train``: registry -> folds -> raw inputs -> normalisation -> models -> metrics and files.

Evaluation is grouped k-fold cross-validation (``train.cv.folds``, default 5):
the labelled runs are dealt to folds by host star (:mod:`astrobuild.learn.splits`);
for each fold a network is trained, as a single training would be, on the other
folds' runs, a validation slice of their host stars (``train.cv.val_fraction``)
doing the early stopping, and scores its fold. The yardsticks (majority class,
logistic regression on planet parameters) are fitted on the same fold's
training slice and scored on the same fold; gradient-boosted trees on generic
summaries of every modality (:mod:`astrobuild.learn.summary`, whatever
``train.modalities`` says: a yardstick that moved with an ablation would
measure nothing) are fitted on the fold's training and validation slices. ``model.pt`` is then trained on
every labelled run the same way (a validation slice drawn from all of them),
so training costs about k + 1 single trainings. ``train.cv.folds: 1`` is the
single train/val/test split of ``train.split`` (one training; ``model.pt`` is
that model).

``metrics.json``:

* ``pooled``: over the out-of-fold predictions (k = 1: the test split), per model
  (``network``, ``majority``, ``logistic_planet_params``, ``boosted_trees``): auroc, auprc, brier,
  accuracy, f1, loss, n, positives, and ``<auroc|auprc|brier>_ci_low/_ci_high``,
  the 95% interval by bootstrap over host stars
  (:func:`astrobuild.learn.metrics.group_bootstrap`, which says why);
* ``network_minus``: per yardstick, AUROC(network) - AUROC(yardstick) pooled, with the 95%
  interval of that difference over the same host-star draws (paired: positive where the
  network is better; :func:`astrobuild.learn.metrics.paired_group_bootstrap`);
* ``folds``: ``{"0": {"network", "majority", "logistic_planet_params", "boosted_trees": {auroc, auprc,
  brier, n, positives}, "val": the network on the fold's validation slice,
  "best_epoch", "epochs_run"}, ...}``;
* ``cv``: folds used and requested, the grouping, the seed and the resamples;
* kept for the readers of a single split (benchmarks/ablations.py): ``test`` (=
  ``pooled.network`` without intervals), ``val`` and ``train`` (the networks pooled
  over the folds' validation and training slices), ``baselines`` (the yardsticks'
  pooled figures), ``best_epoch`` and ``epochs_run`` (of ``model.pt``), ``modalities``.

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

from astrobuild.features.store import FeatureStore, load_store
from astrobuild.io import write_json
from astrobuild.learn.compat import feature_layout
from astrobuild.learn.config import Inputs, TrainConfig, train_config
from astrobuild.learn.dataset import RUN_COLUMNS, PlanetRunDataset
from astrobuild.learn.metrics import group_bootstrap, paired_group_bootstrap
from astrobuild.learn.model import MultiModalNet, model_spec
from astrobuild.learn.norm import fit_norm
from astrobuild.learn.outputs import (
    TrainOutputs,
    plot_calibration,
    plot_confusion,
    plot_curves,
    plot_regression,
    save_checkpoint,
    write_curves,
    write_predictions,
)
from astrobuild.learn.splits import (
    SPLITS,
    assign_folds,
    assign_splits,
    effective_folds,
    inner_validation,
    star_groups,
)
from astrobuild.learn.summary import summary_features
from astrobuild.learn.tasks import TargetError, Task, task_of
from astrobuild.learn.train import FitResult, fit, make_loader, predict, resolve_device, seed_everything
from astrobuild.planet_runs import REGISTRY_SCHEMA
from astrobuild.versioning.manifest import write_stage_manifest

log = logging.getLogger(__name__)

YARDSTICKS = Task().yardsticks  # the binary task's (each task's: astrobuild.learn.tasks)


class TrainError(ValueError):
    pass


def labelled_runs(registry_path: str | os.PathLike[str], target: str = "label") -> tuple[pd.DataFrame, int]:
    """The registry's runs with a value of ``target`` (sorted by run_id; the value in column ``target``
    too) and how many had none."""
    names = pq.read_schema(registry_path).names
    if target not in names:
        extra = [n for n in names if n not in REGISTRY_SCHEMA.names]
        raise TrainError(f"train.target is {target!r}, but {registry_path} has no such column: give the runs.csv "
                         f"beside your cubes a {target!r} column, or name one it has (registry columns: {extra})")
    runs = pq.read_table(registry_path, columns=list(dict.fromkeys([*RUN_COLUMNS, target]))).to_pandas()
    runs["target"] = runs[target]
    unlabelled = int(runs["target"].isna().sum())
    runs = runs[runs["target"].notna()].sort_values("run_id", kind="stable").reset_index(drop=True)
    if runs.empty:
        what = "a label" if target == "label" else f"a value of {target!r}"
        raise TrainError(
            f"train: none of the {unlabelled} run(s) in {registry_path} has {what}, so there is nothing to learn. "
            f"In local mode give the runs.csv beside your cubes (sources.climate.path) a `{target}` column"
            f"{' (0/1)' if target == 'label' else ''}; or build the data without training: `snakemake build`.")
    return runs, unlabelled


def read_inputs(runs: pd.DataFrame, store: FeatureStore, modalities: Sequence[str]) -> dict[str, dict[str, Any]]:
    """run id -> the run's inputs of ``modalities`` from the features store (views, nothing copied)."""
    store.rows(list(runs["run_id"]))  # a run the store lacks: one error naming it
    return {rid: store.raw(rid, modalities) for rid in runs["run_id"]}


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


def _baseline_values(runs: pd.DataFrame, store: FeatureStore) -> np.ndarray:
    """The planet parameters of ``runs`` (NaN where unknown), whatever the modalities."""
    return store.arrays["planet_params"][store.rows(list(runs["run_id"]))]


def summary_table(runs: pd.DataFrame, store: FeatureStore) -> np.ndarray:
    """The boosted trees' features of ``runs`` (rows in order): every modality's generic summaries
    (:func:`astrobuild.learn.summary.summary_features`), whatever ``train.modalities`` says."""
    rows = store.rows(list(runs["run_id"]))
    # every per-run array of the store but the run ids; summary_features takes the store's names
    arrays = {key: values[rows] for key, values in store.arrays.items()
              if key not in ("run_id", "graph_nodes", "graph_edges")}
    channels = store.attrs["channels"]
    table, _ = summary_features(arrays, channels=channels["climate"], planet_columns=channels["planet_params"],
                                pathway_ids=store.pathway_ids, spectrum_features=channels["spectrum"])
    return table


def host_stars(exoplanets_path: str | os.PathLike[str]) -> dict[str, str]:
    """planet -> host star name from the exoplanet table (its ``host`` column); empty without one."""
    names = pq.read_schema(exoplanets_path).names
    if "planet" not in names or "host" not in names:
        return {}
    table = pq.read_table(exoplanets_path, columns=["planet", "host"]).to_pydict()
    return {str(p): str(h) for p, h in zip(table["planet"], table["host"], strict=True)
            if p is not None and h is not None and str(h).strip()}


def _counts(part: pd.DataFrame, task: Task) -> dict[str, int]:
    counts = {"runs": len(part), "planets": int(part["planet"].nunique()), "stars": int(part["group"].nunique())}
    if task.kind == "binary":
        counts["positives"] = int(task.truth(part["target"]).sum())
    return counts


def _train_one(parts: dict[str, pd.DataFrame], channels: dict[str, list[str]], cache: dict[str, dict[str, Any]],
               config: TrainConfig, device: torch.device, compound_ids: list[str] | None, task: Task
               ) -> tuple[FitResult, Any, dict[str, tuple[np.ndarray, np.ndarray]], Task]:
    """Normalisation (and a regression target's statistics) fitted on ``parts["train"]``, a seeded
    network early-stopped on ``parts["val"]``, its (scores, true targets) on every part, in the part's
    row order, and the task as fitted."""
    norm = fit_norm(((rid, cache[rid]) for rid in parts["train"]["run_id"]), config.modalities, channels)
    task = task.fitted(parts["train"]["target"], train=True)
    seed_everything(config.seed)
    model = MultiModalNet(model_spec(config, 0 if compound_ids is None else len(compound_ids), task.outputs))
    datasets = {s: PlanetRunDataset(part.assign(y=task.encode(part["target"])), config, norm, cache)
                for s, part in parts.items()}
    result = fit(model, datasets["train"], datasets["val"], config, device, task)
    scored = {}
    for name, dataset in datasets.items():
        scores, _, meta = predict(result.model, make_loader(dataset, config, device, shuffle=False), device, task)
        if [m["run_id"] for m in meta] != list(parts[name]["run_id"]):
            raise RuntimeError("the loader did not keep the runs' order")
        scored[name] = (scores, task.truth(parts[name]["target"]))
    return result, norm, scored, task


def _pool(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if not pieces:
        return np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate([s for s, _ in pieces]), np.concatenate([y for _, y in pieces])


def train_model(section: dict[str, Any], inputs: Inputs | None = None, outputs: TrainOutputs | None = None,
                root: str | os.PathLike[str] = ".", threads: int = 1,
                manifest_inputs: Sequence[str] = ()) -> dict[str, Any]:
    """Everything rule ``train`` does; returns the metrics written to ``outputs.metrics``.

    ``section`` is the validated ``config["train"]``; paths are relative to ``root``.
    ``manifest_inputs`` are the job's input files and folders, recorded in ``outputs.manifest``.
    ``threads`` (the job's, config ``resources.train``) are torch's intra-op threads.
    """
    config = train_config(section)
    inputs, outputs = inputs or Inputs(), outputs or TrainOutputs()
    torch.set_num_threads(threads)
    root = Path(root)
    started = time.perf_counter()
    runs, unlabelled = labelled_runs(root / inputs.registry, config.target)
    try:  # the classes of every labelled run: each fold's head has the same outputs
        task = task_of(config).fitted(runs["target"])
    except TargetError as error:
        raise TrainError(f"train: {error}") from error
    yardstick_names = task.yardsticks
    seed = config.fold_seed
    runs["group"] = star_groups(runs, host_stars(root / inputs.exoplanets)).to_numpy()
    requested = config.cv.folds
    if requested > 1:
        folds = effective_folds(runs["group"], requested)
        if folds < requested:
            log.warning("train.cv.folds is %d but the labelled runs have %d host star(s): %d folds", requested,
                        folds, folds)
        if folds < 3:
            raise TrainError(f"train: {folds} host star(s) with labelled runs; cross-validation needs at least 3 "
                             "(a test fold, and training and validation stars in every other); set train.cv.folds: 1")
        runs["fold"] = assign_folds(runs["group"], folds, seed).to_numpy()
    else:
        folds = 1
        runs["split"] = assign_splits(runs, config.split, seed).to_numpy()
        runs["fold"] = 0
    # Folds are made over the labelled runs before any modality is read (see the module's docstring).
    store = load_store(root / inputs.features)
    store.check_pooling(config.pooling)
    channels = store.attrs["channels"]
    cache = read_inputs(runs, store, config.modalities)
    runs, missing = handle_missing(runs, cache, config)

    pieces: list[dict[str, pd.DataFrame]] = []
    if folds == 1:
        pieces.append({s: runs[runs["split"] == s].reset_index(drop=True) for s in SPLITS})
    else:
        for f in range(folds):
            rest = runs[runs["fold"] != f].reset_index(drop=True)
            val = inner_validation(rest["group"], config.cv.val_fraction, seed, f).to_numpy()
            pieces.append({"train": rest[~val].reset_index(drop=True), "val": rest[val].reset_index(drop=True),
                           "test": runs[runs["fold"] == f].reset_index(drop=True)})
    for f, parts in enumerate(pieces):
        empty = [s for s, part in parts.items() if part.empty]
        if empty:
            where = f"split(s) {empty}" if folds == 1 else f"fold {f}'s {empty}"
            raise TrainError(f"train: no run left in {where} (train.missing={config.missing}: "
                             f"{missing['runs_skipped']} run(s) skipped); use train.missing: mask or more planets")

    device = resolve_device(config.device)
    # ids by vocabulary index: the embedding rows, kept in model.pt (astrobuild.learn.compat)
    compound_ids = store.compound_ids if config.uses("bio_graph") else None
    summaries = summary_table(runs, store)
    summary_row = {rid: i for i, rid in enumerate(runs["run_id"])}

    fold_metrics: dict[str, Any] = {}
    fold_report: dict[str, Any] = {}
    pooled_parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {s: [] for s in SPLITS}
    oof_scores: dict[str, list[np.ndarray]] = {m: [] for m in ("network", *yardstick_names)}
    oof_groups: list[np.ndarray] = []
    predictions: list[dict[str, Any]] = []
    single = None
    for f, parts in enumerate(pieces):
        fold_started = time.perf_counter()
        result, norm, scored, fitted = _train_one(parts, channels, cache, config, device, compound_ids, task)
        if folds == 1:
            single = (result, norm, fitted)
        for split in SPLITS:
            pooled_parts[split].append(scored[split])
        test_scores, test_labels = scored["test"]
        train_labels = scored["train"][1]
        trees_train = pd.concat([parts["train"], parts["val"]])
        # the trees see the fold's whole training side: with default settings they stop on nothing,
        # so holding the validation slice back would only weaken the yardstick; the logistic one
        # reads the planet parameters whatever the modalities (astrobuild.learn.metrics)
        params = ((_baseline_values(parts["train"], store), _baseline_values(parts["test"], store))
                  if task.kind == "binary" else None)
        yardsticks = task.yardstick_scores(
            train_labels, len(test_labels), summaries[[summary_row[r] for r in trees_train["run_id"]]],
            task.truth(trees_train["target"]), summaries[[summary_row[r] for r in parts["test"]["run_id"]]], seed,
            params)
        oof_scores["network"].append(test_scores)
        for name, values in yardsticks.items():
            oof_scores[name].append(values)
        oof_groups.append(parts["test"]["group"].to_numpy())
        def compact(metrics: dict[str, Any]) -> dict[str, Any]:
            return {k: metrics[k] for k in task.fold_keys}

        fold_metrics[str(f)] = {
            "network": compact(task.metrics(test_labels, test_scores)),
            **{name: compact(task.metrics(test_labels, values)) for name, values in yardsticks.items()},
            "val": compact(task.metrics(scored["val"][1], scored["val"][0])),
            "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
        }
        fold_report[str(f)] = {**{s: _counts(p, task) for s, p in parts.items()}, "epochs_run": result.epochs_run,
                               "best_epoch": result.best_epoch, "stopped_early": result.stopped_early}
        shown = SPLITS if folds == 1 else ("test",)
        for split in shown:
            scores, labels = scored[split]
            columns, truth = task.prediction_columns(scores), task.truth_field()[0]
            predictions += [{"run_id": rid, "group": g, "fold": f, "split": split,
                             **{c: v[i] for c, v in columns.items()}, truth: task.truth_value(y)}
                            for i, (rid, g, y) in enumerate(zip(parts[split]["run_id"], parts[split]["group"], labels,
                                                                strict=True))]
        if folds > 1:
            log.info("fold %d/%d: %d training run(s), test %s %s (%.1f s)", f + 1, folds, len(parts["train"]),
                     task.headline, fold_metrics[str(f)]["network"][task.headline], time.perf_counter() - fold_started)

    if single is None:  # model.pt: every labelled run, a validation slice drawn as in a fold
        val = inner_validation(runs["group"], config.cv.val_fraction, seed, folds).to_numpy()
        final_parts = {"train": runs[~val].reset_index(drop=True), "val": runs[val].reset_index(drop=True)}
        result, norm, _, fitted = _train_one(final_parts, channels, cache, config, device, compound_ids, task)
    else:
        final_parts = pieces[0]
        result, norm, fitted = single

    labels = _pool(pooled_parts["test"])[1]
    oof = {name: np.concatenate(values) for name, values in oof_scores.items()}
    groups = np.concatenate(oof_groups)
    binary, headline = task.kind == "binary", task.headline
    intervals = group_bootstrap(labels, oof, groups, config.cv.bootstrap, seed,
                                metrics=None if binary else task.interval_metrics)
    pooled = {name: {**task.metrics(labels, values), **intervals[name]} for name, values in oof.items()}
    # the network against each yardstick on the same draws: headline(network) - headline(yardstick)
    # (positive is better where higher is: AUROC, macro-F1; negative where lower is: RMSE)
    paired = paired_group_bootstrap(labels, oof, groups, "network", config.cv.bootstrap, seed,
                                    metric=None if binary else task.interval_metrics[headline], name=headline)
    versus = {name: {f"{headline}_diff": paired[name]["diff"], "ci_low": paired[name]["diff_ci_low"],
                     "ci_high": paired[name]["diff_ci_high"]} for name in yardstick_names}
    metrics: dict[str, Any] = {
        "task": task.describe(),
        "modalities": "+".join(config.modalities),
        "cv": {"folds": folds, "folds_requested": requested, "grouping": "host star (else planet, else run)",
               "seed": seed, "bootstrap": config.cv.bootstrap, "interval": 0.95,
               "test_stars": int(len(np.unique(groups)))},
        "pooled": pooled,
        "network_minus": versus,
        "folds": fold_metrics,
        "train": task.metrics(*reversed(_pool(pooled_parts["train"]))),
        "val": task.metrics(*reversed(_pool(pooled_parts["val"]))),
        "test": task.metrics(labels, oof["network"]),
        "baselines": {name: task.metrics(labels, oof[name]) for name in yardstick_names},
        "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
    }
    write_json(norm.to_json(), root / outputs.norm_stats)
    save_checkpoint(root / outputs.model, result.model, config.to_dict(), norm.to_json(), compound_ids,
                    feature_layout(config), fitted)
    write_json(metrics, root / outputs.metrics)
    write_curves(result.curves, root / outputs.curves)
    write_predictions(predictions, root / outputs.predictions, task)
    plot_curves(result.curves, result.best_epoch, root / outputs.curves_plot, task)
    what = "test split" if folds == 1 else f"out-of-fold, {folds} folds"
    _plot_results(task, labels, oof, outputs, root, f"{what} ({len(labels)} runs)")
    report = {
        "registry_runs": len(runs) + missing["runs_skipped"] + unlabelled, "runs_without_label": unlabelled,
        "missing_modalities": missing, "modalities": list(config.modalities),
        "cv": {"folds": folds, "folds_requested": requested, "stars": int(runs["group"].nunique()),
               "per_fold": fold_report},
        # the parts model.pt was trained, stopped (and with one split, tested) on
        "splits": {s: {k: v for k, v in _counts(p, task).items() if k != "stars"} for s, p in final_parts.items()},
        "device": device.type, "autocast": "bf16" if device.type == "cuda" else None,
        "epochs_run": result.epochs_run, "best_epoch": result.best_epoch, "stopped_early": result.stopped_early,
        "spectrum_points_flagged": store.attrs.get("spectrum_points_flagged") if config.uses("spectrum") else None,
        "parameters": sum(p.numel() for p in result.model.parameters()),
    }
    write_json(report, root / outputs.report)
    with contextlib.chdir(root):  # the manifest names files relative to the working directory
        written = [getattr(outputs, name) for name in outputs.__dataclass_fields__ if name != "manifest"]
        write_stage_manifest(written, list(manifest_inputs), outputs.manifest)
    summary = {m: {k: pooled[m][k] for k in (headline, f"{headline}_ci_low", f"{headline}_ci_high")} for m in pooled}
    log.info("trained %d fold(s) and model.pt in %.1f s on %s; pooled %s", folds, time.perf_counter() - started,
             device.type, summary)
    return metrics


def _plot_results(task: Task, labels: np.ndarray, oof: dict[str, np.ndarray], outputs: TrainOutputs, root: Path,
                  what: str) -> None:
    """confusion.png and calibration.png, as suits the task: binary as always (threshold 0.5; the
    reliability of every model); multiclass the classes' confusion matrix and the reliability of the
    network's top-class probability (is a 0.8 right 80 % of the time?); regression the residuals and
    predicted against true, every model."""
    if task.kind == "regression":
        plot_regression(labels, oof, root / outputs.confusion_plot, f"residuals: {what}", "residuals")
        plot_regression(labels, oof, root / outputs.calibration_plot, f"predicted vs true: {what}", "scatter")
        return
    title = f"{what}, threshold 0.5" if task.kind == "binary" else f"{what}, most probable class"
    plot_confusion(task.confusion(labels, oof["network"]), root / outputs.confusion_plot, title,
                   None if task.kind == "binary" else list(task.classes))
    if task.kind == "binary":
        plot_calibration(labels, oof, root / outputs.calibration_plot, f"reliability: {what}")
    else:
        top = {name: (v.argmax(axis=1) == labels, v.max(axis=1)) for name, v in oof.items()}
        plot_calibration(top["network"][0], {"network": top["network"][1]}, root / outputs.calibration_plot,
                         f"reliability of the top class: {what}")
