"""The names of the files the sample generators write, known without writing them.

Light imports only (the universe, numpy): Snakemake asks for them while it builds the DAG
(:func:`astrobuild.sample.planned_files`), before the sample exists. The generators name their
files with the same functions, so the list and the files cannot drift apart (a test compares them).
"""

from __future__ import annotations

from astrobuild.sample.universe import build_universe

RUNS_CSV = "runs.csv"


def cube_file(run_name: str) -> str:
    """File name of one run's climate cube."""
    return f"{run_name}.nc"


def climate_files(scale: int, seed: int) -> list[str]:
    """Every file of the climate sample: one cube per run of the universe, and ``runs.csv``."""
    return sorted([cube_file(run.run_name) for run in build_universe(scale, seed).runs] + [RUNS_CSV])


# source -> the names its generator writes (the sources whose DAG depends on their file names)
PLANNED = {"climate": climate_files}
