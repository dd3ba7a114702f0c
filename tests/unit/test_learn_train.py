"""The learning stage's training side: metrics, baselines, a one-epoch smoke run, checkpoints, determinism."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch
import yaml

from astrobuild.features.store import load_store
from astrobuild.learn.config import train_config
from astrobuild.learn.dataset import collate
from astrobuild.learn.metrics import auroc, binary_metrics, logistic_scores, majority_scores
from astrobuild.learn.model import MultiModalNet, model_spec
from astrobuild.learn.outputs import load_checkpoint
from astrobuild.learn.pipeline import TrainError, train_model
from astrobuild.learn.train import resolve_device
from tests.learn_products import SCHEMA, make_products, shipped_config, store_inputs, train_section
from tests.workflow import REPO

FILES = ("model.pt", "metrics.json", "curves.csv", "predictions.parquet", "norm_stats.json", "report.json",
         "curves.png", "confusion.png", "calibration.png")


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("learn_train_products")
    make_products(root, n_planets=6, runs_per_planet=2, no_spectrum=(1,))
    return root


def test_auroc_counts_ties_as_half_and_is_undefined_for_one_class():
    assert auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert auroc(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)
    assert auroc(np.array([1, 1]), np.array([0.2, 0.9])) is None
    m = binary_metrics(np.array([1, 0, 1, 0]), np.array([0.9, 0.2, 0.4, 0.6]))
    assert m["accuracy"] == 0.5 and m["f1"] == 0.5 and m["n"] == 4 and m["positives"] == 2
    assert m["loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.4])), abs=1e-6)


def test_auprc_brier_and_the_group_bootstrap():
    from astrobuild.learn.metrics import auprc, brier, group_bootstrap

    y, s = np.array([1, 0, 1, 0, 1]), np.array([0.9, 0.9, 0.4, 0.2, 0.1])
    # thresholds 0.9 (P 1/2, R 1/3), 0.4 (2/3, 2/3), 0.2 (2/4, 2/3), 0.1 (3/5, 1)
    assert auprc(y, s) == pytest.approx(1 / 3 * 1 / 2 + 1 / 3 * 2 / 3 + 1 / 3 * 3 / 5)
    assert auprc(np.zeros(3), np.ones(3)) is None
    assert brier(y, s) == pytest.approx(np.mean((s - y) ** 2))
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(40), 3).astype(str)
    labels = np.repeat(rng.random(40) < 0.4, 3)
    scores = {"good": np.clip(labels + rng.normal(0, 0.4, 120), 0, 1), "none": rng.random(120)}
    first = group_bootstrap(labels, scores, groups, resamples=200, seed=7)
    assert first == group_bootstrap(labels, scores, groups, resamples=200, seed=7)
    assert first != group_bootstrap(labels, scores, groups, resamples=200, seed=8)
    good, none = first["good"], first["none"]
    assert good["auroc_ci_low"] > none["auroc_ci_high"]
    assert good["auroc_ci_low"] <= auroc(labels, scores["good"]) <= good["auroc_ci_high"]
    assert good["brier_ci_low"] < good["brier_ci_high"]
    # whole groups are drawn: triplicating every row inside its group leaves the draws, hence the interval, as is
    assert group_bootstrap(np.repeat(labels, 3), {"good": np.repeat(scores["good"], 3)}, np.repeat(groups, 3),
                           resamples=200, seed=7)["good"]["auroc_ci_low"] == pytest.approx(good["auroc_ci_low"])


def test_baselines_majority_rate_and_logistic_regression_on_parameters():
    assert np.allclose(majority_scores(np.array([1, 0, 0, 0]), 3), 0.25)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x[:, 0] + 0.1 * rng.normal(size=200) > 0
    x[::7, 2] = np.nan  # unknown values are imputed and flagged, not fatal
    scores = logistic_scores(x[:150], y[:150], x[150:])
    assert auroc(y[150:], scores) > 0.95


def test_one_epoch_training_writes_every_output(products, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(products, root)
    metrics = train_model(train_section(epochs=1, batch_size=4, cv={"bootstrap": 50}), root=root, threads=1)
    for name in FILES:
        assert (root / "results/train" / name).stat().st_size > 0, name
    assert set(metrics) >= {"test", "val", "train", "baselines", "best_epoch", "pooled", "folds", "cv"}
    assert set(metrics["baselines"]) == {"majority", "logistic_planet_params", "boosted_trees"}
    assert set(metrics["test"]) == {"auroc", "auprc", "brier", "accuracy", "f1", "loss", "n", "positives"}
    # 6 planets (no host in the table: each its own group), 5 folds by default
    assert metrics["cv"]["folds"] == 5 and set(metrics["folds"]) == {"0", "1", "2", "3", "4"}
    assert set(metrics["pooled"]) == {"network", "majority", "logistic_planet_params", "boosted_trees"}
    for name, pooled in metrics["pooled"].items():
        for key in ("auroc", "auprc", "brier"):
            low, high = pooled[f"{key}_ci_low"], pooled[f"{key}_ci_high"]
            if pooled[key] is not None and low is not None:
                assert low <= high, (name, key)
        assert pooled["n"] == 12
    assert {k: v for k, v in metrics["pooled"]["network"].items() if "_ci_" not in k} == metrics["test"]
    assert sum(f["network"]["n"] for f in metrics["folds"].values()) == 12
    assert set(metrics["network_minus"]) == {"majority", "logistic_planet_params", "boosted_trees"}
    for name, versus in metrics["network_minus"].items():
        want = metrics["pooled"]["network"]["auroc"] - metrics["pooled"][name]["auroc"]
        assert versus["auroc_diff"] == pytest.approx(want, abs=1e-5), name
        assert versus["ci_low"] is None or versus["ci_low"] <= versus["ci_high"]
    curves = (root / "results/train/curves.csv").read_text().splitlines()
    assert curves[0] == "epoch,train_loss,val_loss,train_auroc,val_auroc" and len(curves) == 2
    predictions = pq.read_table(root / "results/train/predictions.parquet").to_pandas()
    # out of fold: every run once, scored by the fold that held it out
    assert len(predictions) == 12 and predictions["run_id"].is_unique and set(predictions["split"]) == {"test"}
    assert set(predictions["fold"]) == {0, 1, 2, 3, 4}
    assert predictions["score"].between(0, 1).all()
    report = json.loads((root / "results/train/report.json").read_text())
    assert report["missing_modalities"]["runs_lacking"]["spectrum"] == 1
    assert report["missing_modalities"]["runs_masked"] == 1 and report["device"] == "cpu"
    for fold in report["cv"]["per_fold"].values():  # a fold's test planets are in none of its other slices
        assert fold["train"]["planets"] + fold["val"]["planets"] + fold["test"]["planets"] == 6
    # model.pt: every labelled run, a validation slice of them held out for early stopping
    assert report["splits"]["train"]["runs"] + report["splits"]["val"]["runs"] == 12
    norm = json.loads((root / "results/train/norm_stats.json").read_text())
    assert len(norm["fitted_on"]["run_ids"]) == report["splits"]["train"]["runs"]


def test_one_fold_is_the_single_split(products, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(products, root)
    metrics = train_model(train_section(epochs=1, batch_size=4, cv={"folds": 1, "bootstrap": 20}), root=root,
                          threads=1)
    assert metrics["cv"]["folds"] == 1 and set(metrics["folds"]) == {"0"}
    assert metrics["pooled"]["network"]["n"] == metrics["test"]["n"] < 12
    predictions = pq.read_table(root / "results/train/predictions.parquet").to_pandas()
    assert len(predictions) == 12 and set(predictions["split"]) == {"train", "val", "test"}
    assert set(predictions["fold"]) == {0}
    norm = json.loads((root / "results/train/norm_stats.json").read_text())
    train_ids = set(predictions.loc[predictions["split"] == "train", "run_id"])
    assert set(norm["fitted_on"]["run_ids"]) == train_ids


def test_checkpoint_loads_with_weights_only_and_reproduces_the_scores(products, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(products, root)
    section = train_section(epochs=2, batch_size=4, cv={"folds": 1})  # model.pt is the test split's model
    train_model(section, root=root, threads=1)
    payload = torch.load(root / "results/train/model.pt", weights_only=True)
    assert payload["config"]["modalities"] == list(train_config(section).modalities)
    assert payload["norm_stats"] == json.loads((root / "results/train/norm_stats.json").read_text())
    # score the test runs again with the restored model and the checkpoint's normalisation,
    # loaded against the graph store and the config the inputs are made with (checked)
    from astrobuild.learn.dataset import PlanetRunDataset
    from astrobuild.learn.norm import NormStats

    config = train_config(section)
    store = load_store(root / "data/processed/features")
    model, _ = load_checkpoint(root / "results/train/model.pt", graphs=store.compound_ids, layout=config)
    predictions = pq.read_table(root / "results/train/predictions.parquet").to_pandas()
    test = predictions[predictions["split"] == "test"]
    runs = pd.read_parquet(root / "data/processed/planet_runs.parquet").set_index("run_id").loc[test["run_id"]]
    runs = runs.reset_index()
    dataset = PlanetRunDataset(runs, config, NormStats.from_json(payload["norm_stats"]),
                               store_inputs(root, runs, config)[0])
    with torch.no_grad():
        scores = torch.sigmoid(model(collate([dataset[i] for i in range(len(dataset))]))).numpy()
    assert np.allclose(scores, test["score"].to_numpy(), atol=1e-6)


def test_two_cpu_runs_give_the_same_metrics_and_bytes(products, tmp_path):
    outputs = []
    for name in ("a", "b"):
        root = tmp_path / name
        shutil.copytree(products, root)
        train_model(train_section(epochs=3, batch_size=4, seed=3, cv={"bootstrap": 100}), root=root, threads=1)
        outputs.append({f: (root / "results/train" / f).read_bytes() for f in FILES})
    assert outputs[0] == outputs[1]


def test_split_seed_holds_the_planets_of_each_fold_whatever_the_seed(products, tmp_path):
    def splits(**settings) -> dict[str, int]:
        root = tmp_path / "_".join(f"{k}{v}" for k, v in settings.items())
        shutil.copytree(products, root)
        train_model(train_section(epochs=1, batch_size=4, cv={"folds": 3, "bootstrap": 10}, **settings), root=root,
                    threads=1)
        table = pq.read_table(root / "results/train/predictions.parquet").to_pandas()
        return dict(zip(table["run_id"], table["fold"], strict=True))

    held = [splits(seed=seed, split_seed=5) for seed in (0, 1, 2)]
    assert held[0] == held[1] == held[2], "the folds must follow split_seed alone"
    drawn = [splits(seed=seed) for seed in (0, 1, 2)]  # without it, the folds follow the seed
    assert len({tuple(sorted(d.items())) for d in drawn}) > 1


def test_without_labels_training_refuses_saying_so(tmp_path):
    make_products(tmp_path, n_planets=3, runs_per_planet=1, labels=False)
    with pytest.raises(TrainError, match=r"none of the 3 run\(s\) .* has a label.*runs.csv.*`label` column"):
        train_model(train_section(epochs=1), root=tmp_path)
    assert not (tmp_path / "results/train/model.pt").exists()


def test_model_runs_with_any_subset_of_modalities_and_masks_missing_ones(products):
    from astrobuild.learn.dataset import PlanetRunDataset
    from astrobuild.learn.norm import fit_norm

    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet").iloc[:4]
    vocabulary = len(load_store(products / "data/processed/features").compound_ids)
    for modalities in (["climate"], ["bio_graph"], ["spectrum"], ["planet_params"], ["spectrum", "bio_graph"],
                       ["climate", "bio_graph", "spectrum", "planet_params"]):
        config = train_config(train_section(modalities=modalities))
        cache, channels = store_inputs(products, runs, config)
        norm = fit_norm(cache.items(), config.modalities, channels)
        torch.manual_seed(0)
        model = MultiModalNet(model_spec(config, vocabulary if config.uses("bio_graph") else 0)).eval()
        batch = collate([PlanetRunDataset(runs, config, norm, cache)[i] for i in range(4)])
        logits = model(batch)
        assert logits.shape == (4,) and torch.isfinite(logits).all()
        # rule predict's path: the same outputs by the encoders' other arrangement of the arithmetic
        torch.testing.assert_close(model.score(batch), logits, rtol=0, atol=1e-5)
        with pytest.raises(RuntimeError, match="eval"):
            model.train().score(batch)
        model.eval()
        if modalities == ["spectrum"]:
            # run 1 has no spectrum: whatever its (zero) features, it gets the learned "missing" vector
            batch["spectrum"][1] = 100.0
            assert torch.allclose(model(batch)[1], logits[1])
        if modalities == ["climate"]:
            # the valid share is read: a cell the mask calls unknown is not a cell at the mean
            assert model.spec["climate_inputs"] == ["value", "valid_share"] and (batch["climate_valid"] == 1).all()
            batch["climate_valid"][0, :, :, :2] = 0.0
            changed = model(batch)
            assert not torch.allclose(changed[0], logits[0]) and torch.allclose(changed[1:], logits[1:])


def test_the_graph_encoders_scoring_path_is_its_forward_with_empty_graphs_and_lone_nodes():
    from astrobuild.learn.model import GraphEncoder

    torch.manual_seed(0)
    encoder = GraphEncoder(vocabulary=7, n_features=2, hidden=8, layers=2).eval()
    # graph 0: a chain with a node of two parents; graph 1: empty; graph 2: a lone node and a self-loop pair
    graph = {"x": torch.tensor([0, 3, 5, 6, 1, 2, 2]), "batch": torch.tensor([0, 0, 0, 0, 2, 2, 2]),
             "edge_index": torch.tensor([[0, 1, 3, 5, 6], [1, 2, 2, 6, 5]]), "features": torch.randn(3, 2)}
    with torch.inference_mode():
        expected = encoder(graph)
        torch.testing.assert_close(encoder.infer(graph), expected, rtol=0, atol=1e-6)
        graph["batch"] = torch.tensor([2, 0, 2, 0, 2, 0, 0])  # a graph's nodes need not be one after the other
        torch.testing.assert_close(encoder.infer(graph), encoder(graph), rtol=0, atol=1e-6)


def test_device_choice():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(RuntimeError, match="no CUDA"):
            resolve_device("cuda")


def test_dvc_stages_split_params_and_outs_between_build_and_train():
    dvc = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    sections = set(schema["properties"])
    (build_params,) = dvc["build"]["params"]
    (train_params,) = dvc["train"]["params"]
    # `resources` (threads, memory, runtime) and `fetch` (retries, timeouts) change no byte: no stage's param
    from astrobuild.features.config import POOLING_KEYS

    pooling = {f"train.{key}" for key in POOLING_KEYS}
    assert set(build_params["config/config.yaml"]) == (sections - {"train", "resources", "fetch", "predict"}) | pooling, \
        "every section but train, resources, fetch and predict is a build param, and train's pooling keys"
    assert train_params == {"config/config.yaml": ["train"]}
    # DVC fails on a param missing from the file: every section is written in config.yaml
    assert sections <= set(shipped_config())
    build_outs = [str(o) for o in dvc["build"]["outs"]]
    assert "results" not in build_outs and not any(o.startswith("results/train") for o in build_outs)
    train_outs = [next(iter(o)) if isinstance(o, dict) else o
                  for kind in ("outs", "metrics", "plots") for o in dvc["train"].get(kind, [])]
    assert all(o.startswith("results/train/") for o in train_outs)
    assert "--allowed-rules train" in dvc["train"]["cmd"] and dvc["build"]["cmd"].endswith(" build")


def test_forward_and_backward_under_bf16_autocast(products):
    # CUDA runs the model under bf16 autocast; the CPU's autocast exercises the same dtype mixing
    # (scatter sums, masks, fusion) where CI has no GPU.
    from astrobuild.learn.dataset import PlanetRunDataset
    from astrobuild.learn.norm import fit_norm

    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet").iloc[:4]
    config = train_config(train_section())
    cache, channels = store_inputs(products, runs, config)
    norm = fit_norm(cache.items(), config.modalities, channels)
    model = MultiModalNet(model_spec(config, len(load_store(products / "data/processed/features").compound_ids)))
    batch = collate([PlanetRunDataset(runs, config, norm, cache)[i] for i in range(4)])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(batch)
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits.float()).all()
    torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), batch["label"]).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad and p is not model.missing)


def test_modality_dropout_hides_present_modalities_but_never_all_of_a_run():
    from astrobuild.learn.train import hide_modalities

    present = torch.tensor([[True, True, True, True], [True, False, False, False], [False, True, True, False]] * 200)
    hidden = hide_modalities(present, 0.5, torch.Generator().manual_seed(0))
    assert not (hidden & ~present).any(), "a missing modality never becomes present"
    assert hidden.any(dim=1).all(), "every run keeps one modality"
    assert torch.equal(hidden[1::3], present[1::3]), "a run with one modality keeps it"
    share = (present & ~hidden)[0::3].float().mean().item()
    assert 0.4 < share < 0.6
    assert torch.equal(hide_modalities(present, 0.0, torch.Generator()), present)
    again = hide_modalities(present, 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(hidden, again), "seeded"


def test_the_cosine_schedule_warms_up_over_the_first_epoch_then_decays_to_one_percent():
    from astrobuild.learn.train import lr_factor

    steps, epochs = 10, 6
    factors = [lr_factor(s, steps, epochs, "cosine") for s in range(steps * epochs + 5)]
    assert factors[0] == pytest.approx(0.1) and factors[steps - 1] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[steps:], factors[steps + 1:], strict=False))
    assert factors[steps * epochs] == pytest.approx(0.01) and factors[-1] == pytest.approx(0.01)
    assert {lr_factor(s, steps, epochs, "constant") for s in range(50)} == {1.0}
