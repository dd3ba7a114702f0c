"""Rule fetch_kegg_lists: KEGG REST list/pathway, list/pathway/<org>, list/<org> and BRITE htext."""

from astrobuild.fetch.jobs import fetch_kegg_lists
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_kegg_lists(src=snakemake.config["sources"]["kegg"], options=snakemake.config["fetch"],
                     out_dir=snakemake.output[0], staging_dir=snakemake.params.staging)
