"""Local mode, real files end to end: ExoCAM NetCDF, the NIRISS spectrum and real KGML -> results/train.

The test writes the runs.csv (with labels and two forcings, CO2 and instellation) and variants of
the real cube (its ocean temperature shifted per run, so runs differ); the real spectrum is attached
to the WASP-39 b runs by name, the other runs have none (masked). A hypothetical planet (its columns in
a planets.csv) has runs too, a planet in neither place has one (quarantined, the build goes on), and a
block of runs has no label: rule predict scores them. The same build then trains a regression target
of the runs.csv (issue 18's done-when: forcings, a hypothetical planet, unlabelled runs, a regression
target) and predicts it. Then two refusals: a channel the cubes lack, and no labels. About 2½ minutes
on 2 cores.
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
PLANETS = {"wasp39b": "WASP-39 b", "k218b": "K2-18 b", "trappist1e": "TRAPPIST-1 e", "lhs1140b": "LHS 1140 b",
           "dream": "Earth at 1.1 S"}  # the last is in no archive: planets.csv gives its columns
HYPOTHETICAL = ("planet,radius_earth,mass_earth,semi_major_axis_au,orbital_period_days,insolation_earth,eq_temp_k,"
                "star_teff_k,star_radius_sun,star_mass_sun\n"
                "Earth at 1.1 S,1.0,1.0,0.953,340.8,1.1,262.5,5772,1.0,1.0\n")
TARGET = "results/train/metrics.json"
PREDICTED = "results/predict/predictions.parquet"


def _local_sources(realdata, tmp_path):
    climate, spectra = tmp_path / "climate", tmp_path / "spectra"
    climate.mkdir()
    spectra.mkdir()
    lines = ["file,planet,scenario,label,biosphere,co2_ppm,instellation_earth,ocean_shift_k"]
    # (scenario, temperature shift, label): the "outlook" block has none (rule predict scores it)
    runs = [("cool", -6.0, "0"), ("warm", 5.0, "1"), ("outlook", 1.0, "")]
    runs += [("lost", 0.0, "1")]  # its planet is in neither the archive nor planets.csv: quarantined
    for p, (slug, planet) in enumerate(PLANETS.items()):
        for scenario, shift, label in runs[:2] + (runs[2:3] if slug in ("trappist1e", "dream") else []) + (
                runs[3:] if slug == "lhs1140b" else []):
            stem = f"{slug}_{scenario}"
            shutil.copy(realdata / "climate" / CUBE, climate / f"{stem}.nc")
            with netCDF4.Dataset(climate / f"{stem}.nc", "r+") as nc:  # a variant per run: shifted temperatures
                nc["T"][:] = nc["T"][:] + shift + p
            biosphere = "ko00010 hsa00020" if label == "1" else "ko00253"
            name = "Nowhere b" if scenario == "lost" else planet
            co2 = "" if scenario == "cool" and slug == "k218b" else 280 * (1 + p)  # one CO2 not given: masked
            shift_k = f"{shift + p:.1f}" if label else ""  # a regression target, empty where the label is
            lines.append(f"{stem}.nc,{name},{scenario},{label},{biosphere},{co2},{0.5 + 0.2 * p:.1f},{shift_k}")
        if slug == "wasp39b":
            for scenario in ("cool", "warm"):
                shutil.copy(realdata / "spectra" / SPECTRUM, spectra / f"{slug}_{scenario}.csv")
    (climate / "runs.csv").write_text("\n".join(lines) + "\n")
    (climate / "planets.csv").write_text(HYPOTHETICAL)
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
        "  cv: {folds: 3}\n"  # 3 of the 5 groups' folds: the test checks the wiring, not the figures
        # the aquaplanet forcing file has no TS: its slab-ocean temperature T (degC) is the channel
        "  climate: {variables: [{name: surface_temperature, aliases: [TS, T]}]}\n"
    )


def test_local_mode_trains_on_real_files_and_refuses_without_labels(realdata, tmp_path):
    climate, spectra = _local_sources(realdata, tmp_path)
    work = copy_workflow(tmp_path / "work")
    (work / "my.yaml").write_text(_config(realdata, climate, spectra))
    snakemake(work, TARGET, PREDICTED, "--configfile", "my.yaml")

    metrics = json.loads((work / TARGET).read_text())
    assert metrics["modalities"] == "climate+bio_graph+spectrum+planet_params"
    # 4 host stars and the hypothetical planet (its own group) in 3 folds; every run scored once, out of fold
    assert metrics["cv"]["folds"] == 3 and metrics["cv"]["folds_requested"] == 3
    assert metrics["test"]["n"] == metrics["pooled"]["network"]["n"] == 10
    # the planet in neither place: quarantined with the reason, the rest built
    quarantined = (work / "data/processed/planet_runs.quarantine.tsv").read_text().splitlines()
    assert len(quarantined) == 2 and "lhs1140b_lost.nc" in quarantined[1] and "'Nowhere b'" in quarantined[1]
    registry = pq.read_table(work / "data/processed/planet_runs.parquet").to_pandas()
    assert len(registry) == 12 and "Earth at 1.1 S" in set(registry["planet"])
    assert registry["run:co2_ppm"].isna().sum() == 1 and registry["run:instellation_earth"].notna().all()
    hypothetical = pq.read_table(work / "data/processed/hypothetical_planets.parquet").to_pandas()
    assert hypothetical["planet"].tolist() == ["Earth at 1.1 S"] and hypothetical.loc[0, "insolation_earth"] == 1.1
    # the unlabelled block is scored by the trained model
    scored = pq.read_table(work / PREDICTED).to_pandas()
    assert sorted(scored["planet"]) == ["Earth at 1.1 S", "TRAPPIST-1 e"] and scored["score"].between(0, 1).all()
    assert set(metrics["baselines"]) == {"majority", "logistic_planet_params", "boosted_trees"}
    assert set(metrics["pooled"]) == {"network", "majority", "logistic_planet_params", "boosted_trees"}
    assert "auroc_ci_low" in metrics["pooled"]["network"] and set(metrics["folds"]) == {"0", "1", "2"}
    report = json.loads((work / "results/train/report.json").read_text())
    assert report["missing_modalities"]["runs_lacking"]["spectrum"] == 8  # only WASP-39 b has one
    assert report["missing_modalities"]["runs_masked"] == 8
    # model.pt: all 5 planets, one star's held out for early stopping
    assert report["splits"]["train"]["planets"] + report["splits"]["val"]["planets"] == 5
    predictions = pq.read_table(work / "results/train/predictions.parquet").to_pandas()
    assert len(predictions) == 10 and predictions["score"].between(0, 1).all()
    assert predictions["run_id"].is_unique and sorted(predictions["fold"].unique()) == [0, 1, 2]
    assert (work / "results/train/calibration.png").is_file()
    payload = torch.load(work / "results/train/model.pt", weights_only=True)
    assert payload["config"]["climate"]["variables"][0]["aliases"] == ["TS", "T"]
    assert payload["layout"]["planet_params"]["columns"][-2:] == ["run:co2_ppm", "run:instellation_earth"]
    norm = payload["norm_stats"]["modalities"]
    assert 250 < norm["climate"]["mean"][0] < 300, "the real cube's degC temperatures reach the model in K"
    assert (work / "logs/train.log").is_file() and (work / "results/benchmarks/train.tsv").is_file()

    # The same build, a regression target of the runs.csv (the temperature shift): training and predict
    # rerun alone, with RMSE/MAE/R² intervals and the unlabelled block predicted in kelvin.
    (work / "regression.yaml").write_text("train: {task: regression, target: ocean_shift_k}\n")
    done = snakemake(work, TARGET, PREDICTED, "--configfile", "my.yaml", "--configfile", "regression.yaml")
    assert "rule pool_features" not in done.stdout + done.stderr
    regression = json.loads((work / TARGET).read_text())
    assert regression["task"]["kind"] == "regression" and regression["task"]["target"] == "ocean_shift_k"
    network = regression["pooled"]["network"]
    assert network["rmse_ci_low"] <= network["rmse"] <= network["rmse_ci_high"] and network["n"] == 10
    assert set(regression["pooled"]) == {"network", "mean", "boosted_trees"}
    scored = pq.read_table(work / PREDICTED).to_pandas()
    assert sorted(scored["planet"]) == ["Earth at 1.1 S", "TRAPPIST-1 e"] and scored["prediction"].notna().all()

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
