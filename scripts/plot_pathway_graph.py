"""Rule plot_pathway_graph: one pathway of the KEGG graph store, drawn as a graph."""

from astrobuild.plots.pathway_graph import plot_pathway_graph
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    plot_pathway_graph(graph_store=snakemake.params.store, plot_path=snakemake.output.plot,
                       pathway=snakemake.params.pathway, max_nodes=snakemake.params.max_nodes)
