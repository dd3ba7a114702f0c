"""model.pt stands alone: it carries the compound vocabulary and the feature layout, and refuses data that differ."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from astrobuild.features.graphs import UnionGraphs
from astrobuild.features.spectra import grid_edges
from astrobuild.kegg.graphs import load_graph_store
from astrobuild.learn.compat import (
    IncompatibleCheckpoint,
    check_compatible,
    feature_layout,
    vocabulary_sha256,
)
from astrobuild.learn.config import train_config
from astrobuild.learn.outputs import CHECKPOINT_KEYS, CHECKPOINT_VERSION, load_checkpoint
from astrobuild.learn.pipeline import train_model
from tests.learn_products import PATHWAYS, make_products, train_section, write_graphs

STORE = "data/processed/kegg_graphs"
MODEL = "results/train/model.pt"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("learn_checkpoint")
    make_products(root, n_planets=6, runs_per_planet=2, no_spectrum=(1,))
    train_model(train_section(epochs=1, batch_size=4), root=root, threads=1)
    return root


def _payload(root: Path) -> dict:
    return torch.load(root / MODEL, weights_only=True)


def test_the_checkpoint_holds_vocabulary_layout_norm_stats_and_config(trained):
    payload = _payload(trained)
    assert tuple(payload) == CHECKPOINT_KEYS and payload["version"] == CHECKPOINT_VERSION
    config = train_config(train_section(epochs=1, batch_size=4))
    compounds = payload["vocabulary"]["compounds"]
    store = load_graph_store(trained / STORE)
    assert compounds["ids"] == sorted(set(store.compound)) == [f"cpd:C{i}" for i in (1, 10, 2, 3, 4, 5, 9)]
    assert compounds["size"] == payload["model_spec"]["vocabulary"] == payload["state_dict"][
        "encoders.bio_graph.embed.weight"].shape[0]
    assert compounds["sha256"] == vocabulary_sha256(compounds["ids"])
    layout = payload["layout"]
    assert layout == json.loads(json.dumps(feature_layout(config)))
    assert layout["modalities"] == ["climate", "bio_graph", "spectrum", "planet_params"]
    assert layout["task"]["target"] == "label"
    assert layout["climate"]["grid"] == dict(zip(["vars", "time", "lat", "lon", "lev"], config.climate.shape,
                                                 strict=True))
    assert layout["climate"]["channels"][0] == {"name": config.climate.variables[0].name,
                                                "aliases": list(config.climate.variables[0].aliases)}
    assert layout["spectrum"]["edges_um"] == [float(e) for e in grid_edges(config.spectrum)]
    assert layout["planet_params"]["columns"] == [*config.planet_columns, "run:co2_ppm", "run:instellation_earth"]
    assert layout["planet_params"]["transforms"][-2:] == ["log10", "log10"]
    assert layout["planet_params"]["run_units"]["run:co2_ppm"] == "ppmv"
    assert payload["norm_stats"] == json.loads((trained / "results/train/norm_stats.json").read_text())
    assert payload["config"] == json.loads(json.dumps(config.to_dict()))


def test_loading_against_the_same_store_and_config_passes(trained):
    config = train_config(train_section(epochs=1, batch_size=4))
    for graphs in (UnionGraphs(trained / STORE), trained / STORE, str(trained / STORE),
                   load_graph_store(trained / STORE), _payload(trained)["vocabulary"]["compounds"]["ids"]):
        model, payload = load_checkpoint(trained / MODEL, graphs=graphs, layout=config)
        assert not model.training
    # a layout as a features store would record it: a plain dict
    load_checkpoint(trained / MODEL, layout=json.loads(json.dumps(feature_layout(config))))
    # a setting the model does not read (a modality it has not, the loop's) changes no layout
    assert feature_layout(dataclasses.replace(config, epochs=7, lr=0.5)) == feature_layout(config)


def test_a_store_with_one_compound_more_is_refused_naming_both(trained, tmp_path):
    pathways = copy.deepcopy(PATHWAYS)
    pathways["map00020"].append(("C5", "C6", False))  # cpd:C6 sorts between C5 and C9: indices shift
    store = tmp_path / "kegg_graphs"
    write_graphs(store, pathways)
    digest = _payload(trained)["vocabulary"]["compounds"]["sha256"][:12]
    with pytest.raises(IncompatibleCheckpoint) as refused:
        load_checkpoint(trained / MODEL, graphs=UnionGraphs(store))
    message = str(refused.value)
    assert f"{trained / MODEL} was trained with 7 compounds (sha256 of the vocabulary {digest})" in message
    new_ids = UnionGraphs(store).compound_ids
    assert f"the graph store {store} has 8 ({vocabulary_sha256(new_ids)[:12]})" in message
    assert "from index 6 on they differ" in message and "'cpd:C9'" in message and "'cpd:C6'" in message
    with pytest.raises(ValueError, match="has 8"):  # a ValueError, from a folder too
        load_checkpoint(trained / MODEL, graphs=store)


def test_a_store_with_a_renamed_compound_is_refused_though_the_size_is_the_same(trained, tmp_path):
    pathways = copy.deepcopy(PATHWAYS)
    pathways["map00680"] = [("C3", "C8", False), ("C8", "C10", False)]  # C9 -> C8: same size, other ids
    store = tmp_path / "kegg_graphs"
    write_graphs(store, pathways)
    with pytest.raises(IncompatibleCheckpoint, match=r"7 compounds .* has 7 .* from index 6 on they differ "
                                                     r"\(.*'cpd:C9', .*'cpd:C8'\)"):
        check_compatible(_payload(trained), graphs=store)


def test_a_renamed_planet_column_is_refused_naming_both(trained):
    config = train_config(train_section(epochs=1, batch_size=4))
    columns = list(config.planet_columns)
    renamed = dataclasses.replace(config, planet_columns=tuple(["radius_jupiter", *columns[1:]]))
    with pytest.raises(IncompatibleCheckpoint) as refused:
        load_checkpoint(trained / MODEL, graphs=trained / STORE, layout=renamed)
    message = str(refused.value)
    assert message.startswith(f"{trained / MODEL} was trained with another feature layout than the current "
                              "train config: ")
    assert "planet_params.columns[0]: model.pt 'radius_earth', the current train config 'radius_jupiter'" in message
    assert "planet_params.transforms[0]: model.pt 'log10', the current train config 'none'" in message
    # the grid, a channel's aliases, the spectrum bins, the modalities: each refused by name
    climate = config.climate
    for changed, path in [
        (dataclasses.replace(config, climate=dataclasses.replace(climate, lat=climate.lat * 2)), "climate.grid.lat"),
        (dataclasses.replace(config, climate=dataclasses.replace(climate, variables=(
            dataclasses.replace(climate.variables[0], aliases=("TS",)), *climate.variables[1:]))),
         "climate.channels[0].aliases"),
        (dataclasses.replace(config, spectrum=dataclasses.replace(config.spectrum, bins=config.spectrum.bins + 1)),
         "spectrum.bins"),
        (dataclasses.replace(config, modalities=("climate", "spectrum")), "modalities"),
        (dataclasses.replace(config, spectrum=dataclasses.replace(config.spectrum, min_um=0.7)), "spectrum.min_um"),
    ]:
        with pytest.raises(IncompatibleCheckpoint, match=re.escape(f"{path}: model.pt ")):
            check_compatible(_payload(trained), layout=changed)


def test_an_older_or_foreign_checkpoint_is_refused_clearly(trained, tmp_path):
    payload = _payload(trained)
    old = {k: payload[k] for k in ("format", "state_dict", "model_spec", "config", "norm_stats")}
    old["version"] = 1
    path = tmp_path / "model.pt"
    buffer = io.BytesIO()
    torch.save(old, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match=r"v1 checkpoint; this version of astrobuild reads v4 only \(written before "
                                         r"model.pt kept its compound vocabulary and feature layout.*retrain it"):
        load_checkpoint(path)
    for version, why in ((2, r"its spectrum encoder has no position channel"),
                         (3, r"its climate encoder has no valid-share channels")):
        buffer = io.BytesIO()
        torch.save({**payload, "version": version}, buffer)
        path.write_bytes(buffer.getvalue())
        with pytest.raises(ValueError, match=rf"v{version} checkpoint; .*reads v4 only \({why}.*retrain it"):
            load_checkpoint(path)
    buffer = io.BytesIO()
    torch.save({"format": "something-else", "version": CHECKPOINT_VERSION}, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="not an astrobuild-multimodal checkpoint"):
        load_checkpoint(path)


def test_a_model_without_the_graph_keeps_no_vocabulary_and_ignores_the_store(trained, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(trained, root)
    section = train_section(epochs=1, batch_size=4, modalities=["spectrum", "planet_params"])
    train_model(section, root=root, threads=1)
    payload = _payload(root)
    assert payload["vocabulary"] is None and set(payload["layout"]) == {"modalities", "task", "spectrum",
                                                                         "planet_params"}
    pathways = copy.deepcopy(PATHWAYS)
    pathways["map00020"].append(("C5", "C6", False))
    write_graphs(tmp_path / "other", pathways)
    # another climate grid changes nothing the model reads
    config = train_config(section)
    changed = dataclasses.replace(config, climate=dataclasses.replace(config.climate, lat=3))
    load_checkpoint(root / MODEL, graphs=tmp_path / "other", layout=changed)
