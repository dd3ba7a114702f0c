"""Rule check_features: the features store against the registry and the pooling settings."""

from astrobuild.features.pipeline import check_features
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    check_features(store_dir=snakemake.input.store, registry_path=snakemake.input.registry,
                   train_section=dict(snakemake.params.train), report_path=snakemake.output[0])
