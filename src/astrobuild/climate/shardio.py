"""Writing the shard files of one array of our layout, and checking them against the values written.

Our layout (lead axis first, inner chunks spanning every other axis; see
:mod:`astrobuild.climate.shards` for the files' format) is simple enough to build directly:
each chunk is compressed with numcodecs (the codec zarr-python itself calls, with the same
settings, so the bytes are those zarr-python writes: a test checks it), its crc32c appended,
chunks concatenated, index appended. The conversion's verification reads each shard back
from disk chunk by chunk, checks each chunk's crc32c, decodes it into a small buffer reused
by the thread and compares it with the source's values at once: the decoded block never
exists whole (a fresh 100 MB block a shard costs as much in page faults as decompressing it,
and memory traffic besides). Anything else returns ``None`` from :meth:`ShardIO.for_array`
and is left to zarr-python.
"""

from __future__ import annotations

import math
import os
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np

from astrobuild.climate.shards import (
    EMPTY,
    ChunkChecksumError,
    Layout,
    checksum_bytes,
    crc32c,
    decode_inplace,
    index_of,
    read_layout,
    strip_checksum,
)

_BUFFERS = threading.local()  # one chunk's bytes and values per thread (a few MB), reused


def _buffer(attr: str, nbytes: int) -> np.ndarray:
    buf = getattr(_BUFFERS, attr, None)
    if buf is None or buf.size < nbytes:
        buf = np.empty(nbytes, dtype=np.uint8)
        setattr(_BUFFERS, attr, buf)
    return buf[:nbytes]


def equal_values(x: np.ndarray, y: np.ndarray) -> bool:
    """Same shape, dtype and values, NaN equal to NaN."""
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


class ShardIO:
    """Writes, reads back and checks the shard files of one array of our own layout (module docstring)."""

    def __init__(self, layout: Layout):
        self.layout, self.rows, self.per_shard = layout, layout.inner[0], layout.outer[0]

    @classmethod
    def for_array(cls, store: Path, name: str) -> ShardIO | None:
        layout = read_layout(store, name)
        if layout is None or len(layout.shape) < 1 or layout.outer[1:] != layout.shape[1:] or \
                layout.inner[1:] != layout.shape[1:] or layout.outer[0] % layout.inner[0]:
            return None
        if layout.shape[0] % layout.inner[0]:
            return None  # a last chunk padded with fill values: left to zarr-python
        return cls(layout)

    def covers(self, dims: tuple[Any, ...], dim: str, region: slice) -> bool:
        return (dims[0] == dim and region.start % self.per_shard == 0
                and region.stop == min(region.start + self.per_shard, self.layout.shape[0]))

    def _key(self, start: int) -> Path:
        return self.layout.path / self.layout.shard_key(start // self.per_shard)

    def write(self, region: slice, values: np.ndarray) -> None:
        lay = self.layout
        data = np.ascontiguousarray(values)
        if data.dtype != lay.dtype:  # only a byte order or an unexpected dtype costs a copy
            data = data.astype(lay.dtype)
        chunks = [lay.codec.encode(data[i:i + self.rows]) for i in range(0, data.shape[0], self.rows)]
        pieces = [piece for chunk in chunks for piece in ((chunk, checksum_bytes(chunk)) if lay.checksum else (chunk,))]
        if lay.sharded:
            slots = self.per_shard // self.rows
            sizes = [len(c) + 4 * lay.checksum for c in chunks]
            index = np.full((slots, 2), EMPTY, dtype="<u8")
            index[:len(sizes), 1] = sizes
            index[:len(sizes), 0] = np.cumsum(sizes) - np.asarray(sizes)
            index_bytes = index.tobytes()
            pieces += [index_bytes, struct.pack("<I", crc32c(index_bytes))]
        path = self._key(region.start)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.writelines(pieces)

    def _chunks(self, region: slice) -> tuple[int, list[tuple[int, int]]]:
        """(file descriptor, [(offset, nbytes) of each chunk of ``region``]), bounds checked; the shard
        index's crc32c checked. The caller closes the descriptor."""
        lay = self.layout
        shard = region.start // self.per_shard
        fd = os.open(self._key(region.start), os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if lay.sharded:
                slots = self.per_shard // self.rows
                tail = min(size, 16 * slots + 4)
                raw = np.frombuffer(os.pread(fd, tail, size - tail), dtype=np.uint8)
                index = [(int(o), int(n)) for o, n in index_of(raw, slots, lay.shard_label(shard))]
            else:
                index = [(0, size)]
            spans = index[:(region.stop - region.start) // self.rows]
            for i, (offset, nbytes) in enumerate(spans):
                if offset + nbytes > size:
                    raise ChunkChecksumError(f"{lay.chunk_where(region.start + i * self.rows, shard)}: "
                                             "missing or out of bounds of its shard")
        except BaseException:
            os.close(fd)
            raise
        return fd, spans

    def _decoded(self, fd: int, region: slice, i: int, offset: int, nbytes: int, out: np.ndarray) -> np.ndarray:
        """Chunk ``i`` of ``region`` read from ``fd``, its crc32c checked, decoded into ``out``."""
        lay = self.layout
        blob = _buffer("file", nbytes)
        if os.preadv(fd, [blob], offset) != nbytes:
            raise OSError(f"{self._key(region.start)}: short read")
        if lay.checksum:
            blob = strip_checksum(blob, lay.chunk_where(region.start + i * self.rows, region.start // self.per_shard))
        lay.codec.decode(blob, out=out.reshape(-1))
        return decode_inplace(lay.name, out, lay)

    def check_back(self, region: slice, source: np.ndarray) -> bool:
        """Whether the shard file of ``region``, read back from disk, decodes to ``source`` (the
        source's decoded values) exactly, NaN equal to NaN; every chunk's crc32c checked
        (:class:`ChunkChecksumError` names the chunk). Chunk by chunk through the thread's buffers."""
        lay = self.layout
        row_shape = lay.inner[1:]
        fd, spans = self._chunks(region)
        try:
            for i, (offset, nbytes) in enumerate(spans):
                out = _buffer("values", self.rows * math.prod(row_shape) * lay.dtype.itemsize).view(lay.dtype)
                decoded = self._decoded(fd, region, i, offset, nbytes, out.reshape(self.rows, *row_shape))
                if not equal_values(decoded, source[i * self.rows:(i + 1) * self.rows]):
                    return False
        finally:
            os.close(fd)
        return True

    def read_back(self, region: slice) -> np.ndarray:
        """The block as decoded from the shard file on disk, in a new array; every chunk's crc32c checked."""
        lay = self.layout
        n = region.stop - region.start
        out = np.empty((n, *lay.inner[1:]), dtype=lay.dtype)
        fd, spans = self._chunks(region)
        try:
            blocks = [self._decoded(fd, region, i, offset, nbytes, out[i * self.rows:(i + 1) * self.rows])
                      for i, (offset, nbytes) in enumerate(spans)]
        finally:
            os.close(fd)
        return np.concatenate(blocks) if blocks else out
