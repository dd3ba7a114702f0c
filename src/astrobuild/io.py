"""Deterministic, atomic writers shared by every step.

Outputs are written to a temporary name beside the target and renamed into
place, so a crash never leaves a half-written file that looks finished. The
temporary name is ``.<name>.tmp`` (:func:`temp_path`) for files and stores
alike, the same for every writer of a target: the next write of it removes one
left by a writer that was killed (:func:`remove_stale_temps`) with one lookup,
not a listing of a folder that may hold thousands of stores, so a rerun of a
killed job leaves none behind.
Parquet is written from Arrow tables with fixed settings so that the same
table gives the same bytes (Arrow stores no write timestamp), with a CRC32
checksum in every page header; :func:`read_parquet`, the one way the package
reads Parquet, verifies them, so a damaged page that would still decode is an
error naming the file instead of wrong values passed downstream.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,  # level 3 is ~2x slower here for <2% smaller files
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    # CRC32 of every page, checked by read_parquet: a flipped byte in a page that still
    # decodes (plain or zstd raw blocks) would otherwise be read as valid data.
    "write_page_checksum": True,
}


class ParquetReadError(OSError):
    """A Parquet file that cannot be read as written (damaged page, bad footer, not Parquet)."""


class ParquetWriteError(ValueError):
    """A table that breaks its own schema (a null in a non-nullable column), named with the file it was for."""


@contextlib.contextmanager
def _naming(path: str | os.PathLike[str]) -> Iterator[None]:
    # Arrow's message names the column but not the file.
    try:
        yield
    except ValueError as exc:  # pa.ArrowInvalid is one
        raise ParquetWriteError(f"{os.fspath(path)}: cannot write this table: {exc}") from exc


TEMP_SUFFIX = ".tmp"


def temp_path(target: str | os.PathLike[str]) -> Path:
    """The temporary name of ``target``: hidden, in its folder (the rename is atomic), and fixed, so
    that a writer finds what a killed writer of the same target left. Only one job at a time writes
    a target (Snakemake's locks), so one name per target is enough."""
    target = Path(target)
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


def stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """The temporary file or folder left beside ``target`` by a writer of it that did not finish (0 or 1)."""
    tmp = temp_path(target)
    return [tmp] if os.path.lexists(tmp) else []


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove what :func:`stale_temps` finds. Called by a writer of ``target`` before it starts: only
    one job at a time writes a target (Snakemake's locks), so any such file is from a killed one."""
    found = stale_temps(target)
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return found


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    tmp_path = temp_path(target)
    os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        yield tmp_path
        # mkstemp creates 0600; outputs are shared data, so honour the umask like open() would.
        umask = os.umask(0)
        os.umask(umask)
        if tmp_path.is_file():
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _parquet_options(dictionary: bool | list[str], encodings: dict[str, str] | None = None) -> dict[str, Any]:
    # Min/max statistics of unique strings (paths, checksums) cost time and
    # prune nothing: with a list of dictionary columns, keep statistics for those.
    stats = dictionary if isinstance(dictionary, list) else PARQUET_OPTIONS["write_statistics"]
    options = {**PARQUET_OPTIONS, "use_dictionary": dictionary, "write_statistics": stats}
    if encodings:
        options["column_encoding"] = encodings
    return options


def _with_metadata(schema: pa.Schema, metadata: dict[str, str] | None) -> pa.Schema:
    if not metadata:
        return schema
    merged = dict(schema.metadata or {})
    merged.update({k.encode(): v.encode() for k, v in sorted(metadata.items())})
    return schema.with_metadata(merged)


def write_parquet(table: pa.Table, path: str | os.PathLike[str], metadata: dict[str, str] | None = None,
                  dictionary: bool | list[str] = True) -> None:
    """Write ``table`` to Parquet deterministically and atomically.

    ``metadata`` is merged into the schema's key/value metadata (for example a
    column's description from an upstream header). ``dictionary`` names the
    columns worth dictionary-encoding (few distinct values); trying it on
    unique columns such as checksums costs time for nothing.
    """
    table = table.replace_schema_metadata(_with_metadata(table.schema, metadata).metadata)
    with atomic_path(path) as tmp, _naming(path):
        pq.write_table(table, tmp, **_parquet_options(dictionary))


def write_parquet_parts(parts: Iterable[pa.Table], schema: pa.Schema, path: str | os.PathLike[str],
                        metadata: dict[str, str] | None = None, dictionary: bool | list[str] = True,
                        encodings: dict[str, str] | None = None) -> int:
    """Write an iterable of tables as one Parquet file, one row group per part; returns the row count.

    For producers that compute parts while earlier ones are encoded. Row
    groups follow the parts, so the bytes are as deterministic as the parts.
    ``encodings`` sets Parquet encodings of non-dictionary columns (e.g.
    DELTA_BINARY_PACKED for counters: smaller and faster than plain + zstd).
    """
    schema = _with_metadata(schema, metadata)
    rows = 0
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema, **_parquet_options(dictionary, encodings)) as writer:
        for part in parts:
            if part.num_rows:
                with _naming(path):
                    writer.write_table(part.cast(schema) if part.schema != schema else part)
                rows += part.num_rows
    return rows


def read_parquet(path: str | os.PathLike[str], columns: list[str] | None = None) -> pa.Table:
    """Read a Parquet file (optionally only ``columns``), verifying every page checksum.

    A page whose bytes differ from its checksum, or any other Arrow read
    error, raises :class:`ParquetReadError` naming the file (Arrow's own
    message does not). Files written without checksums are read unverified.
    """
    try:
        return pq.read_table(path, columns=columns, page_checksum_verification=True)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as exc:
        raise ParquetReadError(f"{os.fspath(path)}: cannot read this Parquet file: {exc}") from exc


def read_parquet_metadata(path: str | os.PathLike[str]) -> dict[bytes, bytes]:
    """The schema's key/value metadata of a Parquet file (the footer only: no page is read)."""
    try:
        return pq.read_schema(path).metadata or {}
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as exc:
        raise ParquetReadError(f"{os.fspath(path)}: cannot read this Parquet file's footer: {exc}") from exc


def sha256_file(path: str | os.PathLike[str], block_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks (files may be larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(block_size):
            digest.update(block)
    return digest.hexdigest()


def dumps_json(obj: Any) -> str:
    """JSON text with sorted keys and a trailing newline: stable across runs."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n"


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(dumps_json(obj), encoding="utf-8")


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json_default(value: Any) -> Any:
    # numpy scalars and paths turn up in reports; everything else is a bug.
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
