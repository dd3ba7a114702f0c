"""One run's climate cube on the model's grid: float32 [vars, time, lat, lon, lev].

Real GCM output differs from cube to cube: variable names (``TS``, ``ts``,
``tas``), grids (4°x5°, T42, 16x32), vertical levels or none, a month axis
instead of a time axis, coordinates in non-CF variables (ExoCAM's ``xc``/``yc``),
temperatures in degC. :class:`CubeReader` brings each onto one shape:

* **channels**: each configured variable is the first of its aliases that the
  store has, by name or by CF ``standard_name``; a store with none is refused
  naming the store and the channel. degC becomes K.
* **time**: the store's time axis (named ``time``, ``month``, ... or marked by
  ``axis: T``/``since`` units) is cut to ``time_window`` and averaged into
  ``time_steps`` equal parts (overlap weights in step units, so 12 months make
  4 seasons, and 2 steps stretched to 4 repeat each). No time axis: repeated.
* **lat/lon**: first-order conservative (area-weighted) remapping onto
  equal-angle cells: a target cell is the mean of the source cells it overlaps,
  weighted by overlap area (sine of latitude x longitude; longitude periodic, so
  -180..180 and 0..360 grids land alike). It coarsens and refines alike and
  never invents a value: missing (NaN) source points are left out of the
  weights, and a target cell with no valid source stays NaN (0 after
  normalisation). Source cell bounds are the midpoints between centres; a grid
  without coordinates is taken as regular and global. A field without a
  lon (or lat) axis covers the whole circle (band).
* **lev**: layers averaged into ``lev`` equal parts (index units); a cube
  without a vertical axis is one layer, repeated when ``lev`` > 1.

Reads go through :class:`~astrobuild.climate.reader.StepReader`, one time step
at a time, so memory stays at one step whatever the cube's length.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from astrobuild.climate.reader import StepReader
from astrobuild.climate.store import open_store
from astrobuild.features.config import ClimateConfig

TIME_NAMES = {"time", "t", "month", "months", "mon", "time_counter", "date"}
LAT_NAMES = {"lat", "latitude", "y", "yc", "nlat", "rlat", "nav_lat", "lat_0"}
LON_NAMES = {"lon", "longitude", "x", "xc", "nlon", "rlon", "nav_lon", "lon_0"}
LEV_NAMES = {"lev", "level", "levels", "plev", "ilev", "z", "depth", "height", "alt", "pfull", "phalf", "nlev",
             "layer", "sigma", "lev_p"}
CELSIUS = {"degc", "deg_c", "celsius", "degrees_c", "degree_c", "c", "degrees celsius"}


class CubeError(ValueError):
    """A cube that cannot become the model's input; the message names the store and what is wrong."""


def interval_overlap(src_lo: np.ndarray, src_hi: np.ndarray, dst_edges: np.ndarray) -> np.ndarray:
    """[n_dst, n_src] length of each source interval inside each target interval (edges increasing)."""
    lo = np.maximum(dst_edges[:-1, None], src_lo[None, :])
    hi = np.minimum(dst_edges[1:, None], src_hi[None, :])
    return np.clip(hi - lo, 0.0, None)


def cell_bounds(centres: np.ndarray, lo: float | None = None, hi: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds of cells around ``centres``: midpoints, ends half a spacing out, clamped."""
    c = np.asarray(centres, dtype=np.float64)
    if c.size == 1:
        a, b = np.array([c[0] - 0.5]), np.array([c[0] + 0.5])
    else:
        mid = (c[1:] + c[:-1]) / 2.0
        edges = np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
        a, b = np.minimum(edges[:-1], edges[1:]), np.maximum(edges[:-1], edges[1:])
    if lo is not None:
        a, b = np.clip(a, lo, hi), np.clip(b, lo, hi)
    return a, b


def lat_weights(centres: np.ndarray | None, n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src] area weights (overlap in sin(latitude)) onto ``n_dst`` equal-angle bands."""
    if centres is None:
        centres = -90.0 + (np.arange(n_src) + 0.5) * 180.0 / n_src
    a, b = cell_bounds(centres, -90.0, 90.0)
    dst = np.sin(np.deg2rad(np.linspace(-90.0, 90.0, n_dst + 1)))
    return interval_overlap(np.sin(np.deg2rad(a)), np.sin(np.deg2rad(b)), dst)


def lon_weights(centres: np.ndarray | None, n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src] overlap in degrees onto ``n_dst`` cells of 0..360, periodic."""
    if centres is None:
        centres = np.arange(n_src) * 360.0 / n_src
    a, b = cell_bounds(centres)
    shift = np.floor(a / 360.0) * 360.0
    a, b = a - shift, b - shift  # a in [0, 360); a cell may reach past 360
    dst = np.linspace(0.0, 360.0, n_dst + 1)
    return interval_overlap(a, b, dst) + interval_overlap(a - 360.0, b - 360.0, dst)


def index_weights(n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src] overlap of unit steps with ``n_dst`` equal parts of [0, n_src)."""
    return interval_overlap(np.arange(n_src, dtype=np.float64), np.arange(1, n_src + 1, dtype=np.float64),
                            np.linspace(0.0, n_src, n_dst + 1))


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
    """The first alias that is a data variable's name or CF standard_name."""
    for alias in aliases:
        if alias in ds.data_vars:
            return alias
        for name in sorted(ds.data_vars):
            if ds[name].attrs.get("standard_name") == alias:
                return str(name)
    return None


class CubeReader:
    """Pools stores onto the configured [vars, time, lat, lon, lev] shape; ``read(store)`` per run."""

    def __init__(self, config: ClimateConfig, root: str | os.PathLike[str] = "."):
        self.config, self.root = config, Path(root)

    def read(self, store: str) -> np.ndarray:
        path = self.root / store
        if not (path / "zarr.json").is_file():
            raise CubeError(f"climate store {store}: not found (no zarr.json)")
        with open_store(path) as ds:
            channels = []
            for variable in self.config.variables:
                name = find_variable(ds, variable.aliases)
                if name is None:
                    raise CubeError(f"climate store {store} has no variable for channel {variable.name!r} (looked for "
                                    f"{list(variable.aliases)} by name and standard_name; it has "
                                    f"{sorted(map(str, ds.data_vars))}); set train.climate.variables")
                channels.append(self._channel(ds, path, store, name))
        return np.stack(channels).astype(np.float32)

    def _channel(self, ds, path: Path, store: str, name: str) -> np.ndarray:
        """One variable as [time, lat, lon, lev] on the target grid."""
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
        w_lev = index_weights(shape[dim_of["lev"]], c.lev) if "lev" in dim_of else np.ones((c.lev, 1))
        celsius = str(var.attrs.get("units", "")).strip().lower() in CELSIUS
        # the step's own dims (time removed), put in lev, lat, lon order; absent ones become length 1
        step_dims = [d for d in var.dims if kinds[d] != "time"]
        order = [step_dims.index(dim_of[k]) if k in dim_of else None for k in ("lev", "lat", "lon")]

        paths: dict[tuple[int, ...], list] = {}  # einsum's contraction order, found once per step shape

        def pool(step: np.ndarray) -> np.ndarray:
            x = np.asarray(step, dtype=np.float64)
            x = x.transpose([i for i in order if i is not None])
            for axis, i in enumerate(order):
                if i is None:
                    x = np.expand_dims(x, axis)
            if celsius:
                x = x + 273.15
            valid = np.isfinite(x)
            x = np.where(valid, x, 0.0)
            if x.shape not in paths:
                paths[x.shape] = np.einsum_path("ak,bi,cj,kij->abc", w_lev, w_lat, w_lon, x, optimize="greedy")[0]
            path = paths[x.shape]
            num = np.einsum("ak,bi,cj,kij->abc", w_lev, w_lat, w_lon, x, optimize=path)
            den = np.einsum("ak,bi,cj,kij->abc", w_lev, w_lat, w_lon, valid.astype(np.float64), optimize=path)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)  # [lev, lat, lon]

        if "time" not in dim_of:
            pooled = pool(var.values)
            return np.repeat(pooled.transpose(1, 2, 0)[None], c.time_steps, axis=0)
        tdim = dim_of["time"]
        steps = range(shape[tdim])[slice(c.time_start, c.time_stop)]
        if not len(steps):
            raise CubeError(f"climate store {store}: time window [{c.time_start}:{c.time_stop}] of {name!r} "
                            f"selects none of its {shape[tdim]} steps")
        w_time = index_weights(len(steps), c.time_steps)
        num = np.zeros((c.time_steps, c.lev, c.lat, c.lon))
        den = np.zeros_like(num)
        reader = StepReader(path, time_dim=tdim) if var.dims[0] == tdim else None
        for j, t in enumerate(steps):
            step = reader.read(name, t) if reader is not None else var.isel({tdim: t}).values
            pooled = pool(step)
            ok = np.isfinite(pooled)
            w = w_time[:, j][:, None, None, None]
            num += w * np.where(ok, pooled, 0.0)[None]
            den += w * ok[None]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        return out.transpose(0, 2, 3, 1)  # [time, lat, lon, lev]

