"""Rule fetch_exoplanet_archive: the NASA Exoplanet Archive's TAP answer to the configured query, as CSV."""

from astrobuild.fetch.jobs import fetch_exoplanet_archive
from astrobuild.fetch.options import ExoplanetsOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_exoplanet_archive(opts=ExoplanetsOptions.from_config(snakemake.config), table=snakemake.params.table,
                            out_file=snakemake.output[0], staging_dir=snakemake.params.staging)
