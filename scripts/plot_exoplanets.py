"""Rule plot_exoplanets: planet radius vs equilibrium temperature, derived and outlier rows coloured."""

from astrobuild.exoplanets.pipeline import plot_exoplanets
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    plot_exoplanets(table_path=snakemake.input.table, plot_path=snakemake.output.plot)
