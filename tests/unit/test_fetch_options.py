"""Typed fetch options (issue 19, item 7): each remote source's config becomes one frozen object at the
script boundary. Defaults are the schema's, a bad value is named by its key, no secret is ever held."""

from __future__ import annotations

import ast
import dataclasses
import logging
from pathlib import PurePosixPath

import pytest

from astrobuild.configschema import defaults
from astrobuild.fetch.files import Expected
from astrobuild.fetch.http import RetryPolicy
from astrobuild.fetch.jobs import connect
from astrobuild.fetch.options import (
    ExoplanetsOptions,
    Genomes1000gOptions,
    KeggOptions,
    ListedFilesOptions,
    NcbiOptions,
    fetch_policy,
)
from tests.fetch_options import fetch_options, remote_config
from tests.support.loopback import LoopbackHTTP
from tests.workflow import REPO

SECRET = "s3cr3t-0123456789-token-value"


def test_defaults_are_the_schemas() -> None:
    policy = fetch_options(KeggOptions, fetch={}).policy
    assert policy == RetryPolicy(**{key: value for key, value in defaults("fetch").items()})
    assert policy.read_timeout == 300.0 and policy.retries == 5  # the schema's, not RetryPolicy()'s 120 s

    kegg = fetch_options(KeggOptions)
    assert (kegg.source, kegg.url, kegg.rate_limit) == ("kegg", "https://rest.kegg.jp", 3)
    assert (kegg.organisms, kegg.brite, kegg.kgml_prefixes, kegg.pathways) == (("hsa",), ("br08901",), ("ko",), None)
    assert (kegg.token_env, kegg.token_scheme) == (None, "Bearer")

    genomes = fetch_options(Genomes1000gOptions)
    assert genomes.url == "ftp://ftp.1000genomes.ebi.ac.uk" and genomes.rate_limit == 5
    assert [p.as_posix() for p in genomes.listing_names] == ["1000G_2504_high_coverage.ls-lR",
                                                              "additional_698_related.ls-lR"]
    assert len(genomes.indices) == 5 and all(e.expected == Expected() for e in genomes.indices)

    spectra = fetch_options(ListedFilesOptions, "spectra", url="https://archive.example.org/spectra")
    assert (spectra.manifest, spectra.files, spectra.token_env, spectra.token_scheme) == (
        "manifest.csv", None, None, "Bearer")
    climate = fetch_options(ListedFilesOptions, "climate", url="https://gcm.example.org/run1",
                            files=["a.nc", {"path": "b/c.nc", "md5": "A" * 32, "bytes": 3}])
    assert climate.source == "climate"
    assert [(e.path, e.expected) for e in climate.files] == [("a.nc", Expected()),
                                                             ("b/c.nc", Expected(size=3, md5="a" * 32))]

    archive = fetch_options(ExoplanetsOptions)
    assert archive.url == "https://exoplanetarchive.ipac.caltech.edu" and archive.query is None

    ncbi = fetch_options(NcbiOptions, accessions=["NC_000913.3", "U00096"])
    assert (ncbi.url, ncbi.rate_limit, ncbi.batch_size, ncbi.email, ncbi.token_env) == (
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils", None, 10, None, "NCBI_API_KEY")
    assert ncbi.accessions == ("NC_000913.3", "U00096")


def test_options_are_frozen() -> None:
    kegg = fetch_options(KeggOptions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        kegg.url = "https://elsewhere.example.org"  # type: ignore[misc]
    assert isinstance(kegg.organisms, tuple) and hash(kegg.policy) is not None


def _bad(cls, source: str, key: str, value, **src):
    """``cls.from_config`` of a validated config whose ``sources.<source>.<key>`` (or ``fetch.<x>``
    for a key ``fetch.<x>``) is then set to ``value`` (the schema would refuse some of these; code
    called without the workflow must refuse them too)."""
    config = remote_config(source, **src)
    if key.startswith("fetch."):
        config["fetch"][key.removeprefix("fetch.")] = value
    else:
        config["sources"][source][key] = value
    return cls.from_config(config, source)


@pytest.mark.parametrize(("cls", "source", "key", "value", "message"), [
    (KeggOptions, "kegg", "rate_limit", 0, r"^config: sources\.kegg\.rate_limit: 0 is not a number > 0$"),
    (KeggOptions, "kegg", "rate_limit", "3", r"^config: sources\.kegg\.rate_limit: '3' is not a number"),
    (KeggOptions, "kegg", "pathways", ["glycolysis"],
     r"^config: sources\.kegg\.pathways: 'glycolysis' is not a pathway number or id$"),
    (KeggOptions, "kegg", "kgml_prefixes", [], r"^config: sources\.kegg\.kgml_prefixes: at least one"),
    (KeggOptions, "kegg", "url", "https://me:pw@rest.kegg.jp", r"^config: sources\.kegg\.url: the URL holds a password"),
    (KeggOptions, "kegg", "url", "https://rest.kegg.jp/?x=1", r"^config: sources\.kegg\.url: .*no query"),
    (Genomes1000gOptions, "genomes_1000g", "dirlists", ["a/tree", "b/tree/"],
     r"^config: sources\.genomes_1000g\.dirlists: two trees end in the same folder name"),
    (Genomes1000gOptions, "genomes_1000g", "indices", ["../../etc/passwd"],
     r"^config: sources\.genomes_1000g\.indices\[0\]: path '\.\./\.\./etc/passwd' refused"),
    (ListedFilesOptions, "spectra", "url", None, r"^config: sources\.spectra\.url: remote mode needs the base URL"),
    (ListedFilesOptions, "climate", "files", ["a.nc", {"path": "a.nc"}],
     r"^config: sources\.climate\.files: 'a\.nc' listed twice"),
    (ListedFilesOptions, "climate", "token_env", "ghp_not a name",
     r"^config: sources\.climate\.token_env: .* is not the name of an environment variable"),
    (NcbiOptions, "organisms", "accessions", ["NC_000913.3", "NC_000913"],
     r"^config: sources\.organisms\.accessions\[1\]: NC_000913 and NC_000913\.3 name the same sequence$"),
    (NcbiOptions, "organisms", "accessions", [], r"^config: sources\.organisms\.accessions: remote mode needs"),
    (NcbiOptions, "organisms", "url", "ftp://ftp.ncbi.nlm.nih.gov",
     r"^config: sources\.organisms\.url: E-utilities is an http\(s\) service$"),
    (NcbiOptions, "organisms", "batch_size", 0, r"^config: sources\.organisms\.batch_size: 0 is not a whole number >= 1$"),
    (KeggOptions, "kegg", "fetch.retries", 2.5, r"^config: fetch\.retries: 2\.5 is not a whole number >= 0$"),
    (KeggOptions, "kegg", "fetch.read_timeout", 0, r"^config: fetch\.read_timeout: 0 is not a number > 0$"),
])
def test_a_bad_value_is_named_by_its_key(cls, source, key, value, message) -> None:
    src = {"url": "https://example.org/x"} if source in ("climate", "spectra") else {}
    if cls is NcbiOptions:
        src["accessions"] = ["NC_000913.3"]
    with pytest.raises(ValueError, match=message):
        _bad(cls, source, key, value, **src)


def test_a_missing_key_or_section_is_named() -> None:
    with pytest.raises(ValueError, match=r"^config: missing sources\.kegg\.brite, sources\.kegg\.kgml_prefixes: "
                                         r"pass the config validated"):
        KeggOptions.from_config({"sources": {"kegg": {"url": "https://rest.kegg.jp", "rate_limit": 3,
                                                      "organisms": ["hsa"], "pathways": None}},
                                 "fetch": defaults("fetch")})
    with pytest.raises(ValueError, match=r"^config: sources\.kegg: missing"):
        KeggOptions.from_config({"sources": {}, "fetch": defaults("fetch")})
    with pytest.raises(ValueError, match=r"^config: fetch: missing"):
        fetch_policy({"sources": {}})
    with pytest.raises(ValueError, match=r"^config: missing fetch\.read_timeout"):
        fetch_policy({"fetch": {k: v for k, v in defaults("fetch").items() if k != "read_timeout"}})
    # One class per kind of source: climate's options are not KEGG's.
    with pytest.raises(ValueError, match="KeggOptions holds the options of sources kegg, not 'climate'"):
        KeggOptions.from_config(remote_config("climate", url="https://example.org"), "climate")
    with pytest.raises(ValueError, match="not None"):
        ListedFilesOptions.from_config(remote_config("climate", url="https://example.org"))


def test_no_secret_in_the_options_or_their_log(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """Tokens are named by their environment variable: the options hold the name, the job reads the
    value when it connects, sends it, and the log masks it."""
    monkeypatch.setenv("MAST_API_TOKEN", SECRET)
    monkeypatch.setenv("NCBI_API_KEY", SECRET)
    with LoopbackHTTP({"/spectra/a.csv": b"x\n"}) as server:
        spectra = fetch_options(ListedFilesOptions, "spectra", url=f"{server.url}/spectra",
                                token_env="MAST_API_TOKEN", token_scheme="token")
        ncbi = fetch_options(NcbiOptions, url=f"{server.url}/eutils", accessions=["NC_000913.3"])
        for opts in (spectra, ncbi):
            assert opts.token() == SECRET  # read from the environment on demand
            assert SECRET not in repr(opts) and SECRET not in str(opts)
            assert SECRET not in repr(dataclasses.asdict(opts))
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("astrobuild.fetch").info("options: %r", spectra)
            with connect(spectra) as (base, client):
                assert client.get_text(f"{base}/a.csv") == "x\n"
        assert server.requests[-1].authorization == f"token {SECRET}"
    assert "token from $MAST_API_TOKEN: set (masked in this log)" in caplog.text
    assert "token_env='MAST_API_TOKEN'" in caplog.text and SECRET not in caplog.text


def test_fetch_scripts_only_wire_typed_options() -> None:
    """Each fetch script builds its source's options from snakemake.config once and passes that
    object: no config dict travels below the script."""
    scripts = sorted((REPO / "scripts").glob("fetch_*.py"))
    assert len(scripts) == 9
    for script in scripts:
        tree = ast.parse(script.read_text(encoding="utf-8"))
        built = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr == "from_config"]
        assert len(built) == 1, script.name
        assert ast.unparse(built[0].args[0]) == "snakemake.config", script.name
        subscripts = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Subscript)
                      and ast.unparse(node.value).startswith("snakemake.config")]
        assert subscripts == [], (script.name, subscripts)


def test_listing_names_follow_the_trees() -> None:
    genomes = fetch_options(Genomes1000gOptions, dirlists=["/vol1/ftp/data/"], indices=["x.index"])
    assert genomes.dirlists == ("vol1/ftp/data",) and genomes.listing_names == [PurePosixPath("data.ls-lR")]
