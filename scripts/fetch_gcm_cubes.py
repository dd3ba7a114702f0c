"""Rule fetch_gcm_cubes: the NetCDF cubes (and runs.csv) of the manifest, resumable and verified."""

from astrobuild.fetch.jobs import fetch_listed_files
from astrobuild.fetch.options import ListedFilesOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_listed_files(opts=ListedFilesOptions.from_config(snakemake.config, "climate"),
                       manifest_file=snakemake.input.manifest or None, out_dir=snakemake.params.source["root"],
                       staging_dir=snakemake.params.staging)
