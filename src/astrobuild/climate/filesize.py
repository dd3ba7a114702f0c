"""Is a NetCDF file whole? Its size against what its header says it holds.

netCDF-C reads a classic file cut short without complaint: values past the end
come back as zeros (or fill values), so a truncated download would convert to
a store of wrong values that passes every later check. The classic header
(NetCDF3 classic, 64-bit offset and CDF-5, as the NetCDF file format
specification describes it) says where every variable's data begins and how
large it is; :func:`check_netcdf3_size` reads that header and raises
:class:`TruncatedFileError`, naming the file and the expected and actual byte
sizes, when the file ends before its last data byte.

NetCDF4 files are HDF5: the HDF5 library itself refuses a file shorter than
the end-of-file address its superblock records, with an error ("HDF error")
that says nothing of the cause; :func:`check_file_size` reads that address
first (superblock versions 0 to 3) so the message says what is wrong.

Header grammar (big-endian; ``NON_NEG`` and ``nelems`` are 8 bytes in CDF-5, else 4;
``begin`` is 4 bytes in classic, 8 in 64-bit offset and CDF-5)::

    header   = magic numrecs dim_list gatt_list var_list
    magic    = 'C' 'D' 'F' version          (version 1, 2 or 5)
    numrecs  = NON_NEG | STREAMING           (all bits set: count the records from the size)
    list     = ABSENT (ZERO ZERO) | tag nelems [item ...]
    dim      = name dim_length               (0: the record dimension)
    attr     = name nc_type nelems [values, padded to 4 bytes]
    var      = name nelems [dimid ...] vatt_list nc_type vsize begin
    name     = nelems chars, padded to 4 bytes
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)

# nc_type -> bytes per value (CDF-5 adds the unsigned and 64-bit types)
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}
_TAGS = {"dims": 0x0A, "vars": 0x0B, "attrs": 0x0C}
_HEADER_READ = 1 << 16  # bytes read at a time while parsing the header


class TruncatedFileError(ValueError):
    """A file shorter than its own header says; the message names the file and both sizes."""


class HeaderNotUnderstood(ValueError):
    """A header this module cannot follow (the NetCDF library is left to judge the file)."""


@dataclass(frozen=True)
class Netcdf3Layout:
    version: int  # 1 classic, 2 64-bit offset, 5 CDF-5
    numrecs: int | None  # None: STREAMING (the count follows from the size)
    recsize: int  # bytes of one record (every record variable's slab)
    begin_rec: int | None  # where the records start (None: no record variable)
    fixed_end: int  # end of the last byte of data of the non-record variables
    header_end: int  # end of the header
    records: tuple[tuple[int, int], ...]  # (begin, bytes per record) of each record variable


class _Reader:
    """Big-endian fields read from the file as needed (headers with many attributes can be large)."""

    def __init__(self, handle, path: str, size: int):
        self.handle, self.path, self.size = handle, path, size
        self.buf, self.pos = b"", 0  # buffer holds the file from offset 0 up to len(buf)

    def take(self, n: int) -> bytes:
        if self.pos + n > self.size:  # checked first: a damaged count must not become a huge read
            raise TruncatedFileError(f"{self.path}: truncated NetCDF3 file: it ends ({self.size} bytes) "
                                     f"inside its own header, which needs at least {self.pos + n} bytes")
        while self.pos + n > len(self.buf):
            self.buf += self.handle.read(max(_HEADER_READ, self.pos + n - len(self.buf)))
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def skip_padded(self, n: int) -> None:
        self.take(n + (-n) % 4)


def read_layout(path: str | os.PathLike[str]) -> Netcdf3Layout | None:
    """What the header of a NetCDF3 file says about its size; ``None`` for anything else (HDF5)."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        magic = handle.read(4)
        if len(magic) < 4 or magic[:3] != b"CDF" or magic[3] not in (1, 2, 5):
            return None
        version = magic[3]
        r = _Reader(handle, path, size)
        r.buf, r.pos = magic, 4
        wide = 8 if version == 5 else 4  # NON_NEG, nelems, dimids, vsize
        offset_width = 4 if version == 1 else 8
        numrecs = r.uint(wide)
        if numrecs == (1 << (8 * wide)) - 1:
            numrecs = None  # STREAMING
        dims = [_dim(r, wide) for _ in range(_list_length(r, wide, "dims"))]
        _skip_attrs(r, wide)
        fixed_end, begin_rec, records = 0, None, []
        for _ in range(_list_length(r, wide, "vars")):
            r.skip_padded(r.uint(wide))  # name
            dimids = [r.uint(wide) for _ in range(r.uint(wide))]
            _skip_attrs(r, wide)
            nc_type = r.uint(4)
            r.uint(wide)  # vsize: computed below instead (it saturates for variables over 4 GiB)
            begin = r.uint(offset_width)
            if nc_type not in TYPE_SIZES or any(d >= len(dims) for d in dimids):
                raise HeaderNotUnderstood(f"{path}: NetCDF3 header not understood (type {nc_type}, dims {dimids})")
            is_record = bool(dimids) and dims[dimids[0]] == 0
            slab = TYPE_SIZES[nc_type] * math.prod(dims[d] for d in dimids[1 if is_record else 0:])
            if is_record:
                begin_rec = begin if begin_rec is None else min(begin_rec, begin)
                records.append((begin, slab))
            else:
                fixed_end = max(fixed_end, begin + slab)
        header_end = r.pos
    # The record size: every record variable's slab padded to 4 bytes, except a single record variable's.
    recsize = records[0][1] if len(records) == 1 else sum(slab + (-slab) % 4 for _, slab in records)
    return Netcdf3Layout(version=version, numrecs=numrecs, recsize=recsize, begin_rec=begin_rec,
                         fixed_end=fixed_end, header_end=header_end, records=tuple(records))


def _list_length(r: _Reader, wide: int, kind: str) -> int:
    tag, nelems = r.uint(4), r.uint(wide)
    if tag == 0 and nelems == 0:
        return 0  # ABSENT
    if tag != _TAGS[kind]:
        raise HeaderNotUnderstood(f"{r.path}: NetCDF3 header not understood: {kind} list tag {tag:#x} at byte {r.pos - 4 - wide}")
    return nelems


def _dim(r: _Reader, wide: int) -> int:
    r.skip_padded(r.uint(wide))
    return r.uint(wide)


def _skip_attrs(r: _Reader, wide: int) -> None:
    for _ in range(_list_length(r, wide, "attrs")):
        r.skip_padded(r.uint(wide))  # name
        nc_type, nelems = r.uint(4), r.uint(wide)
        if nc_type not in TYPE_SIZES:
            raise HeaderNotUnderstood(f"{r.path}: NetCDF3 header not understood: attribute type {nc_type}")
        r.skip_padded(nelems * TYPE_SIZES[nc_type])


def expected_size(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(bytes the header implies at least, bytes the file has); ``None`` for a file that is not NetCDF3."""
    layout = read_layout(path)
    if layout is None:
        return None
    records = layout.records
    actual = os.path.getsize(path)
    needed = max(layout.header_end, layout.fixed_end)
    if records:
        numrecs = layout.numrecs
        if numrecs is None:  # STREAMING: as many whole records as the file holds
            numrecs = max(0, actual - layout.begin_rec) // layout.recsize if layout.recsize else 0
            if layout.recsize and max(0, actual - layout.begin_rec) % layout.recsize:
                numrecs += 1  # a last record begun but not finished: it must be whole
        if numrecs:
            # The last record's data ends with its last variable's slab (its padding may be absent).
            needed = max(needed, max(begin + (numrecs - 1) * layout.recsize + slab for begin, slab in records))
    return needed, actual


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def hdf5_expected_size(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(bytes the HDF5 superblock's end-of-file address implies, bytes the file has); ``None`` when
    no superblock is found (the superblock sits at byte 0, 512, 1024, 2048, ... after a user block)."""
    actual = os.path.getsize(path)
    with open(path, "rb") as handle:
        at = 0
        while at + 64 <= actual:
            handle.seek(at)
            head = handle.read(64)
            if head[:8] == _HDF5_SIGNATURE:
                break
            at = 512 if at == 0 else 2 * at
        else:
            return None
    version = head[8]
    if version in (0, 1):
        width = head[13]  # size of offsets
        fields = 24 + (4 if version == 1 else 0)  # the addresses follow the fixed fields
    elif version in (2, 3):
        width = head[9]
        fields = 12
    else:
        return None
    if width not in (2, 4, 8) or fields + 3 * width > len(head):
        return None
    # Fields: base address, free-space (v0/1) or extension (v2/3) address, end-of-file address. With a
    # user block the end-of-file address may count from the base address: taken as is, it never
    # claims more than the file must hold (the library catches the rest).
    eof_field = fields + 2 * width
    eof = int.from_bytes(head[eof_field:eof_field + width], "little")
    return (None if eof == (1 << (8 * width)) - 1 else (eof, actual))  # all bits set: undefined


def check_file_size(path: str | os.PathLike[str]) -> None:
    """Raise :class:`TruncatedFileError` when a NetCDF file (NetCDF3 or HDF5) is shorter than its
    header implies; other files pass (the NetCDF library judges them), and so does a header this
    module cannot follow (logged: a damaged header fails in the library, naming the file)."""
    try:
        kind, sizes = "NetCDF3", expected_size(path)
    except HeaderNotUnderstood as exc:
        log.warning("%s; its size is not checked", exc)
        return
    if sizes is None:
        kind, sizes = "NetCDF4/HDF5", hdf5_expected_size(path)
    if sizes is None:
        return
    needed, actual = sizes
    if actual < needed:
        raise TruncatedFileError(f"{os.fspath(path)}: truncated {kind} file: its header implies at least "
                                 f"{needed} bytes, the file has {actual} ({needed - actual} missing)")

