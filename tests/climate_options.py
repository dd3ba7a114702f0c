"""Climate options as the workflow resolves them: the schema's defaults, with a test's overrides."""

from __future__ import annotations

from typing import Any

from astrobuild.climate.store import ZarrOptions
from astrobuild.configschema import defaults


def zarr_options(threads: int = 2, **overrides: Any) -> ZarrOptions:
    """Two threads by default, as a cube's own job gets (config resources.nc_to_zarr_alone), so that
    the tests run the parallel paths."""
    return ZarrOptions.from_config({**defaults("climate"), **overrides}, threads=threads)
