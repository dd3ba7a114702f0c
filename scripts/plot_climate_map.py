"""Rule plot_climate_map: one variable of one climate store, first and last time step."""

from astrobuild.plots.climate_map import plot_climate_map
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    plot_climate_map(store=snakemake.input.store, conversion_report=snakemake.input.conversion,
                     plot_path=snakemake.output.plot, variable=snakemake.params.variable)
