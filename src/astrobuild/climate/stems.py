"""Which cubes a climate source has, by stem: light imports, since Snakemake needs it to build the DAG."""

from __future__ import annotations

import os
import re
from pathlib import Path

CUBE_PATTERNS = ("*.nc", "*.nc4", "*.cdf")
STORE_PATTERN = "data/processed/climate/{stem}.zarr"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(name: str) -> str:
    """A file stem usable as a wildcard value and a directory name."""
    return _UNSAFE.sub("_", Path(name).stem).strip("._-") or "cube"


def find_cubes(root: str | os.PathLike[str]) -> dict[str, str]:
    """stem -> path of every NetCDF cube under ``root``; stems made safe and unique (``-2``, ``-3``... in path order)."""
    root = Path(root)
    files = sorted({p for pat in CUBE_PATTERNS for p in root.rglob(pat)
                    if p.is_file() and not p.name.startswith(".")}, key=lambda p: p.as_posix())
    stems: dict[str, str] = {}
    for path in files:
        base = safe_stem(path.name)
        stem, n = base, 1
        while stem in stems:
            n += 1
            stem = f"{base}-{n}"
        stems[stem] = os.fspath(path)
    return stems


def sample_cubes(sample_dir: str, scale: int, seed: int) -> dict[str, str]:
    """stem -> cube path of the built-in sample, known from the universe without generating it."""
    from astrobuild.sample.universe import build_universe

    return {run.run_name: f"{sample_dir}/{run.run_name}.nc" for run in build_universe(scale, seed).runs}


def cubes_for(mode: str, path: str, scale: int, seed: int) -> dict[str, str]:
    """stem -> cube path for the configured source mode (sample: ``path`` is the sample directory)."""
    if mode == "sample":
        return sample_cubes(path, scale, seed)
    if not Path(path).is_dir():
        raise ValueError(f"config: sources.climate.path: {path} is not a directory")
    cubes = find_cubes(path)
    if not cubes:
        raise ValueError(f"config: sources.climate.path: no NetCDF files ({', '.join(CUBE_PATTERNS)}) under {path}")
    return cubes
