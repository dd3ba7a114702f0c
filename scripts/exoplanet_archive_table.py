"""Rule exoplanet_archive_table: NASA Exoplanet Archive CSV -> one row per planet, derived values flagged."""

from astrobuild.exoplanets.pipeline import exoplanet_archive_table
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    exoplanet_archive_table(inputs=list(snakemake.input), patterns=snakemake.params.patterns,
                            table_kind=snakemake.params.table_kind, albedo=float(snakemake.params.albedo),
                            sigma=float(snakemake.params.outlier_sigma), table_path=snakemake.output.table,
                            quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                            source=SourceRoot(**snakemake.params.source))
