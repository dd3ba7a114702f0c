"""Rule index_climate_runs: the table of cubes and their runs (from runs.csv)."""

from astrobuild.climate.pipeline import index_climate_runs
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    index_climate_runs(dict(snakemake.params.cubes), dict(snakemake.params.stores), list(snakemake.params.roots),
                       snakemake.output.table, snakemake.output.quarantine, snakemake.output.report,
                       source=SourceRoot(**snakemake.params.source))
