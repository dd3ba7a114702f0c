"""NetCDF -> Zarr (the original nc_to_zarr.py): chunked, compressed, verified, atomic.

Store format: Zarr v3. Sharding exists only in v3, and it is what keeps a
large store at tens of files per GB while its chunks stay small enough for one
time step to be read alone (v2 would need one file per chunk).

Layout (:func:`chunk_plan`): an inner chunk is ``time_steps_per_chunk`` time
steps (default 1) of the whole lev/lat/lon, because the loader reads one time
step of one run at a time; a shard (one file) holds as many whole chunks as
fit in ``shard_mb``. Variables without a time dimension are cut along their
first dimension into chunks of about ``chunk_mb``.

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
step reader, the read-back below) fails on a corrupted chunk, naming it;
:func:`astrobuild.climate.shards.verify_store_checksums` checks a whole store.
The source's size is checked against its header first
(:mod:`astrobuild.climate.filesize`): a cut file is refused, not read as zeros.

Files above ``dask_threshold_mb`` go through Dask, one task per shard block
(read from the source, encode, write, read back, compare), so memory stays at
a few shards whatever the file size; smaller ones are loaded whole. Both give
the same bytes.

Verification: every value read from the source (once) is compared, exactly,
NaN positions included, with the store read back from disk: each shard file
of our layout is decoded directly with numcodecs into a reused buffer
(:class:`~astrobuild.climate.shards.ShardIO`; every chunk's crc32c checked), block by block as it is
written when streamed, and compared in one vectorised pass (bit patterns when
the store keeps the source's values as they are); then every variable and global
attribute, the coordinates, and the encoding of kept packing. Any difference
raises :class:`VerificationError` naming the store and the variable, and the
store is not moved into place. :func:`verify_store` re-reads both files from
disk (used by the tests and for stores written elsewhere).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import dask
import numpy as np
import xarray as xr
import zarr
from xarray.backends.zarr import encode_zarr_variable
from zarr.codecs import BloscCodec, Crc32cCodec, ZstdCodec

from astrobuild.climate.reader import StepReader
from astrobuild.climate.shards import ShardIO
from astrobuild.climate.source import FILL_ATTRS, PACK_ATTRS, SourceInfo, open_source, plain
from astrobuild.climate.store import META_PREFIX, NAN_FILL_ATTR, NAN_FILL_DTYPE_ATTR, open_store
from astrobuild.progress import progress

__all__ = ["META_PREFIX", "VerificationError", "ZarrOptions", "chunk_plan", "nc_to_zarr", "open_store",
           "prepare", "verify_store"]
log = logging.getLogger(__name__)
MB = 1024 * 1024


class VerificationError(ValueError):
    """The written store does not reproduce its source; the message names the store and variable."""


@dataclass(frozen=True)
class ZarrOptions:
    codec: str = "blosc-zstd"  # blosc-zstd | zstd
    level: int = 3
    # Bit shuffle: on noisy GCM-like float32 fields it beats zlib-4+byte shuffle's ratio (byte shuffle
    # does not: 1.57 vs 1.69 on the benchmark's T), at the same speed.
    shuffle: str = "bitshuffle"  # shuffle | bitshuffle | noshuffle (blosc only)
    time_steps_per_chunk: int = 1
    shard_mb: float = 128.0
    chunk_mb: float = 4.0  # chunk size of variables without a time dimension
    dask_threshold_mb: float = 512.0
    threads: int = 2
    check_values: bool = True  # read every shard back and compare with the source (the rule always does)

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None, threads: int | None = None) -> ZarrOptions:
        cfg = dict(cfg or {})
        known = {k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg}
        if threads is not None:
            known["threads"] = threads
        return cls(**known)

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
    (``compute=False``: Dask chunks are whole shards, never smaller); then one Dask task per
    shard block reads it from the source once, encodes it as xarray would, writes it, reads it
    back from the store and compares, ``opts.threads`` tasks at a time. Memory: a few blocks of
    ``shard_mb``. Returns, per streamed variable, the value differences found.
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

    def run(task: tuple[str, str, slice]) -> tuple[str, str | None]:
        name, dim, region = task
        block = out[name].variable[{dim: region}].load()
        target = xr.Variable(block.dims, block.values, attrs=dst[name].attrs, encoding=dst[name].encoding)
        encoded = encode_zarr_variable(target, name=name)
        fast = shard_io[name]
        if fast is not None and fast.covers(block.dims, dim, region):
            # Our layout: the shard file is built and checked here (numcodecs, one pass each way).
            fast.write(region, encoded.values)
            if not opts.check_values:
                return name, None
            try:
                back = fast.read_back(region)
            except Exception as exc:  # noqa: BLE001  (an unreadable shard is the finding, reported as such)
                return name, f"variable {name!r}: shard for {dim}[{region.start}:{region.stop}] unreadable: {exc}"
            where = _block_difference(block.values, back, block.dims.index(dim), region.start)
        else:
            key = tuple(region if d == dim else slice(None) for d in block.dims)
            arrays[name][key] = encoded.values
            if not opts.check_values:
                return name, None
            back = reader.read_block(name, region.start, region.stop, dim)
            where = _block_difference(block.values, back, block.dims.index(dim), region.start)
        return name, None if where is None else f"variable {name!r}: decoded values differ ({dim}{where})"

    bar = progress(range(len(tasks)), desc=f"nc_to_zarr {label}", total=len(tasks), unit="shard")
    lock = threading.Lock()
    next(bar, None)  # shows 0/N in the log before the first block finishes

    def task_done(task: tuple[str, str, slice]) -> tuple[str, str | None]:
        result = run(task)
        with lock:
            next(bar, None)
        return result

    try:
        # Dask schedules one task per shard block on the threaded scheduler: reading, encoding,
        # compressing and decompressing of different blocks overlap, memory stays at a few blocks.
        results = dask.compute(*[dask.delayed(task_done, pure=False)(task) for task in tasks],
                               scheduler="threads", num_workers=max(1, opts.threads))
    finally:
        dst.close()
        next(bar, None)  # let the bar close
    for name, problem in results:
        if problem:
            found[name].append(problem)
    return found


def _verify_shards(out: xr.Dataset, tmp: Path, opts: ZarrOptions) -> dict[str, list[str]]:
    """Values of an in-memory write compared, shard by shard, with the shard files decoded directly
    (:class:`~astrobuild.climate.shards.ShardIO`); returns the differences per variable checked (others: left to :func:`_compare`)."""
    ios = {str(n): ShardIO.for_array(tmp, str(n)) for n, v in out.variables.items()
           if v.ndim and v.dtype.kind not in "OSU" and (tmp / str(n) / "zarr.json").exists()}
    ios = {n: io for n, io in ios.items() if io is not None}
    tasks = [(n, slice(start, min(start + io.per_shard, io.layout.shape[0])))
             for n, io in sorted(ios.items()) for start in range(0, io.layout.shape[0], io.per_shard)]

    def check(task: tuple[str, slice]) -> tuple[str, str | None]:
        name, region = task
        var = out[name].variable
        dim = var.dims[0]
        try:
            back = ios[name].read_back(region)
        except Exception as exc:  # noqa: BLE001  (an unreadable shard is the finding, reported as such)
            return name, f"variable {name!r}: shard for {dim}[{region.start}:{region.stop}] unreadable: {exc}"
        where = _block_difference(np.asarray(var[{dim: region}].values), back, 0, region.start)
        return name, None if where is None else f"variable {name!r}: decoded values differ ({dim}{where})"

    found: dict[str, list[str]] = {n: [] for n in ios}
    with ThreadPoolExecutor(max(1, opts.threads)) as pool:
        for name, problem in pool.map(check, tasks):
            if problem:
                found[name].append(problem)
    return found


def nc_to_zarr(src: str | os.PathLike[str], store: str | os.PathLike[str], opts: ZarrOptions | None = None,
               ) -> dict[str, Any]:
    """Convert one NetCDF file to a Zarr v3 store, atomically; returns the conversion report."""
    opts = opts or ZarrOptions()
    src, store = Path(src), Path(store)
    start = time.perf_counter()
    ds, info = open_source(src)
    size = src.stat().st_size
    use_dask = size > opts.dask_threshold_mb * MB
    out, encoding = prepare(ds, info, opts)
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{store.name}.", suffix=".tmp", dir=store.parent))
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
                checked = _verify_shards(out, tmp, opts) if opts.check_values else {}
        written = time.perf_counter()
        if opts.check_values:
            # What was read from the source once (in memory, or block by block while streaming) is
            # compared with the store re-opened from disk: no second read of the source.
            with open_store(tmp, consolidated=False) as dst:
                problems = _compare(out, dst, info, opts, skip_values=set(checked))
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


def verify_store(src: str | os.PathLike[str], store: str | os.PathLike[str], info: SourceInfo | None = None,
                 opts: ZarrOptions | None = None, name: str | os.PathLike[str] | None = None) -> list[str]:
    """Re-open source and store and compare everything; raise :class:`VerificationError` on any difference.

    Compared: the variable set, dims and shapes, decoded values exactly (NaN in
    the same places), every variable and global attribute, the calendar and
    units (attributes), and for kept packing the stored dtype, scale_factor,
    add_offset and fill value. Values are compared shard by shard, so memory
    stays bounded for files larger than memory. Returns the variables checked.
    """
    opts = opts or ZarrOptions()
    label = os.fspath(name or store)
    src_ds, info = open_source(src, info)
    dst = open_store(store, consolidated=False)
    # Undecoded views too: where the store kept the source's encoding, equal raw values under equal
    # attributes decode equally, and comparing them skips decoding both sides (the bulk of the time).
    src_raw = xr.open_dataset(os.fspath(src), engine="netcdf4", decode_cf=False, cache=False)
    dst_raw = xr.open_zarr(os.fspath(store), decode_cf=False, zarr_format=3, consolidated=False, chunks=None)
    try:
        problems = _compare(src_ds, dst, info, opts, raw=(src_raw, dst_raw))
    finally:
        for ds in (src_ds, dst, src_raw, dst_raw):
            ds.close()
    if problems:
        raise VerificationError(f"store {label} does not reproduce {os.fspath(src)}:\n  " + "\n  ".join(problems))
    return sorted(str(v) for v in src_ds.variables)


def _compare(src: xr.Dataset, dst: xr.Dataset, info: SourceInfo, opts: ZarrOptions,
             raw: tuple[xr.Dataset, xr.Dataset] | None = None, skip_values: set[str] | None = None) -> list[str]:
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
    # Variables in parallel: zarr decoding and numpy comparisons release the GIL.
    with ThreadPoolExecutor(max(1, opts.threads)) as pool:
        for found in pool.map(lambda n: _compare_variable(n, src, dst, info, opts, raw, n in (skip_values or ())),
                              names):
            problems.extend(found)
    return problems


def _compare_variable(name: str, src: xr.Dataset, dst: xr.Dataset, info: SourceInfo, opts: ZarrOptions,
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
    where = _first_difference(a, b, info.time_dim, opts, raw_pair)
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


def _first_difference(a: xr.Variable, b: xr.Variable, time_dim: str | None, opts: ZarrOptions,
                      raw: tuple[xr.Variable, xr.Variable] | None = None) -> str | None:
    """Where decoded ``a`` and ``b`` first differ, block by block; a block whose raw values
    (``raw``, same encoding on both sides) are bit-identical is equal without decoding."""
    if a.ndim == 0:
        return None if _equal(a.values, b.values) else "scalar"
    lead = a.dims.index(time_dim) if time_dim in a.dims else 0
    row_bytes = max(1, a.dtype.itemsize * math.prod(s for i, s in enumerate(a.shape) if i != lead))
    step = max(1, int(opts.shard_mb * MB // row_bytes))
    n = a.shape[lead]
    for start in range(0, max(n, 1), step):
        sel = {a.dims[lead]: slice(start, start + step)}
        if raw is not None and _equal(raw[0][sel].values, raw[1][sel].values):
            continue
        where = _block_difference(a[sel].values, b[sel].values, lead, start)
        if where is not None:
            return f"{a.dims[lead]}{where}"
    return None


def _block_difference(x: np.ndarray, y: np.ndarray, lead: int, start: int) -> str | None:
    """None when equal (NaN equal to NaN), else how many values differ and the first index."""
    if _equal(x, y):
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


def _equal(x: np.ndarray, y: np.ndarray) -> bool:
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x.dtype.kind in "biuf" and x.dtype.itemsize in (1, 2, 4, 8):
        # Same bits is same value (NaN included) and needs no NaN masks: one pass instead of four.
        view = np.dtype(f"u{x.dtype.itemsize}")
        if np.array_equal(np.ascontiguousarray(x).view(view), np.ascontiguousarray(y).view(view)):
            return True
    if x.dtype.kind in "fc":
        return bool(np.array_equal(x, y, equal_nan=True))
    return bool(np.array_equal(x, y))
