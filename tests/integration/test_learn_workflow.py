"""Local mode, real files end to end: ExoCAM NetCDF, the NIRISS spectrum and real KGML -> results/train.

The test writes the runs.csv (with labels) and variants of the real cube (its ocean temperature
shifted per run, so runs differ); the real spectrum is attached to the WASP-39 b runs by name,
the other runs have none (masked). Then two refusals: a channel the cubes lack, and no labels.
About 2 minutes on 2 cores.
"""

from __future__ import annotations

import json
import shutil

import netCDF4
import pyarrow.parquet as pq
import pytest
import torch

from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration

CUBE = "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc"
SPECTRUM = "CMADF-WASP_39b_NIRISS_transmission_spectrum_R100.csv"
PLANETS = {"wasp39b": "WASP-39 b", "k218b": "K2-18 b", "trappist1e": "TRAPPIST-1 e", "lhs1140b": "LHS 1140 b"}
TARGET = "results/train/metrics.json"


def _local_sources(realdata, tmp_path):
    climate, spectra = tmp_path / "climate", tmp_path / "spectra"
    climate.mkdir()
    spectra.mkdir()
    lines = ["file,planet,scenario,label,biosphere"]
    for p, (slug, planet) in enumerate(PLANETS.items()):
        for scenario, shift in (("cool", -6.0), ("warm", 5.0)):
            stem = f"{slug}_{scenario}"
            shutil.copy(realdata / "climate" / CUBE, climate / f"{stem}.nc")
            with netCDF4.Dataset(climate / f"{stem}.nc", "r+") as nc:  # a variant per run: shifted temperatures
                nc["T"][:] = nc["T"][:] + shift + p
            warm = scenario == "warm"
            biosphere = "ko00010 hsa00020" if warm else "ko00253"
            lines.append(f"{stem}.nc,{planet},{scenario},{int(warm)},{biosphere}")
        if slug == "wasp39b":
            for scenario in ("cool", "warm"):
                shutil.copy(realdata / "spectra" / SPECTRUM, spectra / f"{slug}_{scenario}.csv")
    (climate / "runs.csv").write_text("\n".join(lines) + "\n")
    return climate, spectra


def _config(realdata, climate, spectra) -> str:
    return (
        "sources:\n"
        f"  climate: {{mode: local, path: '{climate}'}}\n"
        f"  kegg: {{mode: local, path: '{realdata / 'kegg'}'}}\n"
        f"  exoplanets: {{mode: local, path: '{realdata / 'exoplanets'}'}}\n"
        f"  spectra: {{mode: local, path: '{spectra}'}}\n"
        "train:\n"
        "  epochs: 3\n"
        "  batch_size: 4\n"
        # the aquaplanet forcing file has no TS: its slab-ocean temperature T (degC) is the channel
        "  climate: {variables: [{name: surface_temperature, aliases: [TS, T]}]}\n"
    )


def test_local_mode_trains_on_real_files_and_refuses_without_labels(realdata, tmp_path):
    climate, spectra = _local_sources(realdata, tmp_path)
    work = copy_workflow(tmp_path / "work")
    (work / "my.yaml").write_text(_config(realdata, climate, spectra))
    snakemake(work, TARGET, "--configfile", "my.yaml")

    metrics = json.loads((work / TARGET).read_text())
    assert metrics["modalities"] == "climate+bio_graph+spectrum+planet_params"
    # 4 host stars: the default 5 folds are lowered to 4; every run scored once, out of fold
    assert metrics["cv"]["folds"] == 4 and metrics["cv"]["folds_requested"] == 5
    assert metrics["test"]["n"] == metrics["pooled"]["network"]["n"] == 8
    assert set(metrics["baselines"]) == {"majority", "logistic_planet_params", "boosted_trees"}
    assert set(metrics["pooled"]) == {"network", "majority", "logistic_planet_params", "boosted_trees"}
    assert "auroc_ci_low" in metrics["pooled"]["network"] and set(metrics["folds"]) == {"0", "1", "2", "3"}
    report = json.loads((work / "results/train/report.json").read_text())
    assert report["missing_modalities"]["runs_lacking"]["spectrum"] == 6  # only WASP-39 b has one
    assert report["missing_modalities"]["runs_masked"] == 6
    # model.pt: all 4 planets, one star's held out for early stopping
    assert report["splits"]["train"]["planets"] + report["splits"]["val"]["planets"] == 4
    predictions = pq.read_table(work / "results/train/predictions.parquet").to_pandas()
    assert len(predictions) == 8 and predictions["score"].between(0, 1).all()
    assert predictions["run_id"].is_unique and sorted(predictions["fold"].unique()) == [0, 1, 2, 3]
    assert (work / "results/train/calibration.png").is_file()
    payload = torch.load(work / "results/train/model.pt", weights_only=True)
    assert payload["config"]["climate"]["variables"][0]["aliases"] == ["TS", "T"]
    norm = payload["norm_stats"]["modalities"]
    assert 250 < norm["climate"]["mean"][0] < 300, "the real cube's degC temperatures reach the model in K"
    assert (work / "logs/train.log").is_file() and (work / "results/benchmarks/train.tsv").is_file()

    # A channel the cubes lack: training (alone: only its params changed) stops naming store and variable.
    (work / "my.yaml").write_text(_config(realdata, climate, spectra).replace("aliases: [TS, T]", "aliases: [TS]"))
    failed = snakemake(work, TARGET, "--configfile", "my.yaml", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "rule nc_to_zarr" not in out
    assert "climate store data/processed/climate/" in out and "no variable for channel 'surface_temperature'" in out

    # The same cubes, a runs.csv without labels: training refuses, saying what is missing.
    rows = [line.split(",") for line in (climate / "runs.csv").read_text().splitlines()]
    (climate / "runs.csv").write_text("".join(",".join(r[:3] + r[4:]) + "\n" for r in rows))
    (work / "my.yaml").write_text(_config(realdata, climate, spectra))
    failed = snakemake(work, TARGET, "--configfile", "my.yaml", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "rule train" in out
    assert "has a label" in out and "`label` column" in out, out[-3000:]
