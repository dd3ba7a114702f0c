"""Rule predict's library: a trained model.pt scores the runs without a label, and refuses data it does not fit."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

from astrobuild.features.store import load_store, store_digest
from astrobuild.io import sha256_file
from astrobuild.learn.compat import IncompatibleCheckpoint
from astrobuild.learn.config import train_config
from astrobuild.learn.dataset import PlanetRunDataset, collate
from astrobuild.learn.pipeline import train_model
from astrobuild.learn.predict import load_scorer, model_batch, predict_runs, runs_to_predict, score_rows
from astrobuild.learn.train import predict
from tests.learn_products import make_features, make_products, train_section

MODEL = "results/train/model.pt"
REGISTRY = "data/processed/planet_runs.parquet"
FEATURES = "data/processed/features"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Products with a run lacking its spectrum, one lacking its planet; a model trained on them (1 epoch)."""
    root = tmp_path_factory.mktemp("learn_predict")
    make_products(root, n_planets=6, runs_per_planet=2, no_spectrum=(1,), no_planet=(4,))
    train_model(train_section(epochs=1, batch_size=4), root=root, threads=1)
    return root


def _unlabel(root: Path, run_ids: list[str]) -> None:
    registry = pd.read_parquet(root / REGISTRY)
    table = pq.read_table(root / REGISTRY)
    labels = [None if r in run_ids else bool(v) for r, v in zip(registry["run_id"], registry["label"], strict=True)]
    pq.write_table(table.set_column(table.schema.get_field_index("label"), "label",
                                    pa_array(labels, table.schema.field("label").type)), root / REGISTRY)


def pa_array(values, type_):
    import pyarrow as pa

    return pa.array(values, type=type_)


def test_the_batch_from_whole_arrays_is_the_training_loaders_batch_and_scores_alike(trained):
    store = load_store(trained / FEATURES)
    scorer = load_scorer(trained / MODEL, store)
    runs = pd.read_parquet(trained / REGISTRY)
    rows = store.rows(list(runs["run_id"]))
    fast = model_batch(store, rows, scorer.modalities, scorer.norm)
    config = train_config(train_section())
    cache = {rid: store.raw(rid, config.modalities) for rid in runs["run_id"]}
    dataset = PlanetRunDataset(runs, config, scorer.norm, cache)
    slow = collate([dataset[i] for i in range(len(dataset))])
    for key in ("climate_cube", "climate_valid", "spectrum", "spectrum_mask", "planet_params", "planet_params_mask",
                "present"):
        assert torch.equal(fast[key], slow[key]), key
    for key in ("x", "edge_index", "batch", "features"):
        assert torch.equal(fast["bio_graph"][key], slow["bio_graph"][key]), key
    assert not fast["present"].all()  # the missing spectrum and planet are in the batch
    loader = torch.utils.data.DataLoader(dataset, batch_size=5, collate_fn=collate)
    expected, _, _ = predict(scorer.model, loader, torch.device("cpu"))
    np.testing.assert_allclose(score_rows(scorer, store, rows, batch_size=7), expected, rtol=0, atol=1e-6)


def test_predict_scores_every_unlabelled_run_with_the_hashes_of_model_and_store(trained, tmp_path):
    root = tmp_path / "products"
    shutil.copytree(trained, root)
    registry = pd.read_parquet(root / REGISTRY)
    chosen = sorted(registry["run_id"].iloc[[0, 4, 7]])
    _unlabel(root, chosen)
    assert list(runs_to_predict(root / REGISTRY)["run_id"]) == chosen
    report = predict_runs(root / MODEL, root / REGISTRY, root / FEATURES, root / "out/predictions.parquet",
                          root / "out/report.json")
    table = pd.read_parquet(root / "out/predictions.parquet")
    assert list(table.columns) == ["run_id", "planet", "scenario", "score", "model_sha256", "features_sha256"]
    assert list(table["run_id"]) == chosen and table["score"].between(0, 1).all()
    assert table["planet"].isna().sum() == 1  # run 4 has no planet: scored with its mask, not dropped
    assert set(table["model_sha256"]) == {sha256_file(root / MODEL)}
    assert set(table["features_sha256"]) == {store_digest(root / FEATURES)}
    written = json.loads((root / "out/report.json").read_text())
    assert written["runs_scored"] == 3 == report["runs_scored"] and written["model_sha256"] == report["model_sha256"]
    # the same scores as scoring those rows directly, and the same bytes on a second run
    first = (root / "out/predictions.parquet").read_bytes()
    predict_runs(root / MODEL, root / REGISTRY, root / FEATURES, root / "out/predictions.parquet",
                 root / "out/report.json")
    assert (root / "out/predictions.parquet").read_bytes() == first


def test_every_run_labelled_scores_nothing_and_says_so(trained, tmp_path, caplog):
    report = predict_runs(trained / MODEL, trained / REGISTRY, trained / FEATURES, tmp_path / "p.parquet",
                          tmp_path / "r.json")
    assert report["runs_scored"] == 0 and pd.read_parquet(tmp_path / "p.parquet").empty
    assert "nothing to score" in caplog.text


def test_a_model_of_fewer_modalities_scores_with_its_own(trained, tmp_path):
    root = tmp_path / "products"
    shutil.copytree(trained, root)
    train_model(train_section(epochs=1, batch_size=4, modalities=["climate", "planet_params"]), root=root, threads=1)
    store = load_store(root / FEATURES)
    scorer = load_scorer(root / MODEL, store)
    assert scorer.modalities == ("climate", "planet_params")
    batch = model_batch(store, store.rows(list(pd.read_parquet(root / REGISTRY)["run_id"])), scorer.modalities,
                        scorer.norm)
    assert "spectrum" not in batch and "bio_graph" not in batch and batch["present"].shape[1] == 2


def test_a_store_pooled_otherwise_is_refused_naming_the_key(trained, tmp_path):
    root = tmp_path / "products"
    shutil.copytree(trained, root)
    shutil.rmtree(root / FEATURES)
    make_features(root, train_section(spectrum={"bins": 24}))
    with pytest.raises(IncompatibleCheckpoint, match=r"pooled otherwise .*train\.spectrum: model\.pt .*'bins': 48.*"
                                                     r"store .*'bins': 24"):
        load_scorer(root / MODEL, load_store(root / FEATURES))


def test_a_checkpoint_for_another_task_is_refused(trained, tmp_path):
    payload = torch.load(trained / MODEL, weights_only=True)
    payload["layout"]["task"] = {"kind": "regression", "target": "habitable_fraction", "output": "value"}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    (tmp_path / "model.pt").write_bytes(buffer.getvalue())
    with pytest.raises(IncompatibleCheckpoint, match=r"trained for a task this version does not know .*regression"):
        load_scorer(tmp_path / "model.pt", load_store(trained / FEATURES))
    # the checkpoint's own task against the one asked (train.task, train.target): both named
    with pytest.raises(IncompatibleCheckpoint, match=r"trained for binary on 'label', but regression on "
                                                     r"'habitable_fraction' is asked \(train\.task, train\.target\)"):
        load_scorer(trained / MODEL, load_store(trained / FEATURES),
                    {"task": "regression", "target": "habitable_fraction"})
    assert load_scorer(trained / MODEL, load_store(trained / FEATURES), {"task": "binary", "target": "label"})


def test_a_store_of_another_vocabulary_is_refused(trained, tmp_path):
    payload = torch.load(trained / MODEL, weights_only=True)
    payload["vocabulary"]["compounds"]["ids"] = list(reversed(payload["vocabulary"]["compounds"]["ids"]))
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    (tmp_path / "model.pt").write_bytes(buffer.getvalue())
    with pytest.raises(IncompatibleCheckpoint, match="features store"):
        load_scorer(tmp_path / "model.pt", load_store(trained / FEATURES))
