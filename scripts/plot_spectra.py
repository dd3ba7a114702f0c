"""Rule plot_spectra: overlay of spectra, each relative to its median depth."""

from astrobuild.rulelog import rule_logging
from astrobuild.spectra.pipeline import plot_spectra

with rule_logging(snakemake.log[0]):
    plot_spectra(table_path=snakemake.input.table, plot_path=snakemake.output.plot)
