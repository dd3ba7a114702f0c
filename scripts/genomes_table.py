"""Rule genomes_table: GenBank files (+ GTDB taxonomy, + KO annotation tables) -> the organisms table."""

from astrobuild.organisms.pipeline import genomes_table
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    genomes_table(genbank_inputs=list(snakemake.input.genbank), gtdb_inputs=list(snakemake.input.gtdb),
                  annotation_inputs=list(snakemake.input.annotations), table=snakemake.output.table,
                  quarantine_path=snakemake.output.quarantine, report_path=snakemake.output.report,
                  source=SourceRoot(**snakemake.params.source))
