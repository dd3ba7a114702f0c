"""Rule generate_sample: write one source's built-in sample."""

from astrobuild.rulelog import rule_logging
from astrobuild.sample import generate

with rule_logging(snakemake.log[0]):
    generate(source=snakemake.wildcards.source, outdir=snakemake.output[0], scale=snakemake.params.scale,
             seed=snakemake.params.seed, time_steps=snakemake.params.time_steps)
