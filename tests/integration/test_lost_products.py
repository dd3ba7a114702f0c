"""A product deleted from a finished build is rebuilt by `snakemake build`, to the same bytes.

Snakemake looks for a missing file only among a target's inputs and the inputs of jobs that run
anyway; every product of the build is an input of the target rules (rules/versioning.smk,
BUILD_PRODUCTS), so a store, a table, a file inside the graph store or a report that no later step
reads comes back.
"""

from __future__ import annotations

import shutil

import pytest

from tests.workflow import clone_build, product_digests, snakemake

pytestmark = pytest.mark.integration

LOST = {
    "a climate store": "data/processed/climate/asb0001_b__snowball.zarr",
    "a table": "data/processed/exoplanets.parquet",
    "a file of the graph store": "data/processed/kegg_graphs/nodes.parquet",
    "a quarantine file no rule reads": "data/processed/1000g_samples.quarantine.tsv",
    "a report no rule reads": "results/reports/kegg_to_edges.json",
    "the dataset card (written after the manifest)": "results/provenance/DATASET.md",
}


def test_every_lost_product_is_rebuilt_with_the_same_bytes(sample_build, tmp_path):
    work = clone_build(sample_build, tmp_path / "work")
    before = product_digests(work)
    for path in LOST.values():
        target = work / path
        assert target.exists(), path
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    plan = snakemake(work, "-n", "build")
    assert "Nothing to be done" not in plan.stdout + plan.stderr
    for rule in ("nc_to_zarr_1", "exoplanet_archive_table", "edges_to_graphs", "indices_to_sample_table",
                 "kegg_to_edges", "write_provenance"):
        assert f"rule {rule}:" in plan.stdout, rule
    snakemake(work, "build")
    assert product_digests(work) == before
    after = snakemake(work, "-n", "build")
    assert "Nothing to be done" in after.stdout + after.stderr
