"""Pooling opens each climate store and each shared table once; training and its loader workers open none."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd
import pytest
import torch

from astrobuild.features import climate as learn_climate
from astrobuild.features import graphs as learn_graphs
from astrobuild.features import params as learn_params
from astrobuild.features import spectra as learn_spectra
from astrobuild.features.pool import RawSources, pool_runs
from astrobuild.learn.config import train_config
from astrobuild.learn.dataset import PlanetRunDataset
from astrobuild.learn.norm import fit_norm
from astrobuild.learn.train import make_loader
from tests.learn_products import make_products, store_inputs, train_section

N_RUNS = 12


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("loader_products")
    make_products(root, n_planets=6, runs_per_planet=2)
    return root


def _logging_opens(monkeypatch, log: Path) -> None:
    """Every open of a store or table appends ``<pid> <what> <path>`` to ``log`` (workers too: they fork)."""
    targets = [(learn_climate, "open_store"), (learn_graphs, "load_graph_store")]
    for module, name in targets:
        real = getattr(module, name)

        def logged(path, *args, _real=real, _name=name, **kwargs):
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{torch.utils.data.get_worker_info().id if torch.utils.data.get_worker_info() else 'main'}"
                             f" {_name} {Path(path).name}\n")
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(module, name, logged)
    real_read = learn_params.pq.read_table  # the same pyarrow.parquet module in learn.spectra

    def logged_read(path, *args, **kwargs):
        if Path(path).name in ("spectra.parquet", "exoplanets.parquet"):  # not the graph store's own files
            with open(log, "a", encoding="utf-8") as handle:
                info = torch.utils.data.get_worker_info()
                handle.write(f"{info.id if info else 'main'} read_table {Path(path).name}\n")
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(learn_params.pq, "read_table", logged_read)
    assert learn_spectra.pq is learn_params.pq


def _opens(log: Path) -> list[tuple[str, str, str]]:
    return [tuple(line.split(" ", 2)) for line in log.read_text().splitlines()] if log.exists() else []


def test_pooling_opens_each_store_once_and_each_shared_table_once(products, tmp_path, monkeypatch):
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    log = tmp_path / "opens.log"
    _logging_opens(monkeypatch, log)
    arrays = pool_runs(runs, RawSources(train_config(train_section()).pooling, root=products))
    assert len(arrays["run_id"]) == N_RUNS
    opens = _opens(log)
    stores = [path for _, what, path in opens if what == "open_store"]
    tables = [(what, path) for _, what, path in opens if what != "open_store"]
    assert sorted(stores) == sorted(Path(s).name for s in runs["climate_store"]), "each store once"
    assert sorted(tables) == [("load_graph_store", "kegg_graphs"), ("read_table", "exoplanets.parquet"),
                              ("read_table", "spectra.parquet")]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="counts opens in forked workers")
@pytest.mark.parametrize("workers", [0, 2])
def test_training_and_its_workers_open_no_store_over_epochs(products, tmp_path, monkeypatch, workers):
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    config = train_config(train_section(num_workers=workers, batch_size=4))
    log = tmp_path / "opens.log"
    _logging_opens(monkeypatch, log)
    cache, channels = store_inputs(products, runs, config)  # what rule train does before training
    norm = fit_norm(cache.items(), config.modalities, channels)
    loader = make_loader(PlanetRunDataset(runs, config, norm, cache), config, torch.device("cpu"), shuffle=True)
    seen = []
    for _ in range(3):
        seen += [m["run_id"] for batch in loader for m in batch["run_metadata"]]
    assert sorted(seen) == sorted(list(runs["run_id"]) * 3)
    assert _opens(log) == []
