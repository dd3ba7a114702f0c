"""The organisms targets of the workflow: the sample's tables, and real GenBank files in local mode."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration
TARGET = "results/validation/organisms.json"


def test_organisms_targets_on_the_sample(sample_build):
    for table in ("organisms", "organism_pathways"):
        report = json.loads((sample_build / "results" / "validation" / f"{table}.json").read_text())
        assert report["valid"] and report["rows"] > 0, table
        assert validate_table(table, sample_build / report["file"])["valid"], table
    pathways = json.loads((sample_build / "results/reports/organisms_to_pathways.json").read_text())
    assert pathways["genomes_without_pathways"] == [] and pathways["link_files"] == [
        "kegg:link_pathway_ec.txt", "kegg:link_pathway_ko.txt"]


def test_real_genbank_files_in_local_mode(realdata, tmp_path):
    # The record without its // end line is a file truncated in transit: the rule stops, naming
    # the file, the record and its log (DESIGN.md); without it the chloroplast genome is read.
    work = copy_workflow(tmp_path / "work")
    (work / "my.yaml").write_text(f"sources:\n  organisms: {{mode: local, path: '{realdata / 'genomes'}'}}\n")
    failed = snakemake(work, TARGET, "--configfile", "my.yaml", check=False)
    assert failed.returncode != 0
    assert "logs/genomes_table.log" in failed.stdout + failed.stderr
    log = (work / "logs/genomes_table.log").read_text()
    assert "organisms:no_end_marker.gb: record 1 (AB070938.1): the file ends inside the record" in log
    assert not (work / "data/processed/organisms.parquet").exists(), "nothing half-written looks finished"

    genomes = tmp_path / "genomes"
    genomes.mkdir()
    shutil.copy(realdata / "genomes" / "NC_000932.gb", genomes)
    (work / "my.yaml").write_text(f"sources:\n  organisms: {{mode: local, path: '{genomes}'}}\n")
    snakemake(work, TARGET, "--configfile", "my.yaml")
    (row,) = pq.read_table(work / "data/processed/organisms.parquet").to_pylist()
    assert (row["accession"], row["n_cds"], row["n_genes"], row["n_trna"], row["n_rrna"]) == ("NC_000932", 85, 129,
                                                                                               37, 7)
    assert row["gtdb_taxonomy"] is None and row["ko_ids"] is None  # neither GTDB nor annotation tables there
    assert json.loads((work / TARGET).read_text())["valid"]
