"""The whole workflow on the built-in sample, in a scratch directory."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.contracts.validate import validate_table
from tests.workflow import copy_workflow, file_states, snakemake

pytestmark = pytest.mark.integration


@pytest.fixture
def built(sample_build) -> Path:
    return sample_build


def test_every_table_satisfies_its_contract(built):
    reports = sorted((built / "results" / "validation").glob("*.json"))
    names = {p.stem for p in reports}
    assert {"1000g_master", "1000g_samples"} <= names
    for report_path in reports:
        report = json.loads(report_path.read_text())
        if report.get("table") in CONTRACTS:
            assert report["valid"], report
            assert validate_table(report["table"], built / report["file"])["valid"]


def test_genomes_outputs(built):
    samples = pq.read_table(built / "data/processed/1000g_samples.parquet")
    assert samples.num_rows > 100
    report = json.loads((built / "results/reports/indices_to_sample_table.json").read_text())
    # The sample deliberately holds index samples that no population table lists.
    assert report["coverage"]["samples_only_in_indices"] == 2
    quarantine = (built / "data/processed/1000g_samples.quarantine.tsv").read_text().splitlines()
    reasons = {line.split("\t")[2] for line in quarantine[1:]}
    assert {"not UTF-8 text", "truncated last line"} <= reasons
    master = pq.read_table(built / "data/processed/1000g_master.parquet")
    assert master.num_rows > 100 and (built / "results/genomes/samples_per_population.png").stat().st_size > 0
    for rule in ("dirlists_to_master", "indices_to_sample_table", "summarise_1000g"):
        assert (built / "logs" / f"{rule}.log").exists()
        assert (built / "results" / "benchmarks" / f"{rule}.tsv").exists()


def test_nothing_to_do_after_a_build(built):
    # Reading the workflow restores build times of stale files (rules/versioning.smk); after a
    # build nothing is stale, so neither -n nor --lint touches a file.
    before = file_states(built)
    proc = snakemake(built, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    snakemake(built, "--lint")
    assert file_states(built) == before


def test_local_mode_on_real_1000g_files(realdata, tmp_path):
    work = copy_workflow(tmp_path / "local")
    (work / "my.yaml").write_text(f"sources:\n  genomes_1000g: {{mode: local, path: {realdata / '1000g'}}}\n")
    snakemake(work, "results/genomes/1000g_summary.json", "--configfile", "my.yaml")
    summary = json.loads((work / "results/genomes/1000g_summary.json").read_text())
    assert summary["files_listed"] == 17128 and summary["samples"] == 6


def test_invalid_data_stops_the_build_naming_file_and_column(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    cols = ["FASTQ_FILE", "MD5", "SAMPLE_NAME", "POPULATION", "INSTRUMENT_PLATFORM"]
    (raw / "bad.sequence.index").write_text(
        "#" + "\t".join(cols) + "\n"
        + "ftp://h/ERR1.fastq.gz\t9cb7375e5feadc15c945cb2e47c12fe3\tNA00001\tgbr!\tILLUMINA\n"
    )
    (raw / "ls-lR").write_text("./d:\n-rw-r--r--    1 ftp ftp 12 Mar 12  2020 NA00001.cram\n")
    work = copy_workflow(tmp_path / "bad")
    (work / "my.yaml").write_text(f"sources:\n  genomes_1000g: {{mode: local, path: {raw}}}\n")
    # the genomes chain alone: the rest of the build has nothing to do with the bad file
    proc = snakemake(work, "results/genomes/1000g_summary.json", "--configfile", "my.yaml", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "1000g_samples.parquet" in out and "'population'" in out and "rows 0" in out


def test_planet_run_registry_links_every_modality(built):
    runs = pq.read_table(built / "data/processed/planet_runs.parquet").to_pandas()
    climate = pq.read_table(built / "data/interim/climate_runs.parquet").to_pandas()
    planets = set(pq.read_table(built / "data/processed/exoplanets.parquet").column("planet").to_pylist())
    spectra = set(pq.read_table(built / "data/processed/spectra.parquet").column("spectrum").to_pylist())
    graphs = set(pq.read_table(built / "data/interim/env_vectors.parquet").column("pathway").to_pylist())
    # 4 planets x 3 scenarios at scale 1, and the first planet's run whose label the sample leaves to predict
    assert len(runs) == len(climate) == 13 and runs["run_id"].is_unique
    for run in runs.itertuples():
        assert (built / run.climate_store / "zarr.json").is_file()
        assert run.planet in planets and run.spectrum in spectra and run.spectrum_match == "run"
        assert set(run.pathways.split()) <= graphs
    assert runs["label"].isna().sum() == 1 and 0 < runs["label"].sum() < runs["label"].notna().sum()
    # The sample's biospheres come from its organisms' GenBank genomes, and are the universe's own.
    from astrobuild.sample.universe import build_universe

    biosphere = {f"{r.run_name}.nc": " ".join(r.biosphere) for r in build_universe(1, 0).runs}
    assert (runs["biosphere_source"] == "organisms").all() and runs["organisms"].notna().all()
    assert dict(zip(runs["climate_file"], runs["pathways"], strict=True)) == biosphere


def test_the_runs_without_a_label_are_predicted_by_the_trained_model(built):
    """Rule predict (part of the default target): each run without a label gets a score, with the model's
    and the features store's hashes."""
    from astrobuild.features.store import store_digest
    from astrobuild.io import sha256_file

    runs = pq.read_table(built / "data/processed/planet_runs.parquet").to_pandas()
    scored = pq.read_table(built / "results/predict/predictions.parquet").to_pandas()
    assert list(scored["run_id"]) == sorted(runs.loc[runs["label"].isna(), "run_id"]) and len(scored) == 1
    assert scored["score"].between(0, 1).all() and (scored["scenario"] == "outlook").all()
    assert set(scored["model_sha256"]) == {sha256_file(built / "results/train/model.pt")}
    assert set(scored["features_sha256"]) == {store_digest(built / "data/processed/features")}
    report = json.loads((built / "results/predict/report.json").read_text())
    assert report["runs_scored"] == 1 and report["model"] == "results/train/model.pt"
    assert (built / "logs/predict.log").is_file()
    manifest = json.loads((built / "results/predict/manifest.json").read_text())
    assert "results/train/model.pt" in manifest["inputs"] and "results/predict/predictions.parquet" in manifest["files"]
