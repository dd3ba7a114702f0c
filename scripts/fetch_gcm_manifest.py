"""Rule fetch_gcm_manifest: the manifest (path,md5,bytes) of the GCM cubes, checked and saved."""

from astrobuild.fetch.jobs import fetch_manifest
from astrobuild.fetch.options import ListedFilesOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_manifest(opts=ListedFilesOptions.from_config(snakemake.config, "climate"), out_file=snakemake.output[0],
                   staging_dir=snakemake.params.staging)
