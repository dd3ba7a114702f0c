"""The config schema: defaults, unknown keys, types, modes."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from astrobuild.ids import NUCCORE_ACCESSION_RE
from astrobuild.sources import check_config_paths, check_remote_config, find_source_files
from tests.workflow import REPO

SCHEMA = str(REPO / "schemas" / "config.schema.yaml")


def _config(text: str = "") -> dict:
    return yaml.safe_load(text) or {}


def test_defaults_fill_an_empty_config():
    config = _config()
    validate(config, SCHEMA)
    assert config["sample"] == {"scale": 1, "time_steps": 12, "seed": 0}
    assert config["sources"]["kegg"]["mode"] == "sample"
    # Remote mode's keys have their defaults too: the upstream's base URL and its rate limit.
    assert config["sources"]["kegg"]["url"] == "https://rest.kegg.jp" and config["sources"]["kegg"]["rate_limit"] == 3
    assert config["fetch"]["retries"] == 5


def test_shipped_config_is_valid():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(copy.deepcopy(config), SCHEMA)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("sample: {scael: 2}", "scael"),
        ("sample: {scale: two}", "two"),
        ("sources: {kegg: {mode: local}}", "path"),
        ("sources: {kegg: {mode: remote, url: null}}", "None is not of type 'string'"),
        ("sources: {organisms: {mode: remote, accessions: [nc_000913]}}", "nc_000913"),
        ("sources: {organisms: {mode: remote, accessions: [U00096], batch_size: 500}}", "500"),
        ("sources: {kegg: {mode: remote, url: 'https://me:secret@rest.kegg.jp'}}", "does not match"),
        ("sources: {kegg: {mode: fetched}}", "fetched"),
        ("sources: {genomes_1000g: {indices: [a.index, a.index]}}", "non-unique"),
        ("fetch: {retries: -1}", "-1"),
        ("colour: blue", "colour"),
    ],
)
def test_bad_config_names_the_key(text, needle):
    with pytest.raises(WorkflowError, match=needle):
        validate(_config(text), SCHEMA)


def test_remote_mode_takes_the_default_url_and_the_check_names_a_missing_one():
    # Defaults are filled in after the schema's if/then: a source with a default URL needs none given.
    config = _config("sources: {kegg: {mode: remote, pathways: ['00010']}, spectra: {mode: remote}}")
    validate(config, SCHEMA)
    assert config["sources"]["kegg"]["url"] == "https://rest.kegg.jp"
    with pytest.raises(ValueError, match=r"config: sources\.spectra\.url: remote mode needs the base URL"):
        check_remote_config(config)


def test_remote_organisms_need_accessions_each_once():
    config = _config("sources: {organisms: {mode: remote}}")
    validate(config, SCHEMA)
    organisms = config["sources"]["organisms"]
    assert organisms["url"] == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    assert organisms["rate_limit"] is None and organisms["token_env"] == "NCBI_API_KEY"
    with pytest.raises(ValueError, match=r"sources\.organisms\.accessions: remote mode needs the accessions"):
        check_remote_config(config)
    organisms["accessions"] = ["NC_000913.3", "U00096", "NC_000913"]
    with pytest.raises(ValueError, match=r"accessions\[2\]: NC_000913 and NC_000913\.3 name the same sequence"):
        check_remote_config(config)
    organisms["accessions"] = ["NC_000913.3", "U00096", "NZ_CP009072.1", "NZ_JAAAAA010000001.1"]
    check_remote_config(config)
    # The schema's pattern and the code's are one.
    schema = yaml.safe_load((REPO / "schemas" / "config.schema.yaml").read_text())
    items = schema["properties"]["sources"]["properties"]["organisms"]["properties"]["accessions"]["items"]
    assert items["pattern"] == NUCCORE_ACCESSION_RE.pattern


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"sources": {"spectra": {"mode": "local", "path": "/data/r{ace}"}}}, "sources.spectra.path"),
        ({"sources": {"kegg": {"mode": "local", "path": "/data/kegg}"}}}, "sources.kegg.path"),
        ({"kegg": {"env_mapping": "config/{mapping}.yaml"}}, "kegg.env_mapping"),
    ],
)
def test_a_path_with_braces_is_refused_naming_the_key(config, key):
    # Snakemake reads "{ace}" in an input path as a wildcard and has no escape for it.
    with pytest.raises(ValueError, match=rf"config: {re.escape(key)}: '.*': a path with '{{' or '}}'"):
        check_config_paths(config)


def test_paths_without_braces_pass_the_check():
    config = _config("sources: {kegg: {mode: local, path: '/data/k e(g)g$[1]'}}")
    validate(config, SCHEMA)
    check_config_paths(config)  # no error


def test_finding_a_local_source_names_key_directory_and_patterns(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.index").write_text("x")
    (tmp_path / "a.index").write_text("x")
    (tmp_path / "a.panel").write_text("x")
    assert find_source_files("genomes_1000g", tmp_path, ["*.index"]) == [str(tmp_path / "a.index"),
                                                                         str(tmp_path / "sub" / "b.index")]
    assert find_source_files("genomes_1000g", tmp_path, ["ls-lR"], required=False) == []
    with pytest.raises(ValueError, match=rf"config: sources.genomes_1000g.path: no files matching \['ls-lR', "
                                         rf"'\*.md5'\] under {re.escape(str(tmp_path))}$"):
        find_source_files("genomes_1000g", tmp_path, ["ls-lR", "*.md5"])
    with pytest.raises(ValueError, match=r"config: sources.kegg.path: .*/nowhere is not a directory"):
        find_source_files("kegg", tmp_path / "nowhere", ["*.xml"], required=False)
    (tmp_path / "sub" / "{sample}.index").write_text("x")
    with pytest.raises(ValueError, match=r"sources.genomes_1000g.path: files under .* hold '\{' or '\}' .*"
                                         r"\['sub/\{sample\}.index'\]; rename them"):
        find_source_files("genomes_1000g", tmp_path, ["*.index"])


def _leaves(value: object, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    """Dotted key -> value of every leaf of a mapping (lists are leaves: DVC sets them whole)."""
    if isinstance(value, dict):
        return {k: v for key, sub in value.items() for k, v in _leaves(sub, (*path, key)).items()}
    return {path: value}


def test_config_yaml_writes_every_train_key_at_its_default_so_dvc_exp_run_can_set_it():
    # `dvc exp run -S 'config/config.yaml:train.split_seed=1'` fails ("Could not override") for a key
    # the file does not have: every key of the train section is written, at the schema's default.
    shipped = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))["train"]
    defaults = {"train": {}}
    validate(defaults, str(REPO / "schemas" / "config.schema.yaml"))
    assert _leaves(shipped) == _leaves(defaults["train"])
