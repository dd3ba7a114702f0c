"""Contract of the planet-run registry (``data/processed/planet_runs.parquet``).

That references resolve (store on disk, planet in the archive table, pathways
in the graph store) is checked when the registry is built
(:func:`astrobuild.planet_runs.build_registry`); the contract checks the shape.

Besides the declared columns, the registry carries the extra columns of the
``runs.csv`` files (the training's targets, :mod:`astrobuild.climate.runs`)
under their own names; so the model is not ``strict``, and
:func:`~astrobuild.contracts.climate.extra_columns_typed` holds those columns to float64 or strings.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from astrobuild import ids
from astrobuild.contracts.climate import RUN_PARAM, extra_columns_typed
from astrobuild.contracts.kegg import PATHWAY

RUN_ID = r"^run-[0-9a-f]{16}$"
PATHWAY_SET = PATHWAY[:-1] + r"(?: " + PATHWAY[1:-1] + r")*$"


class PlanetRuns(pa.DataFrameModel):
    """One row per planet-run with the key of every modality."""

    run_id: Series[str] = pa.Field(str_matches=RUN_ID, unique=True,
                                   description="run- + 16 hex digits of sha256(planet, scenario, cube sha256)")
    planet: Series[str] = pa.Field(nullable=True, description="planet name: the key of the exoplanet table")
    scenario: Series[str] = pa.Field(nullable=True, description="climate scenario of the run")
    label: Series[pd.BooleanDtype] = pa.Field(nullable=True, description="biosignature label from runs.csv (null: unlabelled)")
    climate_file: Series[str] = pa.Field(description="the run's NetCDF file name")
    climate_store: Series[str] = pa.Field(str_endswith=".zarr", description="the run's Zarr store")
    source_sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="sha256 of the NetCDF file")
    spectrum: Series[str] = pa.Field(nullable=True, description="spectrum id in the spectra table")
    spectrum_match: Series[str] = pa.Field(nullable=True, isin=["run", "planet"],
                                           description="run: the run's own spectrum; planet: the planet's")
    pathways: Series[str] = pa.Field(nullable=True, str_matches=PATHWAY_SET,
                                     description="the run's biosphere: space-separated KEGG pathway ids")
    n_pathways: Series[pa.Int32] = pa.Field(ge=0)
    organisms: Series[str] = pa.Field(nullable=True, str_matches=ids.ACCESSION_LIST_ANCHORED,
                                      description="genomes (organisms table) the run's organisms resolve to")
    biosphere_source: Series[str] = pa.Field(
        nullable=True, isin=["biosphere", "organisms", "both"],
        description="where the pathways came from: runs.csv biosphere ids, the organisms' present pathways, both")
    run_params: Optional[Series[float]] = pa.Field(  # noqa: UP045 (pandera reads Optional as "may be absent")
        alias=RUN_PARAM, regex=True, nullable=True,
        description="a forcing of the run from runs.csv (train.run_columns; unit in the config), null if not given")

    @pa.dataframe_check(error="a runs.csv column (target) that is neither float64 nor strings")
    def _targets_typed(cls, frame: pd.DataFrame) -> bool:
        return extra_columns_typed(cls, frame)

    class Config:
        strict = False  # the runs.csv's own columns ride along (module docstring)
        coerce = True


# Every column of a hypothetical planet but its name: a planet column of the exoplanet table.
PLANET_COLUMN = r"^(?!planet$)[a-z][a-z0-9_]*$"


class HypotheticalPlanets(pa.DataFrameModel):
    """The planets of runs that the exoplanet table lacks, with the planet columns runs.csv or
    planets.csv give (``data/processed/hypothetical_planets.parquet``, rule planet_runs): pooling reads
    them beside the archive's rows. Columns are the exoplanet table's names and units."""

    planet: Series[str] = pa.Field(unique=True, description="planet name (no planet of the exoplanet table)")
    values: Optional[Series[float]] = pa.Field(  # noqa: UP045
        alias=PLANET_COLUMN, regex=True, nullable=True,
        description="a planet column (train.planet_columns) in the exoplanet table's unit")

    class Config:
        strict = True
        coerce = True
