"""Rule indices_to_sample_table: IGSR index files + population tables -> the sample table."""

from astrobuild.genomes.pipeline import indices_to_sample_table
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    indices_to_sample_table(inputs=list(snakemake.input), index_patterns=snakemake.params.index_patterns,
                            population_patterns=snakemake.params.population_patterns,
                            table_path=snakemake.output.table, quarantine_path=snakemake.output.quarantine,
                            report_path=snakemake.output.report, threads=snakemake.threads,
                            source=SourceRoot(**snakemake.params.source))
