"""Rule summarise_1000g: counts and a plot of the validated 1000 Genomes tables."""

from astrobuild.genomes.pipeline import summarise_1000g
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    summarise_1000g(master_path=snakemake.input.master, samples_path=snakemake.input.samples,
                    summary_path=snakemake.output.summary, plot_path=snakemake.output.plot)
