"""Rule fetch_genbank_records: the organisms' GenBank records by accession from NCBI E-utilities (efetch)."""

from astrobuild.fetch.ncbi import fetch_genbank_records
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_genbank_records(src=snakemake.config["sources"]["organisms"], options=snakemake.config["fetch"],
                          out_dir=snakemake.output[0], staging_dir=snakemake.params.staging)
