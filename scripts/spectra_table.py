"""Rule spectra_table: spectrum files -> one tidy table (wavelength_um, depth_ppm, ...)."""

from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging
from astrobuild.spectra.pipeline import spectra_table

with rule_logging(snakemake.log[0]):
    spectra_table(inputs=list(snakemake.input), patterns=snakemake.params.patterns,
                  table_path=snakemake.output.table, quarantine_path=snakemake.output.quarantine,
                  report_path=snakemake.output.report, source=SourceRoot(**snakemake.params.source),
                  negative_sigma=snakemake.params.negative_sigma)
