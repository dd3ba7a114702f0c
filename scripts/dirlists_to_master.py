"""Rule dirlists_to_master: directory listings -> one table of every genomic file."""

from astrobuild.genomes.pipeline import dirlists_to_master
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    dirlists_to_master(inputs=list(snakemake.input), patterns=snakemake.params.patterns,
                       table_path=snakemake.output.table, quarantine_path=snakemake.output.quarantine,
                       report_path=snakemake.output.report, source=SourceRoot(**snakemake.params.source))
