"""Reading one time step of one variable from a converted store, fast: the loader's access pattern.

Through xarray and zarr-python a time step costs ~3 ms, of which the chunk's
decompression is ~1 ms: the rest is zarr-python's async machinery (event-loop
round trips, a thread hop per read) and the shard-index lookup. The loader
reads one time step of one run at a time, many thousands per epoch, so
:class:`StepReader` reads the layout :mod:`astrobuild.climate.convert` writes
directly: shard index and chunk with two ``pread`` calls, decompression with
numcodecs (Blosc uses its own threads on the calling thread), then xarray's own
CF decoding, so the values are exactly those of ``open_store(...)[var][t]``.

Anything else (another layout or codec, a store written by other tools) falls
back to reading through zarr-python: never wrong, only slower.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import xarray as xr
from xarray.backends.zarr import FillValueCoder

from astrobuild.climate.convert import open_store

_EMPTY = np.uint64(2**64 - 1)
_SHUFFLE = {"noshuffle": numcodecs.Blosc.NOSHUFFLE, "shuffle": numcodecs.Blosc.SHUFFLE,
            "bitshuffle": numcodecs.Blosc.BITSHUFFLE}


@dataclass
class _Layout:
    path: Path
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: np.dtype
    fill: Any
    attrs: dict[str, Any]
    outer: tuple[int, ...]  # shard shape (= chunk shape when not sharded)
    inner: tuple[int, ...]  # chunk shape
    codec: Any
    sharded: bool


def _codec(spec: dict[str, Any]) -> Any:
    name, conf = spec["name"], spec.get("configuration", {})
    if name == "blosc":
        return numcodecs.Blosc(cname=conf["cname"], clevel=conf["clevel"], shuffle=_SHUFFLE[conf["shuffle"]],
                               blocksize=conf.get("blocksize", 0))
    if name == "zstd":
        return numcodecs.Zstd(level=conf.get("level", 0))
    raise ValueError(name)


def _layout(store: Path, name: str) -> _Layout | None:
    meta = json.loads((store / name / "zarr.json").read_text(encoding="utf-8"))
    if meta.get("chunk_key_encoding", {}).get("configuration", {}).get("separator", "/") != "/":
        return None
    outer = tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])
    codecs = meta["codecs"]
    sharded = len(codecs) == 1 and codecs[0]["name"] == "sharding_indexed"
    if sharded:
        conf = codecs[0]["configuration"]
        index_ok = [c["name"] for c in conf["index_codecs"]] == ["bytes", "crc32c"] and \
            conf.get("index_location", "end") == "end"
        inner, codecs = tuple(conf["chunk_shape"]), conf["codecs"]
        if not index_ok:
            return None
    else:
        inner = outer
    if len(codecs) != 2 or codecs[0]["name"] != "bytes" or \
            codecs[0].get("configuration", {}).get("endian", "little") != "little":
        return None
    try:
        codec = _codec(codecs[1])
    except (KeyError, ValueError):
        return None
    dtype = np.dtype(meta["data_type"]) if isinstance(meta["data_type"], str) else None
    if dtype is None or dtype.kind not in "biuf":
        return None
    attrs = dict(meta.get("attributes", {}))
    if "_FillValue" in attrs:
        # xarray writes a v3 _FillValue attribute base64-encoded; decode it as xarray's reader does.
        try:
            attrs["_FillValue"] = FillValueCoder.decode(attrs["_FillValue"], dtype)
        except Exception:  # noqa: BLE001  (an encoding we do not know: the slow path knows)
            return None
    fill = meta["fill_value"]
    if isinstance(fill, str):  # "NaN", "Infinity", "-Infinity" or hex: let numpy parse the named ones
        fill = float(fill) if fill in ("NaN", "Infinity", "-Infinity") else None
    if fill is None:
        return None
    return _Layout(path=store / name, dims=tuple(meta.get("dimension_names") or ()), shape=tuple(meta["shape"]),
                   dtype=dtype.newbyteorder("<"), fill=fill, attrs=attrs,
                   outer=outer, inner=inner, codec=codec, sharded=sharded)


_CF_KEYS = ("_FillValue", "missing_value", "scale_factor", "add_offset")


def _decode_inplace(name: str, raw: np.ndarray, layout: _Layout) -> np.ndarray:
    """xarray's CF decoding of a block; the common cases in place (a fresh copy of a large block
    costs more in page faults than the decompression itself)."""
    keys = [k for k in _CF_KEYS if k in layout.attrs]
    if not keys:
        return raw
    if keys == ["_FillValue"] and raw.dtype.kind == "f":
        fill = layout.attrs["_FillValue"]
        if not np.isnan(fill):
            raw[raw == raw.dtype.type(fill)] = np.nan
        return raw
    var = xr.Variable(layout.dims, raw, attrs=dict(layout.attrs))
    return np.asarray(xr.conventions.decode_cf_variable(name, var, decode_times=False, decode_timedelta=False).values)


class StepReader:
    """``reader.read(var, t)``: time step ``t`` of ``var`` (decoded as xarray does); reuse one per store."""

    def __init__(self, store: str | os.PathLike[str], time_dim: str = "time"):
        self.store, self.time_dim = Path(store), time_dim
        self._layouts: dict[str, _Layout | None] = {}
        self._fallback: xr.Dataset | None = None

    def _get(self, name: str) -> _Layout | None:
        if name not in self._layouts:
            layout = _layout(self.store, name)
            if layout is not None and (not layout.dims or layout.dims[0] != self.time_dim or layout.inner[0] != 1):
                layout = None  # the fast path covers chunks of one time step, time first
            self._layouts[name] = layout
        return self._layouts[name]

    def read(self, name: str, t: int) -> np.ndarray:
        layout = self._get(name)
        if layout is None:
            return self._slow(name, t)
        raw = self._raw(layout, t)
        var = xr.Variable(layout.dims[1:], raw, attrs=dict(layout.attrs))
        decoded = xr.conventions.decode_cf_variable(name, var, decode_times=False, decode_timedelta=False)
        return np.asarray(decoded.values)

    def _raw(self, layout: _Layout, t: int) -> np.ndarray:
        if not 0 <= t < layout.shape[0]:
            raise IndexError(f"{self.store}: {layout.path.name}: time step {t} out of range {layout.shape[0]}")
        shard = t // layout.outer[0]
        key = "/".join(["c", str(shard)] + ["0"] * (len(layout.shape) - 1))
        step_shape = layout.inner[1:]
        path = layout.path / key
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return np.full(step_shape, layout.fill, dtype=layout.dtype)
        try:
            if layout.sharded:
                n_inner = math.prod(o // i for o, i in zip(layout.outer, layout.inner, strict=True))
                size = os.fstat(fd).st_size
                index_bytes = 16 * n_inner + 4
                index = np.frombuffer(os.pread(fd, index_bytes, size - index_bytes)[:-4], dtype="<u8").reshape(-1, 2)
                offset, nbytes = index[t % layout.outer[0]]
                if offset == _EMPTY:
                    return np.full(step_shape, layout.fill, dtype=layout.dtype)
                blob = os.pread(fd, int(nbytes), int(offset))
            else:
                blob = os.pread(fd, os.fstat(fd).st_size, 0)
        finally:
            os.close(fd)
        out = np.empty(math.prod(step_shape), dtype=layout.dtype)
        layout.codec.decode(blob, out=out)
        return out.reshape(step_shape)

    def read_block(self, name: str, start: int, stop: int, dim: str | None = None) -> np.ndarray:
        """Steps ``start:stop`` along the first dimension (``dim``, default the time dimension), decoded.

        Whole shards are read with one call each and their chunks decoded in this thread; used by
        the conversion to read every block back for verification.
        """
        dim = dim or self.time_dim
        layout = _layout(self.store, name)
        if layout is None or not layout.dims or layout.dims[0] != dim or layout.inner[0] != 1:
            if self._fallback is None:
                self._fallback = open_store(self.store)
            return np.asarray(self._fallback[name].variable[{dim: slice(start, stop)}].values)
        raw = np.empty((stop - start, *layout.inner[1:]), dtype=layout.dtype)
        per_shard = layout.outer[0]
        n_inner = math.prod(o // i for o, i in zip(layout.outer, layout.inner, strict=True))
        for shard in range(start // per_shard, (stop - 1) // per_shard + 1 if stop > start else 0):
            key = "/".join(["c", str(shard)] + ["0"] * (len(layout.shape) - 1))
            try:
                data = (layout.path / key).read_bytes()
            except FileNotFoundError:
                data = None
            index = None
            if data is not None and layout.sharded:
                index = np.frombuffer(data[-(16 * n_inner + 4):-4], dtype="<u8").reshape(-1, 2)
            for t in range(max(start, shard * per_shard), min(stop, (shard + 1) * per_shard)):
                out = raw[t - start]
                if data is None:
                    out[...] = layout.fill
                    continue
                blob = memoryview(data)  # slices of a memoryview: no copy of the chunk
                if index is not None:
                    offset, nbytes = index[t % per_shard]
                    if offset == _EMPTY:
                        out[...] = layout.fill
                        continue
                    blob = blob[int(offset):int(offset + nbytes)]
                layout.codec.decode(blob, out=out.reshape(-1))
        return _decode_inplace(name, raw, layout)

    def _slow(self, name: str, t: int) -> np.ndarray:
        if self._fallback is None:
            self._fallback = open_store(self.store)
        return np.asarray(self._fallback[name].isel({self.time_dim: t}).values)
