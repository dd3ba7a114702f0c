"""Rule edges_to_graphs: edge table + env vectors -> the per-pathway graph store."""

from astrobuild.kegg.pipeline import edges_to_graphs
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    edges_to_graphs(edges_path=snakemake.input.edges, env_path=snakemake.input.env, outdir=snakemake.params.store,
                    graphml=snakemake.params.graphml)
