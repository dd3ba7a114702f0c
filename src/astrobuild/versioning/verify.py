"""Check a build (or a ``dvc pull`` of one) against its manifest: ``snakemake verify``.

``results/manifest.json`` records the size and SHA-256 of every versioned
file (:mod:`astrobuild.versioning.manifest`). :func:`verify_build` hashes
every listed file again and reports, by path, each one that is missing or
whose bytes differ, and each versioned file the manifest does not list (it
could not be checked). Checks of other kinds (for example the per-chunk
checksums of the Zarr stores) plug in as ``extra_checks``: callables that
return one message per problem; :func:`store_dirs` lists the stores a
manifest covers, for such a check to walk.

Nothing is changed on disk: this answers "are these the bytes the build
made?", it does not repair anything.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from astrobuild.io import sha256_file
from astrobuild.versioning.manifest import list_files

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]
# One extra check: no arguments, one message (naming the path) per problem found.
Check = Callable[[], Iterable[str]]
# Problems quoted in the exception (all of them are in the log).
MAX_QUOTED = 30


class BuildVerificationError(RuntimeError):
    """The files on disk are not the ones the manifest records."""


def load_manifest(manifest_path: PathLike) -> dict[str, Any]:
    path = Path(manifest_path)
    if not path.is_file():
        raise BuildVerificationError(f"{path}: no build manifest (build first, or `dvc pull` a version)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files, inputs = manifest["files"], manifest.get("inputs", {})
        if not isinstance(files, dict) or not isinstance(inputs, dict):
            raise TypeError("'files' and 'inputs' must be objects")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BuildVerificationError(f"{path}: not a build manifest ({exc})") from exc
    return manifest


def _recorded(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**manifest.get("inputs", {}), **manifest["files"]}


def file_problems(manifest: dict[str, Any]) -> list[str]:
    """One message per listed file (products and tracked inputs) that is missing or differs, sorted by path."""
    problems = []
    for path, entry in sorted(_recorded(manifest).items()):
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            problems.append(f"{path}: unsafe path in the manifest (not checked)")
            continue
        if not os.path.isfile(path):
            problems.append(f"{path}: missing")
            continue
        size = os.path.getsize(path)
        if size != entry.get("bytes"):
            problems.append(f"{path}: {size} bytes, the manifest records {entry.get('bytes')}")
            continue
        digest = sha256_file(path)
        if digest != entry.get("sha256"):
            problems.append(f"{path}: content differs (sha256 {digest}, the manifest records {entry.get('sha256')})")
    return problems


def unlisted_files(manifest: dict[str, Any], roots: Sequence[PathLike], patterns: Sequence[str],
                   manifest_path: PathLike) -> list[str]:
    """Messages for versioned files (under ``roots``, minus ignored ones) that the manifest does not list."""
    listed = set(_recorded(manifest))
    return [f"{path}: versioned, but not in the manifest (not checked)"
            for path in list_files(roots, patterns, exclude=[manifest_path]) if path not in listed]


def store_dirs(manifest: dict[str, Any]) -> list[str]:
    """The Zarr store directories (``*.zarr``) whose files the manifest lists, sorted."""
    stores = set()
    for path in manifest["files"]:
        parts = PurePosixPath(path).parts
        for depth, part in enumerate(parts[:-1]):
            if part.endswith(".zarr"):
                stores.add(PurePosixPath(*parts[: depth + 1]).as_posix())
                break
    return sorted(stores)


def verify_build(manifest_path: PathLike, roots: Sequence[PathLike] = (), patterns: Sequence[str] = (),
                 extra_checks: Sequence[Check] = ()) -> dict[str, int]:
    """Re-hash every file ``manifest_path`` lists and run ``extra_checks``; raise naming every problem.

    ``roots`` and ``patterns`` (the versioned directories and ``.dvcignore``
    patterns) find versioned files missing from the manifest. Paths are
    relative to the working directory, as in the manifest. Returns counts
    when everything matches; otherwise logs each problem and raises
    :class:`BuildVerificationError` quoting them.
    """
    manifest = load_manifest(manifest_path)
    problems = file_problems(manifest)
    problems += unlisted_files(manifest, roots, patterns, manifest_path)
    for check in extra_checks:
        problems += list(check())
    recorded = _recorded(manifest)
    for problem in problems:
        log.error("%s", problem)
    if problems:
        quoted = "\n  ".join(problems[:MAX_QUOTED])
        more = f"\n  ... and {len(problems) - MAX_QUOTED} more" if len(problems) > MAX_QUOTED else ""
        raise BuildVerificationError(f"{len(problems)} problem(s) against {manifest_path} "
                                     f"({len(recorded)} file(s) recorded):\n  {quoted}{more}")
    counts = {"files": len(recorded), "bytes": sum(int(e.get("bytes") or 0) for e in recorded.values()),
              "extra_checks": len(extra_checks)}
    log.info("verified against %s: %d file(s), %d byte(s), all as recorded; %d extra check(s) passed",
             manifest_path, counts["files"], counts["bytes"], counts["extra_checks"])
    return counts


def verify_build_and_stores(manifest_path: PathLike, roots: Sequence[PathLike] = (),
                            patterns: Sequence[str] = ()) -> dict[str, int]:
    """:func:`verify_build` plus the crc32c of every chunk of every Zarr store the manifest covers.

    The file hashes already catch a changed chunk file; the chunk checksums say
    which variable and chunk it is, and also catch damage in a store that is
    not versioned (a manifest written before the store changed).
    """
    from astrobuild.climate.shards import verify_store_checksums

    manifest = load_manifest(manifest_path)
    checks = [lambda store=store: verify_store_checksums(store) for store in store_dirs(manifest) if os.path.isdir(store)]
    return verify_build(manifest_path, roots=roots, patterns=patterns, extra_checks=checks)
