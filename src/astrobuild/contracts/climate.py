"""Contract of the climate chain's table of cubes (``data/interim/climate_runs.parquet``).

Not ``strict``: the extra columns of ``runs.csv`` (targets) follow the declared ones, float64 or
strings (:func:`extra_columns_typed`).
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from astrobuild import ids

STEM = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# The numeric columns of runs.csv a build reads, by prefix: ``run:<name>`` a forcing of the run
# (train.run_columns), ``planet:<name>`` a planet column (the exoplanet table's name and unit) given by
# runs.csv or the planets.csv beside it, for a planet the archive lacks. Their names come from the files
# and the config, so the contract holds them as patterns (float64, null where not given).
RUN_PARAM = r"^run:[A-Za-z_][A-Za-z0-9_]*$"
PLANET_VALUE = r"^planet:[A-Za-z_][A-Za-z0-9_]*$"

BIOSPHERE = ids.PATHWAY_LIST_ANCHORED


def extra_columns_typed(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> bool:
    """True when every column ``model`` does not declare is float64 or strings (nulls allowed)."""
    declared = set(model.to_schema().columns)
    for column in (c for c in frame.columns if c not in declared):
        values = frame[column]
        if not (pd.api.types.is_float_dtype(values)
                or values.map(lambda v: v is None or v is pd.NA or isinstance(v, str)
                              or (isinstance(v, float) and v != v)).all()):
            return False
    return True


class ClimateRuns(pa.DataFrameModel):
    """One row per NetCDF cube of the climate source, with its run from ``runs.csv`` (null when unlisted)."""

    file: Series[str] = pa.Field(unique=True, description="the cube's file, relative to the source folder")
    stem: Series[str] = pa.Field(str_matches=STEM, unique=True, description="the {stem} wildcard of its store")
    source_sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="sha256 of the NetCDF file")
    store: Series[str] = pa.Field(str_matches=r"^data/processed/climate/[^/]+\.zarr$", unique=True,
                                  description="the Zarr store, relative to the workdir")
    planet: Series[str] = pa.Field(nullable=True, description="planet name from runs.csv; null without a row")
    scenario: Series[str] = pa.Field(nullable=True, description="climate scenario from runs.csv")
    label: Series[pd.BooleanDtype] = pa.Field(nullable=True, description="biosignature label from runs.csv")
    biosphere: Series[str] = pa.Field(str_matches=BIOSPHERE, nullable=True,
                                      description="space-separated KEGG map ids of the run's biosphere")
    organisms: Series[str] = pa.Field(str_matches=ids.ACCESSION_LIST_ANCHORED, nullable=True,
                                      description="space-separated record or assembly accessions of the run's "
                                                  "organisms, whose present pathways join the biosphere")
    # Optional: a pattern column is one per name found, none at all being a valid table.
    run_params: Optional[Series[float]] = pa.Field(  # noqa: UP045 (pandera reads Optional as "may be absent")
        alias=RUN_PARAM, regex=True, nullable=True,
        description="a numeric forcing column of runs.csv named in train.run_columns (run:<name>)")
    planet_values: Optional[Series[float]] = pa.Field(  # noqa: UP045
        alias=PLANET_VALUE, regex=True, nullable=True,
        description="a planet column (the exoplanet table's name and unit) from runs.csv or planets.csv")

    @pa.dataframe_check(error="a runs.csv column (target) that is neither float64 nor strings")
    def _targets_typed(cls, frame: pd.DataFrame) -> bool:
        return extra_columns_typed(cls, frame)

    class Config:
        strict = False  # the runs.csv's extra columns (targets) ride along, float64 or strings
        coerce = True
