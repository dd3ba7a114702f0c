"""Benchmark: the learning stage's data loader against the same arrays already in memory.

On a scratch set of build products with ``--runs`` runs (default 1,008: the sample
universe's size at scale 84), written to a temporary folder with the project's own
writers and removed afterwards, it prints in one run:

* samples/s of the real loader (``DataLoader`` over :class:`PlanetRunDataset` +
  :func:`collate`, every modality, the default ``train`` config: batch 16,
  cube [2 vars, 4 steps, 8 lat, 16 lon, 1 layer]) with 0, 1 and 2 workers:

  - *cold*: a fresh dataset, every store opened, every cube pooled, every spectrum
    binned and every union graph built (what the first pass over a run costs);
  - *epoch*: the steady state of training: raw inputs read once before the loader
    starts (as rule ``train`` does), then whole shuffled epochs (the first one,
    which starts workers and normalises the items, is not counted);

* the ceiling: the same normalised arrays stacked in memory, one numpy fancy
  index per batch and key, the graphs batched by the same :func:`collate`;
* the share of a training step spent waiting for data: steps of the default
  model (forward, backward, AdamW) fed by the real loader, the time blocked in
  ``next()`` measured directly, and, taking turns with them, steps on preloaded
  batches (no data wait at all): the step-time difference is the loader's cost.

Targets: >= 1,000 samples/s (epoch) on 2 CPU cores, >= 0.5 of the ceiling, data
wait < 10 % of the step time.

The products: ``--templates`` distinct cubes written by the sample's cube writer
at the model's default grid and converted by ``nc_to_zarr``; every run gets its own
store on disk, a copy of one template (converting 1,000 cubes would time the
converter, not the loader); a KEGG graph store of 40 pathways over 200 compounds
(``write_graph_store``; runs union 6-12 pathways, ~100 nodes, as the sample's
do); a 150-point spectrum and a planet row per run (``write_parquet``). Their
generation is timed separately.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_loader.py            # 1,008 runs
    PYTHONPATH=src .venv/bin/python benchmarks/bench_loader.py --runs 240 # quick
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import row  # noqa: E402

from astrobuild.climate.convert import nc_to_zarr  # noqa: E402
from astrobuild.climate.store import ZarrOptions  # noqa: E402
from astrobuild.configschema import defaults  # noqa: E402
from astrobuild.io import write_parquet  # noqa: E402
from astrobuild.kegg.graphs import write_graph_store  # noqa: E402
from astrobuild.learn.config import train_config  # noqa: E402
from astrobuild.learn.dataset import RUN_COLUMNS, PlanetRunDataset, Sources, collate  # noqa: E402
from astrobuild.learn.model import MultiModalNet, model_spec  # noqa: E402
from astrobuild.learn.norm import fit_norm  # noqa: E402
from astrobuild.learn.pipeline import read_inputs  # noqa: E402
from astrobuild.learn.train import make_loader  # noqa: E402
from astrobuild.sample.climate import write_cube  # noqa: E402
from astrobuild.sample.universe import build_universe  # noqa: E402

N_PATHWAYS, N_COMPOUNDS = 40, 200


def train_defaults(**overrides) -> dict:
    """The ``train:`` section with the schema's defaults (as Snakemake fills them in)."""
    from snakemake.utils import validate

    config = {"train": copy.deepcopy(overrides)}
    validate(config, str(Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"))
    return config["train"]


def make_products(root: Path, n_runs: int, n_templates: int, seed: int = 0) -> pd.DataFrame:
    """Registry, stores, graph store, spectra and planets under ``root`` (the workflow's paths)."""
    config = train_config(train_defaults())
    c = config.climate
    rng = np.random.Generator(np.random.PCG64(seed))
    universe = build_universe(max(1, -(-n_templates // 12)), seed)
    opts = ZarrOptions.from_config(defaults("climate"))
    templates = []
    for k, run in enumerate(universe.runs[:n_templates]):
        nc = root / "raw" / f"t{k:03d}.nc"
        nc.parent.mkdir(parents=True, exist_ok=True)
        write_cube(nc, run, np.random.Generator(np.random.PCG64([seed, k, zlib.crc32(run.run_name.encode())])),
                   ntime=c.time_steps, nlat=c.lat, nlon=c.lon, nlev=max(1, c.lev))
        store = root / "templates" / f"t{k:03d}.zarr"
        nc_to_zarr(nc, store, opts)
        templates.append(store)
    pathways = [f"map{10 + 10 * p:05d}" for p in range(N_PATHWAYS)]
    edges = []
    for p, pathway in enumerate(pathways):
        compounds = rng.choice(N_COMPOUNDS, size=int(rng.integers(20, 40)), replace=False)
        for r in range(int(rng.integers(25, 50))):
            s, t = rng.choice(compounds, size=2, replace=False)
            edges.append({"pathway": pathway, "reaction": f"rn:R{p:02d}{r:03d}", "substrate": f"cpd:C{s:05d}",
                          "product": f"cpd:C{t:05d}", "reversible": bool(rng.random() < 0.5)})
    env = pd.DataFrame({"pathway": pathways, "pH": rng.uniform(5, 9, N_PATHWAYS),
                        "temp": rng.uniform(270, 360, N_PATHWAYS), "O2": rng.uniform(0, 0.3, N_PATHWAYS),
                        "redox": rng.uniform(-0.4, 0.4, N_PATHWAYS)})
    write_graph_store(pd.DataFrame(edges).drop_duplicates(["pathway", "reaction", "substrate", "product"]), env,
                      root / "data/processed/kegg_graphs")
    wavelength = np.geomspace(0.6, 5.0, 150)
    n_planets = -(-n_runs // 3)
    planets = pd.DataFrame({"planet": [f"P-{p:04d} b" for p in range(n_planets)],
                            "radius_earth": rng.uniform(0.6, 3.2, n_planets),
                            "mass_earth": rng.uniform(0.3, 10, n_planets),
                            "semi_major_axis_au": rng.uniform(0.02, 1.5, n_planets),
                            "orbital_period_days": rng.uniform(3, 400, n_planets),
                            "insolation_earth": rng.uniform(0.2, 2, n_planets),
                            "eq_temp_k": rng.uniform(215, 280, n_planets),
                            "star_teff_k": rng.uniform(2700, 6300, n_planets),
                            "star_radius_sun": rng.uniform(0.13, 1.25, n_planets),
                            "star_mass_sun": rng.uniform(0.1, 1.2, n_planets)})
    write_parquet(pa.Table.from_pandas(planets, preserve_index=False), root / "data/processed/exoplanets.parquet")
    rows, spectra = [], []
    for i in range(n_runs):
        store = f"data/processed/climate/r{i:05d}.zarr"
        shutil.copytree(templates[i % len(templates)], root / store)
        stem = f"r{i:05d}"
        depth = 1000.0 * (1 + 0.03 * np.sin(3 * wavelength + i)) + rng.normal(0, 5, wavelength.size)
        spectra.append(pd.DataFrame({"spectrum": stem, "order": 1, "wavelength_um": wavelength,
                                     "wavelength_err_um": np.nan, "depth_ppm": depth, "depth_err_ppm": 5.0,
                                     "quality": 0.0}))
        chosen = sorted(rng.choice(pathways, size=int(rng.integers(6, 13)), replace=False))
        rows.append({"run_id": f"run-{i:016x}", "planet": f"P-{i // 3:04d} b", "scenario": f"s{i % 3}",
                     "label": bool(rng.random() < 0.3), "climate_store": store, "spectrum": stem,
                     "pathways": " ".join(chosen)})
    write_parquet(pa.Table.from_pandas(pd.concat(spectra, ignore_index=True), preserve_index=False),
                  root / "data/processed/spectra.parquet")
    registry = pd.DataFrame(rows)[RUN_COLUMNS]
    write_parquet(pa.Table.from_pandas(registry, preserve_index=False), root / "data/processed/planet_runs.parquet")
    return pd.read_parquet(root / "data/processed/planet_runs.parquet")


def loader_rate(dataset, config, workers: int, epochs: int) -> tuple[float, float]:
    """(samples/s of the first epoch, samples/s of the next ``epochs``) for a loader with ``workers``."""
    cfg = dataclasses.replace(config, num_workers=workers)
    loader = make_loader(dataset, cfg, torch.device("cpu"), shuffle=True)
    start = time.perf_counter()
    n = sum(len(batch["label"]) for batch in loader)
    first = n / (time.perf_counter() - start)
    start = time.perf_counter()
    n = sum(len(batch["label"]) for _ in range(epochs) for batch in loader)
    rest = n / (time.perf_counter() - start)
    del loader
    return first, rest


class InMemory:
    """The ceiling: every normalised item's arrays stacked; a batch is one fancy index per key."""

    def __init__(self, dataset: PlanetRunDataset):
        items = [dataset[i] for i in range(len(dataset))]
        self.arrays = {k: np.stack([it[k].numpy() for it in items]) for k in items[0]
                       if isinstance(items[0][k], torch.Tensor)}
        self.graphs = [{"bio_graph": it["bio_graph"], "run_metadata": it["run_metadata"]} for it in items]

    def batch(self, idx: np.ndarray) -> dict:
        out = collate([self.graphs[i] for i in idx])
        out.update({k: torch.from_numpy(a[idx]) for k, a in self.arrays.items()})
        return out


def ceiling_rate(memory: InMemory, n: int, batch_size: int, epochs: int, seed: int = 0) -> float:
    rng = np.random.Generator(np.random.PCG64(seed))
    start = time.perf_counter()
    seen = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch_size):
            seen += len(memory.batch(order[s:s + batch_size])["label"])
    return seen / (time.perf_counter() - start)


def step_times(dataset, config, vocabulary: int, workers: int, preloaded: list[dict], steps: int
               ) -> tuple[float, float, float]:
    """Seconds per step fed by the loader, seconds of it spent waiting for the next batch, and seconds
    per step on a preloaded batch: one model, the two kinds of step taking turns, so that both meet
    the same moments of load on a shared machine."""
    cfg = dataclasses.replace(config, num_workers=workers)
    torch.manual_seed(0)
    model = MultiModalNet(model_spec(cfg, vocabulary))
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, foreach=True)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step(batch):
        loss = loss_fn(model(batch), batch["label"])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    loader = make_loader(dataset, cfg, torch.device("cpu"), shuffle=True)
    batches = iter(loader)
    for _ in range(len(loader)):  # the first epoch starts the workers and normalises the items
        step(next(batches))
    with_loader = waited = without = 0.0
    for k in range(steps):
        t0 = time.perf_counter()
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        t1 = time.perf_counter()
        step(batch)
        t2 = time.perf_counter()
        step(preloaded[k % len(preloaded)])
        t3 = time.perf_counter()
        with_loader, waited, without = with_loader + t2 - t0, waited + t1 - t0, without + t3 - t2
    del batches, loader
    return with_loader / steps, waited / steps, without / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1008)
    parser.add_argument("--templates", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per loader (after one warm-up epoch)")
    parser.add_argument("--steps", type=int, default=150, help="training steps timed of each kind (data-wait share)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = train_config(train_defaults(device="cpu"))
    with tempfile.TemporaryDirectory(prefix="bench_loader_") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        runs = make_products(root, args.runs, args.templates)
        generated = time.perf_counter() - start
        print(f"loader: {len(runs)} runs ({args.templates} distinct cubes), cube {list(config.climate.shape)}, "
              f"batch {config.batch_size}, {args.threads} threads; products written in {generated:.1f} s")

        sources = Sources(config, root=root)
        start = time.perf_counter()
        cache = read_inputs(runs, sources)
        read_s = time.perf_counter() - start
        norm = fit_norm(cache.items(), config.modalities, sources.channel_names())
        vocabulary = sources.graphs.vocabulary_size

        print("cold (fresh dataset: stores opened, cubes pooled, spectra binned, graphs built):")
        row("read_inputs, in the training process", f"{len(runs) / read_s:,.0f} samples/s")
        for workers in (0, 2):
            cold, _ = loader_rate(PlanetRunDataset(runs, Sources(config, root=root), norm), config, workers, 0)
            row(f"first epoch, {workers} worker(s)", f"{cold:,.0f} samples/s")

        memory = InMemory(PlanetRunDataset(runs, sources, norm, cache))
        ceiling = ceiling_rate(memory, len(runs), config.batch_size, args.epochs)
        print("epochs (raw inputs read once before the loader starts, as rule train does):")
        rates = {}
        for workers in (0, 1, 2):
            _, rates[workers] = loader_rate(PlanetRunDataset(runs, sources, norm, cache), config, workers, args.epochs)
            row(f"real loader, {workers} worker(s)", f"{rates[workers]:,.0f} samples/s "
                f"({rates[workers] / ceiling:.2f} of the ceiling)")
        row("ceiling: arrays in memory, numpy index + collate", f"{ceiling:,.0f} samples/s")
        best = max(rates, key=rates.get)
        row("best: ours / ceiling (target >= 0.5)", f"{rates[best] / ceiling:.2f} ({best} worker(s))")
        row("best samples/s (target >= 1,000)", f"{rates[best]:,.0f}")

        rng = np.random.Generator(np.random.PCG64(1))
        preloaded = [memory.batch(rng.permutation(len(runs))[:config.batch_size]) for _ in range(16)]
        print(f"training step, default model (forward, backward, AdamW), {args.steps} steps of each kind in turn:")
        for workers in sorted({config.num_workers, 0, 1, 2}):
            step_s, wait_s, pre_s = step_times(PlanetRunDataset(runs, sources, norm, cache), config, vocabulary,
                                               workers, preloaded, args.steps)
            row(f"{workers} worker(s): step, of it waiting for data",
                f"{step_s * 1e3:.1f} ms, {wait_s * 1e3:.2f} ms = {wait_s / step_s:.1%} (target < 10 %)")
            row("  preloaded batches: step; extra time with the loader", f"{pre_s * 1e3:.1f} ms; "
                f"{max(0.0, step_s - pre_s) / step_s:.1%} of the loader's step")


if __name__ == "__main__":
    main()
