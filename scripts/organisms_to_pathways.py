"""Rule organisms_to_pathways: organisms x KEGG KO/EC -> pathway links -> pathway coverage per genome."""

from astrobuild.organisms.pipeline import organisms_to_pathways
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    organisms_to_pathways(organisms_path=snakemake.input.organisms, link_inputs=list(snakemake.input.links),
                          min_coverage=snakemake.params.min_coverage, table=snakemake.output.table,
                          quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                          source=SourceRoot(**snakemake.params.source))
