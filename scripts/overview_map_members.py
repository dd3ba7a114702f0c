"""Rule overview_map_members: overview maps (KGML map entries, REST link output) -> overview, pathway."""

from astrobuild.kegg.pipeline import overview_map_members
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    overview_map_members(list(snakemake.input), snakemake.params.kgml_patterns, snakemake.params.link_patterns,
                         snakemake.params.overview_pattern, snakemake.output.table, snakemake.output.quarantine,
                         snakemake.output.report, source=SourceRoot(**snakemake.params.source))
