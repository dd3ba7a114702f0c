"""Report figures: what each draws, how it chooses, and that the same input gives the same PNG bytes."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from astrobuild.climate.convert import nc_to_zarr
from astrobuild.kegg.graphs import write_graph_store
from astrobuild.plots.climate_map import choose_variable, plot_climate_map
from astrobuild.plots.pathway_graph import choose_pathway, layered_layout, plot_pathway_graph
from astrobuild.plots.planet_runs import plot_planet_runs, runs_grid
from astrobuild.plots.png import pyplot, save_png
from tests.climate_options import zarr_options


def _png(path: Path) -> np.ndarray:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in data, "the matplotlib version must not be written into the PNG"
    return mpimg.imread(path)


def test_save_png_is_byte_stable(tmp_path):
    plt = pyplot()
    paths = []
    for name in ("a.png", "b.png"):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1, 2], [2, 0, 1])
        save_png(fig, tmp_path / name)
        paths.append(tmp_path / name)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert _png(paths[0]).shape[:2] == (200, 300)  # 3 x 2 inches at the fixed 100 dpi


# --- climate map --------------------------------------------------------------------------------

def _dataset() -> xr.Dataset:
    time = np.arange(5, dtype=float) * 30 + 15
    lat, lon, lev = np.linspace(-80, 80, 6), np.arange(0, 360, 45, dtype=float), np.array([1000.0, 500.0])
    rng = np.random.default_rng(0)
    field = (280 + rng.normal(0, 5, (5, 6, 8))).astype("float32")
    field[0, 0, 0] = np.nan  # a fill value: must stay out of the colour range
    return xr.Dataset(
        {
            "OLR": (("time", "lat", "lon"), rng.normal(240, 10, (5, 6, 8)).astype("float32"),
                    {"units": "W m-2", "standard_name": "toa_outgoing_longwave_flux"}),
            "T": (("time", "lev", "lat", "lon"), rng.normal(250, 5, (5, 2, 6, 8)).astype("float32"),
                  {"units": "K", "standard_name": "air_temperature"}),
            "TS": (("time", "lat", "lon"), field, {"units": "K", "standard_name": "surface_temperature",
                                                   "long_name": "surface temperature"}),
            "zonal": (("time", "lat"), rng.normal(0, 1, (5, 6)).astype("float32")),
        },
        coords={"time": ("time", time, {"units": "days since 2000-01-01", "calendar": "noleap", "axis": "T"}),
                "lev": ("lev", lev, {"units": "hPa"}), "lat": ("lat", lat, {"units": "degrees_north"}),
                "lon": ("lon", lon, {"units": "degrees_east"})},
    )


def test_choose_variable_prefers_surface_maps_and_checks_the_configured_one():
    ds = _dataset()
    assert choose_variable(ds, "time") == "TS"  # 3-D before 4-D, surface temperature before OLR
    assert choose_variable(ds.drop_vars("TS"), "time") == "OLR"
    assert choose_variable(ds[["T"]], "time") == "T"  # only a 4-D variable: still a map (first level)
    assert choose_variable(ds, "time", "OLR") == "OLR"
    with pytest.raises(ValueError, match=r"report\.climate_variable: 'zonal'.*candidates"):
        choose_variable(ds, "time", "zonal")  # one spatial dimension: not a map
    with pytest.raises(ValueError, match="no variable with two spatial dimensions"):
        choose_variable(ds[["zonal"]], "time")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, Path, xr.Dataset]:
    root = tmp_path_factory.mktemp("climate_map")
    ds = _dataset()
    ds.to_netcdf(root / "cube.nc", engine="netcdf4", unlimited_dims=["time"])
    report = nc_to_zarr(root / "cube.nc", root / "cube.zarr", zarr_options())
    (root / "cube.json").write_text(json.dumps(report, default=str))
    return root / "cube.zarr", root / "cube.json", ds


def test_climate_map_draws_the_first_and_last_step_decoded(store, tmp_path):
    zarr_store, conversion, ds = store
    drawn = plot_climate_map(zarr_store, conversion, tmp_path / "map.png")
    assert drawn["variable"] == "TS" and drawn["time_dim"] == "time"
    assert [p.split(":")[0] for p in drawn["panels"]] == ["step 0", "step 4"]
    both = ds["TS"].values[[0, -1]]
    # The colour scale spans exactly the two steps drawn, the fill value excluded.
    assert drawn["min"] == pytest.approx(float(np.nanmin(both))) and drawn["max"] == pytest.approx(float(np.nanmax(both)))
    assert _png(tmp_path / "map.png").shape[1] > _png(tmp_path / "map.png").shape[0]  # two panels side by side

    again = plot_climate_map(zarr_store, conversion, tmp_path / "again.png")
    assert again == drawn and (tmp_path / "again.png").read_bytes() == (tmp_path / "map.png").read_bytes()


def test_climate_map_of_a_variable_with_levels_shows_the_first_level(store, tmp_path):
    zarr_store, conversion, ds = store
    drawn = plot_climate_map(zarr_store, conversion, tmp_path / "t.png", variable="T")
    assert drawn["fixed"] == "lev = 1000"
    first_level = ds["T"].values[[0, -1], 0]
    assert drawn["min"] == pytest.approx(float(first_level.min())) and drawn["max"] == pytest.approx(float(first_level.max()))


# --- pathway graph ------------------------------------------------------------------------------

def test_choose_pathway_takes_the_richest_readable_graph():
    names = np.array(["ko00010", "map00010", "map00020", "map01100"])
    nodes = np.array([10, 10, 12, 500])
    edges = np.array([20, 20, 15, 900])
    assert names[choose_pathway(names, nodes, edges)] == "map00010"  # tie on edges: the reference map
    assert names[choose_pathway(names, nodes, edges, max_nodes=11)] == "map00010"
    assert names[choose_pathway(names, nodes, edges, pathway="map01100")] == "map01100"
    assert names[choose_pathway(names, nodes, edges, max_nodes=5)] == "ko00010"  # all too big: the smallest
    with pytest.raises(ValueError, match=r"report\.pathway: 'map99999'"):
        choose_pathway(names, nodes, edges, pathway="map99999")
    with pytest.raises(ValueError, match="no graph with edges"):
        choose_pathway(names, nodes, np.zeros(4, int))


def test_layered_layout_follows_the_flow_and_survives_cycles():
    # 0 -> 1 -> 2, 0 -> 3; and a cycle 4 <-> 5 nothing leads into.
    xy = layered_layout(6, np.array([0, 1, 0, 4, 5]), np.array([1, 2, 3, 5, 4]))
    assert xy[:, 0].tolist() == [0, 1, 2, 1, 0, 1]
    assert len({tuple(p) for p in xy.tolist()}) == 6, "no two nodes on one spot"
    assert np.array_equal(xy, layered_layout(6, np.array([0, 1, 0, 4, 5]), np.array([1, 2, 3, 5, 4])))


def test_pathway_graph_png(tmp_path):
    edges = pd.DataFrame({
        "pathway": ["map00010"] * 3 + ["map00020"],
        "reaction": ["rn:R1", "rn:R2", "rn:R2", "rn:R9"],
        "substrate": ["cpd:C00001", "cpd:C00002", "cpd:C00002", "cpd:C00009"],
        "product": ["cpd:C00002", "cpd:C00003", "cpd:C00004", "cpd:C00010"],
        "reversible": [False, True, True, False],
    })
    env = pd.DataFrame({"pathway": ["map00010", "map00020"], "pH": [7.0, 7.0], "temp": [298.15, 298.15],
                        "O2": [0.21, 0.0], "redox": [0.0, -0.3]})
    write_graph_store(edges, env, tmp_path / "graphs")
    drawn = plot_pathway_graph(tmp_path / "graphs", tmp_path / "a.png")
    assert drawn == {"pathway": "map00010", "nodes": 4, "edges": 3, "reversible": 2, "columns": 3}
    plot_pathway_graph(tmp_path / "graphs", tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert plot_pathway_graph(tmp_path / "graphs", tmp_path / "c.png", pathway="map00020")["nodes"] == 2
    _png(tmp_path / "c.png")


# --- planet runs --------------------------------------------------------------------------------

def _runs() -> pd.DataFrame:
    return pd.DataFrame({
        "planet": ["B b", "A b", "A b", "A b", None],
        "scenario": ["snowball", "present_day", "present_day", "snowball", "present_day"],
        "label": [True, True, False, None, False],
    })


def test_runs_grid_counts_every_run_and_its_label():
    counts, labelled = runs_grid(_runs())
    assert counts.index.tolist() == ["(none)", "A b", "B b"]
    assert counts.columns.tolist() == ["present_day", "snowball"]
    assert counts.to_numpy().tolist() == [[1, 0], [2, 1], [0, 1]]
    assert labelled.to_numpy().tolist() == [[0, 0], [1, 0], [0, 1]]  # a null label is not "labelled"
    assert counts.to_numpy().sum() == len(_runs())


def test_planet_runs_png(tmp_path):
    _runs().to_parquet(tmp_path / "runs.parquet")
    drawn = plot_planet_runs(tmp_path / "runs.parquet", tmp_path / "a.png")
    assert drawn == {"runs": 5, "planets": 3, "scenarios": 2, "labelled": 2}
    plot_planet_runs(tmp_path / "runs.parquet", tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    _png(tmp_path / "a.png")
