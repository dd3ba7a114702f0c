"""Rule kegg_to_edges: KGML files -> one edge table (substrate x product per reaction)."""

from astrobuild.kegg.pipeline import kegg_to_edges
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    kegg_to_edges(inputs=list(snakemake.input), patterns=snakemake.params.patterns, table=snakemake.output.table,
                  quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                  source=SourceRoot(**snakemake.params.source))
