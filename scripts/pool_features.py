"""Rule pool_features: the registry's runs of one climate batch -> one features batch file."""

from astrobuild.features.pipeline import pool_features
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    pool_features(train_section=dict(snakemake.params.train), stores=list(snakemake.params.stores),
                  out_path=snakemake.output[0])
