"""Contract of the processed exoplanet table (``data/processed/exoplanets.parquet``).

The table holds whichever archive columns the download had, under their
documented names (:mod:`astrobuild.contracts.exoplanet_columns`), so every column but
the few the model needs is optional; those few are always there, null where
the download had nothing to fill them (a fixed schema for downstream; the
Parquet metadata ``absent_columns`` names them). None outside the list may
appear (strict). Ranges refuse impossible values only: unusual values are kept and
flagged (``<column>_outlier``), not refused.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from astrobuild.contracts.exoplanet_columns import BOUNDS, MODEL_COLUMNS, all_columns

_TYPES = {"str": str, "int": pa.typing.Int64, "float": float}
# Always in the table (null where the download had nothing to fill them), so the schema downstream is fixed.
_REQUIRED = {"planet", *MODEL_COLUMNS}


def _field(col) -> tuple[object, object]:
    unit = f" [{col.unit}]" if col.unit else ""
    checks = {}
    if col.lo is not None:
        checks["ge"] = col.lo
    if col.hi is not None:
        checks["le"] = col.hi
    nullable = col.name != "planet"
    annotation = Series[_TYPES[col.kind]]
    if col.name not in _REQUIRED:
        annotation = annotation | None
    return annotation, pa.Field(nullable=nullable, unique=col.name == "planet",
                                description=f"{col.description or col.name}{unit} (archive {col.archive})",
                                metadata={"archive_column": col.archive, "unit": col.unit}, **checks)


def _model() -> type[pa.DataFrameModel]:
    annotations, attrs = {}, {}
    for col in all_columns():
        if col.name == "default_flag":  # used to pick the rows, then dropped
            continue
        annotations[col.name], attrs[col.name] = _field(col)
    annotations["semi_major_axis_derived"] = Series[bool]
    attrs["semi_major_axis_derived"] = pa.Field(
        description="semi_major_axis_au was missing and is derived by Kepler's third law from orbital period "
                    "and stellar mass")
    annotations["eqt_derived"] = Series[bool]
    attrs["eqt_derived"] = pa.Field(
        description="eq_temp_k was missing and is derived: T_eff * sqrt(R_star / (2 a)) * (1 - A)^(1/4), or where "
                    "that cannot be computed 278.3 K * S^(1/4) * (1 - A)^(1/4) from the insolation S [Earth flux]; "
                    "A = config exoplanets.albedo, full heat redistribution")
    for name, (lo, hi) in BOUNDS.items():
        annotations[f"{name}_outlier"] = Series[bool] | None
        attrs[f"{name}_outlier"] = pa.Field(
            description=f"{name} outside [{lo:g}, {hi:g}] or beyond exoplanets.outlier_sigma in log10 space")
    annotations["outlier"] = Series[bool]
    attrs["outlier"] = pa.Field(description="any <column>_outlier is true (row kept)")

    class Config:
        strict = True
        coerce = True

    doc = "One row per planet, archive columns renamed with units, derived values and outlier flags."
    return type("Exoplanets", (pa.DataFrameModel,), {"__annotations__": annotations, "__doc__": doc,
                                                     "__module__": __name__, "Config": Config, **attrs})


Exoplanets = _model()
