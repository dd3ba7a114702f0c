"""``make ablate``: the leave-one-modality-out ablation of the train stage, run as DVC experiments.

What it does (``python -m astrobuild.learn.ablate``, in the repository root):

1. reads ``train.modalities`` from ``config/config.yaml``: the variant ``all``; each ``-<m>``
   leaves modality ``m`` out (:func:`variants`);
2. queues one DVC experiment per variant, named ``ablate-all`` and ``ablate-no-<m>``:
   ``dvc exp run --queue -n <name> -S 'config/config.yaml:train.modalities=[...]'``
   (:func:`queue_commands`). Only ``train`` is a param of the train stage, so the data build is
   not rerun. Experiments of the same names on the current commit (an earlier ``make ablate``)
   are removed first: DVC refuses a second experiment of one name on one baseline;
3. runs the queue, ``dvc exp run --run-all --jobs N`` (each experiment in its own temporary
   copy; the stage's outputs go to the repository's DVC cache, the experiment's commit to
   ``refs/exps``). That command exits 0 even when an experiment failed, so every experiment's
   state is read back from ``dvc exp show --json``, and a failed one is named, with the end of
   its log (:func:`collect`);
4. reads each experiment's ``results/train/predictions.parquet`` at its commit
   (``dvc.api.open(path, rev=<sha>)``: the object in the local cache, else the DVC remote) and
   its ``results/train/metrics.json`` (in ``dvc exp show --json``);
5. prints a Markdown table (:mod:`astrobuild.learn.ablate_table`, ready for the README): each
   variant's pooled out-of-fold AUROC with its 95% interval, and the paired difference
   AUROC(all) - AUROC(variant) with its 95% interval (positive: the left-out modality helps).

Why a paired host-star bootstrap (:func:`astrobuild.learn.metrics.paired_group_bootstrap`):
the folds depend only on the labelled runs and ``train.seed``/``split_seed``, not on the
modalities, so every variant is scored on the same out-of-fold runs. Much of each variant's
sampling noise is then shared (a host star whose runs are hard pulls every variant's AUROC
down), and two separate intervals overlap even where one variant beats the other on almost
every resample. Drawing the same host stars for "all" and a variant and taking the difference
within each draw cancels the shared part; only the disagreement between the two remains. Host
stars, not runs, are the resampled unit because runs of one planet, and planets of one star,
are not independent draws (:func:`astrobuild.learn.metrics.group_bootstrap` says more). The
draws are the train stage's own (the seed of the folds, ``train.cv.bootstrap`` resamples by
default), so a variant's interval here is the one in its metrics.json. The predictions of a
variant must hold the same runs, in the same folds, as those of "all": otherwise the
difference is refused, naming the variant.

Note that ``dvc exp run --run-all`` runs everything in the queue: another experiment queued on
this commit is refused here rather than run along.

``--no-run`` only reads back and prints the experiments of an earlier run (on the current
commit); ``--json PATH`` also writes the table's rows.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from astrobuild.learn.ablate_table import (
    ALL,
    DEFAULT_BOOTSTRAP,
    PREFIX,
    AblateError,
    experiment_name,
    format_table,
    paired_table,
    task_of_section,
)
from astrobuild.learn.tasks import METRIC_LABELS

PARAMS_FILE = "config/config.yaml"
KEY = "train.modalities"
METRICS = "results/train/metrics.json"
PREDICTIONS = "results/train/predictions.parquet"


def variants(modalities: Sequence[str]) -> dict[str, list[str]]:
    """``{"all": modalities, "-<m>": modalities without m, ...}``, in the order of ``modalities``."""
    modalities = list(modalities)
    if len(set(modalities)) != len(modalities):
        raise AblateError(f"{KEY}: modalities repeat: {modalities}")
    if len(modalities) < 2:
        raise AblateError(f"{KEY}: {modalities}: leaving one out needs at least two modalities")
    out = {ALL: modalities}
    for left_out in modalities:
        out[f"-{left_out}"] = [m for m in modalities if m != left_out]
    return out


def queue_commands(variant_modalities: dict[str, list[str]], prefix: str = PREFIX,
                   params_file: str = PARAMS_FILE, key: str = KEY) -> list[list[str]]:
    """The arguments of ``dvc`` that queue each variant (``exp run --queue -n <name> -S ...``)."""
    return [["exp", "run", "--queue", "-n", experiment_name(variant, prefix),
             "-S", f"{params_file}:{key}=[{','.join(kept)}]"]
            for variant, kept in variant_modalities.items()]


# --- running DVC ------------------------------------------------------------------------------------

def dvc_executable() -> str:
    """The ``dvc`` beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "dvc"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dvc")
    if found is None:
        raise AblateError("dvc is not installed (it is in the dev extra: pip install -e '.[dev]')")
    return found


def _env() -> dict[str, str]:
    # the stages' commands (snakemake, python) are the venv's, also when `make` did not activate it;
    # the queue's workers inherit this environment
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_dvc(root: Path, *args: str, capture: bool = True) -> str:
    """``dvc <args>`` in ``root``; its standard output (when captured), or AblateError with the end
    of its output."""
    if capture:
        proc = subprocess.run([dvc_executable(), *args], cwd=root, env=_env(), text=True, capture_output=True)
    else:  # shown as it runs, on standard error: standard output is the table's
        proc = subprocess.run([dvc_executable(), *args], cwd=root, env=_env(), text=True, stdout=2)
    if proc.returncode:
        output = (proc.stdout or "") + (proc.stderr or "")
        raise AblateError(f"`dvc {' '.join(args)}` failed (exit {proc.returncode}):\n{output[-3000:]}")
    return proc.stdout or ""


# --- reading `dvc exp show --json` --------------------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """One experiment of ``dvc exp show --json``."""

    name: str
    rev: str
    baseline: str
    state: str  # success | failed | queued | running (DVC's executor state; success for one run in place)
    error: str | None = None
    log: str | None = None
    params: dict[str, Any] = field(default_factory=dict)   # of PARAMS_FILE
    metrics: dict[str, Any] = field(default_factory=dict)  # of METRICS


def _data(section: Any, path: str) -> dict[str, Any]:
    entry = (section or {}).get(path) or {}
    return entry.get("data") or {}


def parse_exp_show(payload: list[dict[str, Any]], params_file: str = PARAMS_FILE,
                   metrics_file: str = METRICS) -> list[Experiment]:
    """Every experiment of ``dvc exp show --json`` (DVC 3), baseline by baseline, newest first."""
    found = []
    for baseline in payload:
        if baseline.get("rev") == "workspace":
            continue
        for exp in baseline.get("experiments") or []:
            revs = exp.get("revs") or []
            if not revs:
                continue
            rev = revs[0]  # one commit per experiment (DVC 3 has no checkpoints)
            executor = exp.get("executor") or {}
            error = (rev.get("error") or {}).get("msg")
            state = executor.get("state") or ("failed" if error else "success")
            data = rev.get("data") or {}
            found.append(Experiment(
                name=exp.get("name") or rev.get("name") or rev["rev"][:7], rev=rev["rev"],
                baseline=baseline["rev"], state=state, error=error,
                log=(executor.get("local") or {}).get("log"),
                params=_data(data.get("params"), params_file), metrics=_data(data.get("metrics"), metrics_file)))
    return found


def show_experiments(root: Path) -> list[Experiment]:
    """The experiments of the current commit (``dvc exp show --json``)."""
    return parse_exp_show(json.loads(run_dvc(root, "exp", "show", "--json")))


def select(experiments: Iterable[Experiment], names: Iterable[str]) -> dict[str, Experiment]:
    """By name: the newest successful experiment of that name, else the newest of any state."""
    experiments = list(experiments)
    out = {}
    for name in names:
        mine = [e for e in experiments if e.name == name]
        if mine:
            out[name] = next((e for e in mine if e.state == "success"), mine[0])
    return out


def _log_tail(path: str | None, lines: int = 15) -> str:
    if not path or not Path(path).is_file():
        return ""
    tail = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"\n  end of {path}:\n" + "\n".join(f"    {line}" for line in tail)


def check_succeeded(found: dict[str, Experiment], names: Iterable[str]) -> None:
    """AblateError naming every experiment that is missing, failed or not finished."""
    problems = []
    for name in names:
        exp = found.get(name)
        if exp is None:
            problems.append(f"{name}: no such experiment on the current commit (run `make ablate`)")
        elif exp.state == "failed":
            problems.append(f"{name}: failed ({exp.error or 'see its log'}; `dvc queue logs {name}`)"
                            f"{_log_tail(exp.log)}")
        elif exp.state != "success":
            problems.append(f"{name}: {exp.state}, not finished")
    if problems:
        raise AblateError("ablation experiment(s) not available:\n" + "\n".join(problems))


# --- queue, run, collect ---------------------------------------------------------------------------

Runner = Callable[..., str]


def clear_previous(root: Path, names: Sequence[str], dvc: Runner = run_dvc,
                   show: Callable[[Path], list[Experiment]] = show_experiments) -> None:
    """Remove this commit's experiments of these names (DVC refuses a name twice on one baseline);
    refuse when one is running or another experiment waits in the queue (``--run-all`` would run it)."""
    for _ in range(3):  # a name can be a finished and a queued experiment at once
        current = show(root)
        running = sorted({e.name for e in current if e.state == "running"})
        if running:
            raise AblateError(f"experiment(s) running: {running}; wait for them, or `dvc queue kill`")
        others = sorted({e.name for e in current if e.state == "queued" and e.name not in names})
        if others:
            raise AblateError(f"the DVC queue also holds {others}, which `dvc exp run --run-all` would run; "
                              f"run them or `dvc queue remove {' '.join(others)}` first")
        mine = [e for e in current if e.name in names]
        if not mine:
            return
        queued = sorted({e.name for e in mine if e.state == "queued"})
        done = sorted({e.name for e in mine if e.state != "queued"})
        if queued:
            dvc(root, "queue", "remove", *queued)
        if done:
            dvc(root, "exp", "remove", *done)
    raise AblateError(f"could not remove the earlier experiments {sorted(e.name for e in mine)}")


def run_queue(root: Path, variant_modalities: dict[str, list[str]], jobs: int = 1, prefix: str = PREFIX,
              params_file: str = PARAMS_FILE, key: str = KEY, echo: Callable[[str], None] = print
              ) -> dict[str, Experiment]:
    """Queue every variant, run the queue, and return each variant's (successful) experiment."""
    names = [experiment_name(v, prefix) for v in variant_modalities]
    clear_previous(root, names)
    for args in queue_commands(variant_modalities, prefix, params_file, key):
        echo(f"dvc {' '.join(args)}")
        run_dvc(root, *args)
    echo(f"dvc exp run --run-all --jobs {jobs}")
    run_dvc(root, "exp", "run", "--run-all", "--jobs", str(jobs), capture=False)
    return collect(root, variant_modalities, prefix)


def collect(root: Path, variant_modalities: dict[str, list[str]], prefix: str = PREFIX,
            experiments: list[Experiment] | None = None) -> dict[str, Experiment]:
    """Each variant's experiment on the current commit, after checking that all succeeded and that
    each trained on its variant's modalities (``modalities`` of its metrics.json)."""
    names = {v: experiment_name(v, prefix) for v in variant_modalities}
    found = select(show_experiments(root) if experiments is None else experiments, names.values())
    check_succeeded(found, names.values())
    out = {}
    for variant, kept in variant_modalities.items():
        exp = found[names[variant]]
        recorded = exp.metrics.get("modalities")
        if recorded is not None and set(str(recorded).split("+")) != set(kept):
            raise AblateError(f"{exp.name}: trained on {recorded!r}, not on {'+'.join(kept)!r} "
                              f"(variant {variant})")
        out[variant] = exp
    return out


def read_predictions(root: Path, rev: str, path: str = PREDICTIONS) -> pd.DataFrame:
    """``path`` (a DVC out) as committed by the experiment ``rev``: ``dvc.api.open`` reads dvc.lock
    at that commit and the object from the local cache (else the DVC remote)."""
    import dvc.api

    with dvc.api.open(path, repo=str(root), rev=rev, mode="rb") as handle:
        data = handle.read()
    return pd.read_parquet(io.BytesIO(data))


def check_recorded(rows: list[dict[str, Any]], experiments: dict[str, Experiment]) -> None:
    """The AUROC computed from an experiment's predictions is the one its metrics.json records
    (``pooled.network.auroc``): else the predictions are not that training's."""
    for row in rows:
        exp = experiments.get(row["variant"])
        name = row.get("metric", "auroc")
        recorded = (((exp.metrics if exp else {}).get("pooled") or {}).get("network") or {}).get(name)
        if recorded is not None and row[name] is not None and abs(recorded - row[name]) > 1e-6:
            raise AblateError(f"{exp.name}: {METRIC_LABELS[name]} {row[name]} from its predictions, {recorded} in its "
                              f"{METRICS}")


# --- command line ----------------------------------------------------------------------------------

def read_train_config(root: Path, params_file: str = PARAMS_FILE) -> dict[str, Any]:
    import yaml

    path = root / params_file
    if not path.is_file():
        raise AblateError(f"{path}: no such file (run in the repository root, or pass --root)")
    section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("train") or {}
    if not section.get("modalities"):
        raise AblateError(f"{path}: no {KEY}")
    return section


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrobuild.learn.ablate",
                                     description=__doc__.split("\n")[0].replace("``", ""))
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: here)")
    parser.add_argument("--bootstrap", type=int, metavar="N",
                        help="host-star bootstrap draws (default: train.cv.bootstrap of config/config.yaml)")
    parser.add_argument("--seed", type=int, help="bootstrap seed (default: the folds' seed, train.split_seed "
                                                 "else train.seed: the train stage's own draws)")
    parser.add_argument("--no-run", action="store_true",
                        help="queue and run nothing: read back the experiments of an earlier run on this commit")
    parser.add_argument("--jobs", type=int, default=1, help="experiments run at a time (default 1)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the table's rows here")
    args = parser.parse_args(argv)
    root = args.root.resolve()

    def echo(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        train = read_train_config(root)
        variant_modalities = variants(train["modalities"])
        resamples = args.bootstrap if args.bootstrap is not None else \
            int((train.get("cv") or {}).get("bootstrap", DEFAULT_BOOTSTRAP))
        seed = args.seed if args.seed is not None else \
            int(train["split_seed"] if train.get("split_seed") is not None else train.get("seed", 0))
        if args.no_run:
            experiments = collect(root, variant_modalities)
        else:
            experiments = run_queue(root, variant_modalities, jobs=args.jobs, echo=echo)
        predictions = {v: read_predictions(root, exp.rev) for v, exp in experiments.items()}
        rows = paired_table(predictions, variant_modalities, resamples, seed, task=task_of_section(train))
        check_recorded(rows, experiments)
    except AblateError as err:
        echo(f"make ablate: {err}")
        return 1
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
