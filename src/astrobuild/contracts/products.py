"""The build's products that are not one table, each declared once: the climate stores, the KEGG
graph store, the hypothetical planets, the provenance files and the training's files. Their paths are written here only; the rules, the package
(climate stems, graph store, learning stage) and the generated docs read them from here.

Light on purpose (no pandera, no numpy): the climate chain's stems module imports it while
Snakemake builds the DAG. :mod:`astrobuild.contracts.catalogue` lists them beside the tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    name: str
    path: str  # relative to the working directory; ``{stem}`` for one per climate cube
    rule: str  # the rule that writes it
    description: str
    # The files inside a folder product that are outputs one by one (a missing one is rebuilt);
    # empty: the folder is one ``directory()`` output (a Zarr store, whose chunks depend on the data).
    files: tuple[str, ...] = ()


CLIMATE_STORE = Product(
    "climate_store", "data/processed/climate/{stem}.zarr", "nc_to_zarr_<n>",
    "one Zarr v3 store per NetCDF cube, verified equal to its source, every chunk with a crc32c")
GRAPH_STORE = Product(
    "kegg_graphs", "data/processed/kegg_graphs", "edges_to_graphs",
    "per-pathway graphs in a tensor-ready layout (graphs, nodes and edges tables with offsets)",
    files=("graphs.parquet", "nodes.parquet", "edges.parquet", "manifest.json"))

FEATURES_STORE = Product(
    "features", "data/processed/features", "build_features",
    "every run's model inputs pooled once (climate on the model grid, binned spectrum and mask, planet "
    "parameters, union graph and pathway multi-hot), a Zarr v3 group of arrays indexed by run")

# A table, but no catalogue table: its columns follow train.planet_columns (contract
# astrobuild.contracts.planet_runs.HypotheticalPlanets, checked by its writer). Always written, header
# only when every run's planet is in the archive, so that pooling reads one file either way.
HYPOTHETICAL_PLANETS = Product(
    "hypothetical_planets", "data/processed/hypothetical_planets.parquet", "planet_runs",
    "the planets of runs that the exoplanet table lacks, with the planet columns (train.planet_columns, the "
    "archive's units) runs.csv or planets.csv give; pooling reads them beside the archive's rows")

# The training's files (rule train), by the name the rule and astrobuild.learn.outputs.TrainOutputs
# give them; the manifest last (sizes and sha256 of the others and of every input).
TRAIN_OUTPUTS: dict[str, str] = {
    "model": "results/train/model.pt",
    "metrics": "results/train/metrics.json",
    "curves": "results/train/curves.csv",
    "predictions": "results/train/predictions.parquet",
    "norm_stats": "results/train/norm_stats.json",
    "report": "results/train/report.json",
    "curves_plot": "results/train/curves.png",
    "confusion_plot": "results/train/confusion.png",
    "calibration_plot": "results/train/calibration.png",
    "manifest": "results/train/manifest.json",
}

# Rule predict's files (astrobuild.learn.predict): the scores of the runs without a label, and what made them.
PREDICT_OUTPUTS: dict[str, str] = {
    "predictions": "results/predict/predictions.parquet",
    "report": "results/predict/report.json",
    "manifest": "results/predict/manifest.json",  # last: sizes and sha256 of the two above and of every input
}

# The provenance of a dataset version (rule write_provenance, astrobuild.provenance), by the names the rule
# gives them. Written after results/manifest.json, whose checksum the crate records, so they are not in the
# manifest; versioned by DVC with the data (dvc.yaml: results/provenance). The crate and the card are the
# same for two builds of one commit; the run times are that build's own.
PROVENANCE_DIR = "results/provenance"
PROVENANCE_OUTPUTS: dict[str, str] = {
    "crate": f"{PROVENANCE_DIR}/ro-crate-metadata.json",
    "card": f"{PROVENANCE_DIR}/DATASET.md",
    "card_html": f"{PROVENANCE_DIR}/DATASET.html",
    "times": f"{PROVENANCE_DIR}/run-times.json",
}

PRODUCTS: dict[str, Product] = {p.name: p for p in (CLIMATE_STORE, GRAPH_STORE, FEATURES_STORE,
                                                     HYPOTHETICAL_PLANETS)}
"""The products that are no catalogue table, by name (the training's files: :data:`TRAIN_OUTPUTS`)."""


def graph_store_files(store: str = GRAPH_STORE.path) -> list[str]:
    """The graph store's files under ``store``."""
    return [f"{store}/{name}" for name in GRAPH_STORE.files]
