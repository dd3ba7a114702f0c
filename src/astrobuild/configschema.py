"""The config schema's defaults, for code that runs outside the workflow (tests, benchmarks).

The workflow validates its config against ``schemas/config.schema.yaml``, which fills every
default; functions take those resolved values. Code called without the workflow reads the
same defaults here rather than keeping a second copy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

# The checkout's schema: the package always runs from its checkout (rules put src/ on PYTHONPATH).
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"


def defaults(section: str, schema: str | os.PathLike[str] = SCHEMA) -> dict[str, Any]:
    """The default of every key of a top-level config ``section`` that has one."""
    with open(schema, encoding="utf-8") as handle:
        props = yaml.safe_load(handle)["properties"][section]["properties"]
    return {key: spec["default"] for key, spec in props.items() if "default" in spec}
