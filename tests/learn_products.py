"""Tiny build products for the learning tests: registry, Zarr stores, graph store, spectra and planets.

Written with the project's own writers (the sample's NetCDF cube writer, ``nc_to_zarr``,
``write_graph_store``, ``write_parquet``), small enough for unit tests: ``n_planets``
planets with ``runs_per_planet`` runs each, 4 time steps on an 8x16 grid.
"""

from __future__ import annotations

import copy
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from snakemake.utils import validate

from astrobuild.climate.convert import nc_to_zarr
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.planet_runs import PlanetRuns
from astrobuild.features.pipeline import build_features, pool_features
from astrobuild.io import write_parquet
from astrobuild.kegg.graphs import write_graph_store
from astrobuild.sample.climate import write_cube
from astrobuild.sample.universe import Run
from tests.climate_options import zarr_options
from tests.workflow import REPO

SCHEMA = str(REPO / "schemas" / "config.schema.yaml")
# The registry's forcings, as the schema's default train.run_columns name them.
FORCINGS = ["run:co2_ppm", "run:instellation_earth"]
REGISTRY_SCHEMA = arrow_schema(PlanetRuns, FORCINGS)
PATHWAYS = {  # pathway -> (substrate, product, reversible) rows; C2/C3 are shared
    "map00010": [("C1", "C2", True), ("C2", "C3", False)],
    "map00020": [("C3", "C4", False), ("C4", "C5", True)],
    "map00680": [("C3", "C9", False), ("C9", "C10", False)],  # "methanogenesis": the label's signal
}


def train_section(**overrides) -> dict:
    """The ``train:`` config with the schema's defaults, ``overrides`` merged over it (nested dicts too)."""
    config = {"train": copy.deepcopy(overrides)}
    validate(config, SCHEMA)
    return config["train"]


def shipped_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def make_products(root: Path, n_planets: int = 6, runs_per_planet: int = 2, labels: bool = True,
                  no_spectrum: tuple[int, ...] = (), no_planet: tuple[int, ...] = ()) -> pd.DataFrame:
    """Write the products under ``root`` (paths as the workflow's); returns the registry frame.

    Run ``i`` (in planet-major order) has methanogenesis (and the label) when ``i % 3 == 0``;
    runs listed in ``no_spectrum``/``no_planet`` lack that modality.
    """
    rows, spectra, planets = [], [], []
    wavelength = np.geomspace(0.6, 5.0, 60)
    for p in range(n_planets):
        name = f"P-{p:02d} b"
        planets.append({"planet": name, "radius_earth": 1.0 + 0.2 * p, "mass_earth": 1.0 + p,
                        "semi_major_axis_au": 0.5 + 0.1 * p, "orbital_period_days": 100.0 + 10 * p,
                        "insolation_earth": 1.0 + 0.1 * p, "eq_temp_k": 250.0 + 5 * p if p != 1 else None,
                        "star_teff_k": 5000.0 + 50 * p, "star_radius_sun": 0.9, "star_mass_sun": 0.9})
        for r in range(runs_per_planet):
            i = p * runs_per_planet + r
            stem = f"p{p:02d}_run{r}"
            methane = i % 3 == 0
            pathways = ["map00010", "map00020"] + (["map00680"] if methane else [])
            run = Run(run_name=stem, planet=name, scenario=f"s{r}", co2_ppmv=400.0, surface_temp=260.0 + 7 * i,
                      pole_contrast=30.0, ocean_centre=0.0, habitable_fraction=0.5, habitable=True,
                      biosphere=tuple(pathways), methanogenic=methane, active=methane, abiotic_ch4=False,
                      ch4_strength=0.04 if methane else 0.0, noise_ppm=5.0, band_snr=10.0 if methane else 0.0,
                      ch4_band=methane, biosignature=methane, label=methane)
            nc = root / "raw" / f"{stem}.nc"
            nc.parent.mkdir(parents=True, exist_ok=True)
            rng = np.random.Generator(np.random.PCG64([0, i, zlib.crc32(stem.encode())]))
            write_cube(nc, run, rng, ntime=4, nlat=8, nlon=16, nlev=2)
            store = f"data/processed/climate/{stem}.zarr"
            nc_to_zarr(nc, root / store, zarr_options())
            has_spectrum = i not in no_spectrum
            if has_spectrum:
                depth = 1000.0 + 5.0 * np.sin(3 * wavelength) + (40.0 if methane else 0.0) * (
                    np.abs(wavelength - 3.3) < 0.2)
                spectra += [{"spectrum": stem, "order": None, "wavelength_um": float(w),
                             "wavelength_err_um": None, "depth_ppm": float(d), "depth_err_ppm": 5.0,
                             "quality": None} for w, d in zip(wavelength, depth, strict=True)]
            planet = None if i in no_planet else name
            rows.append({"run_id": f"run-{i:016x}", "planet": planet, "scenario": f"s{r}",
                         "label": methane if labels else None, "climate_file": f"{stem}.nc",
                         "climate_store": store, "source_sha256": f"{i:064x}",
                         "spectrum": stem if has_spectrum else None, "spectrum_match": "run" if has_spectrum else None,
                         "pathways": " ".join(pathways), "n_pathways": len(pathways),
                         # the last run of the first planet gives no CO2: a masked value; a run without a
                         # planet (a cube without a runs.csv row) has no forcings either
                         "run:co2_ppm": None if i == runs_per_planet - 1 or planet is None else 400.0 * (1 + r),
                         "run:instellation_earth": None if planet is None else 1.0 + 0.1 * p})
    write_parquet(pa.Table.from_pylist(rows, schema=REGISTRY_SCHEMA), root / "data/processed/planet_runs.parquet")
    write_parquet(pa.Table.from_pylist(planets), root / "data/processed/exoplanets.parquet")
    spectra_schema = pa.schema([("spectrum", pa.string()), ("order", pa.int64()), ("wavelength_um", pa.float64()),
                                ("wavelength_err_um", pa.float64()), ("depth_ppm", pa.float64()),
                                ("depth_err_ppm", pa.float64()), ("quality", pa.float64())])
    write_parquet(pa.Table.from_pylist(spectra, schema=spectra_schema), root / "data/processed/spectra.parquet")
    write_graphs(root / "data/processed/kegg_graphs")
    make_features(root)
    return pd.DataFrame(rows)


def store_inputs(root: Path, runs: pd.DataFrame, config) -> tuple[dict, dict]:
    """What the training reads for ``runs`` (run id -> raw inputs of config's modalities) and the
    channel names, from the features store under ``root``."""
    from astrobuild.features.store import load_store
    from astrobuild.learn.pipeline import read_inputs

    store = load_store(root / "data/processed/features")
    return read_inputs(runs, store, config.modalities), store.attrs["channels"]


def make_features(root: Path, section: dict | None = None, batches: int = 2) -> None:
    """The features store of the products under ``root`` pooled with ``section`` (default: the schema's
    train defaults), as the build's rules make it: ``batches`` pooling batches, then the merge."""
    section = train_section() if section is None else section
    stores = sorted(pd.read_parquet(root / "data/processed/planet_runs.parquet")["climate_store"])
    paths = []
    for b in range(batches):
        paths.append(root / f"data/interim/features/batch_{b}.npz")
        pool_features(section, stores[b::batches], paths[-1], root=root)
    build_features(paths, root / "data/processed/features")


def write_graphs(store: Path, pathways: dict | None = None) -> None:
    """The KEGG graph store of ``pathways`` (default :data:`PATHWAYS`; same keys, so the env vectors fit)."""
    pathways = PATHWAYS if pathways is None else pathways
    edges = pd.DataFrame([{"pathway": pw, "reaction": f"rn:R{k}{pw[-3:]}", "substrate": f"cpd:{s}",
                           "product": f"cpd:{t}", "reversible": rev}
                          for pw, reactions in pathways.items() for k, (s, t, rev) in enumerate(reactions)])
    env = pd.DataFrame({"pathway": list(PATHWAYS), "pH": [7.0, 7.0, 6.5], "temp": [300.0, 300.0, 320.0],
                        "O2": [0.2, 0.2, 0.0], "redox": [0.1, 0.1, -0.3]})
    write_graph_store(edges, env, store)
