"""Climate options as the workflow resolves them: the schema's defaults, with a test's overrides."""

from __future__ import annotations

from typing import Any

from astrobuild.climate.store import ZarrOptions
from astrobuild.configschema import defaults


def zarr_options(**overrides: Any) -> ZarrOptions:
    return ZarrOptions.from_config({**defaults("climate"), **overrides})
