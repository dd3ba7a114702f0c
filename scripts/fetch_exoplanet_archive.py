"""Rule fetch_exoplanet_archive: the NASA Exoplanet Archive's TAP answer to the configured query, as CSV."""

from astrobuild.fetch.jobs import fetch_exoplanet_archive
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_exoplanet_archive(src=snakemake.config["sources"]["exoplanets"], options=snakemake.config["fetch"],
                            table=snakemake.params.table, out_file=snakemake.output[0],
                            staging_dir=snakemake.params.staging)
