"""The built-in sample: deterministic, offline raw inputs in the exact upstream formats.

``generate(source, outdir, scale, seed)`` writes one source's raw files. All
sources are views of one coherent universe (:mod:`astrobuild.sample.universe`):
planets, their climate-scenario runs, a spectrum and a biosphere per run.
Same seed and scale, same bytes. ``time_steps`` (the length of each climate
cube) concerns the climate source only. ``planned_files(source, outdir, scale,
seed)`` lists the files ``generate`` will write, without writing them (the
workflow's DAG needs the climate cubes before the sample exists).
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from astrobuild.registry import SOURCES

log = logging.getLogger(__name__)

# source name (as in config `sources:`) -> module that writes it: declared in astrobuild.registry
GENERATORS = {name: f"{__name__}.{src.generator}" for name, src in SOURCES.items()}


def generate(source: str, outdir: str | os.PathLike[str], scale: int = 1, seed: int = 0,
             time_steps: int | None = None) -> list[Path]:
    """Write the sample raw files of ``source`` into ``outdir``; returns the files written.

    ``time_steps``: time steps per climate cube (``None``: the generator's default); other sources
    have no such knob and refuse one.
    """
    if source not in GENERATORS:
        raise KeyError(f"unknown source {source!r}; known: {sorted(GENERATORS)}")
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    module = importlib.import_module(GENERATORS[source])
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    knobs = {} if time_steps is None else {"time_steps": time_steps}
    if knobs and source != "climate":
        raise ValueError(f"time_steps is a knob of the climate sample only, not of {source!r}")
    files = sorted(module.write(outdir, scale=scale, seed=seed, **knobs))
    log.info("wrote %d sample file(s) for %s", len(files), source)
    return files


def planned_files(source: str, outdir: str | os.PathLike[str], scale: int = 1, seed: int = 0) -> list[Path]:
    """The files :func:`generate` will write for ``source`` into ``outdir``, sorted, without writing them.

    Light imports: Snakemake calls it while it builds the DAG. Listed for the sources whose rules
    need their file names before generation (climate: one job input per cube); others are refused.
    """
    from astrobuild.sample.files import PLANNED

    if source not in GENERATORS:
        raise KeyError(f"unknown source {source!r}; known: {sorted(GENERATORS)}")
    if source not in PLANNED:
        raise ValueError(f"the {source!r} sample's files are not listed before generation "
                         f"(listed: {sorted(PLANNED)})")
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    return [Path(outdir) / name for name in PLANNED[source](scale, seed)]
