"""Arrow schemas derived from the contracts (astrobuild.contracts.arrow), and the writers that use them."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pytest
from pandera.typing import Series

from astrobuild.contracts.arrow import arrow_schema, arrow_type, named_columns
from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.io import ParquetWriteError, read_parquet, write_parquet
from astrobuild.kegg.pipeline import GENE_LIST, rows_table


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_derived_schema_round_trips(name, tmp_path):
    model = CONTRACTS[name]
    schema = arrow_schema(model)
    assert schema.names == named_columns(model)
    write_parquet(schema.empty_table(), tmp_path / "t.parquet")
    back = read_parquet(tmp_path / "t.parquet")
    assert back.schema.equals(schema, check_metadata=True)
    model.validate(back.to_pandas(), lazy=True)


def test_dtypes_map_to_the_arrow_types_the_tables_use():
    class Model(pandera.DataFrameModel):
        text: Series[str] = pandera.Field(description="some text", metadata={"unit": "um"})
        count: Series[pandera.typing.Int64] = pandera.Field(nullable=True)
        small: Series[pandera.Int32]
        flag: Series[pd.BooleanDtype] = pandera.Field(nullable=True)
        value: Series[float]
        wide: Series[pd.ArrowDtype(pa.large_string())]  # a type the defaults do not give, said in the contract

    schema = arrow_schema(Model)
    assert schema == pa.schema([
        pa.field("text", pa.string(), nullable=False), pa.field("count", pa.int64()),
        pa.field("small", pa.int32(), nullable=False), pa.field("flag", pa.bool_()),
        pa.field("value", pa.float64(), nullable=False), pa.field("wide", pa.large_string(), nullable=False)])
    assert schema.field("text").metadata == {b"description": b"some text", b"unit": b"um"}
    assert schema.field("count").metadata is None
    assert arrow_type(pd.StringDtype("python")) == pa.string()


def test_rows_follow_the_contract_column_order():
    # Parsers give tuples in the contract's column order; the table names them by it.
    row = ("hsa:1", "hsa", "CDS", "19:complement(1..9)", "A1BG", "alpha-1-B glycoprotein")
    table = rows_table([row], GENE_LIST)
    assert table.schema == GENE_LIST
    assert table.to_pylist() == [{"gene": "hsa:1", "org": "hsa", "type": "CDS", "position": "19:complement(1..9)",
                                  "symbols": "A1BG", "description": "alpha-1-B glycoprotein"}]


def test_a_null_in_a_non_nullable_column_stops_the_writer_naming_file_and_column(tmp_path):
    table = rows_table([(None, "hsa", None, None, None, None)], GENE_LIST)
    with pytest.raises(ParquetWriteError, match=r"genes\.parquet: cannot write this table: .*'gene'"):
        write_parquet(table, tmp_path / "genes.parquet")
    assert not (tmp_path / "genes.parquet").exists()
