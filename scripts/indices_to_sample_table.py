"""Rule indices_to_sample_table: IGSR index files + population tables -> the sample table."""

from astrobuild.genomes.pipeline import indices_to_sample_table
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    indices_to_sample_table(list(snakemake.input), snakemake.params.index_patterns,
                            snakemake.params.population_patterns, snakemake.output.table,
                            snakemake.output.quarantine, snakemake.output.report, threads=snakemake.threads,
                            source=SourceRoot(**snakemake.params.source))
