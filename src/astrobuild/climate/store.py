"""A converted store: its options (codec, chunk and shard plan) and opening it as its source decodes.

Shared by the converter, the verification, the checks, the readers and the quality report.

Options (:class:`ZarrOptions`) come from the validated config's ``climate:`` section; the
defaults are the config schema's (``schemas/config.schema.yaml``), held nowhere else.

Layout (:func:`chunk_plan`): an inner chunk is ``time_steps_per_chunk`` time steps of the
whole lev/lat/lon, because the loader reads one time step of one run at a time; a shard (one
file) holds as many whole chunks as fit in ``shard_mb``. Variables without a time dimension are
cut along their first dimension into chunks of about ``chunk_mb``. Sharding exists only in Zarr
v3, and it is what keeps a large store at tens of files per GB while its chunks stay small
enough for one time step to be read alone (v2 would need one file per chunk).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import xarray as xr
import zarr
from zarr.codecs import BloscCodec, ZstdCodec

META_PREFIX = "astrobuild_"
# A NaN _FillValue of an integer variable cannot be a Zarr attribute of that variable (xarray encodes
# _FillValue in the variable's dtype): it is stored under this name, with its dtype, and put back on opening.
NAN_FILL_ATTR = f"{META_PREFIX}nan_fill_value"
NAN_FILL_DTYPE_ATTR = f"{META_PREFIX}nan_fill_dtype"
MB = 1024 * 1024


@dataclass(frozen=True)
class ZarrOptions:
    """How stores are written (the ``climate:`` config keys; meanings and defaults in the schema)."""

    codec: str  # blosc-zstd | zstd
    level: int
    shuffle: str  # shuffle | bitshuffle | noshuffle (blosc only)
    time_steps_per_chunk: int
    shard_mb: float
    chunk_mb: float  # chunk size of variables without a time dimension
    dask_threshold_mb: float
    # Not config keys of the section: the job's threads (config `resources`); the rule always
    # verifies, the benchmark turns it off to time the write alone.
    threads: int = 1
    check_values: bool = True

    @classmethod
    def from_config(cls, cfg: dict[str, Any], threads: int = 1) -> ZarrOptions:
        """The options of a validated ``climate:`` section (other keys of the section are ignored),
        run on ``threads`` threads (the job's)."""
        names = [f.name for f in fields(cls) if f.name not in ("threads", "check_values")]
        missing = [n for n in names if n not in cfg]
        if missing:
            raise ValueError(f"climate options: missing {', '.join(f'climate.{n}' for n in missing)}: pass the "
                             "config validated against schemas/config.schema.yaml (it holds the defaults)")
        return cls(**{n: cfg[n] for n in names}, threads=threads, check_values=cfg.get("check_values", True))

    def compressor(self) -> BloscCodec | ZstdCodec:
        if self.codec == "blosc-zstd":
            return BloscCodec(cname="zstd", clevel=self.level, shuffle=self.shuffle)
        if self.codec == "zstd":
            return ZstdCodec(level=self.level)
        raise ValueError(f"climate.codec: unknown codec {self.codec!r} (blosc-zstd | zstd)")


def chunk_plan(dims: tuple[str, ...], shape: tuple[int, ...], itemsize: int, time_dim: str | None,
               opts: ZarrOptions) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(inner chunk shape, shard shape or None) of one variable; (None, None) for scalars."""
    if not shape:
        return None, None
    is_time = time_dim in dims
    lead = dims.index(time_dim) if is_time else 0
    row_bytes = itemsize * math.prod(s for i, s in enumerate(shape) if i != lead)
    n = shape[lead]
    if is_time:
        rows_chunk = max(1, opts.time_steps_per_chunk)
    else:
        rows_chunk = max(1, int(opts.chunk_mb * MB // max(1, row_bytes)))
    rows_chunk = min(rows_chunk, max(1, n))
    per_shard = max(1, int(opts.shard_mb * MB // max(1, row_bytes * rows_chunk)))
    rows_shard = min(per_shard * rows_chunk, math.ceil(max(1, n) / rows_chunk) * rows_chunk)

    def shaped(rows: int) -> tuple[int, ...]:
        return tuple(rows if i == lead else max(1, s) for i, s in enumerate(shape))

    if rows_shard <= rows_chunk:
        return shaped(rows_chunk), None  # one chunk per shard: plain chunks, no shard index
    return shaped(rows_chunk), shaped(rows_shard)


def open_store(store: str | os.PathLike[str], chunks: Any = None, consolidated: bool = True) -> xr.Dataset:
    """A converted store, decoded as its source was (numeric times, fills as NaN, packing applied).

    ``chunks=None`` (default) reads through zarr directly, without Dask: one
    time step costs one shard-index lookup and one chunk decode, which is what
    the loader does; pass ``chunks={}`` for Dask arrays of the store's chunks.
    ``consolidated=False`` reads every array's own metadata (the verification
    does, so that it checks what is on disk, not the consolidated copy; so does
    the quality report, which also reads stores written without it).
    Integer variables listed in the store's ``astrobuild_unmasked`` attribute
    (a NaN fill value, which no integer can equal) are read unmasked and
    unscaled, as :func:`astrobuild.climate.source.open_source` reads them.
    Times stay numbers with their units and calendar attributes: GCM calendars
    (noleap, 360_day) need no cftime round trip.
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
