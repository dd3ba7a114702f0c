"""Rule build_features: the batch files merged into the features store, read back and compared."""

from astrobuild.features.pipeline import build_features
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    build_features(batches=list(snakemake.input.batches), out_dir=snakemake.output.store)
