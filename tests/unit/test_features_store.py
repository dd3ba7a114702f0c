"""The features store: pooled batches merge into one Zarr store in run order, read back equal, and
its contract names what is wrong; training refuses a store pooled with other settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrobuild.features.config import pooling_config
from astrobuild.features.pipeline import build_features, check_features, pool_features
from astrobuild.features.pool import RawSources
from astrobuild.features.store import (
    FeaturesError,
    check_store,
    load_store,
    merge_batches,
    read_batch,
    write_batch,
)
from astrobuild.learn.pipeline import train_model
from tests.learn_products import make_products, train_section

STORE = "data/processed/features"


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("features_products")
    make_products(root, n_planets=4, runs_per_planet=2, no_spectrum=(1,), no_planet=(2,))
    return root


def _registry(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / "data/processed/planet_runs.parquet")


def test_the_store_holds_every_run_once_in_run_order_as_the_sources_read_it(products):
    store = load_store(products / STORE)
    runs = _registry(products)
    assert store.arrays["run_id"].tolist() == sorted(runs["run_id"])
    sources = RawSources(pooling_config(train_section()), root=products)
    for run in runs.to_dict("records"):
        raw, kept = sources.read(run), store.raw(run["run_id"], ("climate", "bio_graph", "spectrum", "planet_params"))
        assert np.array_equal(raw["climate"], kept["climate"], equal_nan=True)
        assert np.array_equal(raw["climate_valid"], kept["climate_valid"])
        for key in ("x", "edge_index", "features"):
            assert np.array_equal(raw["bio_graph"][key], kept["bio_graph"][key])
        for got, want in ((kept["spectrum"], raw["spectrum"]), (kept["planet_params"], raw["planet_params"])):
            assert (got is None) == (want is None)
            if want is not None:
                assert all(np.array_equal(g, w, equal_nan=True) for g, w in zip(got, want, strict=True))
    # runs 1 (no spectrum) and 2 (no planet, no forcings) say so; run 1 gives no CO2 (masked, after
    # the planet columns: train.run_columns); and the pathway multi-hot names each run's maps
    a = store.arrays
    assert a["spectrum_present"].sum() == 7 and a["planet_params_present"].sum() == 7
    assert store.attrs["channels"]["planet_params"][-2:] == ["run:co2_ppm", "run:instellation_earth"]
    mask = dict(zip(a["run_id"], a["planet_params_mask"], strict=True))
    assert mask["run-0000000000000001"].tolist()[-2:] == [False, True] and mask["run-0000000000000001"][:-2].all()
    values = dict(zip(a["run_id"], a["planet_params"], strict=True))
    assert values["run-0000000000000000"][-2] == pytest.approx(np.log10(400.0))  # log10, as configured
    multi_hot = {rid: {p for p, on in zip(store.pathway_ids, row, strict=True) if on}
                 for rid, row in zip(a["run_id"], a["pathways"], strict=True)}
    assert multi_hot == {r: set(p.split()) for r, p in zip(runs["run_id"], runs["pathways"], strict=True)}
    report = check_store(store, list(runs["run_id"]), pooling_config(train_section()))
    assert report["valid"], report["failures"]
    assert ((a["climate_valid"] > 0) == np.isfinite(a["climate"])).all() and a["climate_valid"].max() == 1
    a["climate_valid"][0, 0, 0, 0, 0, 0] = 0.0  # a known value the mask calls unknown
    report = check_store(store, list(runs["run_id"]), pooling_config(train_section()))
    assert report["failures"] == ["climate_valid: differs from where the climate values are known"]


def test_batches_merge_alike_however_the_runs_are_cut_and_the_bytes_are_the_same(products, tmp_path):
    digests = []
    for batches in (1, 3):
        root = tmp_path / f"cut{batches}"
        shutil.copytree(products, root)
        stores = sorted(_registry(root)["climate_store"])
        paths = [root / f"b{i}.npz" for i in range(batches)]
        for i, path in enumerate(paths):
            pool_features(train_section(), stores[i::batches], path, root=root)
        build_features(paths, root / STORE)
        digests.append({p.relative_to(root / STORE).as_posix(): p.read_bytes()
                        for p in sorted((root / STORE).rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]


def test_a_batch_pooled_with_other_settings_is_refused_naming_it(products, tmp_path):
    stores = sorted(_registry(products)["climate_store"])
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    pool_features(train_section(), stores[:4], first, root=products)
    pool_features(train_section(spectrum={"bins": 24}), stores[4:], second, root=products)
    with pytest.raises(FeaturesError, match=r"b\.npz: pooled with other settings .*pooling"):
        merge_batches([first, second])
    arrays, meta = read_batch(first)
    write_batch(arrays, meta, tmp_path / "again.npz")
    with pytest.raises(FeaturesError, match=r"pooled in two batches"):
        merge_batches([first, tmp_path / "again.npz"])


def test_the_contract_names_a_stale_store_and_training_refuses_other_pooling(products, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(products, root)
    runs = _registry(root)
    report = check_store(load_store(root / STORE), list(runs["run_id"])[:-1], pooling_config(train_section()))
    assert not report["valid"] and "runs differ from the registry's" in report["failures"][0]
    with pytest.raises(FeaturesError, match="features store check failed"):
        check_features(root / STORE, root / "data/processed/planet_runs.parquet",
                       train_section(climate={"grid": {"lat": 4, "lon": 16, "lev": 1}}), tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()
    check_features(root / STORE, root / "data/processed/planet_runs.parquet", train_section(), tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["runs"] == len(runs)
    with pytest.raises(FeaturesError, match=r"train\.spectrum: store .*'bins': 48.*config .*'bins': 24.*snakemake build"):
        train_model(train_section(epochs=1, spectrum={"bins": 24}), root=root)
    shutil.rmtree(root / STORE)
    with pytest.raises(FeaturesError, match="no features store here"):
        train_model(train_section(epochs=1), root=root)
