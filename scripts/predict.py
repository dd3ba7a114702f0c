"""Rule predict: the registry's runs without a label, scored by a trained model.pt from the features store."""

from astrobuild.learn.predict import predict_rule
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    predict_rule(settings=dict(snakemake.params.predict), model=snakemake.input.get("model"),
                 registry=snakemake.input.registry, features=snakemake.input.features,
                 predictions=snakemake.output.predictions, report=snakemake.output.report,
                 manifest=snakemake.output.manifest, inputs=list(snakemake.input), threads=snakemake.threads,
                 asked=dict(snakemake.params.task))
