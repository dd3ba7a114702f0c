"""Typed fetch options: a remote source's config as one frozen object, built at the script boundary.

A fetch script builds its source's options once (``KeggOptions.from_config(snakemake.config)``) and
hands that object down; nothing under :mod:`astrobuild.fetch` reads a config dict. ``from_config``
reads the source's ``sources.<name>`` section and the ``fetch:`` section (the retry policy) of a
config validated against ``schemas/config.schema.yaml``, which holds every default (none is
repeated here: a key missing is an error naming it). It checks what the schema cannot, or what
code called without the workflow (tests, benchmarks) would otherwise let through: a base URL with
a password, query or fragment; unsafe or duplicate paths in a file list; two ``dirlists`` trees
with one folder name; pathway ids; an accession named twice; numbers of the wrong type or range.
Each error is a ValueError naming the key (``config: sources.kegg.rate_limit: ...``).

Secrets: a token is named by its environment variable (``token_env``) and read from the environment
when a job connects (:meth:`RemoteOptions.token`), then masked in the log
(:class:`~astrobuild.fetch.safety.SecretMask`); no options object holds one, so no repr or log of
one can show it, and a URL with a password is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar, TypeVar

from astrobuild.fetch.http import RetryPolicy
from astrobuild.fetch.manifest import Entry, config_entries
from astrobuild.fetch.safety import check_url, safe_relpath
from astrobuild.ids import check_accessions

LISTING_SUFFIX = ".ls-lR"  # fetch_1000g_dirlists writes one <tree>.ls-lR per tree
_NUMBER = re.compile(r"^(?:[a-z]{2,4})?(\d{5})$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
Opts = TypeVar("Opts", bound="RemoteOptions")


def _missing(section: Mapping, keys: tuple[str, ...], prefix: str) -> None:
    missing = [key for key in keys if key not in section]
    if missing:
        raise ValueError(f"config: missing {', '.join(f'{prefix}.{key}' for key in missing)}: pass the config "
                         "validated against schemas/config.schema.yaml (it holds the defaults)")


def _number(value: Any, key: str, minimum: float = 0, exclusive: bool = False, integer: bool = False) -> Any:
    """``value``, checked to be a number (an int where ``integer``) at or above ``minimum`` (above,
    where ``exclusive``); a ValueError naming ``key`` otherwise. Returned as given (a log that shows
    it shows what the config says)."""
    kind = "a whole number" if integer else "a number"
    wanted = f"{kind} {'>' if exclusive else '>='} {minimum:g}"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise ValueError(f"config: {key}: {value!r} is not {wanted}")
    if value < minimum or (exclusive and value == minimum):
        raise ValueError(f"config: {key}: {value!r} is not {wanted}")
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"config: {key}: {value!r} is not a list of names")
    return tuple(value)


def _optional_text(value: Any, key: str) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"config: {key}: {value!r} is not a non-empty string or null")
    return value


def fetch_policy(config: Mapping) -> RetryPolicy:
    """The retry policy of the config's ``fetch:`` section (keys and defaults in the schema)."""
    section = config.get("fetch")
    if not isinstance(section, Mapping):
        raise ValueError("config: fetch: missing: pass the config validated against schemas/config.schema.yaml "
                         "(it holds the defaults)")
    _missing(section, ("retries", "backoff", "backoff_max", "jitter", "retry_after_max", "connect_timeout",
                       "read_timeout"), "fetch")
    return RetryPolicy(
        retries=int(_number(section["retries"], "fetch.retries", integer=True)),
        backoff=float(_number(section["backoff"], "fetch.backoff")),
        backoff_max=float(_number(section["backoff_max"], "fetch.backoff_max")),
        jitter=float(_number(section["jitter"], "fetch.jitter")),
        retry_after_max=int(_number(section["retry_after_max"], "fetch.retry_after_max", integer=True)),
        connect_timeout=float(_number(section["connect_timeout"], "fetch.connect_timeout", exclusive=True)),
        read_timeout=float(_number(section["read_timeout"], "fetch.read_timeout", exclusive=True)))


@dataclass(frozen=True, kw_only=True)
class RemoteOptions:
    """What every remote source has: its name, base URL, pace, retry policy and optional token.

    ``url`` is the configured base URL, checked (http, https or ftp; no password, query or
    fragment); ``rate_limit`` requests/s per host (None: no limit, or the upstream's own where the
    source says so); ``token_env`` the *name* of the environment variable holding a token, sent as
    ``Authorization: <token_scheme> <token>``.
    """

    source: str
    url: str
    rate_limit: float | None
    policy: RetryPolicy
    token_env: str | None = None
    token_scheme: str = "Bearer"

    SOURCES: ClassVar[tuple[str, ...]] = ()
    # The keys of a source's section this class reads, beyond url and rate_limit (all in the schema).
    KEYS: ClassVar[tuple[str, ...]] = ()
    RATE_NULLABLE: ClassVar[bool] = False

    @classmethod
    def from_config(cls: type[Opts], config: Mapping, source: str | None = None) -> Opts:
        """The options of ``config["sources"][source]`` (default: the class's one source) with the
        retry policy of ``config["fetch"]``; a ValueError naming the key when one is missing or bad."""
        source = source or (cls.SOURCES[0] if len(cls.SOURCES) == 1 else None)
        if source not in cls.SOURCES:
            raise ValueError(f"{cls.__name__} holds the options of sources {', '.join(cls.SOURCES)}, "
                             f"not {source!r}")
        prefix = f"sources.{source}"
        section = (config.get("sources") or {}).get(source)
        if not isinstance(section, Mapping):
            raise ValueError(f"config: {prefix}: missing: pass the config validated against "
                             "schemas/config.schema.yaml (it holds the defaults)")
        _missing(section, ("url", "rate_limit", *cls.KEYS), prefix)
        url = section["url"]
        if not url:
            raise ValueError(f"config: {prefix}.url: remote mode needs the base URL of the source's upstream (a "
                             "mirror, or a test server, works as long as it keeps upstream's layout)")
        if not isinstance(url, str):
            raise ValueError(f"config: {prefix}.url: {url!r} is not a URL")
        check_url(url, f"{prefix}.url")
        rate = section["rate_limit"]
        if rate is not None or not cls.RATE_NULLABLE:
            rate = _number(rate, f"{prefix}.rate_limit", exclusive=True)
        common: dict[str, Any] = {"source": source, "url": url, "rate_limit": rate, "policy": fetch_policy(config)}
        if "token_env" in cls.KEYS:
            env = section["token_env"]
            if env is not None and (not isinstance(env, str) or not _ENV_NAME.match(env)):
                raise ValueError(f"config: {prefix}.token_env: {env!r} is not the name of an environment variable "
                                 "(the token itself never goes in the config)")
            common["token_env"] = env
        if "token_scheme" in cls.KEYS:
            scheme = section["token_scheme"]
            if not isinstance(scheme, str) or not _SCHEME.match(scheme):
                raise ValueError(f"config: {prefix}.token_scheme: {scheme!r} is not one word")
            common["token_scheme"] = scheme
        return cls(**common, **cls._own(section, prefix))

    @classmethod
    def _own(cls, section: Mapping, prefix: str) -> dict[str, Any]:
        """The fields of a source kind beyond the common ones, read and checked."""
        return {}

    def token(self) -> str | None:
        """The token, read now from the environment variable ``token_env`` (None: not set, or no
        variable named); never kept on this object."""
        return os.environ.get(self.token_env) if self.token_env else None


@dataclass(frozen=True, kw_only=True)
class Genomes1000gOptions(RemoteOptions):
    """``sources.genomes_1000g``: the trees listed (``dirlists``, paths under the URL without
    surrounding slashes) and the index files fetched (``indices``, checked entries)."""

    dirlists: tuple[str, ...]
    indices: tuple[Entry, ...]

    SOURCES: ClassVar[tuple[str, ...]] = ("genomes_1000g",)
    KEYS: ClassVar[tuple[str, ...]] = ("dirlists", "indices")

    @classmethod
    def _own(cls, section: Mapping, prefix: str) -> dict[str, Any]:
        roots = [root.strip("/") for root in _strings(section["dirlists"], f"{prefix}.dirlists")]
        names = [safe_relpath(PurePosixPath(root).name + LISTING_SUFFIX, "listing name") for root in roots]
        if len(set(names)) != len(names):
            raise ValueError(f"config: {prefix}.dirlists: two trees end in the same folder name: {roots}")
        return {"dirlists": tuple(roots), "indices": tuple(config_entries(section["indices"], f"{prefix}.indices"))}

    @property
    def listing_names(self) -> list[PurePosixPath]:
        """The listing file of each tree of ``dirlists``: ``<last folder>.ls-lR``."""
        return [safe_relpath(PurePosixPath(root).name + LISTING_SUFFIX, "listing name") for root in self.dirlists]


@dataclass(frozen=True, kw_only=True)
class KeggOptions(RemoteOptions):
    """``sources.kegg``: organism codes and BRITE hierarchies listed, KGML map prefixes, and the
    pathway numbers to fetch as KGML (five digits each; None: every pathway of ``list/pathway``)."""

    organisms: tuple[str, ...]
    brite: tuple[str, ...]
    kgml_prefixes: tuple[str, ...]
    pathways: tuple[str, ...] | None

    SOURCES: ClassVar[tuple[str, ...]] = ("kegg",)
    KEYS: ClassVar[tuple[str, ...]] = ("organisms", "brite", "kgml_prefixes", "pathways")

    @classmethod
    def _own(cls, section: Mapping, prefix: str) -> dict[str, Any]:
        prefixes = _strings(section["kgml_prefixes"], f"{prefix}.kgml_prefixes")
        if not prefixes:
            raise ValueError(f"config: {prefix}.kgml_prefixes: at least one map prefix is needed")
        pathways = None
        if section["pathways"] is not None:
            if not isinstance(section["pathways"], (list, tuple)):
                raise ValueError(f"config: {prefix}.pathways: {section['pathways']!r} is not a list or null")
            numbers = []
            for item in section["pathways"]:
                match = _NUMBER.match(str(item))
                if not match:
                    raise ValueError(f"config: {prefix}.pathways: {item!r} is not a pathway number or id")
                numbers.append(match.group(1))
            pathways = tuple(numbers)
        return {"organisms": _strings(section["organisms"], f"{prefix}.organisms"),
                "brite": _strings(section["brite"], f"{prefix}.brite"), "kgml_prefixes": prefixes,
                "pathways": pathways}


@dataclass(frozen=True, kw_only=True)
class ListedFilesOptions(RemoteOptions):
    """``sources.climate`` and ``sources.spectra``: the files to fetch, from the config list
    ``files`` (checked entries) or, when it is None, from the manifest at ``<url>/<manifest>``."""

    manifest: str
    files: tuple[Entry, ...] | None

    SOURCES: ClassVar[tuple[str, ...]] = ("climate", "spectra")
    KEYS: ClassVar[tuple[str, ...]] = ("manifest", "files", "token_env", "token_scheme")

    @classmethod
    def _own(cls, section: Mapping, prefix: str) -> dict[str, Any]:
        manifest = section["manifest"]
        if not isinstance(manifest, str) or not manifest:
            raise ValueError(f"config: {prefix}.manifest: {manifest!r} is not a path under the URL")
        files = section["files"]
        return {"manifest": manifest,
                "files": None if files is None else tuple(config_entries(files, f"{prefix}.files"))}


@dataclass(frozen=True, kw_only=True)
class ExoplanetsOptions(RemoteOptions):
    """``sources.exoplanets``: the ADQL query sent to the archive's TAP (None: every row of the
    configured table)."""

    query: str | None

    SOURCES: ClassVar[tuple[str, ...]] = ("exoplanets",)
    KEYS: ClassVar[tuple[str, ...]] = ("query",)

    @classmethod
    def _own(cls, section: Mapping, prefix: str) -> dict[str, Any]:
        return {"query": _optional_text(section["query"], f"{prefix}.query")}


@dataclass(frozen=True, kw_only=True)
class NcbiOptions(RemoteOptions):
    """``sources.organisms`` (NCBI E-utilities efetch): the accessions (checked: at least one, none
    twice), how many a request asks for, the contact address; ``rate_limit`` None means NCBI's limit,
    and ``token_env`` names the variable of the API key."""

    accessions: tuple[str, ...]
    batch_size: int
    email: str | None

    SOURCES: ClassVar[tuple[str, ...]] = ("organisms",)
    KEYS: ClassVar[tuple[str, ...]] = ("accessions", "batch_size", "email", "token_env")
    RATE_NULLABLE: ClassVar[bool] = True

    @classmethod
    def _own(cls, section: Mapping, prefix: str) -> dict[str, Any]:
        if section["url"].startswith("ftp://"):
            raise ValueError(f"config: {prefix}.url: E-utilities is an http(s) service")
        accessions = section["accessions"] or []
        if not isinstance(accessions, (list, tuple)):
            raise ValueError(f"config: {prefix}.accessions: {accessions!r} is not a list")
        return {"accessions": tuple(check_accessions(accessions, f"{prefix}.accessions")),
                "batch_size": _number(section["batch_size"], f"{prefix}.batch_size", minimum=1, integer=True),
                "email": _optional_text(section["email"], f"{prefix}.email")}
