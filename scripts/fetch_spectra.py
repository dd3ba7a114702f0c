"""Rule fetch_spectra: the spectrum files of the manifest (or of sources.spectra.files), verified."""

from astrobuild.fetch.jobs import fetch_listed_files
from astrobuild.fetch.options import ListedFilesOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_listed_files(opts=ListedFilesOptions.from_config(snakemake.config, "spectra"), manifest_file=None,
                       out_dir=snakemake.output[0], staging_dir=snakemake.params.staging)
