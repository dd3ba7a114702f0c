"""What a build versions (astrobuild.versioning.products), temporary files a killed writer leaves
(astrobuild.io), and the lock that keeps the timestamp restore away from a running build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from astrobuild.io import atomic_path, remove_stale_temps, stale_temps, write_json
from astrobuild.versioning.manifest import hold_workdir_lock
from astrobuild.versioning.products import (
    ProductCheckError,
    checked_product_files,
    product_files,
    rule_products,
    versioned,
    write_build_manifest,
)
from tests.workflow import REPO, write_files

RULES = {
    # name: (outputs, static inputs)
    "generate_sample": (["data/raw/sample/kegg"], []),
    "kegg_to_edges": (["data/interim/edges.parquet", "data/interim/edges.quarantine.tsv",
                       "results/reports/kegg_to_edges.json"], ["data/raw/sample/kegg"]),
    "edges_to_graphs": (["data/processed/graphs/nodes.parquet", "data/processed/graphs/manifest.json"],
                        ["data/interim/edges.parquet", "config/kegg_env.yaml"]),
    "check_graphs": (["results/validation/graphs.json"], ["data/processed/graphs/nodes.parquet"]),
    "validate_table": (["results/validation/{table}.json"], []),
    "other_config_only": (["data/processed/unused.parquet"], []),
    "train": (["results/train/model.pt"], ["data/processed/graphs/nodes.parquet"]),
}


def test_the_rules_that_make_the_targets_bring_every_output_and_input_they_have():
    wanted = rule_products(RULES, ["results/validation/graphs.json", "results/validation/edges.json"])
    assert "data/interim/edges.quarantine.tsv" in wanted  # read by no rule: a sibling output of a wanted one
    assert "results/reports/kegg_to_edges.json" in wanted and "data/raw/sample/kegg" in wanted  # generated
    assert "config/kegg_env.yaml" not in wanted  # read, made by no rule
    assert "data/processed/unused.parquet" not in wanted and "results/train/model.pt" not in wanted
    assert not any("{" in p for p in wanted)
    roots = ["data/interim", "data/processed", "results/reports", "results/validation"]
    assert versioned(wanted, roots, ["*.quarantine.tsv"]) == [
        "data/interim/edges.parquet", "data/processed/graphs/manifest.json", "data/processed/graphs/nodes.parquet",
        "results/reports/kegg_to_edges.json", "results/validation/edges.json", "results/validation/graphs.json"]


def test_a_rule_with_wildcards_makes_the_wanted_paths_its_pattern_matches():
    rules = {
        "pool": (["data/interim/f/batch_{first}.npz", "results/pool/{first}.json"], ["data/processed/t.parquet"]),
        "merge": (["data/processed/features"], ["data/interim/f/batch_a.npz", "data/interim/f/batch_b.c.npz"]),
        "table": (["data/processed/t.parquet"], []),
        "per_table": (["results/validation/{table,[a-z]+}.json"], ["data/processed/{table}.parquet"]),
    }
    wanted = rule_products(rules, ["data/processed/features", "results/validation/t.json"])
    assert wanted == ["data/interim/f/batch_a.npz", "data/interim/f/batch_b.c.npz", "data/processed/features",
                      "data/processed/t.parquet", "results/pool/a.json", "results/pool/b.c.json",
                      "results/validation/t.json"]


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_files({
        "data/processed/a.parquet": "a",
        "data/processed/climate/x.zarr/zarr.json": "{}",
        "data/processed/climate/x.zarr/T/c/0": "chunk",
        "results/benchmarks/a.tsv": "s\n1\n",
        "results/reports/a.json": "{}",
    })
    return tmp_path


PRODUCTS = ["data/processed/a.parquet", "data/processed/climate/x.zarr", "results/reports/a.json"]
ROOTS = ["data/processed", "results"]
IGNORE = ["/results/benchmarks/"]


def test_the_manifest_lists_the_files_of_the_products_and_refuses_a_missing_one(build):
    files, missing = product_files(PRODUCTS, IGNORE)
    assert files == ["data/processed/a.parquet", "data/processed/climate/x.zarr/T/c/0",
                     "data/processed/climate/x.zarr/zarr.json", "results/reports/a.json"] and missing == []
    manifest = write_build_manifest(PRODUCTS, ROOTS, IGNORE, "results/manifest.json")
    assert sorted(manifest["files"]) == files

    os.remove("data/processed/a.parquet")
    for gone in ("data/processed/climate/x.zarr/T/c/0", "data/processed/climate/x.zarr/zarr.json"):
        os.remove(gone)  # an empty store folder is no store
    with pytest.raises(ProductCheckError, match=r"2 product\(s\) of this build are missing: "
                                                r"data/processed/a.parquet, data/processed/climate/x.zarr\."):
        write_build_manifest(PRODUCTS, ROOTS, IGNORE, "results/manifest.json")
    assert sorted(json.loads(Path("results/manifest.json").read_text())["files"]) == files  # left as it was


def test_a_temporary_store_or_a_file_no_rule_made_is_never_versioned(build):
    write_files({"data/processed/climate/.x.zarr.k3j2h1.tmp/zarr.json": "{}", "results/reports/old.json": "{}"})
    with pytest.raises(ProductCheckError, match=r"2 file\(s\) under the versioned folders are made by no rule.*"
                                                r"data/processed/climate/\.x\.zarr\.k3j2h1\.tmp/zarr\.json, "
                                                r"results/reports/old\.json\. A `\.<name>\.tmp` is what a "
                                                r"killed job left"):
        checked_product_files(PRODUCTS, ROOTS, IGNORE)
    assert not Path("results/manifest.json").exists()


def test_a_writer_removes_the_temporary_files_a_killed_writer_of_its_target_left(tmp_path):
    target = tmp_path / "t.parquet"
    write_files({".t.parquet.tmp": "half", ".s.zarr.tmp/part": "half", ".other.parquet.tmp": "keep",
                 "t.parquet.tmp": "not ours"}, tmp_path)
    assert [p.name for p in stale_temps(target)] == [".t.parquet.tmp"]
    write_json({"a": 1}, target)  # an atomic writer of t.parquet
    assert stale_temps(target) == [] and json.loads(target.read_text()) == {"a": 1}
    assert (tmp_path / ".other.parquet.tmp").exists() and (tmp_path / "t.parquet.tmp").exists()
    assert [p.name for p in remove_stale_temps(tmp_path / "s.zarr")] == [".s.zarr.tmp"]  # a store's folder
    assert not (tmp_path / ".s.zarr.tmp").exists()
    assert remove_stale_temps(tmp_path / "absent" / "x") == []
    with atomic_path(target) as tmp:
        assert tmp.name == ".t.parquet.tmp"
        tmp.write_text("x")
    assert target.read_text() == "x" and stale_temps(target) == []


def test_the_workdir_lock_is_held_by_one_process_and_freed_when_it_is_killed(tmp_path):
    lock = tmp_path / ".snakemake" / "astrobuild_workdir.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from astrobuild.versioning.manifest import hold_workdir_lock; "
                               f"print(hold_workdir_lock({str(lock)!r}), flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    try:
        assert holder.stdout.readline().strip() == "True"
        assert hold_workdir_lock(lock) is False  # a second run beside it skips the restore
    finally:
        holder.kill()  # SIGKILL: no clean-up runs, the kernel frees the lock
        holder.wait()
    assert hold_workdir_lock(lock) is True
    assert hold_workdir_lock(lock) is True  # the workflow read again by the same process
