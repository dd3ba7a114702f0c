"""End to end: build (the same bytes as the tests' shared Snakemake build: determinism) -> dvc push -> fresh clone -> dvc pull -> verified, nothing to rebuild; an edit to the
model's code leaves the build stage clean; a real change is seen; experiments (a build setting in a temporary copy; a training setting, which reruns the train stage
alone); a damaged remote object fails the pull.

Runs in temporary copies of this checkout (tracked files only, as a clone
would have them) with a temporary local DVC remote. About three minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from astrobuild.contracts.products import PROVENANCE_OUTPUTS
from astrobuild.io import sha256_file
from astrobuild.provenance.check import check_crate
from astrobuild.versioning.manifest import ignore_patterns, list_files, stage_outs
from tests.workflow import apply_test_config, product_digests

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GIT_ID = ["-c", "user.name=astrobuild tests", "-c", "user.email=tests@astrobuild.invalid"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["DVC_NO_ANALYTICS"] = "1"
    # dvc exp run makes git commits of its own; give it an identity on CI too.
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "astrobuild tests"
        env[f"GIT_{role}_EMAIL"] = "tests@astrobuild.invalid"
    return env


def run(cwd: Path, *cmd: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} failed in {cwd}:\n{output[-4000:]}"
    return output


def run_failing(cwd: Path, *cmd: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{' '.join(cmd)} succeeded in {cwd}, expected a failure:\n{output[-4000:]}"
    return output


def git(cwd: Path, *args: str) -> str:
    return run(cwd, "git", *GIT_ID, *args)


def dvc(cwd: Path, *args: str) -> str:
    return run(cwd, str(BIN / "dvc"), *args)


def copy_checkout(dest: Path) -> None:
    """The files a clone of this checkout has (tracked + new, not ignored), without a dvc.lock."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if rel == "dvc.lock" or not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def train_leaves(section: dict, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted key, value) of every leaf of the train section (a list is a leaf)."""
    out = []
    for key, value in section.items():
        if isinstance(value, dict):
            out += train_leaves(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def hydra_value(value: object) -> str:
    """``value`` in the override grammar `dvc exp run -S` takes (Hydra's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z_][\w./-]*", value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'  # spaces, quotes, brackets
    return str(value)


def versioned_files(root: Path) -> dict[str, str]:
    """sha256 of every file DVC versions in ``root`` (the build stage's outs, minus .dvcignore)."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        files = list_files(stage_outs("dvc.yaml"), ignore_patterns(".dvcignore"))
        return {f: sha256_file(f) for f in files}
    finally:
        os.chdir(cwd)


def without_commit(digests: dict[str, str]) -> dict[str, str]:
    """``digests`` less the files a git + DVC checkout writes otherwise: the provenance files record the
    commit, and the manifest lists what dvc.yaml versions (the tests' Snakemake copies have no dvc.yaml)."""
    differ = {PROVENANCE_OUTPUTS[k] for k in ("crate", "card", "card_html")} | {"results/manifest.json"}
    return {f: d for f, d in digests.items() if f not in differ}


def exp_show_rows(payload) -> list[tuple[int, str]]:
    """(train.seed, the training's metrics) of every row of `dvc exp show --json` (baseline and experiments)."""
    rows = []
    if isinstance(payload, dict):
        params = (payload.get("params") or {}).get("config/config.yaml")
        metrics = (payload.get("metrics") or {}).get("results/train/metrics.json")
        if isinstance(params, dict) and isinstance(metrics, dict):
            rows.append((params["data"]["train"]["seed"], json.dumps(metrics["data"], sort_keys=True)))
        for value in payload.values():
            rows.extend(exp_show_rows(value))
    elif isinstance(payload, list):
        for value in payload:
            rows.extend(exp_show_rows(value))
    return rows


@pytest.mark.skipif(not (BIN / "dvc").exists(), reason="dvc is not installed in this environment (dev extra)")
def test_push_clone_pull_rebuilds_nothing_and_experiments_run(sample_build: Path, tmp_path: Path) -> None:
    a, b, remote = tmp_path / "a", tmp_path / "b", tmp_path / "remote"
    a.mkdir()
    copy_checkout(a)
    apply_test_config(a)  # dvc repro reads config/config.yaml alone: the snapshot builds the tests' sample
    git(a, "init", "-q")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "snapshot of the checkout under test")
    dvc(a, "remote", "modify", "--local", "localstore", "url", str(remote))

    # 1. Build through DVC, record the version, push it.
    dvc(a, "repro")
    assert "up to date" in dvc(a, "status")
    # Determinism: this build, in another directory and through DVC, made the bytes of the tests' shared
    # Snakemake build, file for file (but for the files without_commit names).
    ours, theirs = (without_commit(product_digests(root)) for root in (a, sample_build))
    assert ours == theirs, {f: (ours.get(f), theirs.get(f)) for f in set(ours) | set(theirs) if ours.get(f) != theirs.get(f)}
    # the predict stage scored the sample's one run without a label with the train stage's model
    assert len(pd.read_parquet(a / "results/predict/predictions.parquet")) == 1
    assert "predict" in yaml.safe_load((a / "dvc.lock").read_text())["stages"]
    # An edit to the model's code leaves the build stage clean: only the train stage is out of date.
    model = a / "src/astrobuild/learn/model.py"
    code = model.read_text()
    model.write_text(code + "\n# an edit to the architecture\n")
    stale = json.loads(dvc(a, "status", "--json"))
    assert any("train" in stage for stage in stale) and not any("build" in stage for stage in stale), stale
    model.write_text(code)
    assert "up to date" in dvc(a, "status")
    git(a, "add", "dvc.lock")
    git(a, "commit", "-q", "-m", "dataset version")
    dvc(a, "push")
    built = versioned_files(a)
    assert "results/manifest.json" in built and "data/processed/1000g_samples.parquet" in built
    assert not any(f.startswith("results/benchmarks/") for f in built), "timings must not be versioned"
    manifest = json.loads((a / "results/manifest.json").read_text())
    # The provenance files come after the manifest (the crate records its sha256); DVC versions them too.
    provenance = set(PROVENANCE_OUTPUTS.values())
    assert provenance <= set(built)
    assert set(manifest["files"]) == set(built) - {"results/manifest.json"} - provenance
    # One curated metrics file per stage, not one column per key of every report.
    shown = json.loads(dvc(a, "metrics", "show", "--json"))
    metric_files = {f for rev in shown.values() for f in (rev.get("data") or {})}
    assert metric_files == {"results/metrics/build.json", "results/train/metrics.json"}, metric_files

    # 2. A fresh clone pulls exactly those bytes.
    git(tmp_path, "clone", "-q", str(a), str(b))
    dvc(b, "remote", "modify", "--local", "localstore", "url", str(remote))
    dvc(b, "pull")
    assert versioned_files(b) == built
    assert not (b / "data/raw/sample").exists(), "the generated sample is rebuilt, not stored"
    run(b, str(BIN / "snakemake"), "--cores", "1", "verify")
    assert f"{len(built) - 1 - len(provenance)} file(s)" in (b / "logs/verify.log").read_text()
    # The pulled crate names the commit it was built from and every pulled file's sha256 holds (the raw
    # sample is not versioned: absent here, it is no problem).
    crate = b / PROVENANCE_OUTPUTS["crate"]
    assert git(a, "rev-parse", "HEAD~1").strip() in crate.read_text()
    assert check_crate(crate, b) == []

    # 3. Snakemake has nothing to do, even with the worst order DVC could have written the files in
    #    (every input newer than the outputs made from it, and all of the build newer than the
    #    model, which `verify` above already recorded as aligned), all after the git checkout of the code.
    trained = [p for p in (b / "results/train").rglob("*") if p.is_file()]
    base = max(p.stat().st_mtime_ns for p in [*trained, *(b / f for f in built)])
    order = sorted(built, key=lambda f: (not f.startswith("data/interim"), not f.startswith("data/"), f))
    for rank, rel in enumerate(order):
        stamp = base + (len(order) - rank) * 10_000_000
        os.utime(b / rel, ns=(stamp, stamp))
    out = run(b, str(BIN / "snakemake"), "--cores", "1", "-n")
    assert "Nothing to be done" in out, out[-3000:]
    assert "aligned the timestamps" in out
    assert "up to date" in dvc(b, "status")

    # 4. ...but a real change is not hidden: a product that differs from the recorded build
    #    keeps its new time and its consumers are rerun.
    master = b / "data/processed/1000g_master.parquet"
    original = master.read_bytes()
    master.write_bytes(original + b"\0")
    out = run(b, str(BIN / "snakemake"), "--cores", "1", "-n")
    assert "Nothing to be done" not in out
    assert "validate_table" in out and "summarise_1000g" in out
    out = run_failing(b, str(BIN / "snakemake"), "--cores", "1", "verify")
    assert "data/processed/1000g_master.parquet: " in out
    master.write_bytes(original)

    # 5. Determinism (a full rebuild in another directory gives the same bytes, so DVC sees no
    #    change) was checked in step 1: the DVC build against the tests' shared Snakemake build.

    # 6. An ablation: one changed parameter, run in a temporary copy (only tracked files exist there;
    #    the build's outputs come from the cache, so only training reruns: a changed build param would
    #    rebuild the whole sample there, which 7a shows DVC would do without spending the time on it).
    dvc(b, "exp", "run", "--temp", "-S", "config/config.yaml:train.seed=1")
    shown = json.loads(dvc(b, "exp", "show", "--json"))
    rows = dict(exp_show_rows(shown))
    assert set(rows) == {0, 1}, f"baseline (train.seed 0) and experiment (seed 1) expected in dvc exp show, got {rows}"
    assert rows[0] != rows[1], "the experiment's metrics must come from its own training"
    assert "up to date" in dvc(b, "status"), "an experiment in a temp copy must leave the workspace alone"

    # 7. A training setting reruns the train stage alone: no file of the data build is rewritten
    #    (same bytes and same inode: outputs are written to a new file and renamed into place; a
    #    restored build timestamp, as in step 3, may still be set on a file step 4 touched).
    inodes = {f: (b / f).stat().st_ino for f in built}
    out = dvc(b, "exp", "run", "-S", "config/config.yaml:train.modalities=[climate,planet_params]")
    assert "Stage 'build' didn't change, skipping" in out and "Running stage 'train'" in out, out[-3000:]
    assert "Running stage 'predict'" in out, "a new model.pt rescores the runs without a label"
    assert versioned_files(b) == built and {f: (b / f).stat().st_ino for f in built} == inodes
    assert json.loads((b / "results/train/metrics.json").read_text())["modalities"] == "climate+planet_params"
    assert "results/train/metrics.json" in dvc(b, "exp", "show", "--json")

    # 7a. What `-S train.hidden=...` changes: the train stage's params, not the build's (the features
    #     store is pooled with train.climate/spectrum/planet_columns alone); a pooling key changes both.
    config_path = b / "config/config.yaml"
    shipped = config_path.read_text()
    for key, value, stages in (("hidden", 16, {"train"}), ("spectrum", {"bins": 24}, {"build", "train"})):
        changed = yaml.safe_load(shipped)
        changed["train"][key] = value if not isinstance(value, dict) else {**changed["train"][key], **value}
        config_path.write_text(yaml.safe_dump(changed, sort_keys=False))
        status = json.loads(dvc(b, "status", "--json"))
        assert set(status) == stages, f"train.{key}: {status}"
    config_path.write_text(shipped)
    assert "up to date" in dvc(b, "status")

    # 7b. Every train key can be set with -S (config/config.yaml writes them all): one queued
    #     experiment sets each leaf key to its shipped value (DVC refuses a key the file lacks).
    overrides = [arg for key, value in train_leaves(yaml.safe_load(shipped)["train"])
                 for arg in ("-S", f"config/config.yaml:train.{key}={hydra_value(value)}")]
    assert len(overrides) >= 2 * 25
    dvc(b, "exp", "run", "--queue", *overrides, "-S", "config/config.yaml:train.hidden=16")
    dvc(b, "queue", "remove", "--all")

    # 8. A damaged object in the remote (same size, one byte changed) fails a fresh clone's pull
    #    (`verify = true` on the remote in .dvc/config) instead of being checked out as the recorded
    #    bytes; DVC drops the object, so the output holding it is not checked out at all.
    digest = hashlib.md5(original).hexdigest()
    obj = remote / "files" / "md5" / digest[:2] / digest[2:]
    obj.chmod(0o644)
    damaged = bytearray(obj.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    obj.write_bytes(bytes(damaged))
    c = tmp_path / "c"
    git(tmp_path, "clone", "-q", str(a), str(c))
    dvc(c, "remote", "modify", "--local", "localstore", "url", str(remote))
    out = run_failing(c, str(BIN / "dvc"), "pull")
    assert "data/processed" in out, out[-3000:]
    pulled = c / "data/processed/1000g_master.parquet"
    assert not pulled.exists() or pulled.read_bytes() == original, "damaged bytes were checked out"
    out = run_failing(c, str(BIN / "snakemake"), "--cores", "1", "verify")
    assert "data/processed/1000g_master.parquet: missing" in out
