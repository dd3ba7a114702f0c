"""Contract of the climate chain's table of cubes (``data/interim/climate_runs.parquet``).

Not ``strict``: the extra columns of ``runs.csv`` (targets) follow the declared ones, float64 or
strings (:func:`astrobuild.contracts.planet_runs.extra_columns_typed`).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from astrobuild import ids
from astrobuild.contracts.planet_runs import extra_columns_typed

STEM = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
BIOSPHERE = ids.PATHWAY_LIST_ANCHORED


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

    @pa.dataframe_check(error="a runs.csv column (target) that is neither float64 nor strings")
    def _targets_typed(cls, frame: pd.DataFrame) -> bool:
        return extra_columns_typed(cls, frame)

    class Config:
        strict = False  # the runs.csv's extra columns (targets) ride along, float64 or strings
        coerce = True
