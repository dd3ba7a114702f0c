"""Parquet pages carry checksums and every reader verifies them (src/astrobuild/io.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.io import ParquetReadError, read_parquet, write_parquet, write_parquet_parts


def _table() -> pa.Table:
    # Random doubles do not compress: zstd stores them as a raw block, so a flipped byte
    # in the page still decodes, to a wrong value, unless the page checksum is checked.
    values = np.random.default_rng(0).random(2000)
    return pa.table({"x": values, "name": [f"row{i}" for i in range(len(values))]})


def _flip_silently(path: Path, table: pa.Table) -> Path:
    """Flip one byte of the first column's pages such that the file still decodes (to other values)."""
    column = pq.ParquetFile(path).metadata.row_group(0).column(0)
    start = column.dictionary_page_offset or column.data_page_offset
    original = path.read_bytes()
    damaged = path.with_name("damaged.parquet")
    # From the end of the column chunk backwards: values, not page headers, are hit first.
    for position in range(start + column.total_compressed_size - 1, start, -1):
        data = bytearray(original)
        data[position] ^= 0x01
        damaged.write_bytes(bytes(data))
        try:
            decoded = pq.read_table(damaged)  # what any reader without verification sees
        except (OSError, pa.ArrowException):
            continue
        if not decoded.equals(table):
            return damaged
    raise AssertionError("no byte of the page could be flipped without breaking decoding")


@pytest.mark.parametrize("writer", ["write_parquet", "write_parquet_parts"])
def test_a_damaged_page_that_still_decodes_is_an_error_naming_the_file(tmp_path: Path, writer: str) -> None:
    table = _table()
    path = tmp_path / "t.parquet"
    if writer == "write_parquet":
        write_parquet(table, path, dictionary=False)
    else:
        write_parquet_parts([table.slice(0, 1000), table.slice(1000)], table.schema, path, dictionary=False)
    assert read_parquet(path).equals(table)
    assert read_parquet(path, columns=["name"]).column_names == ["name"]

    damaged = _flip_silently(path, table)
    with pytest.raises(ParquetReadError, match="damaged.parquet.*checksum"):
        read_parquet(damaged)


def test_the_written_file_has_page_checksums(tmp_path: Path) -> None:
    # Without checksums in the file, verification has nothing to check: the same damage passes.
    table = _table()
    plain = tmp_path / "plain.parquet"
    pq.write_table(table, plain, compression="zstd", use_dictionary=False)
    damaged = _flip_silently(plain, table)
    assert not read_parquet(damaged).equals(table)

    ours = tmp_path / "ours.parquet"
    write_parquet(table, ours, dictionary=False)
    with pytest.raises(ParquetReadError):
        read_parquet(_flip_silently(ours, table))


def test_a_reading_rule_fails_on_a_damaged_table_naming_it(tmp_path: Path) -> None:
    table = _table()
    path = tmp_path / "t.parquet"
    write_parquet(table, path, dictionary=False)
    damaged = _flip_silently(path, table)
    with pytest.raises(ParquetReadError, match=str(damaged)):
        validate_table("kegg_edges", damaged)


def test_not_parquet_and_missing_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.parquet"
    text.write_text("not parquet\n")
    with pytest.raises(ParquetReadError, match="notes.parquet"):
        read_parquet(text)
    with pytest.raises(FileNotFoundError):
        read_parquet(tmp_path / "absent.parquet")
