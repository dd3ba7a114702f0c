"""Rule kegg_to_edges: KGML files -> one edge table (substrate x product per reaction)."""

from astrobuild.kegg.pipeline import kegg_to_edges
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    kegg_to_edges(list(snakemake.input), snakemake.params.patterns, snakemake.output.table,
                  snakemake.output.quarantine, snakemake.output.report, source=SourceRoot(**snakemake.params.source))
