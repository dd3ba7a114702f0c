"""Runs per planet and climate scenario in the planet-run registry, with their labels.

One cell per (planet, scenario): the number of runs, shaded by the share of them
labelled "biosignature detectable". Runs without a planet or scenario get a
row or column of their own ("(none)"), so nothing in the registry is left out
of the picture.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from astrobuild.plots.png import pyplot, save_png

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]
NONE = "(none)"


def runs_grid(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, labelled runs) per planet (rows) and scenario (columns), both sorted, missing as "(none)"."""
    frame = pd.DataFrame({
        "planet": runs["planet"].astype("string").fillna(NONE),
        "scenario": runs["scenario"].astype("string").fillna(NONE),
        "label": runs["label"].astype("boolean").fillna(False).astype(bool),
    })
    counts = frame.pivot_table(index="planet", columns="scenario", values="label", aggfunc="size", fill_value=0)
    labelled = frame.pivot_table(index="planet", columns="scenario", values="label", aggfunc="sum", fill_value=0)
    rows, cols = sorted(counts.index), sorted(counts.columns)
    counts = counts.reindex(index=rows, columns=cols, fill_value=0).astype(int)
    labelled = labelled.reindex(index=rows, columns=cols, fill_value=0).astype(int)
    return counts, labelled


def plot_planet_runs(table_path: PathLike, plot_path: PathLike) -> dict[str, Any]:
    """Draw :func:`runs_grid` of the registry table ``table_path``."""
    runs = pq.read_table(table_path, columns=["planet", "scenario", "label"]).to_pandas()
    counts, labelled = runs_grid(runs)
    share = np.divide(labelled.to_numpy(float), counts.to_numpy(float), out=np.full(counts.shape, np.nan),
                      where=counts.to_numpy() > 0)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * counts.shape[1] + 3.0), max(3.0, 0.5 * counts.shape[0] + 1.8)))
    image = ax.imshow(np.ma.masked_invalid(share), cmap="Greens", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            n, k = int(counts.iat[i, j]), int(labelled.iat[i, j])
            text = f"{n} run{'s' if n != 1 else ''}\n{k} labelled" if n else "–"
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="white" if n and k / n > 0.6 else "black")
    ax.set_xticks(range(counts.shape[1]), counts.columns, fontsize=8)
    ax.set_yticks(range(counts.shape[0]), counts.index, fontsize=8)
    ax.set_xlabel("climate scenario")
    ax.set_ylabel("planet")
    ax.set_title(f"Planet-run registry: {len(runs)} runs, {int(labelled.to_numpy().sum())} labelled "
                 "'biosignature detectable'", fontsize=9)
    fig.colorbar(image, ax=ax, label="share of runs labelled")
    fig.tight_layout()
    save_png(fig, plot_path)
    drawn = {"runs": len(runs), "planets": counts.shape[0], "scenarios": counts.shape[1],
             "labelled": int(labelled.to_numpy().sum())}
    log.info("planet runs: %s", drawn)
    return drawn
