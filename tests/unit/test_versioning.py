"""Build manifest and timestamp restore (src/astrobuild/versioning/manifest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from astrobuild.versioning.manifest import (
    ignore_patterns,
    is_ignored,
    list_files,
    outside,
    restore_build_times,
    restore_stage_times,
    stage_outs,
    write_stage_manifest,
)
from astrobuild.versioning.products import write_build_manifest
from tests.workflow import write_files

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small finished build: raw -> interim -> processed -> results, with a manifest and state."""
    monkeypatch.chdir(tmp_path)
    write_files({
        "data/interim/a.parquet": "interim",
        "data/processed/b.parquet": "processed",
        "results/validation/b.json": "{}",
        "results/benchmarks/x.tsv": "s\n0.1\n",
        "results/store.zarr/.snakemake_timestamp": "",
        "results/store.zarr/c/0": "chunk",
    })
    write_build_manifest(["data/interim", "data/processed", "results"], ["data/interim", "data/processed", "results"], ["/results/benchmarks/"],
                   "results/manifest.json", state_path=".snakemake/state.json")
    return tmp_path


def stamp(path: str, seconds: float) -> None:
    os.utime(path, ns=(int(seconds * 1e9), int(seconds * 1e9)))


def mtime(path: str) -> int:
    return os.stat(path).st_mtime_ns


def test_manifest_lists_every_versioned_file_with_its_hash(build: Path) -> None:
    manifest = json.loads(Path("results/manifest.json").read_text())
    assert sorted(manifest["files"]) == [
        "data/interim/a.parquet", "data/processed/b.parquet",
        "results/store.zarr/.snakemake_timestamp", "results/store.zarr/c/0", "results/validation/b.json",
    ]
    assert manifest["files"]["data/interim/a.parquet"] == {"bytes": 7, "sha256": hashlib.sha256(b"interim").hexdigest()}
    assert manifest["totals"] == {"files": 5, "bytes": 7 + 9 + 2 + 0 + 5}


def test_manifest_is_deterministic(build: Path) -> None:
    first = Path("results/manifest.json").read_bytes()
    for f in Path("data").rglob("*"):
        if f.is_file():
            os.utime(f, (1, 1))
    write_build_manifest(["data/interim", "data/processed", "results"], ["data/interim", "data/processed", "results"], ["/results/benchmarks/"], "results/manifest.json")
    assert Path("results/manifest.json").read_bytes() == first


def test_files_as_the_build_left_them_are_never_retimed(build: Path) -> None:
    before = {f: mtime(f) for f in ("data/interim/a.parquet", "results/validation/b.json")}
    counts = restore_build_times("results/manifest.json", ".snakemake/state.json")
    assert counts["retimed"] == 0 and counts["verified"] == 5
    assert {f: mtime(f) for f in before} == before


def test_restored_files_get_one_common_older_time(build: Path) -> None:
    # What `dvc pull` into a fresh clone leaves: new inodes and times in any order, no state.
    shutil.rmtree(".snakemake")
    order = ["results/validation/b.json", "data/processed/b.parquet", "data/interim/a.parquet"]
    for i, rel in enumerate(order):  # every input newer than its outputs
        data = Path(rel).read_bytes()
        Path(rel).unlink()
        Path(rel).write_bytes(data)
        stamp(rel, 2_000_000_000 + i)
    stamp("results/manifest.json", 1_999_999_990)
    counts = restore_build_times("results/manifest.json", ".snakemake/state.json")
    assert counts["changed"] == 0 and counts["missing"] == 0
    times = {mtime(f) for f in [*order, "results/manifest.json", "results/store.zarr/c/0"]}
    assert len(times) == 1
    # Only ever back in time.
    assert times.pop() <= 2_000_000_000 * 10**9
    # Second start: nothing left to do, nothing hashed again.
    assert restore_build_times("results/manifest.json", ".snakemake/state.json")["retimed"] == 0


def test_a_changed_file_keeps_its_time(build: Path) -> None:
    shutil.rmtree(".snakemake")
    Path("data/processed/b.parquet").write_text("processed, edited")
    stamp("data/processed/b.parquet", 2_000_000_100)
    Path("data/interim/a.parquet").write_text("INTERIM")  # same size, other bytes
    stamp("data/interim/a.parquet", 2_000_000_200)
    stamp("results/validation/b.json", 2_000_000_300)
    counts = restore_build_times("results/manifest.json", ".snakemake/state.json")
    assert counts["changed"] == 2
    assert mtime("data/processed/b.parquet") == 2_000_000_100 * 10**9
    assert mtime("data/interim/a.parquet") == 2_000_000_200 * 10**9
    # The consumer of the edited file was moved back, not forward: the edit still looks newer.
    assert mtime("results/validation/b.json") < mtime("data/processed/b.parquet")


def test_missing_files_and_manifest(build: Path) -> None:
    Path("results/validation/b.json").unlink()
    assert restore_build_times("results/manifest.json", None)["missing"] == 1
    assert restore_build_times("no/manifest.json", None) == {"verified": 0, "changed": 0, "missing": 0, "retimed": 0}
    Path("bad.json").write_text("not json")
    assert restore_build_times("bad.json", None)["verified"] == 0


def test_unsafe_manifest_paths_are_not_touched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outside = tmp_path.parent / "outside.txt"
    outside.write_text("x")
    before = mtime(str(outside))
    Path("m.json").write_text(json.dumps({"files": {"../outside.txt": {"bytes": 1, "sha256": "x"},
                                                    str(outside): {"bytes": 1, "sha256": "x"}}}))
    assert restore_build_times("m.json", None)["verified"] == 0
    assert mtime(str(outside)) == before


@pytest.mark.parametrize(("path", "ignored"), [
    ("results/benchmarks/x.tsv", True),
    ("results/benchmarks", False),  # the pattern is for a directory: only what is inside it
    ("results/bench.tsv", False),
    ("src/astrobuild/__pycache__/io.cpython-311.pyc", True),
    ("data/x/results/benchmarks/y", False),  # anchored at the root
])
def test_is_ignored(path: str, ignored: bool) -> None:
    assert is_ignored(path, ["/results/benchmarks/", "__pycache__/"]) is ignored


def test_negated_dvcignore_patterns_are_refused(tmp_path: Path) -> None:
    (tmp_path / ".dvcignore").write_text("# c\n\n/a/\n!/a/keep\n")
    with pytest.raises(ValueError, match="negated"):
        ignore_patterns(tmp_path / ".dvcignore")


def test_list_files_skips_ignored_and_excluded(build: Path) -> None:
    files = list_files(["results", "missing-root"], ["/results/benchmarks/"], exclude=["results/manifest.json"])
    assert "results/benchmarks/x.tsv" not in files and "results/manifest.json" not in files
    assert "results/store.zarr/c/0" in files


def test_stage_outs_read_from_the_repositorys_dvc_yaml() -> None:
    outs = stage_outs(REPO / "dvc.yaml")
    assert {"data/interim", "data/processed", "results/reports", "results/validation", "results/manifest.json"} <= set(outs)
    assert "results" not in outs, "results/train is the train stage's: the build lists its result folders one by one"
    train = stage_outs(REPO / "dvc.yaml", "train", ("outs", "metrics", "plots"))
    assert {"results/train/model.pt", "results/train/metrics.json", "results/train/curves.csv"} <= set(train)
    with pytest.raises(KeyError, match="no stage"):
        stage_outs(REPO / "dvc.yaml", stage="nope")


def test_outside_names_products_under_no_versioned_root() -> None:
    roots = ["data/processed", "results/reports", "results/manifest.json"]
    paths = ["data/processed/a.parquet", "results/reports/x/y.json", "results/manifest.json", "results/plots/p.png",
             "results/benchmarks/t.tsv", "results/reportsX/z.json"]
    assert outside(paths, roots, ["/results/benchmarks/"]) == ["results/plots/p.png", "results/reportsX/z.json"]


def test_manifest_ignores_exactly_what_dvc_ignores(tmp_path: Path) -> None:
    dvc = Path(sys.executable).parent / "dvc"
    if not dvc.exists():
        pytest.skip("dvc is not installed in this environment (dev extra)")
    patterns = ignore_patterns(REPO / ".dvcignore")
    candidates = ["results/benchmarks/a.tsv", "results/benchmarks/generate_sample/k.tsv", "results/reports/a.json",
                  "src/astrobuild/__pycache__/io.pyc", "data/processed/x.parquet", "data/processed/c.zarr/0.0"]
    write_files(dict.fromkeys(candidates, "x"), tmp_path)
    shutil.copy(REPO / ".dvcignore", tmp_path / ".dvcignore")
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    subprocess.run([str(dvc), "init", "-q", "--no-scm"], cwd=tmp_path, check=True, env=env)
    proc = subprocess.run([str(dvc), "check-ignore", *candidates], cwd=tmp_path, capture_output=True, text=True, env=env)
    dvc_ignored = set(proc.stdout.split())
    assert dvc_ignored == {c for c in candidates if is_ignored(c, patterns)}
    assert "results/benchmarks/a.tsv" in dvc_ignored


def test_local_raw_inputs_inside_the_checkout_are_recorded_and_restored(build: Path) -> None:
    Path("data/raw/local/g").mkdir(parents=True)
    Path("data/raw/local/g/ls-lR").write_text("listing")
    manifest = write_build_manifest(["data/interim"], ["data/interim"], [], "results/manifest.json", input_roots=["data/raw/local"])
    assert list(manifest["inputs"]) == ["data/raw/local/g/ls-lR"]
    # After a pull (`dvc add`-ed raw data comes back with a new time), the input is no newer than the products.
    stamp("data/raw/local/g/ls-lR", 2_100_000_000)
    stamp("data/interim/a.parquet", 2_000_000_000)
    restore_build_times("results/manifest.json", None)
    assert mtime("data/raw/local/g/ls-lR") <= mtime("data/interim/a.parquet")


def test_a_pulled_model_gets_the_time_of_its_inputs_only_when_they_are_its_inputs(build: Path) -> None:
    Path("results/train").mkdir(parents=True)
    Path("results/train/model.pt").write_text("weights")
    write_stage_manifest(["results/train/model.pt"], ["data/processed"], "results/train/manifest.json")
    # as after `dvc pull`: the model happens to be older than the data it was trained on
    for path in ("results/train/model.pt", "results/train/manifest.json"):
        stamp(path, 1_000)
    stamp("data/processed/b.parquet", 2_000)
    counts = restore_stage_times("results/train/manifest.json", ".snakemake/state.json")
    assert counts["retimed"] == 2 and counts["changed"] == 0
    assert mtime("results/train/model.pt") == mtime("results/train/manifest.json") == mtime("data/processed/b.parquet")
    # an input that is not the one trained on: no time moves, Snakemake retrains
    Path("data/processed/b.parquet").write_text("other data")
    stamp("data/processed/b.parquet", 3_000)
    before = mtime("results/train/model.pt")
    assert restore_stage_times("results/train/manifest.json", ".snakemake/state.json")["changed"] == 1
    assert mtime("results/train/model.pt") == before < mtime("data/processed/b.parquet")


def test_a_known_model_is_aligned_again_when_its_inputs_come_back_newer(build: Path) -> None:
    """As in CI: the model was aligned once (recorded as known), then the same input bytes were restored
    with a newer time. The model was trained on exactly those bytes, so it must not look out of date."""
    Path("results/train").mkdir(parents=True)
    Path("results/train/model.pt").write_text("weights")
    write_stage_manifest(["results/train/model.pt"], ["data/processed"], "results/train/manifest.json")
    for path in ("results/train/model.pt", "results/train/manifest.json", "data/processed/b.parquet"):
        stamp(path, 1_000)
    restore_stage_times("results/train/manifest.json", ".snakemake/state.json")  # model now known
    stamp("data/processed/b.parquet", 2_000)
    assert restore_stage_times("results/train/manifest.json", ".snakemake/state.json")["retimed"] == 2
    assert mtime("results/train/model.pt") == mtime("data/processed/b.parquet")
