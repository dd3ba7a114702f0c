"""Benchmark: the features store, from pooling every run's inputs to the first training step, and the
learning stage's loader over it.

On a scratch set of build products with ``--runs`` runs (default 1,008: the sample
universe's size at scale 84), written to a temporary folder with the project's own
writers and removed afterwards, it prints in one run:

1. **Pooling** (what rules ``pool_features_<n>`` do once per build): runs/s of
   :func:`~astrobuild.features.pool.pool_runs` over every run with fresh
   :class:`~astrobuild.features.pool.RawSources` (each climate store opened through
   xarray and pooled onto the model grid, each spectrum binned, each union graph
   built, each planet's parameters looked up), against the *bare store reads* of
   the same runs, timed in the same run, the two taking turns (best of ``--repeat``
   each): per run ``zarr.open_group`` of its climate store and every data variable
   (not the dimension coordinates) read whole into numpy, plus the spectra table
   (``pyarrow.parquet.read_table``) and the graph store (``load_graph_store``) read
   once. Target: ours / bare >= 0.5. Then the merge (rule ``build_features``): the
   pooled arrays cut into batches of ``climate.batch_size`` runs (the conversion
   batches), each written by :func:`write_batch` (what each pooling job ends with),
   and :func:`merge_batches` + :func:`write_store` (the Zarr group written, read back
   and compared array by array) timed apart.
2. **From the features store to the first training step**, in this process (the
   imports are timed apart, in a fresh interpreter): :func:`load_store` (with the
   pooling-settings check), :func:`read_inputs` of every labelled run,
   :func:`fit_norm` over them, the dataset and loader, the first batch, and the
   first step of the default model (:class:`MultiModalNet` of ``model_spec``,
   AdamW, BCE with logits: forward, backward, update, as ``learn.train.fit`` does),
   against the wall time of a default training: :func:`train_model` with the
   schema's ``train`` defaults (5-fold cross-validation grouped by host star and
   the final model, yardsticks, files, plots), on ``--threads`` torch threads,
   over every run, or over ``--train-runs`` runs (whole planets) when given, as
   the output then says. Target: the first step <= 5 % of the training.
3. **The loader over the store**: samples/s of whole shuffled epochs of the real
   loader (``DataLoader`` over :class:`PlanetRunDataset` + :func:`collate`, every
   modality, the default ``train`` config: batch 16, cube [2 vars, 4 steps, 8 lat,
   16 lon, 1 layer]), its cache being what :func:`read_inputs` returns, with 0, 1
   and 2 workers (the first epoch, which starts workers and normalises the items,
   is not counted), against the ceiling: the same normalised arrays stacked in
   memory, one numpy fancy index per batch and key, the graphs batched by the same
   :func:`collate`. Targets: >= 1,000 samples/s, >= 0.5 of the ceiling. And the
   share of a training step spent waiting for data: steps of the default model fed
   by the real loader (the time blocked in ``next()`` measured directly), taking
   turns with steps on preloaded batches. Target: < 10 %.

The products: ``--templates`` distinct cubes written by the sample's cube writer
at the model's default grid and converted by ``nc_to_zarr``; every run gets its own
store on disk, a copy of one template (converting 1,000 cubes would time the
converter); a KEGG graph store of 40 pathways over 200 compounds
(``write_graph_store``; runs union 6-12 pathways, ~100 nodes, as the sample's
do); a 150-point spectrum and a planet row per run (``write_parquet``; one or two
planets per host star). Their generation is timed separately.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_loader.py            # 1,008 runs
    PYTHONPATH=src .venv/bin/python benchmarks/bench_loader.py --runs 240 # quick
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
import zarr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_interleaved, row  # noqa: E402

from astrobuild.climate.convert import nc_to_zarr  # noqa: E402
from astrobuild.climate.store import ZarrOptions  # noqa: E402
from astrobuild.configschema import defaults  # noqa: E402
from astrobuild.features.config import RawInputs, pooling_config  # noqa: E402
from astrobuild.features.pool import RUN_COLUMNS, RawSources, pool_runs  # noqa: E402
from astrobuild.features.store import (  # noqa: E402
    ARRAYS,
    graph_slices,
    load_store,
    merge_batches,
    pooling_attrs,
    write_batch,
    write_store,
)
from astrobuild.io import write_parquet  # noqa: E402
from astrobuild.kegg.graphs import load_graph_store, write_graph_store  # noqa: E402
from astrobuild.learn.config import Inputs, train_config  # noqa: E402
from astrobuild.learn.dataset import PlanetRunDataset, collate, to_device  # noqa: E402
from astrobuild.learn.model import MultiModalNet, model_spec  # noqa: E402
from astrobuild.learn.norm import fit_norm  # noqa: E402
from astrobuild.learn.pipeline import labelled_runs, read_inputs, train_model  # noqa: E402
from astrobuild.learn.train import make_loader, resolve_device, seed_everything  # noqa: E402
from astrobuild.sample.climate import write_cube  # noqa: E402
from astrobuild.sample.universe import build_universe  # noqa: E402

N_PATHWAYS, N_COMPOUNDS = 40, 200
FEATURES = Inputs().features  # data/processed/features


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
                      root / RawInputs().graphs)
    wavelength = np.geomspace(0.6, 5.0, 150)
    n_planets = -(-n_runs // 3)
    planets = pd.DataFrame({"planet": [f"P-{p:04d} b" for p in range(n_planets)],
                            "host": [f"S-{(2 * p) // 3:04d}" for p in range(n_planets)],  # 1 or 2 planets a star
                            "radius_earth": rng.uniform(0.6, 3.2, n_planets),
                            "mass_earth": rng.uniform(0.3, 10, n_planets),
                            "semi_major_axis_au": rng.uniform(0.02, 1.5, n_planets),
                            "orbital_period_days": rng.uniform(3, 400, n_planets),
                            "insolation_earth": rng.uniform(0.2, 2, n_planets),
                            "eq_temp_k": rng.uniform(215, 280, n_planets),
                            "star_teff_k": rng.uniform(2700, 6300, n_planets),
                            "star_radius_sun": rng.uniform(0.13, 1.25, n_planets),
                            "star_mass_sun": rng.uniform(0.1, 1.2, n_planets)})
    write_parquet(pa.Table.from_pandas(planets, preserve_index=False), root / RawInputs().exoplanets)
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
                  root / RawInputs().spectra)
    registry = pd.DataFrame(rows)[RUN_COLUMNS]
    write_parquet(pa.Table.from_pandas(registry, preserve_index=False), root / RawInputs().registry)
    return pd.read_parquet(root / RawInputs().registry)


# --- 1. pooling against bare store reads --------------------------------------------------------------

def data_variables(group: zarr.Group) -> list[str]:
    """The group's arrays that are data, not coordinates: an array named after its own only dimension
    (``lat``, ``time``) or listed in a ``coordinates`` attribute is a coordinate."""
    arrays = dict(group.arrays())
    coords = set(str(group.attrs.get("coordinates", "")).split())
    for name, array in arrays.items():
        if tuple(array.metadata.dimension_names or ()) == (name,):
            coords.add(name)
        coords.update(str(array.attrs.get("coordinates", "")).split())
    return sorted(set(arrays) - coords)


def bare_reads(root: Path, runs: pd.DataFrame) -> int:
    """The baseline: every run's store opened with zarr and its data variables read whole, the spectra
    table and the graph store read once; returns the bytes read from the stores (decoded)."""
    pq.read_table(root / RawInputs().spectra)
    load_graph_store(root / RawInputs().graphs)
    nbytes = 0
    for store in runs["climate_store"]:
        group = zarr.open_group(root / store, mode="r", zarr_format=3)
        for name in data_variables(group):
            nbytes += np.asarray(group[name][...]).nbytes
    return nbytes


def pool_all(root: Path, runs: pd.DataFrame, section: dict) -> tuple[dict[str, np.ndarray], RawSources]:
    """Ours: every run pooled by :func:`pool_runs` with fresh sources (its progress bar silenced)."""
    sources = RawSources(pooling_config(section), root=root)
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        arrays = pool_runs(runs, sources)
    return arrays, sources


def split_batches(arrays: dict[str, np.ndarray], size: int) -> list[dict[str, np.ndarray]]:
    """The pooled arrays as batches of ``size`` runs (the flat graph arrays cut to follow)."""
    node_start, edge_start = graph_slices(arrays["graph_node_count"], arrays["graph_edge_count"])
    n = len(arrays["run_id"])
    parts = []
    for s in range(0, n, size):
        rows = slice(s, min(n, s + size))
        part = {name: arrays[name][rows] for name, (_, dims) in ARRAYS.items() if dims[0] == "run"}
        n0, e0 = node_start[s], edge_start[s]
        part["graph_nodes"] = arrays["graph_nodes"][n0:n0 + part["graph_node_count"].sum()]
        part["graph_edges"] = arrays["graph_edges"][:, e0:e0 + part["graph_edge_count"].sum()]
        parts.append(part)
    return parts


def merge_times(root: Path, arrays: dict[str, np.ndarray], sources: RawSources, batch_size: int
                ) -> tuple[int, float, float]:
    """(batches, seconds writing them, seconds of merge_batches + write_store); checks the store."""
    sources.spectra.load()
    meta = {**pooling_attrs(sources.config), "compound_ids": sources.graphs.compound_ids,
            "pathway_ids": sources.graphs.pathway_ids, "spectrum_points_flagged": sources.spectra.flagged_points}
    parts = split_batches(arrays, batch_size)
    paths = [root / "data/interim/features" / f"batch_{b:04d}.npz" for b in range(len(parts))]
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for part, path in zip(parts, paths, strict=True):
        write_batch(part, meta, path)
    written = time.perf_counter() - start
    start = time.perf_counter()
    merged, merged_meta = merge_batches([str(p) for p in paths])
    write_store(merged, merged_meta, root / FEATURES)
    merge_s = time.perf_counter() - start
    back = load_store(root / FEATURES)
    for name in ARRAYS:
        if not np.array_equal(back.arrays[name], arrays[name], equal_nan=arrays[name].dtype.kind == "f"):
            raise SystemExit(f"the features store's {name!r} differs from the pooled arrays")
    return len(parts), written, merge_s


# --- 2. features store -> first training step -------------------------------------------------------

def first_step(root: Path, runs: pd.DataFrame, section: dict) -> dict[str, float]:
    """Seconds of each stage from the features store on disk to the first optimizer step (cumulative)."""
    config = train_config(section)
    device = resolve_device(config.device)
    marks = {}
    start = time.perf_counter()
    store = load_store(root / FEATURES)
    store.check_pooling(config.pooling)
    marks["load_store (every array in memory)"] = time.perf_counter()
    cache = read_inputs(runs, store, config.modalities)
    marks["read_inputs"] = time.perf_counter()
    norm = fit_norm(cache.items(), config.modalities, store.attrs["channels"])
    marks["fit_norm"] = time.perf_counter()
    loader = make_loader(PlanetRunDataset(runs, config, norm, cache), config, device, shuffle=True)
    batch = to_device(next(iter(loader)), device)
    marks["dataset, loader, first batch"] = time.perf_counter()
    seed_everything(config.seed)
    model = MultiModalNet(model_spec(config, len(store.compound_ids))).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True)
    marks["model and optimizer built"] = time.perf_counter()
    loss = torch.nn.BCEWithLogitsLoss(reduction="sum")(model(batch).float(), batch["label"])
    optimiser.zero_grad(set_to_none=True)
    (loss / len(batch["label"])).backward()
    optimiser.step()
    marks["first step: forward, backward, AdamW"] = time.perf_counter()
    return {name: t - start for name, t in marks.items()}


def import_seconds() -> float:
    """Wall time of a fresh interpreter importing what the training imports."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import astrobuild.learn.pipeline"], check=True,
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                       str(Path(__file__).resolve().parents[1] / "src"), os.environ.get("PYTHONPATH")]))})
    return time.perf_counter() - start


def training_subset(root: Path, runs: pd.DataFrame, n: int) -> Inputs:
    """Inputs whose registry holds about ``n`` of ``runs``, whole planets (the features store serves all)."""
    planets = runs["planet"].drop_duplicates().iloc[:max(1, -(-n // 3))]
    subset = runs[runs["planet"].isin(set(planets))]
    path = "data/processed/planet_runs_train_subset.parquet"
    write_parquet(pa.Table.from_pandas(subset.reset_index(drop=True), preserve_index=False), root / path)
    return Inputs(registry=path)


# --- 3. the loader against the ceiling ---------------------------------------------------------------
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
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
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
    parser.add_argument("--repeat", type=int, default=2, help="pooling and bare reads, best of this many in turns")
    parser.add_argument("--train-runs", type=int, default=0,
                        help="train the default training on about this many runs (whole planets); 0: all")
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per loader (after one warm-up epoch)")
    parser.add_argument("--steps", type=int, default=150, help="training steps timed of each kind (data-wait share)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (resources.train.threads: 2)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    section = train_defaults()  # the default training: every train key at its schema default
    config = train_config(section)
    batch_runs = int(defaults("climate")["batch_size"])
    with tempfile.TemporaryDirectory(prefix="bench_loader_") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        runs = make_products(root, args.runs, args.templates)
        generated = time.perf_counter() - start
        print(f"features: {len(runs)} runs ({args.templates} distinct cubes), cube {list(config.climate.shape)}, "
              f"batch {config.batch_size}, {args.threads} threads; products written in {generated:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

        # 1. pooling
        pooled: dict = {}

        def ours() -> None:
            pooled["arrays"], pooled["sources"] = pool_all(root, runs, section)

        def bare() -> None:
            pooled["bytes"] = bare_reads(root, runs)

        ours_s, bare_s = best_interleaved([ours, bare], args.repeat)
        print(f"1. pooling (rules pool_features_<n>), every run, best of {args.repeat} in turns:")
        row("ours: pool_runs, fresh RawSources", f"{len(runs) / ours_s:,.0f} runs/s ({ours_s:.2f} s, "
            f"{ours_s / len(runs) * 1e3:.2f} ms a run)")
        row("bare: zarr open + data variables, tables once", f"{len(runs) / bare_s:,.0f} runs/s ({bare_s:.2f} s, "
            f"{pooled['bytes'] / len(runs) / 1024:.0f} KiB a run)")
        row("ours / bare (target >= 0.5)", f"{bare_s / ours_s:.2f}")
        batches, written_s, merge_s = merge_times(root, pooled["arrays"], pooled["sources"], batch_runs)
        size = sum(p.stat().st_size for p in (root / FEATURES).rglob("*") if p.is_file())
        row(f"write_batch, {batches} batches of {batch_runs} runs", f"{written_s:.2f} s")
        row("merge_batches + write_store (read back, compared)", f"{merge_s:.2f} s; store {size / 2**20:.1f} MiB, "
            f"{size / len(runs) / 1024:.1f} KiB a run")
        row("merge / pooling", f"{(written_s + merge_s) / ours_s:.2f}")

        # 2. features store -> first training step, against a default training
        labelled, _ = labelled_runs(root / RawInputs().registry)
        stages = first_step(root, labelled, section)
        imports = import_seconds()
        inputs = training_subset(root, runs, args.train_runs) if 0 < args.train_runs < len(runs) else Inputs()
        trained_on = len(labelled_runs(root / inputs.registry)[0])
        start = time.perf_counter()
        metrics = train_model(section, inputs=inputs, root=root, threads=args.threads)
        train_s = time.perf_counter() - start
        total = list(stages.values())[-1]
        print(f"2. features store -> first training step ({len(labelled)} labelled runs, in this process):")
        for name, t in stages.items():
            row(f"  {name}", f"{t:.3f} s")
        row("first step, in all", f"{total:.2f} s (imports apart: {imports:.1f} s in a fresh interpreter)")
        subset = "" if trained_on == len(labelled) else f" (a SUBSET: --train-runs {args.train_runs})"
        row("default training: train_model, schema defaults",
            f"{train_s:.1f} s on {trained_on} runs{subset}, {metrics['cv']['folds']} folds + final model, "
            f"{args.threads} threads")
        row("first step / training (target <= 5 %)", f"{total / train_s:.1%} (load average {os.getloadavg()[0]:.1f})")

        # 3. the loader against the ceiling
        store = load_store(root / FEATURES)
        cache = read_inputs(runs, store, config.modalities)
        norm = fit_norm(cache.items(), config.modalities, store.attrs["channels"])
        vocabulary = len(store.compound_ids)
        memory = InMemory(PlanetRunDataset(runs, config, norm, cache))
        ceiling = ceiling_rate(memory, len(runs), config.batch_size, args.epochs)
        print("3. loader epochs (its cache: read_inputs from the features store):")
        rates = {}
        for workers in (0, 1, 2):
            _, rates[workers] = loader_rate(PlanetRunDataset(runs, config, norm, cache), config, workers, args.epochs)
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
            step_s, wait_s, pre_s = step_times(PlanetRunDataset(runs, config, norm, cache), config, vocabulary,
                                               workers, preloaded, args.steps)
            row(f"{workers} worker(s): step, of it waiting for data",
                f"{step_s * 1e3:.1f} ms, {wait_s * 1e3:.2f} ms = {wait_s / step_s:.1%} (target < 10 %)")
            row("  preloaded batches: step; extra time with the loader", f"{pre_s * 1e3:.1f} ms; "
                f"{max(0.0, step_s - pre_s) / step_s:.1%} of the loader's step")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
