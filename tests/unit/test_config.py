"""The config schema: defaults, unknown keys, types, modes."""

from __future__ import annotations

import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from tests.workflow import REPO

SCHEMA = str(REPO / "schemas" / "config.schema.yaml")


def _config(text: str = "") -> dict:
    return yaml.safe_load(text) or {}


def test_defaults_fill_an_empty_config():
    config = _config()
    validate(config, SCHEMA)
    assert config["sample"] == {"scale": 1, "time_steps": 12, "seed": 0}
    assert config["sources"]["kegg"] == {"mode": "sample"}


def test_shipped_config_is_valid():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(copy.deepcopy(config), SCHEMA)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("sample: {scael: 2}", "scael"),
        ("sample: {scale: two}", "two"),
        ("sources: {kegg: {mode: local}}", "path"),
        ("sources: {kegg: {mode: remote}}", "remote"),
        ("colour: blue", "colour"),
    ],
)
def test_bad_config_names_the_key(text, needle):
    with pytest.raises(WorkflowError, match=needle):
        validate(_config(text), SCHEMA)
