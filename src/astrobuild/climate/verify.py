"""Verification of a converted store against its source: values, attributes, encoding.

Every value read from the source (once) is compared, exactly, NaN positions
included, with the store read back from disk: each shard file of our layout is
read back and decoded directly with numcodecs, chunk by chunk into a small buffer
reused by the thread, and compared with the source's decoded values at once
(:class:`~astrobuild.climate.shardio.ShardIO`; every chunk's crc32c checked; bit
patterns, NaN equal to NaN), block by block as it is written when streamed
(:mod:`astrobuild.climate.convert`); then every variable and global attribute, the coordinates, and the encoding of kept
packing. Any difference raises :class:`VerificationError` naming the store and the
variable. :func:`verify_store` re-reads both files from disk (used by the tests and for
stores written elsewhere).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from astrobuild.climate.shardio import ShardIO, equal_values
from astrobuild.climate.source import PACK_ATTRS, SourceInfo, open_source, plain
from astrobuild.climate.store import MB, META_PREFIX, NAN_FILL_ATTR, open_store

COMPARE_BLOCK_BYTES = 128 * MB  # values compared at a time in a store of another layout (memory bound)


class VerificationError(ValueError):
    """The written store does not reproduce its source; the message names the store and variable."""


def verify_store(src: str | os.PathLike[str], store: str | os.PathLike[str], info: SourceInfo | None = None,
                 threads: int = 1, name: str | os.PathLike[str] | None = None) -> list[str]:
    """Re-open source and store and compare everything; raise :class:`VerificationError` on any difference.

    Compared: the variable set, dims and shapes, decoded values exactly (NaN in
    the same places), every variable and global attribute, the calendar and
    units (attributes), and for kept packing the stored dtype, scale_factor,
    add_offset and fill value. Values are compared one shard of the store at a
    time, so memory stays bounded for files larger than memory. Returns the
    variables checked.
    """
    label = os.fspath(name or store)
    src_ds, info = open_source(src, info)
    dst = open_store(store, consolidated=False)
    # Undecoded views too: where the store kept the source's encoding, equal raw values under equal
    # attributes decode equally, and comparing them skips decoding both sides (the bulk of the time).
    src_raw = xr.open_dataset(os.fspath(src), engine="netcdf4", decode_cf=False, cache=False)
    dst_raw = xr.open_zarr(os.fspath(store), decode_cf=False, zarr_format=3, consolidated=False, chunks=None)
    try:
        problems = compare(src_ds, dst, info, threads, raw=(src_raw, dst_raw))
    finally:
        for ds in (src_ds, dst, src_raw, dst_raw):
            ds.close()
    if problems:
        raise VerificationError(f"store {label} does not reproduce {os.fspath(src)}:\n  " + "\n  ".join(problems))
    return sorted(str(v) for v in src_ds.variables)


def verify_shards(out: xr.Dataset, tmp: Path, threads: int) -> dict[str, list[str]]:
    """Values of an in-memory write compared, shard by shard, with the shard files decoded directly
    (:class:`~astrobuild.climate.shardio.ShardIO`); returns the differences per variable checked
    (the others are left to :func:`compare`)."""
    ios = {str(n): ShardIO.for_array(tmp, str(n)) for n, v in out.variables.items()
           if v.ndim and v.dtype.kind not in "OSU" and (tmp / str(n) / "zarr.json").exists()}
    ios = {n: io for n, io in ios.items() if io is not None}
    tasks = [(n, slice(start, min(start + io.per_shard, io.layout.shape[0])))
             for n, io in sorted(ios.items()) for start in range(0, io.layout.shape[0], io.per_shard)]

    def check(task: tuple[str, slice]) -> tuple[str, str | None]:
        name, region = task
        var = out[name].variable
        return name, check_shard(ios[name], name, var.dims[0], region, np.asarray(var[{var.dims[0]: region}].values))

    found: dict[str, list[str]] = {n: [] for n in ios}
    if len(tasks) <= 1 or threads <= 1:  # a small store: a thread pool costs more than it saves
        results = map(check, tasks)
    else:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(check, tasks))
    for name, problem in results:
        if problem:
            found[name].append(problem)
    return found


def check_shard(io: ShardIO, name: str, dim: str, region: slice, source: np.ndarray) -> str | None:
    """None when the shard file of ``region`` of ``name``, read back from disk, decodes to ``source``
    (its decoded values from the source, lead axis first); else the problem, naming the variable."""
    try:
        if io.check_back(region, source):
            return None
        back = io.read_back(region)  # a difference: read whole again to say how many values and where
    except Exception as exc:  # noqa: BLE001  (an unreadable shard is the finding, reported as such)
        return f"variable {name!r}: shard for {dim}[{region.start}:{region.stop}] unreadable: {exc}"
    where = block_difference(source, back, 0, region.start) or f"[{region.start}:{region.stop}]"
    return f"variable {name!r}: decoded values differ ({dim}{where})"


def compare(src: xr.Dataset, dst: xr.Dataset, info: SourceInfo, threads: int,
            raw: tuple[xr.Dataset, xr.Dataset] | None = None, skip_values: set[str] | None = None) -> list[str]:
    """Every difference between the source and the store: variables, coordinates, attributes, values
    (except those of ``skip_values``, already compared shard by shard)."""
    problems = []
    missing = sorted(set(map(str, src.variables)) ^ set(map(str, dst.variables)))
    if missing:
        problems.append(f"variables differ: {missing}")
    if sorted(map(str, src.coords)) != sorted(map(str, dst.coords)):
        problems.append(f"coordinates differ: {sorted(map(str, src.coords))} vs {sorted(map(str, dst.coords))}")
    src_globals = {k: plain(v) for k, v in src.attrs.items() if not k.startswith(META_PREFIX)}
    dst_globals = {k: plain(v) for k, v in dst.attrs.items() if not k.startswith(META_PREFIX)}
    if src_globals != dst_globals:
        problems.append(f"global attributes differ: {_diff(src_globals, dst_globals)}")
    names = sorted(set(map(str, src.variables)) & set(map(str, dst.variables)))

    def one(name: str) -> list[str]:
        return _compare_variable(name, src, dst, info, raw, name in (skip_values or ()))

    if threads <= 1 or len(names) <= 1:
        return problems + [p for name in names for p in one(name)]
    # Variables in parallel: zarr decoding and numpy comparisons release the GIL.
    with ThreadPoolExecutor(threads) as pool:
        for found in pool.map(one, names):
            problems.extend(found)
    return problems


def _compare_variable(name: str, src: xr.Dataset, dst: xr.Dataset, info: SourceInfo,
                      raw: tuple[xr.Dataset, xr.Dataset] | None = None, skip_values: bool = False) -> list[str]:
    problems: list[str] = []
    a, b = src[name].variable, dst[name].variable
    if a.dims != b.dims or a.shape != b.shape:
        return [f"variable {name!r}: dims/shape {a.dims}{a.shape} vs {b.dims}{b.shape}"]
    mode = b.attrs.get(f"{META_PREFIX}packing")
    src_attrs, dst_attrs = _source_attrs(a.attrs), _source_attrs(b.attrs)
    if src_attrs != dst_attrs:
        problems.append(f"variable {name!r}: attributes differ: {_diff(src_attrs, dst_attrs)}")
    if mode == "kept":
        for key in ("dtype", *PACK_ATTRS, "_FillValue"):
            va, vb = a.encoding.get(key), b.encoding.get(key)
            if plain(va) != plain(vb):
                problems.append(f"variable {name!r}: packing {key} {va!r} in the source, {vb!r} in the store")
    if a.dtype != b.dtype:
        return [*problems, f"variable {name!r}: decoded dtype {a.dtype} vs {b.dtype}"]
    if skip_values:
        return problems
    raw_pair = None
    if raw is not None and mode != "decoded" and name in raw[0].variables and name in raw[1].variables:
        ra, rb = raw[0][name].variable, raw[1][name].variable
        if ra.dtype == rb.dtype and ra.shape == a.shape and rb.shape == b.shape:
            raw_pair = (ra, rb)
    where = _first_difference(a, b, info.time_dim, raw_pair)
    if where is not None:
        problems.append(f"variable {name!r}: decoded values differ ({where})")
    return problems


def _source_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """A variable's attributes as in the source: ours left out, a NaN fill kept aside put back."""
    out = {k: plain(v) for k, v in attrs.items() if not k.startswith(META_PREFIX)}
    if NAN_FILL_ATTR in attrs:  # the prepared dataset holds it aside; open_store has put it back
        out["_FillValue"] = plain(attrs[NAN_FILL_ATTR])
    return out


def _diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = sorted(set(a) | set(b))
    return "; ".join(f"{k}: {a.get(k, '<absent>')!r} != {b.get(k, '<absent>')!r}" for k in keys
                     if a.get(k, "<absent>") != b.get(k, "<absent>"))


def _first_difference(a: xr.Variable, b: xr.Variable, time_dim: str | None,
                      raw: tuple[xr.Variable, xr.Variable] | None = None) -> str | None:
    """Where source ``a`` and store ``b`` (decoded) first differ, one shard of the store at a time; a
    block whose raw values (``raw``, same encoding on both sides) are bit-identical is equal without
    decoding."""
    if a.ndim == 0:
        return None if equal_values(a.values, b.values) else "scalar"
    lead = a.dims.index(time_dim) if time_dim in a.dims else 0
    shard = b.encoding.get("shards") or b.encoding.get("chunks")
    if shard and len(shard) == a.ndim:
        step = max(1, int(shard[lead]))
    else:  # not our layout: blocks of a bounded size
        row_bytes = max(1, a.dtype.itemsize * math.prod(s for i, s in enumerate(a.shape) if i != lead))
        step = max(1, COMPARE_BLOCK_BYTES // row_bytes)
    n = a.shape[lead]
    for start in range(0, max(n, 1), step):
        sel = {a.dims[lead]: slice(start, start + step)}
        if raw is not None and equal_values(raw[0][sel].values, raw[1][sel].values):
            continue
        where = block_difference(a[sel].values, b[sel].values, lead, start)
        if where is not None:
            return f"{a.dims[lead]}{where}"
    return None


def block_difference(x: np.ndarray, y: np.ndarray, lead: int, start: int) -> str | None:
    """None when equal (NaN equal to NaN), else how many values differ and the first index."""
    if equal_values(x, y):
        return None
    if x.shape != y.shape or x.dtype != y.dtype:
        return f"[{start}:]: shape/dtype {x.shape} {x.dtype} vs {y.shape} {y.dtype}"
    if x.dtype.kind == "f":
        bad = np.argwhere(~((x == y) | (np.isnan(x) & np.isnan(y))))
    else:
        bad = np.argwhere(x != y)
    first = tuple(int(i) for i in bad[0]) if len(bad) else ()
    first = tuple(v + start if i == lead else v for i, v in enumerate(first))
    return f"[{start}:{start + x.shape[lead]}]: {len(bad)} value(s), first at index {first}"
