"""Rule make_env_vectors: tags + overview membership + the mapping in config -> pathway, pH, temp, O2, redox."""

from astrobuild.kegg.pipeline import make_env_vectors
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    make_env_vectors(snakemake.input.edges, snakemake.input.tags, snakemake.input.overview,
                     snakemake.input.mapping, snakemake.output.table, snakemake.output.report)
