"""Rule parse_kegg_lists: KEGG list outputs -> pathway and gene tables with named columns."""

from astrobuild.kegg.pipeline import parse_kegg_lists
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    parse_kegg_lists(list(snakemake.input), snakemake.params.patterns, snakemake.output.pathways,
                     snakemake.output.genes, snakemake.output.quarantine, snakemake.output.report,
                     source=SourceRoot(**snakemake.params.source))
