"""Rule fetch_1000g_dirlists: ls -lR listings of the configured 1000 Genomes trees (listing only)."""

from astrobuild.fetch.jobs import fetch_1000g_dirlists
from astrobuild.fetch.options import Genomes1000gOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_1000g_dirlists(opts=Genomes1000gOptions.from_config(snakemake.config), out_dir=snakemake.output[0],
                         staging_dir=snakemake.params.staging)
