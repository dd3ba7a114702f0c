"""Rule spectra_table: spectrum files -> one tidy table (wavelength_um, depth_ppm, ...)."""

from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging
from astrobuild.spectra.pipeline import spectra_table

with rule_logging(snakemake.log[0]):
    spectra_table(list(snakemake.input), snakemake.params.patterns, snakemake.output.table,
                  snakemake.output.quarantine, snakemake.output.report, source=SourceRoot(**snakemake.params.source))
