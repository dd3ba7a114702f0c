"""The Arrow schema of a table, derived from its contract: its columns are written once, in the model.

Writers take their columns, order, types and nullability from here, so a
column added to, renamed in or retyped in a contract reaches the Parquet file
with no second list to keep in step. The field's metadata carries the
contract's description (and any ``metadata`` the Field declares, e.g. a unit),
so every file says what its columns hold. How a column is encoded in Parquet
(dictionary, delta) stays the writer's choice: it changes bytes, not meaning.

A contract that needs an Arrow type the defaults below do not give says so in
its annotation with a pandas dtype: ``pd.ArrowDtype(pa.large_string())``,
``pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))``, ``pa.Int32``.

A contract may hold a family of columns named by a pattern (a Field with
``regex=True``: the registry's ``run.<name>`` forcing columns, whose names come
from the config). The pattern is no column of the file: the writer names the
columns it has (``extra``) and each takes the type, nullability and description
of the pattern it matches, after the named columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
from pandera.pandas import DataFrameModel


def arrow_type(dtype: object) -> pa.DataType:
    """The Arrow type of a Pandera column dtype.

    Strings are ``string`` (32-bit offsets): pandas' own string storage is
    ``large_string``, which the tables do not need and which Parquet readers
    would then see in the file's Arrow schema. Every other dtype maps the way
    pandas converts it (``Int64``/``int64`` -> int64, ``boolean``/``bool`` ->
    bool, ``float64`` -> double, ...); an ``ArrowDtype`` is taken as it is.
    """
    pandas_dtype = getattr(dtype, "type", dtype)
    if isinstance(pandas_dtype, pd.ArrowDtype):
        return pandas_dtype.pyarrow_dtype
    if pd.api.types.is_string_dtype(pandas_dtype):
        return pa.string()
    empty = pd.DataFrame({"column": pd.Series([], dtype=pandas_dtype)})
    return pa.Schema.from_pandas(empty, preserve_index=False).field("column").type


def _field(model: type[DataFrameModel], name: str, column) -> pa.Field:
    if column.dtype is None:
        raise TypeError(f"{model.__name__}.{name}: the contract gives no dtype, so the column has no Arrow type")
    metadata = {"description": column.description} if column.description else {}
    metadata.update(column.metadata or {})
    return pa.field(name, arrow_type(column.dtype), nullable=column.nullable, metadata=metadata or None)


def arrow_schema(model: type[DataFrameModel], extra: Sequence[str] = ()) -> pa.Schema:
    """Arrow schema of ``model``: its columns in field order, with their types, nullability and description;
    then the ``extra`` columns, each typed by the pattern (``regex=True`` Field) it matches."""
    fields, patterns = [], []
    for name, column in model.to_schema().columns.items():
        if column.regex:
            patterns.append((re.compile(name), column))
        else:
            fields.append(_field(model, name, column))
    for name in extra:
        matched = [column for pattern, column in patterns if pattern.fullmatch(name)]
        if not matched or name in {f.name for f in fields}:
            raise ValueError(f"{model.__name__}: column {name!r} is no pattern column of the contract "
                             f"(patterns: {[p.pattern for p, _ in patterns]})")
        fields.append(_field(model, name, matched[0]))
    return pa.schema(fields)


def named_columns(model: type[DataFrameModel]) -> list[str]:
    """The contract's columns that every file has (not the pattern columns)."""
    return [name for name, column in model.to_schema().columns.items() if not column.regex]
