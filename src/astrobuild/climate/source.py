"""Opening climate NetCDF files as they come: NetCDF3 classic/64-bit offset and NetCDF4/HDF5.

Every file is opened with the netCDF4 engine (netCDF-C reads all of the
formats; scipy, the other NetCDF3 reader, is not a dependency). Decoding is
chosen so that a Zarr copy can reproduce it exactly:

* times stay numbers (``decode_times=False``): their ``units`` and
  ``calendar`` travel as plain attributes, so no calendar (``noleap``,
  ``360_day``, ...) goes through a cftime round trip;
* ``_FillValue``/``missing_value`` become NaN; scale_factor/add_offset are
  applied (see :mod:`astrobuild.climate.convert` for what is kept packed).

Messy files are handled rather than refused (:func:`open_source` returns the
warnings it raised, for the report):

* 1-D variables that are coordinates but not CF coordinate variables
  (``xc``/``yc`` on dims ``lon``/``lat``) are promoted to xarray coordinates;
* ``units``/``long_name`` that look swapped are reported, not rewritten;
* a NaN ``_FillValue``/``missing_value`` on an integer variable can never
  match a value: the variable is read unmasked (and unscaled: xarray applies
  both or neither), its packed integers and attributes kept as they are;
* dimensions are always told apart by name, never by length, so two
  dimensions of equal length are no problem;
* a file without any attribute gets a warning and is converted as is.

A file shorter than its header says (a cut download) is refused before anything is read
(:mod:`astrobuild.climate.filesize`): netCDF-C would return zeros past its end. So is a file
with a variable on a dimension of length 0 (typically an unlimited ``time`` without records,
a model killed before its first write): :class:`EmptyDimensionError` names the file, the
dimension and its variables. Its store would hold no values, yet pass every check that counts
values, and every reader and plot that takes a first time step would fail far from the cause.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

import netCDF4
import numpy as np
import xarray as xr

from astrobuild.climate.filesize import check_file_size

log = logging.getLogger(__name__)

FILL_ATTRS = ("_FillValue", "missing_value")
PACK_ATTRS = ("scale_factor", "add_offset")
# Names under which models store lon/lat without making them CF coordinate variables.
_COORD_NAMES = {
    "xc": "lon", "yc": "lat", "lon": "lon", "lat": "lat", "longitude": "lon", "latitude": "lat",
    "nav_lon": "lon", "nav_lat": "lat", "tlon": "lon", "tlat": "lat", "ulon": "lon", "ulat": "lat",
}
_UNIT_LIKE = re.compile(r"^\s*(degrees?[ _]?(east|west|north|south|[ENSW])|degrees?|radians?|[KmsW]|1|hPa|Pa|"
                        r"kg\s*kg-1|m\s*s-1|m/s|W\s*m-2|W/m\^?2)\s*$", re.IGNORECASE)
_TIME_UNITS = re.compile(r"^\s*\w+\s+since\s+", re.IGNORECASE)


@dataclass
class SourceInfo:
    """What the raw NetCDF header says, read with netCDF4 before xarray decodes anything."""

    path: str
    file_format: str
    dims: dict[str, int]
    unlimited: list[str]
    var_dtypes: dict[str, str]
    var_attrs: dict[str, dict[str, Any]]
    global_attrs: dict[str, Any]
    time_dim: str | None
    unmasked: list[str] = field(default_factory=list)  # integer variables with a NaN fill attribute
    empty: dict[str, list[str]] = field(default_factory=dict)  # dimensions of length 0 -> the variables on them
    promoted: list[str] = field(default_factory=list)  # non-CF coordinate variables made coordinates
    warnings: list[str] = field(default_factory=list)


def _is_nan(value: Any) -> bool:
    try:
        return bool(np.any(np.isnan(np.asarray(value, dtype=np.float64))))
    except (TypeError, ValueError):
        return False


def read_header(path: str | os.PathLike[str]) -> SourceInfo:
    """The raw header: dims, dtypes and attributes, as netCDF-C reports them (nothing decoded)."""
    path = os.fspath(path)
    # netCDF-C reads past the end of a cut NetCDF3 file as zeros: the size is checked against the header first.
    check_file_size(path)
    with netCDF4.Dataset(path, "r") as nc:
        dims = {name: len(dim) for name, dim in nc.dimensions.items()}
        unlimited = [name for name, dim in nc.dimensions.items() if dim.isunlimited()]
        var_dtypes = {name: str(np.dtype(var.dtype)) if not isinstance(var.dtype, type) else var.dtype.__name__
                      for name, var in nc.variables.items()}
        var_attrs = {name: {k: var.getncattr(k) for k in var.ncattrs()} for name, var in nc.variables.items()}
        global_attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
        var_dims = {name: var.dimensions for name, var in nc.variables.items()}
        info = SourceInfo(path=path, file_format=nc.file_format, dims=dims, unlimited=unlimited,
                          var_dtypes=var_dtypes, var_attrs=var_attrs, global_attrs=global_attrs,
                          time_dim=None)
    if nc_groups := _has_groups(path):
        info.warnings.append(f"{path}: groups {nc_groups} are not converted (only the root group is)")
    info.time_dim = _time_dim(info, var_dims)
    # A zero-length dimension no variable uses holds nothing to lose (xarray drops it): not listed.
    info.empty = {dim: users for dim, size in dims.items() if size == 0
                  and (users := sorted(name for name, on in var_dims.items() if dim in on))}
    _inspect(info, var_dims)
    return info


class EmptyDimensionError(ValueError):
    """A NetCDF file whose variables lie on a dimension of length 0; the message names file and dimension."""


def refuse_empty(info: SourceInfo) -> None:
    """Raise :class:`EmptyDimensionError` when a variable of the file lies on a dimension of length 0."""
    if not info.empty:
        return
    what = "; ".join(f"dimension {dim!r} has length 0"
                     + (" (unlimited, no record written)" if dim in info.unlimited else "")
                     + f": the variable(s) on it ({', '.join(map(repr, users))}) hold no values"
                     for dim, users in info.empty.items())
    raise EmptyDimensionError(f"{info.path}: {what}: a cube needs at least one step along every dimension "
                              "its variables use")


def _has_groups(path: str) -> list[str]:
    with netCDF4.Dataset(path, "r") as nc:
        return sorted(nc.groups)


def _time_dim(info: SourceInfo, var_dims: dict[str, tuple[str, ...]]) -> str | None:
    """The time dimension, by metadata (axis, standard_name, 'since' units), then unlimited, then name."""
    for name in info.dims:
        attrs = info.var_attrs.get(name, {}) if var_dims.get(name) == (name,) else {}
        if str(attrs.get("axis", "")).upper() == "T" or attrs.get("standard_name") == "time":
            return name
        if _TIME_UNITS.match(str(attrs.get("units", ""))):
            return name
    if len(info.unlimited) == 1:
        return info.unlimited[0]
    for name in info.dims:
        if name.lower() in ("time", "t"):
            return name
    return None


def _inspect(info: SourceInfo, var_dims: dict[str, tuple[str, ...]]) -> None:
    path = info.path
    if not info.global_attrs and not any(info.var_attrs.values()):
        info.warnings.append(f"{path}: no attributes at all (no units, no CF metadata); converted as is")
    for name, attrs in info.var_attrs.items():
        dtype = np.dtype(info.var_dtypes[name]) if info.var_dtypes[name] not in ("str",) else None
        integer = dtype is not None and dtype.kind in "iu"
        for key in FILL_ATTRS:
            if key in attrs and integer and _is_nan(attrs[key]):
                info.warnings.append(f"{path}: variable {name!r} is {dtype} but its {key} is NaN, which "
                                     "cannot apply to an integer variable (no integer equals NaN): read "
                                     "unmasked, values and packing attributes kept as stored")
                if name not in info.unmasked:
                    info.unmasked.append(name)
        units, long_name = attrs.get("units"), attrs.get("long_name")
        if isinstance(units, str) and isinstance(long_name, str) and _looks_swapped(units, long_name):
            info.warnings.append(f"{path}: variable {name!r} has units {units!r} and long_name {long_name!r}: "
                                 "they look swapped (kept as in the source)")
        dims = var_dims[name]
        if len(dims) == 1 and dims[0] != name and dims[0] not in info.var_attrs:
            # A 1-D variable on a dimension that has no coordinate variable of its own.
            if name.lower() in _COORD_NAMES or _mentions_axis(attrs):
                info.promoted.append(name)
    if info.promoted:
        info.warnings.append(f"{path}: {info.promoted} are coordinates stored as plain variables (not CF "
                             "coordinate variables); kept as coordinates of their dimension")


def _looks_swapped(units: str, long_name: str) -> bool:
    return bool(_UNIT_LIKE.match(long_name)) and not _UNIT_LIKE.match(units) and " " in units.strip()


def _mentions_axis(attrs: dict[str, Any]) -> bool:
    text = " ".join(str(attrs.get(k, "")) for k in ("standard_name", "long_name", "units")).lower()
    return any(word in text for word in ("longitude", "latitude", "degrees east", "degrees north",
                                         "degrees_east", "degrees_north"))


def open_source(path: str | os.PathLike[str], info: SourceInfo | None = None) -> tuple[xr.Dataset, SourceInfo]:
    """The file as a lazily loaded Dataset (nothing read yet) and what its header says."""
    fresh = info is None
    info = info or read_header(path)
    refuse_empty(info)
    mask = {name: name not in info.unmasked for name in info.var_attrs}
    ds = xr.open_dataset(os.fspath(path), engine="netcdf4", decode_times=False, decode_timedelta=False,
                         mask_and_scale=mask or True, cache=False)
    for name in info.unmasked:
        # mask_and_scale=False leaves the fill attributes in attrs: exactly the source's.
        ds[name].attrs = dict(info.var_attrs[name])
    promote = [name for name in info.promoted if name in ds.data_vars]
    if promote:
        ds = ds.set_coords(promote)
    if fresh:  # once per conversion, not again when the verification re-opens the file
        for message in info.warnings:
            log.warning("%s", message)
    return ds, info


def plain(value: Any) -> Any:
    """An attribute value as plain Python (lists for arrays), for comparing source and store attributes."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.ndim > 0:
        items = [plain(v) for v in value.tolist()]
        return items[0] if len(items) == 1 else items
    if isinstance(value, list | tuple):
        items = [plain(v) for v in value]
        return items[0] if len(items) == 1 else items
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value
