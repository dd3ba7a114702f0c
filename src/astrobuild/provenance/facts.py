"""What the crate and the card say besides the jobs: git, config, software and the sources.

Each fact is the same for two builds of one commit with one config and one environment: no clock,
no host name, no path of the machine (a local source's folder outside the checkout is named by its
source, never by its path).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from astrobuild.registry import REMOTE_ROOT, SAMPLE_ROOT, SOURCES

# Config sections that change no byte of the build (the DVC build stage's params leave them out too):
# what jobs ask the scheduler for, and how downloads are retried. Of `train`, only the pooling keys
# (astrobuild.features.config.POOLING_KEYS) decide the build's bytes; the rest is the train stage's.
# Sections that change no byte of the build (resources, fetch) or belong to a later stage (predict):
# none is a param of the DVC build stage.
NOT_BUILD_CONFIG = ("resources", "fetch", "predict")
# The date of a build outside a git checkout, unless SOURCE_DATE_EPOCH gives one (reproducible-builds'
# convention): a crate needs a datePublished, and a clock would make two builds differ.
NO_DATE = "1970-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class GitState:
    commit: str | None  # None: the workflow is not the top of a git checkout
    dirty: bool | None  # tracked files changed or untracked files not ignored
    date: str  # the commit's date (ISO 8601), or SOURCE_DATE_EPOCH's, or NO_DATE

    @property
    def status(self) -> str:
        if self.commit is None:
            return "not a git checkout (no commit recorded)"
        return f"git commit {self.commit}, " + ("working tree with uncommitted changes" if self.dirty
                                                 else "clean working tree")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def git_state(root: str | os.PathLike[str] = ".", environ: Mapping[str, str] = os.environ) -> GitState:
    """The commit of the checkout at ``root`` and whether its tree was dirty. A folder inside someone else's
    checkout (a copy of the workflow under another repository) is no checkout of its own: no commit."""
    root = Path(root).resolve()
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel")).resolve()
        if top == root:
            commit = _git(root, "rev-parse", "HEAD")
            dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=normal"))
            return GitState(commit, dirty, _git(root, "show", "-s", "--format=%cI", "HEAD"))
    except (OSError, subprocess.SubprocessError):
        pass
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return GitState(None, None, datetime.fromtimestamp(int(epoch), UTC).isoformat())
    return GitState(None, None, NO_DATE)


@dataclass(frozen=True)
class SourceFacts:
    name: str
    description: str
    mode: str
    root: str  # where its raw files are: the sample or remote folder, or the local `path` as configured
    url: str | None  # upstream (remote mode: the configured URL; otherwise the default, for reference)
    origin: str  # one sentence: where this build's raw files of the source came from
    terms: str
    redistribution: str  # astrobuild.registry.REDISTRIBUTION

    @property
    def inside_checkout(self) -> bool:
        pure = PurePosixPath(self.root)
        return not pure.is_absolute() and ".." not in pure.parts

    def holds(self, path: str) -> bool:
        """Whether ``path`` (as the rules give it) is one of this source's raw files or folders."""
        return _within(path, self.root)

    def relative(self, path: str) -> str:
        """``path`` relative to the source's root ("." for the root)."""
        return Path(os.path.normpath(path)).relative_to(os.path.normpath(self.root)).as_posix()


def _within(path: str, root: str) -> bool:
    p, r = os.path.normpath(path), os.path.normpath(root)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def source_facts(config: Mapping[str, Any]) -> dict[str, SourceFacts]:
    """Every configured source: its mode, where its files come from, and its terms (astrobuild.registry)."""
    sample = config.get("sample", {})
    facts = {}
    for name, entry in SOURCES.items():
        settings = config.get("sources", {}).get(name, {})
        mode = settings.get("mode", "sample")
        terms, redistribution = entry.terms_in(mode)
        url = settings.get("url") or entry.default_url
        if mode == "sample":
            root = f"{SAMPLE_ROOT}/{name}"
            knobs = f"seed {sample.get('seed')}, scale {sample.get('scale')}"
            if name == "climate" and sample.get("time_steps") is not None:
                knobs += f", {sample['time_steps']} time steps per cube"
            origin = f"generated by the sample generator (astrobuild.sample.{entry.generator}), {knobs}"
        elif mode == "remote":
            root = f"{REMOTE_ROOT}/{name}"
            origin = f"fetched from {url} (the upstream layout under it) into {root}"
        else:
            root = str(settings.get("path", ""))
            where = root if not PurePosixPath(root).is_absolute() else "a folder outside the checkout"
            origin = f"the user's files of source {name} (local mode: {where}), named relative to that folder"
        facts[name] = SourceFacts(name, entry.description, mode, root, url, origin, terms, redistribution)
    return facts


def raw_source_of(path: str, sources: Mapping[str, SourceFacts]) -> str | None:
    """The source whose raw file or folder ``path`` is (remote mode's manifests included), or None."""
    for name, facts in sources.items():
        if facts.holds(path):
            return name
        if facts.mode == "remote" and SOURCES[name].manifest and path == SOURCES[name].manifest_path:
            return name
    return None


def build_config(config: Mapping[str, Any], pooling_keys: Sequence[str]) -> dict[str, Any]:
    """The sections of the effective config that decide the build's bytes (as the DVC build stage's params)."""
    kept = {k: v for k, v in config.items() if k not in NOT_BUILD_CONFIG and k != "train"}
    train = config.get("train") or {}
    kept["train"] = {k: train[k] for k in pooling_keys if k in train}
    return kept


def config_parameters(config: Mapping[str, Any], sources: Mapping[str, SourceFacts]) -> list[tuple[str, Any]]:
    """(dotted key, value) of every leaf of ``config``, sorted by key. A list is one value; a local source's
    folder outside the checkout is named, not given (no machine path in a versioned file)."""
    leaves: list[tuple[str, Any]] = []

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, Mapping) and node:
            for key in node:
                walk(node[key], [*path, str(key)])
            return
        key = ".".join(path)
        if (len(path) == 3 and path[0] == "sources" and path[2] == "path" and isinstance(node, str)
                and path[1] in sources and not sources[path[1]].inside_checkout):
            node = f"<the local folder of source {path[1]}>"
        leaves.append((key, {} if isinstance(node, Mapping) else node))

    walk(config, [])
    return sorted(leaves)


def parameter_type(value: Any) -> str:
    """The Workflow Run Crate additionalType of a config value."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "Text"
    return "Collection" if isinstance(value, list | tuple) else "DataType"


def parameter_value(value: Any) -> Any:
    """A config value as a PropertyValue holds it: scalars as they are, anything else as JSON text."""
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def pinned_packages(constraints_text: str) -> list[tuple[str, str]]:
    """(name, version) of every ``name==version`` line of a constraints file, in its order."""
    return [(m.group(1), m.group(2)) for line in constraints_text.splitlines() if (m := _PIN.match(line))]


def canonical(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Package:
    name: str
    pinned: str | None
    installed: str | None  # where the build ran (the environment that ran Snakemake)

    @property
    def version(self) -> str:
        return self.installed or self.pinned or "unknown"

    @property
    def note(self) -> str:
        if self.pinned is None:
            return "installed (not pinned in constraints.txt)"
        if self.installed is None:
            return f"pinned {self.pinned} in constraints.txt; not installed where the build ran"
        if canonical(self.installed) != canonical(self.pinned):
            return f"pinned {self.pinned} in constraints.txt, {self.installed} installed where the build ran"
        return "pinned in constraints.txt, installed as pinned"


def packages(constraints_text: str, installed: Mapping[str, str]) -> list[Package]:
    """Every pinned package with the version installed (``installed``: any spelling of the names)."""
    found = {canonical(k): v for k, v in installed.items()}
    return [Package(name, pin, found.get(canonical(name))) for name, pin in pinned_packages(constraints_text)]
