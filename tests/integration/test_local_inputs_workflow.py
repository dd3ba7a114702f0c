"""Local mode: inputs are found only for the jobs a target needs; paths Snakemake cannot take are refused."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration

TARGET = "data/processed/1000g_samples.parquet"


def test_a_folder_with_only_indices_builds_the_sample_table(realdata, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(realdata / "1000g" / "illumina_platinum_ped.sequence.index", raw)
    shutil.copy(realdata / "1000g" / "integrated_call_samples_v3.20130502.ALL.panel", raw)
    (raw / "notes.index").write_text("not an index at all\n")  # quarantined whole; the real one goes on
    work = copy_workflow(tmp_path / "work")
    # No listing for the master table, no NetCDF for climate, no KEGG folder at all: none of it is
    # needed for the sample table, so none of it may stop it.
    (work / "my.yaml").write_text(
        f"sources:\n  genomes_1000g: {{mode: local, path: '{raw}'}}\n"
        f"  climate: {{mode: local, path: '{raw}'}}\n  kegg: {{mode: local, path: '{tmp_path / 'nowhere'}'}}\n")
    snakemake(work, TARGET, "--configfile", "my.yaml")
    table = pq.read_table(work / TARGET)
    assert table.num_rows == 18 and set(table["index_file"].to_pylist()) == {"illumina_platinum_ped.sequence.index"}
    quarantine = (work / "data/processed/1000g_samples.quarantine.tsv").read_text().splitlines()
    assert quarantine[1].startswith("genomes_1000g:notes.index\t1\tunreadable index: no header line")
    report = json.loads((work / "results/reports/indices_to_sample_table.json").read_text())
    assert "unreadable" in report["indices"]["notes.index"]

    # A target that needs what is missing fails when the DAG is built, naming key, directory and patterns.
    failed = snakemake(work, "-n", "results/genomes/1000g_summary.json", "--configfile", "my.yaml", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "rule dirlists_to_master" in out
    assert "config: sources.genomes_1000g.path: no files matching ['ls-lR', 'ls-lR.gz'" in out and str(raw) in out
    failed = snakemake(work, "-n", "data/interim/climate_runs.parquet", "--configfile", "my.yaml", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and f"config: sources.climate.path: no NetCDF files (*.nc, *.nc4, *.cdf) under {raw}" in out
    failed = snakemake(work, "-n", "data/interim/kegg_edges.parquet", "--configfile", "my.yaml", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and f"config: sources.kegg.path: {tmp_path / 'nowhere'} is not a directory" in out


def test_a_path_with_braces_is_refused_at_the_config_check(tmp_path):
    raw = tmp_path / "r{ace}"
    raw.mkdir()
    (raw / "a.sequence.index").write_text("#FASTQ_FILE\tSAMPLE_NAME\nx/NA00001.fastq.gz\tNA00001\n")
    work = copy_workflow(tmp_path / "work")
    (work / "my.yaml").write_text(f"sources:\n  genomes_1000g: {{mode: local, path: '{raw}'}}\n")
    failed = snakemake(work, "-n", TARGET, "--configfile", "my.yaml", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "WildcardError" not in out
    assert f"config: sources.genomes_1000g.path: '{raw}': a path with '{{' or '}}' cannot be a Snakemake input" in out
