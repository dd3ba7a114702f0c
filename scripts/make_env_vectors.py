"""Rule make_env_vectors: tags + overview membership + the mapping in config -> pathway, pH, temp, O2, redox."""

from astrobuild.kegg.pipeline import make_env_vectors
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    make_env_vectors(edges_path=snakemake.input.edges, tags_path=snakemake.input.tags,
                     overview_path=snakemake.input.overview, mapping_path=snakemake.input.mapping,
                     table=snakemake.output.table, report_path=snakemake.output.report)
