"""Rule check_kegg_graphs: every pathway with edges has a consistent graph in the store."""

from astrobuild.kegg.pipeline import check_kegg_graphs
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    check_kegg_graphs(snakemake.input.store, snakemake.input.edges, snakemake.input.env, snakemake.output[0])
