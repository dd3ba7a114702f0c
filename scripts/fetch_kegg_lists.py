"""Rule fetch_kegg_lists: KEGG REST list/pathway, list/pathway/<org>, list/<org> and BRITE htext."""

from astrobuild.fetch.jobs import fetch_kegg_lists
from astrobuild.fetch.options import KeggOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_kegg_lists(opts=KeggOptions.from_config(snakemake.config), out_dir=snakemake.output[0],
                     staging_dir=snakemake.params.staging)
