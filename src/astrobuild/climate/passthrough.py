"""Float variables the store keeps exactly as the source stores them: read raw, written as read.

Reading a block through xarray decodes it (fill values become NaN: a fresh array) and writing
it encodes it back (NaN becomes the fill value: another fresh array). For a float variable
that the store keeps in the source's own encoding (same dtype, same fill value, no packing)
those two passes give back the very bytes that were read, except where a raw value is NaN
while the fill value is a number (the encoder turns that NaN into the fill value). So the
streamed conversion (:mod:`astrobuild.climate.convert`) reads such a block undecoded and,
when it holds no NaN under a numeric fill value, compresses it as read: the store's bytes
are those the xarray path writes (a test compares them), in a fraction of the time.

The verification stays a comparison of decoded values: once the block is written, it is
decoded in place with the source's own attributes (xarray's CF decoding; fill values to
NaN) and compared with the store's block read back from disk and decoded with the store's
attributes. Nothing stands between the bytes read from the source and either side of the
comparison but the shard file and the decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astrobuild.climate.shards import Layout, decode_cf_inplace
from astrobuild.climate.source import FILL_ATTRS, PACK_ATTRS, SourceInfo

_FILLS = tuple(FILL_ATTRS)


@dataclass(frozen=True)
class Passthrough:
    """How one variable's raw blocks are written as read: the source's CF attributes and its fill."""

    name: str
    dims: tuple[str, ...]
    dtype: np.dtype
    attrs: dict[str, Any]  # the source's fill attributes (all the CF decoding there is to do)
    fill: float | None  # the numeric fill value (None when absent or NaN: then no NaN needs care)

    def raw_block(self, values: np.ndarray) -> np.ndarray | None:
        """``values`` (read undecoded) in the store's dtype, writable; ``None`` when the block holds a
        NaN under a numeric fill value (xarray's encoder would change it: the block goes its way)."""
        block = np.require(values, dtype=self.dtype, requirements=("C", "W"))
        # The sum is NaN if any value is (an inf plus a -inf too: that block only takes the slow way).
        if self.fill is not None and block.size and np.isnan(np.add.reduce(block, axis=None)):
            return None
        return block

    def decode(self, block: np.ndarray) -> np.ndarray:
        """The block as xarray decodes the source (fill values to NaN), in place; after it is written."""
        return decode_cf_inplace(self.name, block, self.dims, self.attrs)


def _bits(value: Any, dtype: np.dtype, cast: bool = False) -> bytes | None:
    """A fill attribute as bytes of ``dtype``; None when it is not one scalar of that dtype (or, with
    ``cast``, of a dtype it converts to and back from exactly: a Zarr attribute is JSON, a float64)."""
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "fiu":
        return None
    arr, little = arr.reshape(()), dtype.newbyteorder("<")
    if arr.dtype.newbyteorder("<") != little:
        back = arr.astype(little)
        if not cast or not (back.astype(arr.dtype) == arr or (np.isnan(arr) and np.isnan(back))):
            return None
        arr = back
    return arr.astype(little).tobytes()


def plan(name: str, info: SourceInfo, layout: Layout | None) -> Passthrough | None:
    """The passthrough of ``name`` when its raw values can be written as read, else ``None``.

    That is: a float variable of the store's dtype, read masked (not one of ``info.unmasked``),
    without packing or ``_Unsigned``, whose fill attributes are one value of its dtype, not zero
    (``-0.0 == 0.0`` would make the encoder rewrite a sign bit), and are the store's own.
    """
    if layout is None or name in info.unmasked or info.var_dtypes.get(name) in (None, "str"):
        return None
    attrs = info.var_attrs.get(name, {})
    dtype = np.dtype(info.var_dtypes[name])
    if dtype.kind != "f" or dtype.newbyteorder("<") != layout.dtype.newbyteorder("<"):
        return None
    if any(k in attrs for k in (*PACK_ATTRS, "_Unsigned")):
        return None
    src = {k: _bits(attrs[k], dtype) for k in _FILLS if k in attrs}
    dst = {k: _bits(layout.attrs[k], dtype, cast=True) for k in (*_FILLS, *PACK_ATTRS) if k in layout.attrs}
    if None in src.values() or src != dst or len(set(src.values())) > 1:
        return None
    fill = None
    if src:
        value = float(np.frombuffer(next(iter(src.values())), dtype=dtype.newbyteorder("<"))[0])
        if value == 0.0:
            return None
        fill = None if np.isnan(value) else value
    return Passthrough(name=name, dims=layout.dims, dtype=layout.dtype,
                       attrs={k: attrs[k] for k in _FILLS if k in attrs}, fill=fill)
