"""``make ablate``'s table: from each variant's out-of-fold predictions to the paired differences
against ``all``, and their Markdown (:mod:`astrobuild.learn.ablate` runs the DVC experiments).

Binary variants are compared by AUROC (``score`` and ``label``); the other tasks by their headline
metric (macro-F1, RMSE), read from their columns (:meth:`astrobuild.learn.tasks.Task.prediction_columns`):
``p_<class>`` per class and the true ``target`` (multiclass), ``prediction`` and ``target`` (regression).
Why a paired host-star bootstrap: :mod:`astrobuild.learn.ablate`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from astrobuild.learn.metrics import paired_group_bootstrap
from astrobuild.learn.tasks import METRIC_LABELS, Task

PREFIX = "ablate"
ALL = "all"
LEVEL = 0.95
DEFAULT_BOOTSTRAP = 1000  # schemas/config.schema.yaml's train.cv.bootstrap


class AblateError(RuntimeError):
    """A variant that cannot be compared (failed, missing, or on other runs); the message names it."""


def experiment_name(variant: str, prefix: str = PREFIX) -> str:
    """The DVC experiment of a variant: ``ablate-all``, ``ablate-no-climate``, ..."""
    return f"{prefix}-{ALL}" if variant == ALL else f"{prefix}-no-{variant.removeprefix('-')}"


def task_of_section(train: dict[str, Any]) -> Task:
    """The task config/config.yaml's ``train`` section asks for (default binary on ``label``)."""
    return Task(kind=train.get("task") or "binary", target=train.get("target") or "label",
                loss=train.get("loss") or "mse")


def score_columns(task: Task, frame: pd.DataFrame) -> list[str]:
    """The prediction columns of ``task`` in a predictions frame (multiclass: its ``p_<class>`` in order)."""
    if task.kind == "binary":
        return ["score"]
    if task.kind == "regression":
        return ["prediction"]
    return [c for c in frame.columns if c.startswith("p_")]


def oof_arrays(task: Task, frames: dict[str, pd.DataFrame], ids: pd.Index
               ) -> tuple[np.ndarray, dict[str, np.ndarray], Callable[[np.ndarray, np.ndarray], float | None], str]:
    """(truth, variant -> scores, the headline metric, its name) of the out-of-fold rows ``ids``;
    the first frame is the reference (``all``)."""
    reference = next(iter(frames.values()))
    columns = score_columns(task, reference)
    truth = reference.loc[ids, "target"]
    if task.kind == "multiclass":
        classes = [c[2:] for c in columns]
        truth = truth.map({c: i for i, c in enumerate(classes)}).to_numpy(np.int64)
        scores = {v: f.loc[ids, columns].to_numpy(np.float64) for v, f in frames.items()}
    else:
        truth = truth.to_numpy(np.float64)
        scores = {v: f.loc[ids, columns[0]].to_numpy(np.float64) for v, f in frames.items()}
    return truth, scores, task.interval_metrics[task.headline], task.headline


# --- the table -------------------------------------------------------------------------------------

def _out_of_fold(frame: pd.DataFrame, variant: str, task: Task) -> pd.DataFrame:
    frame = frame[frame["split"] == "test"] if "split" in frame.columns else frame
    missing = {"run_id", "group", "fold", *score_columns(task, frame), task.truth_field()[0]} - set(frame.columns)
    if missing:
        raise AblateError(f"variant {variant}: predictions lack column(s) {sorted(missing)}")
    repeated = frame["run_id"][frame["run_id"].duplicated()].unique().tolist()
    if repeated:
        raise AblateError(f"variant {variant}: run(s) predicted twice out of fold: {sorted(repeated)[:5]}")
    return frame.set_index("run_id")


def _same_runs(reference: pd.DataFrame, other: pd.DataFrame, variant: str, truth: str = "label") -> None:
    only_ref = sorted(set(reference.index) - set(other.index))
    only_other = sorted(set(other.index) - set(reference.index))
    if only_ref or only_other:
        raise AblateError(f"variant {variant}: not the same runs as {ALL!r}: {len(only_ref)} only in {ALL} "
                          f"{only_ref[:5]}, {len(only_other)} only in {variant} {only_other[:5]}")
    aligned = other.loc[reference.index]
    for column in ("fold", truth, "group"):
        differ = reference.index[(reference[column] != aligned[column]).to_numpy()].tolist()
        if differ:
            raise AblateError(f"variant {variant}: {len(differ)} run(s) in another {column} than in {ALL!r} "
                              f"({sorted(differ)[:5]}): the paired difference needs the same folds")


def paired_table(predictions: dict[str, pd.DataFrame], variant_modalities: dict[str, list[str]],
                 resamples: int = DEFAULT_BOOTSTRAP, seed: int = 0, level: float = LEVEL,
                 prefix: str | None = PREFIX, task: Task | None = None) -> list[dict[str, Any]]:
    """One row per variant (``all`` first): pooled out-of-fold AUROC with its interval and the paired
    difference AUROC(all) - AUROC(variant) with its interval, on the same host-star draws.

    ``predictions``: variant -> its predictions.parquet (rows of split ``test`` are the out-of-fold
    ones). Every variant must hold the same run ids, folds, labels and groups as ``all``. ``task``:
    another than binary reports its headline metric instead (:func:`oof_arrays`).
    """
    task = task or Task()
    if ALL not in predictions:
        raise AblateError(f"no predictions of the variant {ALL!r}: the differences are taken against it")
    order = [ALL, *[v for v in variant_modalities if v != ALL and v in predictions]]
    frames = {v: _out_of_fold(predictions[v], v, task) for v in order}
    reference = frames[ALL]
    for variant in order[1:]:
        _same_runs(reference, frames[variant], variant, task.truth_field()[0])
    ids = reference.index
    groups = reference["group"].astype(str).to_numpy()
    if task.kind == "binary":
        scores = {v: frames[v].loc[ids, "score"].to_numpy(np.float64) for v in order}
        figures = paired_group_bootstrap(reference["label"].to_numpy(bool), scores, groups, ALL, resamples, seed,
                                         level)
    else:
        truth, scores, metric, name = oof_arrays(task, frames, ids)
        figures = paired_group_bootstrap(truth, scores, groups, ALL, resamples, seed, level, metric=metric, name=name)
        figures = {v: {**f, "metric": name} for v, f in figures.items()}
    rows = []
    for variant in order:
        row = {"variant": variant}
        if prefix is not None:
            row["experiment"] = experiment_name(variant, prefix)
        row.update({"modalities": list(variant_modalities[variant]), "runs": int(len(ids)),
                    "groups": int(len(np.unique(groups))), "folds": int(reference["fold"].nunique()),
                    **figures[variant], "bootstrap": int(resamples), "seed": int(seed), "level": level})
        rows.append(row)
    return rows


def _f(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of :func:`paired_table`'s rows, and a line saying what the intervals are."""
    if not rows:
        return ""
    pct = f"{round(100 * rows[0].get('level', LEVEL))}%"
    name = rows[0].get("metric", "auroc")  # the task's headline (binary: AUROC)
    lines = [f"| variant | modalities | pooled {METRIC_LABELS[name]} ({pct} CI) | all − variant, paired ({pct} CI) |",
             "|---|---|---|---|"]
    for row in rows:
        area = f"{_f(row[name])} [{_f(row[f'{name}_ci_low'])}, {_f(row[f'{name}_ci_high'])}]"
        diff = "" if row["variant"] == ALL else \
            f"{_f(row['diff'], True)} [{_f(row['diff_ci_low'], True)}, {_f(row['diff_ci_high'], True)}]"
        lines.append(f"| {row['variant']} | {', '.join(row['modalities'])} | {area} | {diff} |")
    first = rows[0]
    lines += ["", f"Out-of-fold predictions of the same {first['runs']} runs ({first['groups']} host stars, "
                  f"{first['folds']} folds) for every variant; {pct} intervals: percentiles of "
                  f"{first['bootstrap']} host-star bootstrap draws (seed {first['seed']}), the same draws "
                  f"for every variant; the difference is taken within each draw."]
    return "\n".join(lines)
