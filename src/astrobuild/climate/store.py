"""Opening a converted store as its source decodes (shared by the converter, the checks and the readers)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import xarray as xr
import zarr

META_PREFIX = "astrobuild_"
# A NaN _FillValue of an integer variable cannot be a Zarr attribute of that variable (xarray encodes
# _FillValue in the variable's dtype): it is stored under this name, with its dtype, and put back on opening.
NAN_FILL_ATTR = f"{META_PREFIX}nan_fill_value"
NAN_FILL_DTYPE_ATTR = f"{META_PREFIX}nan_fill_dtype"


def open_store(store: str | os.PathLike[str], chunks: Any = None, consolidated: bool = True) -> xr.Dataset:
    """A converted store, decoded as its source was (numeric times, fills as NaN, packing applied).

    ``chunks=None`` (default) reads through zarr directly, without Dask: one
    time step costs one shard-index lookup and one chunk decode, which is what
    the loader does; pass ``chunks={}`` for Dask arrays of the store's chunks.
    ``consolidated=False`` reads every array's own metadata (the verification
    does, so that it checks what is on disk, not the consolidated copy).
    Integer variables listed in the store's ``astrobuild_unmasked`` attribute
    (a NaN fill value, which no integer can equal) are read unmasked and
    unscaled, as :func:`astrobuild.climate.source.open_source` reads them.
    """
    group = zarr.open_group(os.fspath(store), mode="r", zarr_format=3)
    unmasked = json.loads(group.attrs.get(f"{META_PREFIX}unmasked", "[]"))
    mask: Any = {name: name not in unmasked for name in group.array_keys()} if unmasked else True
    ds = xr.open_zarr(os.fspath(store), decode_times=False, decode_timedelta=False, zarr_format=3,
                      consolidated=consolidated, mask_and_scale=mask, chunks=chunks)
    for name in unmasked:
        attrs = ds.variables[name].attrs if name in ds.variables else {}
        if NAN_FILL_ATTR in attrs:
            attrs["_FillValue"] = np.dtype(attrs.get(NAN_FILL_DTYPE_ATTR, "float64")).type(np.nan)
    return ds
