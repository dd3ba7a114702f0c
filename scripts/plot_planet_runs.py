"""Rule plot_planet_runs: runs per planet and climate scenario in the planet-run registry."""

from astrobuild.plots.planet_runs import plot_planet_runs
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    plot_planet_runs(table_path=snakemake.input.table, plot_path=snakemake.output.plot)
