"""Rule parse_kegg_lists: KEGG list outputs -> pathway and gene tables with named columns."""

from astrobuild.kegg.pipeline import parse_kegg_lists
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    parse_kegg_lists(inputs=list(snakemake.input), patterns=snakemake.params.patterns,
                     pathway_table=snakemake.output.pathways, gene_table=snakemake.output.genes,
                     quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                     source=SourceRoot(**snakemake.params.source))
