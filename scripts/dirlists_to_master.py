"""Rule dirlists_to_master: directory listings -> one table of every genomic file."""

from astrobuild.genomes.pipeline import dirlists_to_master
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    dirlists_to_master(list(snakemake.input), snakemake.params.patterns, snakemake.output.table,
                       snakemake.output.quarantine, snakemake.output.report,
                       source=SourceRoot(**snakemake.params.source))
