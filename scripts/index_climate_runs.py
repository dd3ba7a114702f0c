"""Rule index_climate_runs: the table of cubes and their runs (from runs.csv)."""

from astrobuild.climate.pipeline import index_climate_runs
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    index_climate_runs(cubes=dict(snakemake.params.cubes), stores=dict(snakemake.params.stores),
                       roots=list(snakemake.params.roots), table=snakemake.output.table,
                       quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                       source=SourceRoot(**snakemake.params.source),
                       run_columns=list(snakemake.params.run_columns))
