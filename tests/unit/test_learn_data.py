"""The learning stage's data side: config, splits, cube pooling, spectrum binning, graphs, norm, dataset."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import astrobuild.features.climate as features_climate
import astrobuild.features.graphs as features_graphs
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.features.climate import CubeError, CubeReader, index_weights, lat_weights, lon_weights
from astrobuild.features.graphs import UnionGraphs
from astrobuild.features.spectra import Spectra, bin_spectrum
from astrobuild.io import write_parquet
from astrobuild.learn.config import ClimateVariable, TrainConfigError, train_config
from astrobuild.learn.dataset import PlanetRunDataset, collate
from astrobuild.learn.norm import fit_norm
from astrobuild.learn.pipeline import handle_missing
from astrobuild.learn.splits import SplitError, assign_folds, assign_splits, inner_validation, star_groups
from astrobuild.quarantine import Quarantine
from astrobuild.spectra.pipeline import spectra_frame
from astrobuild.spectra.reader import read_spectrum
from tests.climate_options import zarr_options
from tests.learn_products import make_products, store_inputs, train_section


def climate_config(**fields):
    """The schema's climate settings (the dataclasses hold no defaults), with ``fields`` changed."""
    return dataclasses.replace(train_config(train_section()).climate, **fields)


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("learn_products")
    make_products(root, n_planets=6, runs_per_planet=2, no_spectrum=(1,), no_planet=(4,))
    return root


def test_config_defaults_come_from_the_schema_and_bad_values_name_the_key():
    config = train_config(train_section())
    assert config.modalities == ("climate", "bio_graph", "spectrum", "planet_params")
    assert config.climate.shape == (3, 4, 8, 16, 1) and config.split == (0.6, 0.2, 0.2)
    # canonical order, whatever order the user wrote
    assert train_config(train_section(modalities=["spectrum", "climate"])).modalities == ("climate", "spectrum")
    with pytest.raises(TrainConfigError, match="train.split"):
        train_config(train_section(split={"train": 0.5, "val": 0.2, "test": 0.2}))
    with pytest.raises(Exception, match="modalities"):
        train_section(modalities=[])
    with pytest.raises(Exception, match="sound"):
        train_section(modalities=["sound"])


def _registry(planets: int, runs_each: int) -> pd.DataFrame:
    rows = [{"run_id": f"run-{p:03d}-{r}", "planet": f"planet {p}"} for p in range(planets) for r in range(runs_each)]
    rows += [{"run_id": f"run-orphan-{k}", "planet": None} for k in range(2)]
    return pd.DataFrame(rows)


def test_splits_keep_every_planet_in_one_split_and_are_seeded_and_deterministic():
    runs = _registry(planets=20, runs_each=3)
    split = assign_splits(runs, (0.6, 0.2, 0.2), seed=0)
    per_planet = runs.assign(split=split).dropna(subset=["planet"]).groupby("planet")["split"].nunique()
    assert (per_planet == 1).all(), "a planet's runs landed in two splits"
    assert set(split) == {"train", "val", "test"}
    # 22 groups: 20 planets, and each run without a planet alone
    groups = runs.assign(split=split, group=runs["planet"].fillna(runs["run_id"])).groupby("split")["group"].nunique()
    assert groups.to_dict() == {"train": 14, "val": 4, "test": 4}
    # the same runs in another order: the same assignment; another seed: another one
    shuffled = runs.sample(frac=1.0, random_state=3)
    again = assign_splits(shuffled, (0.6, 0.2, 0.2), seed=0)
    assert dict(zip(shuffled["run_id"], again, strict=True)) == dict(zip(runs["run_id"], split, strict=True))
    assert not assign_splits(runs, (0.6, 0.2, 0.2), seed=1).equals(split)
    with pytest.raises(SplitError, match="at least 3"):
        assign_splits(_registry(planets=1, runs_each=3).iloc[:3], (0.6, 0.2, 0.2), seed=0)


def test_folds_hold_each_star_whole_once_and_are_seeded_and_deterministic():
    runs = _registry(planets=30, runs_each=2)
    # planets 0-2 circle one star, 3-4 another; 5 has no host in the table; the rest one star each
    hosts = {f"planet {p}": ("Alpha" if p < 3 else "Beta" if p < 5 else f"star {p}") for p in range(30) if p != 5}
    groups = star_groups(runs, hosts)
    assert set(groups[runs["planet"].isin(["planet 0", "planet 1", "planet 2"])]) == {"star:Alpha"}
    assert set(groups[runs["planet"] == "planet 5"]) == {"planet 5"}
    assert set(groups[runs["planet"].isna()]) == {"run:run-orphan-0", "run:run-orphan-1"}
    folds = assign_folds(groups, 5, seed=0)
    table = runs.assign(group=groups, fold=folds)
    assert (table.groupby("group")["fold"].nunique() == 1).all(), "a star's (or planet's) runs in two folds"
    assert set(folds) == set(range(5))  # every group is in exactly one test fold, and every fold has one
    sizes = table["fold"].value_counts()
    assert sizes.max() - sizes.min() <= 6, sizes.to_dict()  # balanced by runs (Alpha has 6)
    # another row order: the same folds; another seed: others
    shuffled = runs.sample(frac=1.0, random_state=4)
    again = assign_folds(star_groups(shuffled, hosts), 5, seed=0)
    assert dict(zip(shuffled["run_id"], again, strict=True)) == dict(zip(runs["run_id"], folds, strict=True))
    assert not assign_folds(groups, 5, seed=1).equals(folds)
    with pytest.raises(SplitError, match="at least 5 groups"):
        assign_folds(groups.iloc[:6], 5, seed=0)
    # the validation slice inside a fold: whole groups, seeded by seed and fold, never all of them
    rest = table[table["fold"] != 0]
    val = inner_validation(rest["group"], 0.25, seed=0, fold=0)
    assert 0 < val.sum() < len(rest)
    assert (rest.assign(val=val).groupby("group")["val"].nunique() == 1).all()
    assert round(0.25 * rest["group"].nunique()) == rest.loc[val, "group"].nunique()
    assert val.equals(inner_validation(rest["group"], 0.25, seed=0, fold=0))
    assert not val.equals(inner_validation(rest["group"], 0.25, seed=0, fold=1))


def test_pooling_weights_conserve_area_means_and_treat_longitude_as_periodic():
    w = lat_weights(np.linspace(-87.5, 87.5, 36), 36, 6)
    # each target band's weights add up to its area in sin(latitude)
    assert np.allclose(w.sum(axis=1), np.diff(np.sin(np.deg2rad(np.linspace(-90, 90, 7)))))
    field = np.cos(np.deg2rad(np.linspace(-87.5, 87.5, 36)))
    pooled = (w @ field) / w.sum(axis=1)
    assert np.isclose((pooled * w.sum(axis=1)).sum(), w.sum(axis=0) @ field)  # the area integral is kept
    east = lon_weights(np.arange(0, 360, 10.0), 36, 4)
    west = lon_weights(np.arange(-180, 180, 10.0), 36, 4)
    values = np.sin(np.deg2rad(np.arange(0, 360, 10.0)))
    rolled = np.roll(values, 18)  # the same field on the -180..180 grid
    assert np.allclose((east @ values) / east.sum(1), (west @ rolled) / west.sum(1))
    assert np.allclose(index_weights(12, 4).sum(axis=1), 3) and np.allclose(index_weights(2, 4).sum(axis=0), 1)


def test_sample_cube_becomes_the_model_shape_with_levels_pooled(products):
    config = climate_config(variables=(ClimateVariable("ts", ("surface_temperature",)), ClimateVariable("t", ("T",))),
                            lat=4, lon=8, lev=1, time="steps", time_steps=2)
    cube = CubeReader(config, products).read("data/processed/climate/p00_run0.zarr")
    assert cube.shape == (2, 2, 4, 8, 1) and cube.dtype == np.float32 and np.isfinite(cube).all()
    assert (cube[1] < cube[0]).all(), "air temperature averaged over levels is below the surface's"
    with pytest.raises(CubeError, match=r"p00_run0.zarr has no variable for channel 'olr2'.*\['OLR_X'\]"):
        CubeReader(climate_config(variables=(ClimateVariable("olr2", ("OLR_X",)),)), products).read(
            "data/processed/climate/p00_run0.zarr")


def test_real_exocam_cube_month_axis_no_levels_and_xc_yc_coordinates(realdata, tmp_path):
    store = tmp_path / "aqua.zarr"
    nc_to_zarr(realdata / "climate" / "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc", store, zarr_options())
    config = climate_config(variables=(ClimateVariable("surface_temperature", ("TS", "T")),), lat=6, lon=8, lev=2,
                            time_steps=4)
    cube = CubeReader(config, tmp_path).read("aqua.zarr")
    assert cube.shape == (1, 4, 6, 8, 2)
    assert np.allclose(cube[..., 0], cube[..., 1]), "a cube without levels is one layer, repeated"
    assert 200 < cube.min() and 280 < cube.max() < 320, "degC became K"
    assert cube[0, 0, 2:4].mean() > cube[0, 0, [0, 5]].mean() + 10, "the tropics are warmer than the poles"
    with pytest.raises(CubeError, match=r"climate store aqua.zarr has no variable for channel 'surface_temperature'"):
        CubeReader(climate_config(variables=(ClimateVariable("surface_temperature", ("TS", "ts")),)),
                   tmp_path).read("aqua.zarr")


def test_binning_conserves_depth_masks_uncovered_bins_and_combines_orders():
    edges = np.geomspace(0.6, 5.0, 9)
    w = np.linspace(1.0, 3.0, 201)
    depth = np.full_like(w, 1000.0)
    binned, err, mask = bin_spectrum(w, np.full_like(w, np.nan), depth, np.full_like(w, 10.0),
                                     np.zeros_like(w), edges, 0.5)
    assert np.allclose(binned[mask], 1000.0)
    assert not mask[0] and not mask[-1], "bins outside 1-3 µm are masked, not zero-filled"
    assert np.isnan(binned[~mask]).all()
    # two orders over the same range: the inverse-variance mean, error below either order's
    two = np.concatenate([w, w])
    d = np.concatenate([np.full_like(w, 1000.0), np.full_like(w, 1010.0)])
    e = np.concatenate([np.full_like(w, 10.0), np.full_like(w, 20.0)])
    binned, err, mask = bin_spectrum(two, np.full_like(two, np.nan), d, e, np.repeat([1, 2], len(w)), edges, 0.5)
    assert np.allclose(binned[mask], 1002.0, atol=0.01)


def test_real_niriss_spectrum_on_the_common_grid(realdata, tmp_path):
    spectrum = read_spectrum(realdata / "spectra" / "CMADF-WASP_39b_NIRISS_transmission_spectrum_R100.csv",
                             Quarantine())
    write_parquet(spectra_frame([spectrum]), tmp_path / "spectra.parquet")
    spectra = Spectra(tmp_path / "spectra.parquet", train_config(train_section()).spectrum)
    features, mask = spectra.features(spectrum.spectrum)
    centres = np.sqrt(spectra.edges[:-1] * spectra.edges[1:])
    # NIRISS/SOSS covers 0.6-2.8 µm (order 2 below 0.85): the rest of the 0.6-5 µm grid is masked
    assert mask.sum() >= 20 and centres[mask].max() < 2.9 and not mask[centres > 3.0].any()
    assert spectra.flagged_points == 3, "the file's three quality=1 points are left out"
    assert np.all(features[~mask] == 0) and np.abs(features[mask, 0]).max() < 0.05  # a few % around its median


def test_union_graph_joins_pathways_on_shared_compounds(products):
    graphs = UnionGraphs(products / "data/processed/kegg_graphs")
    one = graphs.union(["map00010"])
    both = graphs.union(["map00010", "map00020"])
    assert len(one["x"]) == 3 and len(both["x"]) == 5, "C3 is one node of the union"
    # C1<->C2 reversible (2 edges), C2->C3, C3->C4, C4<->C5 (2 edges)
    assert both["edge_index"].shape == (2, 6) and both["edge_index"].max() < 5
    assert both["features"][-1] == pytest.approx(np.log1p(2))


def test_norm_stats_come_from_the_training_rows_only(products):
    config = train_config(train_section())
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    cache, channels = store_inputs(products, runs, config)
    train_ids = list(runs["run_id"][:6])
    norm = fit_norm(((r, cache[r]) for r in train_ids), config.modalities, channels)
    cubes = np.stack([cache[r]["climate"] for r in train_ids])
    assert np.allclose(norm.stats["climate"]["mean"], cubes.mean(axis=(0, 2, 3, 4, 5)), rtol=1e-5)
    assert norm.fitted_on == sorted(train_ids)
    # poison every other run: the statistics do not move
    poisoned = {r: dict(v) for r, v in cache.items()}
    for r in runs["run_id"][6:]:
        poisoned[r]["climate"] = poisoned[r]["climate"] + 1e6
        if poisoned[r]["planet_params"] is not None:
            poisoned[r]["planet_params"] = (poisoned[r]["planet_params"][0] * 1e3, poisoned[r]["planet_params"][1])
    again = fit_norm(((r, poisoned[r]) for r in train_ids), config.modalities, channels)
    assert again.to_json() == norm.to_json()


def test_collate_shapes_and_batched_graph(products):
    config = train_config(train_section())
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    cache, channels = store_inputs(products, runs, config)
    norm = fit_norm(cache.items(), config.modalities, channels)
    dataset = PlanetRunDataset(runs, config, norm, cache)
    batch = collate([dataset[i] for i in range(3)])
    assert batch["climate_cube"].shape == (3, 3, 4, 8, 16, 1) and batch["climate_cube"].dtype == torch.float32
    assert batch["spectrum"].shape == (3, 48, 3) and batch["spectrum_mask"].shape == (3, 48)
    # the 9 planet columns, then the 2 forcings (train.run_columns)
    assert batch["planet_params"].shape == (3, 11) and batch["planet_params_mask"].shape == (3, 11)
    assert batch["label"].shape == (3,) and batch["present"].shape == (3, 4)
    assert [m["run_id"] for m in batch["run_metadata"]] == list(runs["run_id"][:3])
    graph = batch["bio_graph"]
    sizes = [len(dataset[i]["bio_graph"]["x"]) for i in range(3)]
    assert graph["x"].shape == (sum(sizes),) and graph["features"].shape == (3, 5)
    assert torch.equal(graph["batch"], torch.repeat_interleave(torch.arange(3), torch.tensor(sizes)))
    # every edge joins two nodes of the same graph
    assert torch.equal(graph["batch"][graph["edge_index"][0]], graph["batch"][graph["edge_index"][1]])
    # run 1 has no spectrum: masked, not zero-filled silently
    assert not batch["present"][1, 2] and not batch["spectrum_mask"][1].any()


def test_missing_modalities_are_masked_or_skipped_and_counted(products):
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    for policy, kept in (("mask", 12), ("skip", 10)):
        config = train_config(train_section(missing=policy))
        cache, _ = store_inputs(products, runs, config)
        left, counts = handle_missing(runs, cache, config)
        assert len(left) == kept
        assert counts["runs_lacking"] == {"climate": 0, "bio_graph": 0, "spectrum": 1, "planet_params": 1}
        assert counts["runs_skipped" if policy == "skip" else "runs_masked"] == 2


def _counting(monkeypatch, module, name: str, counts: dict[str, int]) -> None:
    real = getattr(module, name)

    def counted(*args, **kwargs):
        counts[name] = counts.get(name, 0) + 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


@pytest.mark.parametrize("kept", ["planet_params", "climate", "bio_graph", "spectrum"])
def test_training_reads_the_features_store_and_nothing_else(products, tmp_path, monkeypatch, kept):
    root = tmp_path / "p"
    shutil.copytree(products, root)
    for rel in ("data/processed/climate", "data/processed/kegg_graphs", "data/processed/spectra.parquet",
                "data/processed/exoplanets.parquet"):  # reading any raw product would fail
        shutil.rmtree(root / rel) if (root / rel).is_dir() else (root / rel).unlink()
    counts: dict[str, int] = {}
    _counting(monkeypatch, features_climate, "open_store", counts)
    _counting(monkeypatch, features_climate, "StepReader", counts)
    _counting(monkeypatch, features_graphs, "load_graph_store", counts)
    runs = pd.read_parquet(root / "data/processed/planet_runs.parquet")
    config = train_config(train_section(modalities=[kept]))
    cache, channels = store_inputs(root, runs, config)
    norm = fit_norm(cache.items(), config.modalities, channels)
    dataset = PlanetRunDataset(runs, config, norm, cache)
    for _ in range(2):  # a second epoch reads nothing again
        batch = collate([dataset[i] for i in range(len(dataset))])
    model_keys = {"planet_params": {"planet_params", "planet_params_mask"}, "climate": {"climate_cube", "climate_valid"},
                  "bio_graph": {"bio_graph"}, "spectrum": {"spectrum", "spectrum_mask"}}[kept]
    assert set(batch) == model_keys | {"present", "label", "run_metadata"}
    assert counts == {}
