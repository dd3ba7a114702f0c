"""Fetch options as the workflow resolves them: a remote source's config with a test's values,
validated against the config schema (which fills every default), then made typed by the source's
``from_config`` (:mod:`astrobuild.fetch.options`)."""

from __future__ import annotations

from typing import Any, TypeVar

from snakemake.utils import validate

from astrobuild.configschema import SCHEMA
from astrobuild.fetch.options import RemoteOptions

Opts = TypeVar("Opts", bound=RemoteOptions)

# Retries and timeouts short enough for a test (the schema's defaults wait minutes).
FAST = {"retries": 3, "backoff": 0.05, "backoff_max": 1.0, "jitter": 0.01, "retry_after_max": 5,
        "connect_timeout": 5, "read_timeout": 5}


def remote_config(source: str, fetch: dict[str, Any] | None = None, **src: Any) -> dict[str, Any]:
    """The validated config of a build with ``source`` in remote mode (``src``: its keys; ``fetch``:
    the fetch section's), every other key at its default."""
    config: dict[str, Any] = {"sources": {source: {"mode": "remote", **src}}, "fetch": dict(fetch or {})}
    validate(config, schema=str(SCHEMA))
    return config


def fetch_options(cls: type[Opts], source: str | None = None, fetch: dict[str, Any] | None = None,
                  **src: Any) -> Opts:
    """``cls.from_config`` of :func:`remote_config` (``fetch`` defaults to :data:`FAST`)."""
    source = source or cls.SOURCES[0]
    return cls.from_config(remote_config(source, FAST if fetch is None else fetch, **src), source)
