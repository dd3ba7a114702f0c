"""A map of one variable of one climate store: its first and last time step, side by side.

Values are read with :class:`astrobuild.climate.reader.StepReader`, the loader's
own access path, so the figure shows exactly what a model would be fed (packing
and fill values decoded). Names, units and coordinates come from the store's
metadata (read lazily; no array but the coordinates is loaded).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from astrobuild.plots.png import pyplot, save_png

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]

# Preferred when no variable is configured: what a person expects to see on a planet map.
PREFERRED_STANDARD_NAMES = ("surface_temperature", "air_temperature", "surface_air_pressure")


def _open(store: PathLike) -> Any:
    # The store's own opener, so names, attributes and coordinates are decoded as everywhere else.
    from astrobuild.climate.store import open_store

    return open_store(store)


def choose_variable(ds: Any, time_dim: str | None, variable: str | None = None) -> str:
    """The variable to draw: ``variable`` when given, else the first map-like variable by preference.

    Map-like: at least two dimensions besides time (the last two are drawn as y, x).
    Preference: 3-D (time, y, x) before 4-D, then CF ``standard_name`` in
    :data:`PREFERRED_STANDARD_NAMES` order, then name.
    """
    def spatial(name: str) -> tuple[str, ...]:
        return tuple(d for d in ds[name].dims if d != time_dim)

    candidates = [str(n) for n in ds.data_vars if len(spatial(n)) >= 2
                  and (time_dim is None or ds[n].dims[0] == time_dim)]
    if variable is not None:
        if variable not in candidates:
            raise ValueError(f"report.climate_variable: {variable!r} is not a map-like variable of this store "
                             f"(time first, then at least two dimensions); candidates: {sorted(candidates)}")
        return variable
    if not candidates:
        raise ValueError(f"no variable with two spatial dimensions in the store; variables: {sorted(map(str, ds.data_vars))}")

    def rank(name: str) -> tuple[int, int, str]:
        standard = ds[name].attrs.get("standard_name")
        pref = PREFERRED_STANDARD_NAMES.index(standard) if standard in PREFERRED_STANDARD_NAMES else len(PREFERRED_STANDARD_NAMES)
        return (len(spatial(name)), pref, name)

    return min(candidates, key=rank)


def _axis(ds: Any, dim: str, size: int) -> tuple[np.ndarray, str]:
    if dim in ds.variables and ds[dim].dims == (dim,):
        units = ds[dim].attrs.get("units")
        return np.asarray(ds[dim].values, dtype=float), f"{dim} [{units}]" if units else dim
    return np.arange(size, dtype=float), f"{dim} (index)"


def _step_label(ds: Any, time_dim: str, t: int) -> str:
    if time_dim in ds.variables:
        value = ds[time_dim].values[t]
        units = ds[time_dim].attrs.get("units", "")
        return f"step {t}: {time_dim} = {value:g} {units}".rstrip()
    return f"step {t}"


def plot_climate_map(store: PathLike, conversion_report: PathLike, plot_path: PathLike,
                     variable: str | None = None) -> dict[str, Any]:
    """Draw ``variable`` (or :func:`choose_variable`'s pick) of ``store`` at its first and last time step.

    ``conversion_report`` is the store's ``results/reports/nc_to_zarr/<stem>.json``: it names the
    time dimension the conversion found. Extra dimensions between time and the map (levels) are
    shown at their first index, as the title says. Returns what was drawn.
    """
    from astrobuild.climate.reader import StepReader

    time_dim = json.loads(Path(conversion_report).read_text(encoding="utf-8")).get("time_dim")
    ds = _open(store)
    name = choose_variable(ds, time_dim, variable)
    var = ds[name]
    if not var.size:  # the store contract refuses this: said here too, naming the store, not as an IndexError
        empty = [str(d) for d in var.dims if not var.sizes[d]]
        raise ValueError(f"{store}: variable {name!r} holds no values (dimension(s) {empty} of length 0)")
    if time_dim is not None:
        reader = StepReader(store, time_dim=time_dim)
        steps = sorted({0, var.sizes[time_dim] - 1})
        fields = [np.asarray(reader.read(name, t), dtype=float) for t in steps]
        titles = [_step_label(ds, time_dim, t) for t in steps]
        map_dims = var.dims[1:]
    else:
        fields, titles, map_dims = [np.asarray(var.values, dtype=float)], ["no time dimension"], var.dims
    extra = map_dims[:-2]
    # Leading non-map dimensions (levels): their first index, so every panel is one 2-D field.
    fields = [f[(0,) * len(extra)] for f in fields]
    fixed = ", ".join(f"{d} = {_axis(ds, d, var.sizes[d])[0][0]:g}" for d in extra)
    ydim, xdim = map_dims[-2:]
    y, ylabel = _axis(ds, ydim, var.sizes[ydim])
    x, xlabel = _axis(ds, xdim, var.sizes[xdim])

    finite = np.concatenate([f[np.isfinite(f)] for f in fields])
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    plt = pyplot()
    fig, axes = plt.subplots(1, len(fields), figsize=(5.2 * len(fields) + 1.0, 4.2), squeeze=False,
                             layout="constrained")
    mesh = None
    for ax, field, title in zip(axes[0], fields, titles, strict=True):
        mesh = ax.pcolormesh(x, y, np.ma.masked_invalid(field), shading="nearest", cmap="viridis",
                             vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    units = var.attrs.get("units")
    long_name = var.attrs.get("long_name", name)
    fig.colorbar(mesh, ax=axes[0].tolist(), label=f"{name} [{units}]" if units else name, shrink=0.9)
    heading = f"{Path(store).name}: {long_name} ({name})"
    fig.suptitle(heading + (f" at {fixed}" if fixed else ""), fontsize=10)
    save_png(fig, plot_path)
    drawn = {"store": os.fspath(store), "variable": name, "time_dim": time_dim, "panels": titles,
             "fixed": fixed or None, "min": vmin, "max": vmax}
    log.info("climate map: %s", drawn)
    return drawn
