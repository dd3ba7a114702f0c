"""One registry of sources (astrobuild.registry): the config schema, the sample, the workflow and the
chains' patterns agree with it, so a source is declared once."""

from __future__ import annotations

import importlib
import re

import pytest
import yaml

from astrobuild.registry import MODES, SOURCES, source
from astrobuild.sample import GENERATORS
from tests.workflow import REPO

SCHEMA = yaml.safe_load((REPO / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))


def test_the_schema_has_a_settings_block_for_exactly_the_registered_sources():
    assert list(SCHEMA["properties"]["sources"]["properties"]) == list(SOURCES)
    assert SCHEMA["definitions"]["mode"]["enum"] == list(MODES)


@pytest.mark.parametrize("name", list(SOURCES))
def test_each_source_s_schema_defaults_are_its_registry_entry(name):
    entry = SOURCES[name]
    settings = SCHEMA["properties"]["sources"]["properties"][name]["properties"]
    assert settings["url"].get("default") == entry.default_url
    assert ("manifest" in settings) == entry.manifest
    assert entry.terms and entry.description and entry.patterns
    module = importlib.import_module(f"astrobuild.sample.{entry.generator}")
    assert callable(module.write) and GENERATORS[name] == module.__name__


def test_remote_parts_and_patterns_derive_from_the_registry():
    exo = source("exoplanets")
    assert exo.remote_paths({"exoplanets": {"table": "pscomppars"}}) == {
        "archive": "data/raw/remote/exoplanets/PSCompPars_tap.csv"}
    assert exo.remote_paths({"exoplanets": {"table": "ps"}})["archive"].endswith("/PS_tap.csv")
    assert source("kegg").remote_paths({}) == {"lists": "data/raw/remote/kegg/lists",
                                                 "pathways": "data/raw/remote/kegg/pathways"}
    assert source("climate").manifest_path == "data/raw/remote/manifests/climate.csv"
    with pytest.raises(ValueError, match="no remote manifest"):
        _ = source("kegg").manifest_path
    assert source("genomes_1000g").pattern_list("indices", "populations")[0] == "*.index"
    with pytest.raises(KeyError, match="no file kind"):
        source("kegg").pattern_list("cubes")
    with pytest.raises(KeyError, match="unknown source 'gaia'"):
        source("gaia")


def test_no_rule_file_declares_a_source_or_a_pattern_of_its_own():
    for path in sorted((REPO / "rules").glob("*.smk")):
        text = path.read_text(encoding="utf-8")
        # A pattern list written in a rule file ("*.xml", ...) belongs in the registry.
        assert not re.search(r'^[A-Z_]+_PATTERNS = \[', text, re.M), path.name
        assert not re.search(r"""["']data/raw/(remote|sample)/""", text), path.name  # folders: the registry


def test_terms_and_redistribution_by_mode():
    from astrobuild.registry import REDISTRIBUTION, SAMPLE_TERMS

    assert all(s.redistribution in REDISTRIBUTION for s in SOURCES.values())
    assert source("kegg").terms_in("local") == (source("kegg").terms, "forbidden")
    assert "no redistribution" in source("kegg").terms
    assert source("exoplanets").terms_in("remote")[1] == "allowed"
    assert source("climate").terms_in("local")[1] == "as given"
    # The generated sample is the project's own, whatever upstream's terms.
    assert all(s.terms_in("sample") == (SAMPLE_TERMS, "allowed") for s in SOURCES.values())
    with pytest.raises(ValueError, match="no mode 'mirror'"):
        source("kegg").terms_in("mirror")
