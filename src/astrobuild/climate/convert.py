"""NetCDF -> Zarr v3, one cube to one store: chunked, compressed, verified, atomic.

Store options, chunk and shard plan: :mod:`astrobuild.climate.store`. Shard files and their
checksums: :mod:`astrobuild.climate.shards`. Comparison with the source:
:mod:`astrobuild.climate.verify`.

Codec: Blosc(zstd, level 3, bit shuffle) by default: zlib-4's ratio or better
on GCM float fields at several times its speed, both ways. ``codec: zstd`` uses the
plain Zarr zstd codec (no shuffle) instead.

Packed integer variables (scale_factor/add_offset): Zarr attributes are JSON,
so a float32 scale_factor comes back as a float64 and a reader would decode
in float64 — not the float32 values the NetCDF reader gives. Such variables
are therefore *decoded on purpose* (stored as the decoded floats, NaN for
fill); packing with float64 (or integer) factors decodes identically from
both and is *kept*. Each variable's choice is in its ``astrobuild_packing``
attribute and the store's global ``astrobuild_packing`` (JSON text).

Integrity: every chunk ends with its crc32c (Zarr v3's ``crc32c`` codec, last
in the chain, declared in the metadata), so every reader (zarr-python, the
step reader, the read-back) fails on a corrupted chunk, naming it;
:func:`astrobuild.climate.shards.verify_store_checksums` checks a whole store.
The source's size is checked against its header first
(:mod:`astrobuild.climate.filesize`): a cut file is refused, not read as zeros.

Files above ``dask_threshold_mb`` are streamed, one task per shard block on the
job's threads, largest first (read from the source, encode, write, read back,
compare), so memory stays at a few shards whatever the file size; float
variables kept in the source's encoding are read undecoded and written as read
(:mod:`astrobuild.climate.passthrough`). Smaller files are loaded whole and
their shards compared after writing. Both give the same bytes. Any difference raises
:class:`~astrobuild.climate.verify.VerificationError` naming the store and the
variable, and the store is not moved into place.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr
from xarray.backends.zarr import encode_zarr_variable
from zarr.codecs import Crc32cCodec, ZstdCodec

from astrobuild.climate import passthrough
from astrobuild.climate.reader import StepReader
from astrobuild.climate.shardio import ShardIO
from astrobuild.climate.source import FILL_ATTRS, PACK_ATTRS, SourceInfo, open_source, plain
from astrobuild.climate.store import (
    MB,
    META_PREFIX,
    NAN_FILL_ATTR,
    NAN_FILL_DTYPE_ATTR,
    ZarrOptions,
    chunk_plan,
    open_store,
)
from astrobuild.climate.verify import VerificationError, block_difference, check_shard, compare, verify_shards
from astrobuild.io import remove_stale_temps, temp_path
from astrobuild.pausepoints import pause_point
from astrobuild.progress import progress

log = logging.getLogger(__name__)


def _packing(info: SourceInfo, name: str) -> str | None:
    attrs = info.var_attrs.get(name, {})
    present = [attrs[k] for k in PACK_ATTRS if k in attrs]
    if not present:
        return None
    if name in info.unmasked:
        return "kept"  # read unmasked and unscaled on both sides: the packed integers are stored as they are
    exact = all(np.asarray(v).dtype != np.float32 for v in present)
    return "kept" if exact else "decoded"


def prepare(ds: xr.Dataset, info: SourceInfo, opts: ZarrOptions) -> tuple[xr.Dataset, dict[str, dict[str, Any]]]:
    """The dataset to write (packing decisions applied) and the Zarr encoding of every variable."""
    ds = ds.copy()
    encoding: dict[str, dict[str, Any]] = {}
    packing: dict[str, str] = {}
    compressor = opts.compressor()
    for name, var in ds.variables.items():
        src_enc = var.encoding
        enc: dict[str, Any] = {}
        mode = _packing(info, name)
        if mode:
            packing[name] = mode
            var.attrs[f"{META_PREFIX}packing"] = mode
        if mode == "decoded":
            raw = info.var_attrs[name]
            for key in (*PACK_ATTRS, *FILL_ATTRS):
                if key in raw:
                    var.attrs[f"{META_PREFIX}source_{key}"] = plain(raw[key])
            var.attrs[f"{META_PREFIX}source_dtype"] = info.var_dtypes[name]
            enc["dtype"] = var.dtype
            if var.dtype.kind == "f":
                enc["_FillValue"] = var.dtype.type(np.nan)
        else:
            for key in ("dtype", *PACK_ATTRS, *FILL_ATTRS):
                if key in src_enc:
                    enc[key] = src_enc[key]
            if name in info.unmasked or "_FillValue" not in src_enc:
                # xarray would otherwise invent a NaN fill for floats: the source has none.
                enc["_FillValue"] = None
            if name in info.unmasked and "_FillValue" in var.attrs:
                # xarray writes _FillValue in the variable's dtype, and NaN is no integer: kept aside
                # under another name, put back by open_store.
                fill = var.attrs.pop("_FillValue")
                var.attrs[NAN_FILL_ATTR] = plain(fill)
                var.attrs[NAN_FILL_DTYPE_ATTR] = str(np.asarray(fill).dtype)
        itemsize = np.dtype(enc.get("dtype", var.dtype)).itemsize if var.dtype.kind not in "OSU" else 8
        chunks, shards = chunk_plan(var.dims, var.shape, itemsize, info.time_dim, opts)
        # Every chunk ends with its crc32c (the last codec): a corrupted byte fails any read of it.
        if chunks is not None and var.dtype.kind not in "OSU":
            enc["chunks"] = chunks
            if shards is not None:
                enc["shards"] = shards
            enc["compressors"] = [compressor, Crc32cCodec()]
        else:  # scalars and text: zarr-python's own default compressor, then the checksum
            enc["compressors"] = [ZstdCodec(level=0), Crc32cCodec()]
        encoding[name] = enc
    ds.attrs[f"{META_PREFIX}packing"] = json.dumps(dict(sorted(packing.items())), sort_keys=True)
    # Integer variables whose NaN fill attribute must not be applied (see source.py): readers need
    # to know, since xarray would drop such an attribute with a warning.
    ds.attrs[f"{META_PREFIX}unmasked"] = json.dumps(sorted(info.unmasked))
    ds.attrs[f"{META_PREFIX}time_decoding"] = ("times are stored as numbers with their units and calendar "
                                               "attributes, as in the source (decode with xarray.decode_cf)")
    return ds, encoding


def _dask_chunks(ds: xr.Dataset, encoding: dict[str, dict[str, Any]]) -> xr.Dataset:
    """Rechunk each variable so that one Dask chunk is exactly one shard (or one chunk when unsharded)."""
    out = ds.copy()
    for name, var in ds.variables.items():
        target = encoding[name].get("shards") or encoding[name].get("chunks")
        if target is not None and var.ndim:
            out[name] = var.chunk(dict(zip(var.dims, target, strict=True)))
    return out


def _write_streamed(out: xr.Dataset, encoding: dict[str, dict[str, Any]], tmp: Path, info: SourceInfo,
                    opts: ZarrOptions, label: str) -> dict[str, list[str]]:
    """Write a file larger than memory one shard block at a time, verifying each block as it goes.

    Metadata (and the small index coordinates) are written first from a Dask-backed copy
    (``compute=False``: Dask chunks are whole shards, never smaller); then one task per shard
    block reads it from the source once (undecoded when it can be written as read, else decoded
    and encoded as xarray would), writes it, reads it back from the store and compares the
    decoded values, ``opts.threads`` tasks at a time. Memory: a few blocks of ``shard_mb``.
    Returns, per streamed variable, the value differences found.
    """
    lazy = _dask_chunks(out, encoding)
    lazy.to_zarr(tmp, mode="w", zarr_format=3, encoding=encoding, consolidated=True, write_empty_chunks=True,
                 compute=False)
    streamed = [str(n) for n, v in lazy.variables.items() if v.chunks is not None]
    tasks = []
    for name in streamed:
        var = out[name].variable
        lead = var.dims.index(info.time_dim) if info.time_dim in var.dims else 0
        rows = (encoding[name].get("shards") or encoding[name]["chunks"])[lead]
        tasks += [(name, var.dims[lead], slice(start, min(start + rows, var.shape[lead])))
                  for start in range(0, var.shape[lead], rows)]
    found: dict[str, list[str]] = {name: [] for name in streamed}
    # One view of the new store for the whole loop: its encodings (the CF encoding xarray chose for each
    # array, as xarray's own region writes use) and lazily indexed arrays to read blocks back.
    dst = open_store(tmp, consolidated=False)
    group = zarr.open_group(tmp, mode="r+", zarr_format=3)
    arrays = {name: group[name] for name in streamed}
    reader = StepReader(tmp)  # reads whole shards back and decodes them here, without zarr-python's overhead

    shard_io = {name: ShardIO.for_array(tmp, name) for name in streamed}
    # Float variables kept in the source's own encoding are read undecoded and written as read.
    through = {name: passthrough.plan(name, info, io.layout if io else None) for name, io in shard_io.items()}
    raw_src = xr.open_dataset(info.path, engine="netcdf4", decode_cf=False, decode_times=False, cache=False) \
        if any(through.values()) else None

    def run(task: tuple[str, str, slice]) -> tuple[str, str | None]:
        name, dim, region = task
        fast, thru = shard_io[name], through[name]
        if thru is not None and raw_src is not None and fast.covers(out[name].dims, dim, region):
            block = thru.raw_block(raw_src[name].variable[{dim: region}].values)
            if block is not None:  # (None: a NaN under a numeric fill value; xarray's way below)
                fast.write(region, block)
                if not opts.check_values:
                    return name, None
                return name, check_shard(fast, name, dim, region, thru.decode(block))  # decoded once written
        block = out[name].variable[{dim: region}].load()
        target = xr.Variable(block.dims, block.values, attrs=dst[name].attrs, encoding=dst[name].encoding)
        encoded = encode_zarr_variable(target, name=name)
        if fast is not None and fast.covers(block.dims, dim, region):
            # Our layout: the shard file is built and checked here (numcodecs, one pass each way).
            fast.write(region, encoded.values)
            if not opts.check_values:
                return name, None
            return name, check_shard(fast, name, dim, region, block.values)
        key = tuple(region if d == dim else slice(None) for d in block.dims)
        arrays[name][key] = encoded.values
        if not opts.check_values:
            return name, None
        back = reader.read_block(name, region.start, region.stop, dim)
        where = block_difference(block.values, back, block.dims.index(dim), region.start)
        return name, None if where is None else f"variable {name!r}: decoded values differ ({dim}{where})"

    bar = progress(range(len(tasks)), desc=f"nc_to_zarr {label}", total=len(tasks), unit="shard")
    lock = threading.Lock()
    next(bar, None)  # shows 0/N in the log before the first block finishes

    def task_done(task: tuple[str, str, slice]) -> tuple[str, str | None]:
        result = run(task)
        with lock:
            next(bar, None)
        return result

    # The largest blocks first: the threads then finish together, not one of them alone on a last
    # big block while the other idles (Dask's order ignores sizes).
    def block_bytes(task: tuple[str, str, slice]) -> int:
        var = out[task[0]].variable
        return var.dtype.itemsize * math.prod(n for d, n in zip(var.dims, var.shape, strict=True) if d != task[1]) \
            * (task[2].stop - task[2].start)

    tasks.sort(key=block_bytes, reverse=True)
    try:
        # One task per shard block on the job's threads: reading, compressing and decompressing of
        # different blocks overlap (numcodecs and netCDF-C release the GIL), memory stays at a few blocks.
        with ThreadPoolExecutor(max(1, opts.threads)) as pool:
            results = list(pool.map(task_done, tasks))
    finally:
        dst.close()
        if raw_src is not None:
            raw_src.close()
        next(bar, None)  # let the bar close
    for name, problem in results:
        if problem:
            found[name].append(problem)
    return found


def nc_to_zarr(src: str | os.PathLike[str], store: str | os.PathLike[str], opts: ZarrOptions) -> dict[str, Any]:
    """Convert one NetCDF file to a Zarr v3 store, atomically; returns the conversion report."""
    src, store = Path(src), Path(store)
    start = time.perf_counter()
    ds, info = open_source(src)
    size = src.stat().st_size
    use_dask = size > opts.dask_threshold_mb * MB
    out, encoding = prepare(ds, info, opts)
    store.parent.mkdir(parents=True, exist_ok=True)
    for stale in remove_stale_temps(store):
        log.info("%s: removed %s, left by a conversion that did not finish", store, stale.name)
    tmp = temp_path(store)
    tmp.mkdir()
    try:
        with zarr.config.set({"threading.max_workers": opts.threads, "async.concurrency": max(4, 4 * opts.threads)}), \
                warnings.catch_warnings():
            # Consolidated metadata is zarr-python's extension to v3; we write it for fast opening and say so.
            warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
            # Text variables use zarr-python's string dtypes, not yet in the v3 spec: said once in the report.
            warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification")
            if use_dask:
                log.info("%s: %.1f MB > dask threshold %.0f MB: streamed one shard at a time on %d threads",
                         src.name, size / MB, opts.dask_threshold_mb, opts.threads)
                checked = _write_streamed(out, encoding, tmp, info, opts, src.name)
            else:
                out.load().to_zarr(tmp, mode="w", zarr_format=3, encoding=encoding, consolidated=True,
                                   write_empty_chunks=True)
                checked = verify_shards(out, tmp, opts.threads) if opts.check_values else {}
        written = time.perf_counter()
        pause_point("nc_to_zarr.convert")  # the store half made: written, not yet checked or renamed
        if opts.check_values:
            # What was read from the source once (in memory, or block by block while streaming) is
            # compared with the store re-opened from disk: no second read of the source.
            with open_store(tmp, consolidated=False) as dst:
                problems = compare(out, dst, info, opts.threads, skip_values=set(checked))
            problems = [p for found in checked.values() for p in found] + problems
            if problems:
                raise VerificationError(f"store {store} does not reproduce {src}:\n  " + "\n  ".join(problems))
            checked_names = sorted(str(v) for v in out.variables)
        else:
            checked_names = []
        if store.exists():
            shutil.rmtree(store)
        os.replace(tmp, store)
    finally:
        ds.close()
        if tmp.exists():
            shutil.rmtree(tmp)
    files = [p for p in store.rglob("*") if p.is_file()]
    bytes_out = sum(p.stat().st_size for p in files)
    seconds = time.perf_counter() - start
    report = {
        "source": os.fspath(src), "store": os.fspath(store), "format": info.file_format,
        "bytes_in": size, "bytes_out": bytes_out, "files_in_store": len(files),
        "compression_ratio": round(size / bytes_out, 4) if bytes_out else None,
        "seconds": round(seconds, 3), "write_seconds": round(written - start, 3),
        "mb_per_s": round(size / MB / seconds, 2) if seconds else None, "dask": use_dask,
        "time_dim": info.time_dim, "packing": json.loads(out.attrs[f"{META_PREFIX}packing"]),
        "text_variables": sorted(str(n) for n, v in out.variables.items() if v.dtype.kind in "OSU"),
        "promoted_coordinates": info.promoted, "unmasked_integer_variables": info.unmasked,
        "warnings": info.warnings, "verified_variables": checked_names,
        # threads change no byte of the store and vary with --cores: left out of the (deterministic) report.
        "options": {k: v for k, v in asdict(opts).items() if k != "threads"},
    }
    log.info("%s -> %s: %.1f MB in, %.1f MB out (ratio %s), %d files, %.2f s", src.name, store, size / MB,
             bytes_out / MB, report["compression_ratio"], len(files), seconds)
    return report
