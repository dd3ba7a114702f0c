"""Contracts: the validation report, and the YAML copies in schemas/contracts."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.contracts.export import render
from astrobuild.contracts.validate import ContractError, check_and_report, validate_table
from astrobuild.genomes.listings import MASTER_SCHEMA
from tests.workflow import REPO


def _master(tmp_path, **overrides):
    row = {"sample_id": "HG00096", "population": "GBR", "data_type": "alignment",
           "ftp_path": "data/HG00096/a.bam", "file_size": 10, "md5": None, "listing": "ls-lR"}
    rows = [row, {**row, "ftp_path": "data/HG00096/b.bam"}]
    for key, value in overrides.items():
        rows[1][key] = value
    path = tmp_path / "m.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=MASTER_SCHEMA), path)
    return path


def test_valid_table(tmp_path):
    report = validate_table("1000g_master", _master(tmp_path))
    assert report["valid"] and report["rows"] == 2 and report["failures"] == []


def test_every_failure_is_listed_with_rows(tmp_path):
    path = _master(tmp_path, population="gbr", file_size=-1, ftp_path="../x")
    report = validate_table("1000g_master", path)
    assert not report["valid"]
    failed = {(f["column"], f["rows"][0]) for f in report["failures"]}
    assert failed == {("population", 1), ("file_size", 1), ("ftp_path", 1)}
    with pytest.raises(ContractError, match=r"m.parquet: 2 rows break contract '1000g_master'") as err:
        check_and_report("1000g_master", path, tmp_path / "report.json")
    assert "column 'population'" in str(err.value) and "rows 1" in str(err.value)
    assert not (tmp_path / "report.json").exists()  # only a passing table gets its report


def test_unexpected_column_is_refused(tmp_path):
    path = tmp_path / "x.parquet"
    table = pq.read_table(_master(tmp_path)).append_column("extra", pa.array([1, 2]))
    pq.write_table(table, path)
    report = validate_table("1000g_master", path)
    assert not report["valid"] and any("extra" in str(f["examples"]) for f in report["failures"])


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_yaml_copies_are_current(name):
    path = REPO / "schemas" / "contracts" / f"{name}.yaml"
    assert path.exists(), f"run `make schemas`: {path} is missing"
    assert path.read_text() == render(name), f"run `make schemas`: {path} is stale"
