"""The exoplanet and spectra targets, run by Snakemake in a temporary copy of the repository."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.contracts.validate import validate_table
from astrobuild.sample.community import runs_csv_text
from astrobuild.sample.universe import build_universe
from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration
TARGETS = ["results/exoplanets/radius_vs_teq.png", "results/spectra/spectra_overlay.png"]


def test_tables_on_the_sample(sample_build):
    repo = sample_build
    for table in ("exoplanets", "spectra"):
        report = json.loads((repo / "results" / "validation" / f"{table}.json").read_text())
        assert report["valid"] and report["rows"] > 0, table
        assert validate_table(table, repo / report["file"])["valid"], table
    planets = pq.read_table(repo / "data/processed/exoplanets.parquet").to_pandas()
    universe = build_universe(1, 0)
    assert list(planets["planet"]) == sorted(p.name for p in universe.planets)
    summary = json.loads((repo / "results/reports/exoplanet_archive_table.json").read_text())
    assert summary["table_kind"] == "pscomppars" and summary["file"].startswith("PSCompPars")
    assert (summary["rows"], summary["eqt_derived"], summary["eqt_missing"]) == (4, 2, 1)
    assert summary["outlier_rows"] == int(planets["outlier"].sum()) == 1
    spectra = pq.read_table(repo / "data/processed/spectra.parquet").to_pandas()
    # the registry's link: the spectrum id is the climate cube's stem (the runs.csv file without .nc)
    stems = {line.split(",")[0].removesuffix(".nc") for line in runs_csv_text(universe).splitlines()[1:]}
    assert set(spectra["spectrum"]) == stems
    quarantine = (repo / "data/processed/spectra.quarantine.tsv").read_text().splitlines()
    assert len(quarantine) == 2 and "asb0001_b__high_co2.txt\t13\t" in quarantine[1]
    for plot in TARGETS:
        assert (repo / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_table_has_its_contract_schema(sample_build, name):
    """What each writer wrote is its contract's Arrow schema: columns, order, types, nullability, metadata."""
    report = json.loads((sample_build / "results" / "validation" / f"{name}.json").read_text())
    written = pq.read_schema(sample_build / report["file"])
    columns = CONTRACTS[name].to_schema().columns
    patterns = [re.compile(n) for n, c in columns.items() if c.regex]
    patterned = [n for n in written.names if n not in columns and any(p.fullmatch(n) for p in patterns)]
    # the runs.csv's own columns (targets: train.target) ride along in the two run tables, float64 or strings
    targets = [n for n in written.names if n not in columns and n not in patterned]
    assert not targets or name in ("climate_runs", "planet_runs"), (name, targets)
    assert all(written.field(t).type in (pa.float64(), pa.string()) for t in targets), (name, written)
    contract = arrow_schema(CONTRACTS[name], patterned)
    required = [n for n, c in columns.items() if c.required and not c.regex]
    kept = [n for n in written.names if n not in targets]
    # Only the exoplanet table has optional columns (those the download held), in the contract's order.
    assert kept == [n for n in contract.names if n in kept] and set(required) <= set(written.names)
    for field in (written.field(n) for n in kept):
        expected = contract.field(field.name)
        assert field.remove_metadata() == expected.remove_metadata(), (name, field, expected)
        metadata, expected_metadata = dict(field.metadata or {}), dict(expected.metadata or {})
        if name == "exoplanets":  # the description may be the download's own (its header block)
            metadata.pop(b"description", None)
            expected_metadata.pop(b"description", None)
        assert metadata == expected_metadata, (name, field.name)


def test_tables_on_real_files_in_local_mode(realdata, tmp_path):
    repo = copy_workflow(tmp_path / "repo")
    (repo / "local.yaml").write_text(
        f"sources:\n  exoplanets: {{mode: local, path: '{realdata / 'exoplanets'}'}}\n"
        f"  spectra: {{mode: local, path: '{realdata / 'spectra'}'}}\n", encoding="utf-8")
    snakemake(repo, *TARGETS, "--configfile", "local.yaml")
    planets = pq.read_table(repo / "data/processed/exoplanets.parquet")
    assert planets.num_rows == 5766
    assert planets.schema.field("orbital_period_days").metadata[b"description"] == b"Orbital Period [days]"
    spectra = pq.read_table(repo / "data/processed/spectra.parquet").to_pandas()
    assert set(spectra["order"]) == {1, 2} and len(spectra) == 132
    assert spectra["wavelength_um"].is_monotonic_increasing
