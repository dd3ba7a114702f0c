"""The climate targets of the workflow, run by Snakemake in a temporary copy of the repository."""

from __future__ import annotations

import json
import subprocess

import pyarrow.parquet as pq
import pytest

from astrobuild.climate.shards import verify_store_checksums
from astrobuild.climate.store import open_store
from astrobuild.contracts.validate import validate_table
from astrobuild.sample.community import run_organisms
from astrobuild.sample.universe import build_universe
from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration
TARGET = "results/validation/climate_runs.json"


def test_climate_targets_on_the_sample(sample_build):
    repo = sample_build
    runs = build_universe(1, 0).runs
    table = pq.read_table(repo / "data/interim/climate_runs.parquet").to_pandas()
    assert sorted(table["stem"]) == sorted(r.run_name for r in runs)
    # every run has its planet; the label is empty only where the sample leaves it to rule predict
    assert table["planet"].notna().all()
    assert set(table.loc[table["label"].isna(), "stem"]) == {r.run_name for r in runs if not r.labelled}
    assert json.loads((repo / TARGET).read_text())["valid"]
    assert validate_table("climate_runs", repo / "data/interim/climate_runs.parquet")["valid"]
    by_stem = table.set_index("stem")
    for run in runs:
        report = json.loads((repo / f"results/validation/climate_{run.run_name}.json").read_text())
        assert report["valid"] and report["store"] == f"data/processed/climate/{run.run_name}.zarr"
        if run.labelled:
            assert by_stem.loc[run.run_name, "label"] == run.label
        assert by_stem.loc[run.run_name, "organisms"] == " ".join(run_organisms(run))
    conversion = json.loads((repo / f"results/reports/nc_to_zarr/{runs[0].run_name}.json").read_text())
    assert conversion["verified_variables"] and conversion["files_in_store"] > 0
    with open_store(repo / by_stem.loc[runs[0].run_name, "store"]) as ds:
        assert ds.attrs["planet"] == runs[0].planet
    assert verify_store_checksums(repo / by_stem.loc[runs[0].run_name, "store"]) == []
    assert (repo / "logs/nc_to_zarr" / f"{runs[0].run_name}.log").read_text()


def test_climate_targets_on_real_files_in_local_mode(realdata, tmp_path):
    repo = copy_workflow(tmp_path / "repo")
    (repo / "local.yaml").write_text(f"sources:\n  climate: {{mode: local, path: '{realdata / 'climate'}'}}\n", encoding="utf-8")
    snakemake(repo, TARGET, "--configfile", "local.yaml")
    table = pq.read_table(repo / "data/interim/climate_runs.parquet").to_pandas()
    assert sorted(table["stem"]) == ["pop_frc.4x5d.090130_aquaplanet_0OHT_Earth", "tiny"]
    assert table["planet"].isna().all()
    report = json.loads((repo / "results/reports/index_climate_runs.json").read_text())
    assert report["cubes_without_run"] == 2 and report["quarantined_rows"] == 0
    pop = json.loads((repo / "results/validation/climate_pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.json").read_text())
    assert pop["valid"] and pop["dims"] == {"lat": 46, "lon": 72, "time": 12}
    log = (repo / "logs/nc_to_zarr/pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.log").read_text()
    assert "look swapped" in log


def test_truncated_cube_fails_its_rule_naming_file_and_sizes(realdata, tmp_path):
    src = realdata / "climate" / "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc"
    size = src.stat().st_size
    cubes = tmp_path / "cubes"
    cubes.mkdir()
    with open(cubes / "cut.nc", "wb") as out:  # an interrupted download
        subprocess.run(["head", "-c", str(size // 2), str(src)], stdout=out, check=True)
    repo = copy_workflow(tmp_path / "repo")
    (repo / "local.yaml").write_text(f"sources:\n  climate: {{mode: local, path: '{cubes}'}}\n", encoding="utf-8")
    proc = snakemake(repo, "data/processed/climate/cut.zarr", "--configfile", "local.yaml", check=False)
    assert proc.returncode != 0 and not (repo / "data/processed/climate/cut.zarr").exists()
    log = (repo / "logs/nc_to_zarr/cut.log").read_text()
    assert f"{cubes / 'cut.nc'}: truncated NetCDF3 file: its header implies at least {size} bytes, " \
           f"the file has {size // 2}" in log


def test_sample_time_steps_is_the_cube_length(tmp_path):
    repo = copy_workflow(tmp_path / "repo")
    stem = build_universe(1, 0).runs[0].run_name
    (repo / "short.yaml").write_text("sample: {time_steps: 3}\n", encoding="utf-8")
    snakemake(repo, f"data/processed/climate/{stem}.zarr", "--configfile", "short.yaml")
    with open_store(repo / f"data/processed/climate/{stem}.zarr") as ds:
        assert ds.sizes["time"] == 3
