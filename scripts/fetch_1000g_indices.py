"""Rule fetch_1000g_indices: the configured index files and population tables, streamed and verified
(md5 and bytes from the config, else the size their listing gives)."""

from astrobuild.fetch.jobs import fetch_1000g_indices
from astrobuild.fetch.options import Genomes1000gOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_1000g_indices(opts=Genomes1000gOptions.from_config(snakemake.config), out_dir=snakemake.output[0],
                        staging_dir=snakemake.params.staging, listings_dir=snakemake.input.listings)
