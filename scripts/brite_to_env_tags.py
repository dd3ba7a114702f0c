"""Rule brite_to_env_tags: BRITE hierarchies (htext or JSON) -> pathway, tag."""

from astrobuild.kegg.pipeline import brite_to_env_tags
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    brite_to_env_tags(inputs=list(snakemake.input), patterns=snakemake.params.patterns,
                      table=snakemake.output.table, quarantine_path=snakemake.output.quarantine,
                      report_path=snakemake.output.report, source=SourceRoot(**snakemake.params.source))
