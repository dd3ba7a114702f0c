"""Rule fetch_kegg_pathways: one KGML file per pathway id, at KEGG's rate limit."""

import os

from astrobuild.fetch.jobs import fetch_kegg_pathways
from astrobuild.fetch.options import KeggOptions
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    fetch_kegg_pathways(opts=KeggOptions.from_config(snakemake.config),
                        list_file=os.path.join(snakemake.input.lists, "list_pathway.txt"),
                        out_dir=snakemake.output[0], staging_dir=snakemake.params.staging)
