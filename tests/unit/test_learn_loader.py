"""The DataLoader over the dataset opens each store once per worker, never once per item or per epoch."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd
import pytest
import torch

from astrobuild.learn import climate as learn_climate
from astrobuild.learn import graphs as learn_graphs
from astrobuild.learn import params as learn_params
from astrobuild.learn import spectra as learn_spectra
from astrobuild.learn.config import train_config
from astrobuild.learn.dataset import PlanetRunDataset, Sources
from astrobuild.learn.norm import fit_norm
from astrobuild.learn.pipeline import read_inputs
from astrobuild.learn.train import make_loader
from tests.learn_products import make_products, train_section

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


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="counts opens in forked workers")
@pytest.mark.parametrize("workers", [0, 2])
def test_each_store_is_opened_once_per_worker_not_per_item_or_epoch(products, tmp_path, monkeypatch, workers):
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    config = train_config(train_section(num_workers=workers, batch_size=4))
    # the norm statistics from a separate reader: the loader's own sources start cold
    sources = Sources(config, root=products)
    norm = fit_norm(read_inputs(runs, sources).items(), config.modalities, sources.channel_names())
    log = tmp_path / "opens.log"
    _logging_opens(monkeypatch, log)
    dataset = PlanetRunDataset(runs, Sources(config, root=products), norm)  # empty raw cache
    loader = make_loader(dataset, config, torch.device("cpu"), shuffle=True)
    seen = []
    for _ in range(3):
        seen += [m["run_id"] for batch in loader for m in batch["run_metadata"]]
    assert len(seen) == 3 * N_RUNS
    opens = _opens(log)
    stores = [(who, path) for who, what, path in opens if what == "open_store"]
    tables = [(who, what, path) for who, what, path in opens if what != "open_store"]
    # every store at most once per process over three epochs, and every one read at least once
    assert len(stores) == len(set(stores)) and {p for _, p in stores} == {Path(s).name for s in runs["climate_store"]}
    # each shared table (graph store, spectra, planets) at most once per process
    assert len(tables) == len(set(tables)) and len(tables) <= 3 * max(1, workers)
    assert {who for who, *_ in opens} == ({"main"} if workers == 0 else {"0", "1"})


def test_workers_inherit_a_filled_cache_and_open_nothing(products, tmp_path, monkeypatch):
    runs = pd.read_parquet(products / "data/processed/planet_runs.parquet")
    config = train_config(train_section(num_workers=2, batch_size=4))
    sources = Sources(config, root=products)
    cache = read_inputs(runs, sources)  # what rule train does before training
    norm = fit_norm(cache.items(), config.modalities, sources.channel_names())
    log = tmp_path / "opens.log"
    _logging_opens(monkeypatch, log)
    loader = make_loader(PlanetRunDataset(runs, sources, norm, cache), config, torch.device("cpu"), shuffle=True)
    for _ in range(2):
        assert sum(len(batch["label"]) for batch in loader) == N_RUNS
    assert _opens(log) == []
