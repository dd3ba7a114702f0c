"""Rule overview_map_members: overview maps (KGML map entries, REST link output) -> overview, pathway."""

from astrobuild.kegg.pipeline import overview_map_members
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    overview_map_members(inputs=list(snakemake.input), kgml_patterns=snakemake.params.kgml_patterns,
                         link_patterns=snakemake.params.link_patterns,
                         overview_pattern=snakemake.params.overview_pattern, table=snakemake.output.table,
                         quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                         source=SourceRoot(**snakemake.params.source))
