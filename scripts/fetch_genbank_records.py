"""Rule fetch_genbank_records: the organisms' GenBank records by accession from NCBI E-utilities (efetch)."""

from astrobuild.fetch.ncbi import fetch_genbank_records
from astrobuild.fetch.options import NcbiOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_genbank_records(opts=NcbiOptions.from_config(snakemake.config), out_dir=snakemake.output[0],
                          staging_dir=snakemake.params.staging)
