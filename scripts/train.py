"""Rule train: the planet-run registry and its modalities -> model, metrics, curves, predictions, plots."""

from astrobuild.learn.config import Inputs
from astrobuild.learn.outputs import TrainOutputs
from astrobuild.learn.pipeline import train_model
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    train_model(section=dict(snakemake.params.train), inputs=Inputs(**dict(snakemake.params.paths)),
                outputs=TrainOutputs(**{key: snakemake.output[key] for key in TrainOutputs.__dataclass_fields__}),
                threads=snakemake.threads, manifest_inputs=list(snakemake.input))
