"""Where a source's raw files are: the config check of local paths, and finding the files.

Light imports only: Snakemake calls these while it builds the DAG. Finding the
files is done by input functions, so only the jobs a target needs look for
them: a folder holding only the files one product needs builds that product,
and a missing kind of file fails only the rules that read it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from astrobuild.fetch.manifest import Entry, config_entries, parse_manifest
from astrobuild.fetch.safety import check_url
from astrobuild.ids import check_accessions

# Snakemake reads "{name}" in an input path as a wildcard, and has no escape for
# it ("{{" is not unescaped in input files): such paths cannot be rule inputs.
BRACES = frozenset("{}")


def _braced(path: str) -> bool:
    return not BRACES.isdisjoint(path)


def braced_config_paths(config: Mapping) -> list[tuple[str, str]]:
    """(config key, path) of every configured path that holds a brace."""
    keys = [(f"sources.{name}.path", src.get("path")) for name, src in sorted(config.get("sources", {}).items())]
    keys.append(("kegg.env_mapping", config.get("kegg", {}).get("env_mapping")))
    return [(key, path) for key, path in keys if isinstance(path, str) and _braced(path)]


def check_config_paths(config: Mapping) -> None:
    """Refuse, naming the key, a configured path that Snakemake would read as a wildcard pattern."""
    braced = braced_config_paths(config)
    if braced:
        listed = "; ".join(f"{key}: {path!r}" for key, path in braced)
        raise ValueError(
            f"config: {listed}: a path with '{{' or '}}' cannot be a Snakemake input (it is read as a "
            "wildcard, and there is no escape for it); rename the directory or point to a link without braces")


def find_source_files(source: str, root: str | os.PathLike[str], patterns: Iterable[str],
                      required: bool = True) -> list[str]:
    """The files under a local source's ``root`` whose name matches a pattern, sorted.

    Raises ValueError naming the config key, the directory and the patterns when
    ``root`` is not a directory, when ``required`` and nothing matches, or when a
    matching file's path holds a brace (it could not be a rule input).
    """
    patterns = list(patterns)
    key = f"config: sources.{source}.path"
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{key}: {root} is not a directory")
    found = sorted({os.fspath(p) for pat in patterns for p in root.rglob(pat) if p.is_file()})
    if required and not found:
        raise ValueError(f"{key}: no files matching {patterns} under {root}")
    refuse_braced_files(source, root, found)
    return found


def refuse_braced_files(source: str, root: str | os.PathLike[str], files: Iterable[str]) -> None:
    """Raise, naming them, when files found under a source's ``root`` hold a brace in their path."""
    braced = [Path(p).relative_to(root).as_posix() for p in files if _braced(os.fspath(p))]
    if braced:
        raise ValueError(f"config: sources.{source}.path: files under {root} whose names hold '{{' or '}}' cannot "
                         f"be Snakemake inputs (read as wildcards): {braced[:10]}{' ...' if len(braced) > 10 else ''}"
                         "; rename them")


def check_remote_config(config: Mapping) -> None:
    """Refuse, naming the key, a remote source without a usable base URL (none given, a password
    in it, not http/https/ftp), and a remote organisms source without usable accessions."""
    for name, src in sorted(config.get("sources", {}).items()):
        if src.get("mode") != "remote":
            continue
        if not src.get("url"):
            raise ValueError(f"config: sources.{name}.url: remote mode needs the base URL of the source's "
                             "upstream (a mirror, or a test server, works as long as it keeps upstream's layout)")
        check_url(src["url"], f"sources.{name}.url")
    organisms = config.get("sources", {}).get("organisms", {})
    if organisms.get("mode") == "remote":
        check_accessions(organisms.get("accessions") or [])


def remote_entries(source: str, src: Mapping, manifest_path: str | os.PathLike[str]) -> list[Entry] | None:
    """The files a remote source lists, known while the DAG is built: the config's ``files``, else
    its manifest once fetched to ``manifest_path``; None when neither is there yet."""
    if src.get("files") is not None:
        return config_entries(src["files"], f"sources.{source}.files")
    path = Path(manifest_path)
    if not path.is_file():
        return None
    return parse_manifest(path.read_text(encoding="utf-8"), os.fspath(path))
