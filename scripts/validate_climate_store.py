"""Rule validate_climate_store: check one store's contract, write results/validation/climate_<stem>.json."""

from astrobuild.climate.pipeline import validate_store
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    validate_store(snakemake.input.store, snakemake.params.cube, snakemake.output[0],
                   source=SourceRoot(**snakemake.params.source))
