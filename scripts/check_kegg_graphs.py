"""Rule check_kegg_graphs: every pathway with edges has a consistent graph in the store."""

from astrobuild.kegg.pipeline import check_kegg_graphs
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    check_kegg_graphs(store_dir=snakemake.params.store, edges_path=snakemake.input.edges,
                      env_path=snakemake.input.env, report_path=snakemake.output[0])
