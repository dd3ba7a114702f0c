"""Reading one time step of one variable from a converted store, fast: the loader's access pattern.

Through xarray and zarr-python a time step costs ~3 ms, of which the chunk's
decompression is ~1 ms: the rest is zarr-python's async machinery (event-loop
round trips, a thread hop per read) and the shard-index lookup. The loader
reads one time step of one run at a time, many thousands per epoch, so
:class:`StepReader` reads the layout :mod:`astrobuild.climate.convert` writes
directly: shard index and chunk with two ``pread`` calls, decompression with
numcodecs (Blosc uses its own threads on the calling thread), then xarray's
CF decoding (in place in the common cases), so the values are exactly those of
``open_store(...)[var][t]``. zarr-python with the zarrs (Rust) codec pipeline
reads a step in about 1.3-1.8 times this reader's time (``benchmarks/bench_nc_to_zarr.py``).

Anything else (another layout or codec, a store written by other tools) falls
back to reading through zarr-python: never wrong, only slower.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from astrobuild.climate.shards import (
    EMPTY,
    Layout,
    decode_cf_inplace,
    decode_inplace,
    index_of,
    read_layout,
    strip_checksum,
)
from astrobuild.climate.store import open_store


class StepReader:
    """``reader.read(var, t)``: time step ``t`` of ``var`` (decoded as xarray does); reuse one per store.

    Every chunk read is checked against its crc32c, and every shard index against its own:
    a corrupted one raises :class:`~astrobuild.climate.shards.ChunkChecksumError` naming the
    store, the variable and the chunk.
    """

    def __init__(self, store: str | os.PathLike[str], time_dim: str = "time"):
        self.store, self.time_dim = Path(store), time_dim
        self._layouts: dict[str, Layout | None] = {}
        self._fallback: xr.Dataset | None = None

    def _get(self, name: str) -> Layout | None:
        if name not in self._layouts:
            layout = read_layout(self.store, name)
            if layout is not None and (not layout.dims or layout.dims[0] != self.time_dim or layout.inner[0] != 1):
                layout = None  # the fast path covers chunks of one time step, time first
            self._layouts[name] = layout
        return self._layouts[name]

    def read(self, name: str, t: int) -> np.ndarray:
        layout = self._get(name)
        if layout is None:
            return self._slow(name, t)
        # A fresh array: decoded in place (xarray's decoding; nothing to do without CF attributes).
        return decode_cf_inplace(name, self._raw(layout, t), layout.dims[1:], layout.attrs)

    @staticmethod
    def _slots(layout: Layout) -> int:
        return math.prod(o // i for o, i in zip(layout.outer, layout.inner, strict=True))

    def _raw(self, layout: Layout, t: int) -> np.ndarray:
        if not 0 <= t < layout.shape[0]:
            raise IndexError(f"{self.store}: {layout.name}: time step {t} out of range {layout.shape[0]}")
        shard = t // layout.outer[0]
        step_shape = layout.inner[1:]
        path = layout.path / layout.shard_key(shard)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return np.full(step_shape, layout.fill, dtype=layout.dtype)
        try:
            if layout.sharded:
                slots = self._slots(layout)
                size = os.fstat(fd).st_size
                index_bytes = min(size, 16 * slots + 4)
                tail = np.frombuffer(os.pread(fd, index_bytes, size - index_bytes), dtype=np.uint8)
                index = index_of(tail, slots, layout.shard_label(shard))
                offset, nbytes = index[t % layout.outer[0]]
                if offset == EMPTY:
                    return np.full(step_shape, layout.fill, dtype=layout.dtype)
                blob = os.pread(fd, int(nbytes), int(offset))
            else:
                blob = os.pread(fd, os.fstat(fd).st_size, 0)
        finally:
            os.close(fd)
        data = np.frombuffer(blob, dtype=np.uint8)
        if layout.checksum:
            data = strip_checksum(data, layout.chunk_where(t, shard))
        out = np.empty(math.prod(step_shape), dtype=layout.dtype)
        layout.codec.decode(data, out=out)
        return out.reshape(step_shape)

    def read_block(self, name: str, start: int, stop: int, dim: str | None = None) -> np.ndarray:
        """Steps ``start:stop`` along the first dimension (``dim``, default the time dimension), decoded.

        Whole shards are read with one call each and their chunks decoded (checksums checked) in
        this thread; used by the conversion to read every block back for verification.
        """
        dim = dim or self.time_dim
        layout = read_layout(self.store, name)
        if layout is None or not layout.dims or layout.dims[0] != dim or layout.inner[0] != 1:
            if self._fallback is None:
                self._fallback = open_store(self.store)
            return np.asarray(self._fallback[name].variable[{dim: slice(start, stop)}].values)
        raw = np.empty((stop - start, *layout.inner[1:]), dtype=layout.dtype)
        per_shard = layout.outer[0]
        for shard in range(start // per_shard, (stop - 1) // per_shard + 1 if stop > start else 0):
            try:
                data = np.fromfile(layout.path / layout.shard_key(shard), dtype=np.uint8)
            except FileNotFoundError:
                data = None
            index = None
            if data is not None and layout.sharded:
                index = index_of(data, self._slots(layout), layout.shard_label(shard))
            for t in range(max(start, shard * per_shard), min(stop, (shard + 1) * per_shard)):
                out = raw[t - start]
                if data is None:
                    out[...] = layout.fill
                    continue
                blob = data  # slices of the array: no copy of the chunk
                if index is not None:
                    offset, nbytes = index[t % per_shard]
                    if offset == EMPTY:
                        out[...] = layout.fill
                        continue
                    blob = data[int(offset):int(offset + nbytes)]
                if layout.checksum:
                    blob = strip_checksum(blob, layout.chunk_where(t, shard))
                layout.codec.decode(blob, out=out.reshape(-1))
        return decode_inplace(name, raw, layout)

    def _slow(self, name: str, t: int) -> np.ndarray:
        if self._fallback is None:
            self._fallback = open_store(self.store)
        return np.asarray(self._fallback[name].isel({self.time_dim: t}).values)
