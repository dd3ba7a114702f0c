"""Rules nc_to_zarr_<n>: a batch of NetCDF cubes -> one verified, validated Zarr v3 store each (+ reports)."""

from astrobuild.climate.pipeline import convert_batch
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log.batch):
    convert_batch(cubes=list(snakemake.params.cubes), stores=list(snakemake.output.stores),
                  reports=list(snakemake.output.reports), validations=list(snakemake.output.validations),
                  timings=list(snakemake.output.timings), logs=list(snakemake.log.cubes),
                  options=dict(snakemake.params.options), threads=snakemake.threads,
                  source=SourceRoot(**snakemake.params.source))
