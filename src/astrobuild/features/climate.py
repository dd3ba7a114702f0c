"""One run's climate cube on the model's grid: float32 [vars, time, lat, lon, lev], and its valid share.

Real GCM output differs from cube to cube: variable names (``TS``, ``ts``,
``tsurf``, ``tas``), grids (4°x5°, T42, 16x32), calendars, vertical levels
(hybrid, pressure, sigma) or none, a month axis instead of a time axis,
coordinates in non-CF variables (ExoCAM's ``xc``/``yc``), temperatures in degC.
:class:`CubeReader` brings each onto one shape:

* **channels**: each configured variable is the first of its aliases that the
  store has, by name or by CF ``standard_name``, in any case; a store with none
  is refused naming the store and the channel. degC becomes K.
* **time** (:mod:`astrobuild.features.climate_time`): the store's time axis
  (named ``time``, ``month``, ... or marked by ``axis: T``/``since`` units) is cut
  to ``time_window``, its spin-up dropped, and grouped by calendar season, month
  or year (dates decoded with cftime), or averaged into ``time_steps`` equal parts
  (overlap weights in step units). No time axis: repeated.
* **lat/lon** (:mod:`astrobuild.features.climate_grid`): first-order
  conservative (area-weighted) remapping onto equal-angle cells: a target cell
  is the mean of the source cells it overlaps, weighted by overlap area (sine of
  latitude x longitude; longitude periodic, so -180..180 and 0..360 grids land
  alike). Source cell bounds are the midpoints between centres; a grid without
  coordinates is taken as regular and global. A field without a lon (or lat)
  axis covers the whole circle (band).
* **lev** (:mod:`astrobuild.features.climate_levels`): layers weighted by
  pressure thickness into ``lev`` equal parts of the column in pressure, the
  surface first (index weights when the cube has no pressure information); a
  cube without a vertical axis is one layer, repeated when ``lev`` > 1.
* **valid share**: missing (NaN, masked) source points are left out of the
  weights, never filled in; each target cell also gets the share of its weight
  (area x pressure thickness, averaged over its time steps) that had data. A
  cell with none is NaN (0 after normalisation) with share 0, and the model
  reads the share as a mask channel.

Reads go through :class:`~astrobuild.climate.reader.StepReader`, one time step
at a time (with its surface pressure for hybrid levels), so memory stays at one
step whatever the cube's length.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from astrobuild.climate.reader import StepReader
from astrobuild.climate.store import open_store
from astrobuild.features.climate_grid import (
    cell_bounds,
    index_weights,
    interval_overlap,
    lat_weights,
    lon_weights,
)
from astrobuild.features.climate_levels import Vertical, vertical
from astrobuild.features.climate_time import TimeAxisError, TimePlan, decode, parse_spinup, time_plan
from astrobuild.features.config import ClimateConfig

__all__ = ["CubeError", "CubeReader", "cell_bounds", "find_variable", "index_weights", "interval_overlap",
           "lat_weights", "lon_weights"]

TIME_NAMES = {"time", "t", "month", "months", "mon", "time_counter", "date"}
LAT_NAMES = {"lat", "latitude", "y", "yc", "nlat", "rlat", "nav_lat", "lat_0"}
LON_NAMES = {"lon", "longitude", "x", "xc", "nlon", "rlon", "nav_lon", "lon_0"}
LEV_NAMES = {"lev", "level", "levels", "plev", "ilev", "z", "depth", "height", "alt", "pfull", "phalf", "nlev",
             "layer", "sigma", "lev_p"}
CELSIUS = {"degc", "deg_c", "celsius", "degrees_c", "degree_c", "c", "degrees celsius"}


class CubeError(ValueError):
    """A cube that cannot become the model's input; the message names the store and what is wrong."""


def _kind(ds, dim: str) -> str | None:
    attrs = ds[dim].attrs if dim in ds.variables else {}
    axis = str(attrs.get("axis", "")).upper()
    name = dim.lower()
    if axis == "T" or name in TIME_NAMES or " since " in str(attrs.get("units", "")):
        return "time"
    if axis == "Y" or name in LAT_NAMES or attrs.get("standard_name") == "latitude":
        return "lat"
    if axis == "X" or name in LON_NAMES or attrs.get("standard_name") == "longitude":
        return "lon"
    if axis == "Z" or name in LEV_NAMES or "positive" in attrs:
        return "lev"
    return None


def _centres(ds, dim: str) -> np.ndarray | None:
    """The coordinate values of ``dim``: its own coordinate, else a 1-D coordinate on it (xc/yc)."""
    if dim in ds.coords:
        return np.asarray(ds[dim].values, dtype=np.float64)
    for name in sorted(ds.coords):
        if ds[name].dims == (dim,) and np.issubdtype(ds[name].dtype, np.number):
            return np.asarray(ds[name].values, dtype=np.float64)
    return None


def find_variable(ds, aliases: tuple[str, ...]) -> str | None:
    """The first alias that is a data variable's name or CF standard_name, in any case (for each alias:
    the exact name, then the name in another case, then the standard_name)."""
    names = sorted(map(str, ds.data_vars))
    for alias in aliases:
        if alias in ds.data_vars:
            return alias
        low = alias.lower()
        for name in names:
            if name.lower() == low:
                return name
        for name in names:
            if str(ds[name].attrs.get("standard_name", "")).strip().lower() == low:
                return name
    return None


def _time_bounds(ds, tdim: str) -> np.ndarray | None:
    name = ds[tdim].attrs.get("bounds") if tdim in ds.variables else None
    if name not in ds.variables or ds[name].ndim != 2 or ds[name].dims[0] != tdim:
        return None
    return np.asarray(ds[name].values, dtype=np.float64)


class CubeReader:
    """Pools stores onto the configured [vars, time, lat, lon, lev] shape: ``pool(store)`` per run gives the
    values and the valid fraction of each cell; ``read(store)`` the values alone."""

    def __init__(self, config: ClimateConfig, root: str | os.PathLike[str] = "."):
        self.config, self.root = config, Path(root)
        self.spinup = parse_spinup(config.spinup)

    def read(self, store: str) -> np.ndarray:
        return self.pool(store)[0]

    def pool(self, store: str) -> tuple[np.ndarray, np.ndarray]:
        """(values, valid) float32 [vars, time, lat, lon, lev]: values NaN where valid is 0."""
        path = self.root / store
        if not (path / "zarr.json").is_file():
            raise CubeError(f"climate store {store}: not found (no zarr.json)")
        plans: dict[tuple[str, int], TimePlan] = {}  # the variables of a store share their time axis
        with open_store(path) as ds:
            values, valid = [], []
            for variable in self.config.variables:
                name = find_variable(ds, variable.aliases)
                if name is None:
                    raise CubeError(f"climate store {store} has no variable for channel {variable.name!r} (looked for "
                                    f"{list(variable.aliases)} by name and standard_name, any case; it has "
                                    f"{sorted(map(str, ds.data_vars))}); set train.climate.variables")
                v, ok = self._channel(ds, path, store, name, plans)
                values.append(v)
                valid.append(ok)
        return np.stack(values).astype(np.float32), np.stack(valid).astype(np.float32)

    def _channel(self, ds, path: Path, store: str, name: str, plans: dict[tuple[str, int], TimePlan]
                 ) -> tuple[np.ndarray, np.ndarray]:
        """One variable as ([time, lat, lon, lev] values, valid fraction) on the target grid."""
        c = self.config
        var = ds[name]
        kinds = {}
        for dim in var.dims:
            kind = _kind(ds, dim)
            if kind is None or kind in kinds.values():
                raise CubeError(f"climate store {store}: variable {name!r} has dimension {dim!r} that is not one "
                                f"time, lat, lon or vertical axis (dims {var.dims})")
            kinds[dim] = kind
        dim_of = {k: d for d, k in kinds.items()}
        shape = dict(zip(var.dims, var.shape, strict=True))
        w_lat = lat_weights(_centres(ds, dim_of["lat"]), shape[dim_of["lat"]], c.lat) if "lat" in dim_of \
            else np.ones((c.lat, 1))
        w_lon = lon_weights(_centres(ds, dim_of["lon"]), shape[dim_of["lon"]], c.lon) if "lon" in dim_of \
            else np.ones((c.lon, 1))
        levels = vertical(ds, dim_of["lev"], var.dims, shape[dim_of["lev"]], c.lev) if "lev" in dim_of \
            else Vertical("none", np.ones((c.lev, 1)))
        # a target cell's whole weight: what its valid share is counted against
        area = w_lat.sum(axis=1)[:, None] * w_lon.sum(axis=1)[None, :]
        celsius = str(var.attrs.get("units", "")).strip().lower() in CELSIUS
        # the step's own dims (time removed), put in lev, lat, lon order; absent ones become length 1
        step_dims = [d for d in var.dims if kinds[d] != "time"]
        order = [step_dims.index(dim_of[k]) if k in dim_of else None for k in ("lev", "lat", "lon")]
        ps_order: list[int | None] = []
        if levels.ps:  # surface pressure's own dims, put in lat, lon order
            ps_dims = [d for d in ds[levels.ps].dims if d != dim_of.get("time")]
            ps_order = [ps_dims.index(dim_of[k]) if k in dim_of else None for k in ("lat", "lon")]

        paths: dict[tuple[int, ...], list] = {}  # einsum's contraction order, found once per step shape

        def pool(step: np.ndarray, ps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
            x = _ordered(step, order)
            if celsius:
                x = x + 273.15
            valid = np.isfinite(x)
            x = np.where(valid, x, 0.0)
            if ps is None:
                w_lev, spec = levels.weights, "ak,bi,cj,kij->abc"
            else:  # hybrid levels: each column its own pressures
                w_lev, spec = levels.column_weights(_ordered(ps, ps_order), c.lev), "akij,bi,cj,kij->abc"
            key = (spec, x.shape)
            if key not in paths:
                paths[key] = np.einsum_path(spec, w_lev, w_lat, w_lon, x, optimize="greedy")[0]
            num = np.einsum(spec, w_lev, w_lat, w_lon, x, optimize=paths[key])
            den = np.einsum(spec, w_lev, w_lat, w_lon, valid.astype(np.float64), optimize=paths[key])
            with np.errstate(invalid="ignore", divide="ignore"):
                # the valid share: each column counts its area in every layer, whatever its pressures
                if ps is None:
                    share = den / (w_lev.sum(axis=1)[:, None, None] * area[None])
                else:
                    column = w_lev.sum(axis=1, keepdims=True)
                    normed = np.divide(w_lev, column, out=np.zeros_like(w_lev), where=column > 0)
                    share = np.einsum(spec, normed, w_lat, w_lon, valid.astype(np.float64),
                                      optimize=paths[key]) / area[None]
                mean = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)  # [lev, lat, lon]
            return mean, np.nan_to_num(np.clip(share, 0.0, 1.0), nan=0.0)

        if "time" not in dim_of:
            ps = np.asarray(ds[levels.ps].values) if levels.ps else None
            mean, share = pool(var.values, ps)
            n = c.shape[1]
            return (np.repeat(mean.transpose(1, 2, 0)[None], n, axis=0),
                    np.repeat(share.transpose(1, 2, 0)[None], n, axis=0))
        tdim = dim_of["time"]
        plan = plans.get((tdim, shape[tdim]))
        if plan is None:
            dates = decode(ds[tdim].values, ds[tdim].attrs, _time_bounds(ds, tdim)) if tdim in ds.variables else None
            try:
                plan = time_plan(shape[tdim], slice(c.time_start, c.time_stop), c.time, c.time_steps, self.spinup,
                                 dates)
            except TimeAxisError as error:
                raise CubeError(f"climate store {store}: {name!r}: {error}") from None
            plans[(tdim, shape[tdim])] = plan
        n_out = plan.weights.shape[0]
        num = np.zeros((n_out, c.lev, c.lat, c.lon))
        den, share_sum = np.zeros_like(num), np.zeros_like(num)
        ps_var = ds[levels.ps] if levels.ps else None
        reader = StepReader(path, time_dim=tdim)
        for j, t in enumerate(plan.steps):
            step = reader.read(name, t) if var.dims[0] == tdim else var.isel({tdim: t}).values
            ps = None
            if ps_var is not None:
                ps = reader.read(levels.ps, t) if ps_var.dims[:1] == (tdim,) else \
                    (ps_var.isel({tdim: t}).values if tdim in ps_var.dims else ps_var.values)
            pooled, share = pool(step, ps)
            ok = np.isfinite(pooled)
            w = plan.weights[:, j][:, None, None, None]
            num += w * np.where(ok, pooled, 0.0)[None]
            den += w * ok[None]
            share_sum += w * share[None]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        valid = share_sum / plan.weights.sum(axis=1)[:, None, None, None]
        return out.transpose(0, 2, 3, 1), valid.transpose(0, 2, 3, 1)  # [time, lat, lon, lev]


def _ordered(step: np.ndarray, order: list[int | None]) -> np.ndarray:
    """``step`` with its axes in ``order`` (indices into its dims; None: a new axis of length 1), float64."""
    x = np.asarray(step, dtype=np.float64).transpose([i for i in order if i is not None])
    for axis, i in enumerate(order):
        if i is None:
            x = np.expand_dims(x, axis)
    return x
