"""Rule exoplanet_archive_table: NASA Exoplanet Archive CSV -> one row per planet, derived values flagged."""

from astrobuild.exoplanets.pipeline import exoplanet_archive_table
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    exoplanet_archive_table(list(snakemake.input), snakemake.params.patterns, snakemake.params.table_kind,
                            float(snakemake.params.albedo), float(snakemake.params.outlier_sigma),
                            snakemake.output.table, snakemake.output.quarantine, snakemake.output.report,
                            source=SourceRoot(**snakemake.params.source))
