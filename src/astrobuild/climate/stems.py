"""Which cubes a climate source has, by stem, and how their conversion is split into jobs.

Light imports only: Snakemake needs these to build the DAG. The built-in sample's cubes are the
files the sample generator says it will write (:func:`astrobuild.sample.planned_files`, asked by
the rules), so this module knows nothing of the sample.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatch
from pathlib import Path

from astrobuild.contracts.products import CLIMATE_STORE
from astrobuild.registry import SOURCES

CUBE_PATTERNS = SOURCES["climate"].patterns["cubes"]  # declared in astrobuild.registry
STORE_PATTERN = CLIMATE_STORE.path  # declared in astrobuild.contracts.products
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(name: str) -> str:
    """A file stem usable as a wildcard value and a directory name."""
    return _UNSAFE.sub("_", Path(name).stem).strip("._-") or "cube"


def stems_of(files: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """stem -> path of every NetCDF cube among ``files`` (by name pattern); stems made safe and
    unique (``-2``, ``-3``... in path order)."""
    cubes = sorted({Path(f) for f in files if any(fnmatch(Path(f).name, pat) for pat in CUBE_PATTERNS)
                    and not Path(f).name.startswith(".")}, key=lambda p: p.as_posix())
    stems: dict[str, str] = {}
    for path in cubes:
        base = safe_stem(path.name)
        stem, n = base, 1
        while stem in stems:
            n += 1
            stem = f"{base}-{n}"
        stems[stem] = os.fspath(path)
    return stems


def find_cubes(root: str | os.PathLike[str]) -> dict[str, str]:
    """stem -> path of every NetCDF cube under ``root`` (see :func:`stems_of`)."""
    return stems_of(p for pat in CUBE_PATTERNS for p in Path(root).rglob(pat) if p.is_file())


def local_cubes(path: str) -> dict[str, str]:
    """stem -> cube path of a local source; refuses, naming the config key, a path without cubes."""
    if not Path(path).is_dir():
        raise ValueError(f"config: sources.climate.path: {path} is not a directory")
    cubes = find_cubes(path)
    if not cubes:
        raise ValueError(f"config: sources.climate.path: no NetCDF files ({', '.join(CUBE_PATTERNS)}) under {path}")
    return cubes


def conversion_batches(cubes: Mapping[str, str], batch_size: int, alone: Iterable[str] = ()) -> list[list[str]]:
    """The stems of each conversion job, and one job for each stem of ``alone`` (cubes too big to
    share a job). Same cubes, same batches.

    A batch is rerun whole when any of its cubes changes, so a cube added or removed must not move
    the others between batches (fixed runs of ``batch_size`` would shift every batch after it, and
    a new first cube would reconvert them all). The batches are cut by content instead, as rsync and
    content-defined chunking do: a batch ends after a stem whose hash is 0 modulo ``batch_size``
    (``batch_size`` stems a batch on average, 1 gives one job per cube), or at ``2 * batch_size``
    stems. A stem added or removed then changes its own batch only, or splits or joins it with the
    next one, wherever it sorts.
    """
    if batch_size < 1:
        raise ValueError(f"climate.batch_size must be >= 1, got {batch_size}")
    single = sorted(set(alone) & set(cubes))
    batches: list[list[str]] = [[]]
    for stem in sorted(s for s in cubes if s not in single):
        batches[-1].append(stem)
        if _ends_batch(stem, batch_size) or len(batches[-1]) >= 2 * batch_size:
            batches.append([])
    return [b for b in batches if b] + [[s] for s in single]


def _ends_batch(stem: str, batch_size: int) -> bool:
    # sha256, not hash(): the same on every machine and run (Python salts str hashes per process).
    return int.from_bytes(hashlib.sha256(stem.encode("utf-8")).digest()[:8], "big") % batch_size == 0
