"""The chunk and shard files of a converted store: layout, crc32c checksums, decoding, checking.

Both the writer (:mod:`astrobuild.climate.shardio`) and the readers
(:mod:`astrobuild.climate.reader`) use this module, so neither needs the other for it.

What a store array's files hold (Zarr v3): one file per shard (``c/<i>/0/...``)
of ``sharding_indexed``, or one file per chunk when an array has a single
chunk per shard. Every chunk's codec chain is ``bytes`` (little-endian), then
Blosc or Zstd, then ``crc32c``: the Castagnoli CRC-32 of the compressed chunk,
4 bytes little-endian, appended after it (the Zarr v3 crc32c codec, declared
in the array's metadata, so zarr-python checks it too). A shard ends with its
index, ``(offset, nbytes)`` as little-endian uint64 per inner chunk (``nbytes``
counts the 4 checksum bytes), followed by the index's own crc32c.

A flipped byte inside a chunk therefore fails the chunk's checksum on every
read path (:class:`ChunkChecksumError` names the store, the variable and the
chunk's coordinates in the chunk grid); :func:`verify_store_checksums` reads
every chunk of every array and lists what does not match.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google_crc32c
import numcodecs
import numpy as np
import xarray as xr
from xarray.backends.zarr import FillValueCoder

from astrobuild.climate.store import META_PREFIX

EMPTY = 2**64 - 1  # offset and nbytes of a chunk a shard does not hold
_SHUFFLE = {"noshuffle": numcodecs.Blosc.NOSHUFFLE, "shuffle": numcodecs.Blosc.SHUFFLE,
            "bitshuffle": numcodecs.Blosc.BITSHUFFLE}
_CF_KEYS = ("_FillValue", "missing_value", "scale_factor", "add_offset")


class ChunkChecksumError(ValueError):
    """A chunk or shard index whose bytes do not match its crc32c; the message names store, variable, chunk."""


def crc32c(data: np.ndarray | bytes) -> int:
    # google_crc32c takes bytes or a numpy array (not a memoryview): callers pass uint8 views, no copy.
    return google_crc32c.value(data)


def strip_checksum(blob: np.ndarray, where: str) -> np.ndarray:
    """``blob`` (uint8) without its trailing crc32c, after checking it; ``where`` names the chunk."""
    if blob.size < 4:
        raise ChunkChecksumError(f"{where}: {blob.size} byte(s), too short to hold its crc32c")
    stored = int.from_bytes(blob[-4:].tobytes(), "little")
    computed = crc32c(blob[:-4])
    if stored != computed:
        raise ChunkChecksumError(f"{where}: crc32c mismatch (stored {stored:#010x}, computed {computed:#010x}): "
                                 "its bytes are corrupt")
    return blob[:-4]


def checksum_bytes(encoded: bytes | np.ndarray) -> bytes:
    """The 4 bytes the crc32c codec appends after an encoded chunk: its CRC-32C, little-endian."""
    return struct.pack("<I", crc32c(np.frombuffer(encoded, dtype=np.uint8)))


def chunk_label(store: Path, name: str, coords: tuple[int, ...], key: str | None = None) -> str:
    """How a chunk is named in messages: store, variable, chunk coordinates (and its file)."""
    inside = f" in file {name}/{key}" if key else ""
    return f"store {store}: variable {name!r}: chunk {coords}{inside}"


def index_of(raw: np.ndarray, slots: int, label: str, at_start: bool = False) -> np.ndarray:
    """The shard index (``slots`` rows of offset, nbytes) at the end (or start) of the shard file
    ``raw``, its crc32c checked."""
    size = 16 * slots + 4
    if raw.size < size:
        raise ChunkChecksumError(f"{label}: {raw.size} bytes, too short for its shard index of {slots} chunk(s)")
    index_bytes = strip_checksum(raw[:size] if at_start else raw[raw.size - size:], f"{label}: shard index")
    return index_bytes.view("<u8").reshape(-1, 2)


@dataclass
class Layout:
    """One array of a store as :class:`ShardIO` and the step reader read it."""

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
    checksum: bool  # chunks end with their crc32c (every store written since the codec was added)

    @property
    def store(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.path.name

    def shard_key(self, shard: int) -> str:
        return "/".join(["c", str(shard)] + ["0"] * (len(self.shape) - 1))

    def shard_label(self, shard: int) -> str:
        return f"store {self.store}: variable {self.name!r}: shard {self.name}/{self.shard_key(shard)}"

    def chunk_where(self, row: int, shard: int) -> str:
        """Message prefix for the chunk holding ``row`` of the lead axis (other axes: one chunk)."""
        coords = (row // self.inner[0],) + (0,) * (len(self.shape) - 1)
        return chunk_label(self.store, self.name, coords, self.shard_key(shard))


def _codec(spec: dict[str, Any]) -> Any:
    name, conf = spec["name"], spec.get("configuration", {})
    if name == "blosc":
        return numcodecs.Blosc(cname=conf["cname"], clevel=conf["clevel"], shuffle=_SHUFFLE[conf["shuffle"]],
                               blocksize=conf.get("blocksize", 0))
    if name == "zstd":
        return numcodecs.Zstd(level=conf.get("level", 0))
    raise ValueError(name)


def read_meta(store: Path, name: str) -> dict[str, Any]:
    return json.loads((store / name / "zarr.json").read_text(encoding="utf-8"))


def _unmasked(store: Path) -> list[str]:
    """The variables the store says must be read without CF masking and scaling (see store.py)."""
    try:
        attrs = read_meta(store, "").get("attributes", {})
    except (OSError, ValueError):
        return []
    return json.loads(attrs.get(f"{META_PREFIX}unmasked", "[]"))


def read_layout(store: Path, name: str) -> Layout | None:
    """The layout of ``store/name`` when it is ours (see the module's docstring), else ``None``."""
    meta = read_meta(store, name)
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
    checksum = bool(codecs) and codecs[-1]["name"] == "crc32c"
    codecs = codecs[:-1] if checksum else codecs
    if len(codecs) != 2 or codecs[0]["name"] != "bytes" or \
            codecs[0].get("configuration", {}).get("endian", "little") != "little":
        return None
    if codecs[1]["name"] == "zstd" and codecs[1].get("configuration", {}).get("checksum"):
        return None  # numcodecs' Zstd takes no frame checksum: leave such arrays to zarr-python
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
    if name in _unmasked(store):
        # Read unmasked and unscaled, as open_store reads it (a NaN fill no integer can equal).
        attrs = {k: v for k, v in attrs.items() if k not in _CF_KEYS}
    fill = meta["fill_value"]
    if isinstance(fill, str):  # "NaN", "Infinity", "-Infinity" or hex: let numpy parse the named ones
        fill = float(fill) if fill in ("NaN", "Infinity", "-Infinity") else None
    if fill is None:
        return None
    return Layout(path=store / name, dims=tuple(meta.get("dimension_names") or ()), shape=tuple(meta["shape"]),
                  dtype=dtype.newbyteorder("<"), fill=fill, attrs=attrs, outer=outer, inner=inner, codec=codec,
                  sharded=sharded, checksum=checksum)


def decode_inplace(name: str, raw: np.ndarray, layout: Layout) -> np.ndarray:
    """xarray's CF decoding of a block under the array's attributes (:func:`decode_cf_inplace`)."""
    return decode_cf_inplace(name, raw, layout.dims, layout.attrs)


def decode_cf_inplace(name: str, raw: np.ndarray, dims: tuple[str, ...], attrs: dict[str, Any]) -> np.ndarray:
    """xarray's CF decoding of a block under ``attrs``; the common cases in place (a fresh copy of a
    large block costs more in page faults than the decompression itself)."""
    keys = [k for k in _CF_KEYS if k in attrs]
    if not keys:
        return raw
    if keys == ["_FillValue"] and raw.dtype.kind == "f":
        fill = attrs["_FillValue"]
        if not np.isnan(fill):
            raw[raw == raw.dtype.type(fill)] = np.nan
        return raw
    var = xr.Variable(dims, raw, attrs=dict(attrs))
    return np.asarray(xr.conventions.decode_cf_variable(name, var, decode_times=False, decode_timedelta=False).values)


def verify_store_checksums(store: str | os.PathLike[str]) -> list[str]:
    """Read every chunk of every array of ``store`` and check its crc32c (and each shard index's).

    Returns one message per problem (a chunk or shard index whose checksum does not match, a
    missing chunk file or shard entry, an array whose chunks carry no checksum, unreadable
    metadata), each naming the store, the variable and the chunk; an empty list when all is well.
    Memory: one shard at a time.
    """
    store = Path(store)
    if not (store / "zarr.json").is_file():
        return [f"store {store}: no zarr.json: not a Zarr v3 store"]
    problems: list[str] = []
    for meta_path in sorted(store.rglob("zarr.json")):
        name = meta_path.parent.relative_to(store).as_posix()
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(f"store {store}: {name}/zarr.json unreadable: {exc}")
            continue
        if meta.get("node_type") == "array":
            try:
                problems += _check_array(store, name, meta)
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"store {store}: variable {name!r}: metadata not understood: {exc!r}")
    return problems


def _check_array(store: Path, name: str, meta: dict[str, Any]) -> list[str]:
    shape = tuple(meta["shape"])
    outer = tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])
    key_conf = meta.get("chunk_key_encoding", {"name": "default"})
    sep = key_conf.get("configuration", {}).get("separator", "/" if key_conf["name"] == "default" else ".")
    codecs = meta["codecs"]
    sharding = codecs[0]["configuration"] if codecs and codecs[0]["name"] == "sharding_indexed" else None
    inner_codecs = sharding["codecs"] if sharding else codecs
    if not inner_codecs or inner_codecs[-1]["name"] != "crc32c":
        return [f"store {store}: variable {name!r}: its chunks carry no crc32c checksum: they cannot be checked"]
    problems = []
    grid = [range(math.ceil(s / c)) for s, c in zip(shape, outer, strict=True)]
    for coords in itertools.product(*grid):
        key = ("c" + sep if key_conf["name"] == "default" else "") + sep.join(map(str, coords)) \
            if coords else ("c" if key_conf["name"] == "default" else "0")
        path = store / name / key
        try:
            raw = np.fromfile(path, dtype=np.uint8)
        except FileNotFoundError:
            problems.append(f"{chunk_label(store, name, coords, key)}: file missing (it would read as fill values)")
            continue
        if sharding is None:
            try:
                strip_checksum(raw, chunk_label(store, name, coords, key))
            except ChunkChecksumError as exc:
                problems.append(str(exc))
            continue
        problems += _check_shard(store, name, key, coords, raw, shape, outer, sharding)
    return problems


def _check_shard(store: Path, name: str, key: str, coords: tuple[int, ...], raw: np.ndarray,
                 shape: tuple[int, ...], outer: tuple[int, ...], sharding: dict[str, Any]) -> list[str]:
    inner = tuple(sharding["chunk_shape"])
    per_axis = [o // i for o, i in zip(outer, inner, strict=True)]
    slots = math.prod(per_axis)
    label = f"store {store}: variable {name!r}: shard {name}/{key}"
    if [c["name"] for c in sharding["index_codecs"]] != ["bytes", "crc32c"]:
        return [f"{label}: its index carries no crc32c checksum: it cannot be checked"]
    try:
        index = index_of(raw, slots, label, at_start=sharding.get("index_location", "end") == "start")
    except ChunkChecksumError as exc:
        return [str(exc)]
    problems = []
    for slot, local in enumerate(itertools.product(*[range(n) for n in per_axis])):
        chunk = tuple(c * n + i for c, n, i in zip(coords, per_axis, local, strict=True))
        if any(c * i >= s for c, i, s in zip(chunk, inner, shape, strict=True)):
            continue  # the part of the last shard beyond the array's end holds no chunk
        offset, size = (int(v) for v in index[slot])  # offsets count from the start of the file
        label_chunk = chunk_label(store, name, chunk, key)
        if offset == EMPTY and size == EMPTY:
            problems.append(f"{label_chunk}: not in its shard (it would read as fill values)")
        elif offset + size > raw.size:
            problems.append(f"{label_chunk}: out of bounds of its shard file ({raw.size} bytes)")
        else:
            try:
                strip_checksum(raw[offset:offset + size], label_chunk)
            except ChunkChecksumError as exc:
                problems.append(str(exc))
    return problems
