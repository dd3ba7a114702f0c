"""Rule summarise_1000g: counts and a plot of the validated 1000 Genomes tables."""

from astrobuild.genomes.pipeline import summarise_1000g
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    summarise_1000g(snakemake.input.master, snakemake.input.samples, snakemake.output.summary,
                    snakemake.output.plot)
