"""Rule fetch_1000g_indices: the configured index files and population tables, streamed and verified
(md5 and bytes from the config, else the size their listing gives)."""

from astrobuild.fetch.jobs import fetch_1000g_indices
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_1000g_indices(src=snakemake.config["sources"]["genomes_1000g"], options=snakemake.config["fetch"],
                        out_dir=snakemake.output[0], staging_dir=snakemake.params.staging,
                        listings_dir=snakemake.input.listings)
