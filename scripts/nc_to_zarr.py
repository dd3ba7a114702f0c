"""Rule nc_to_zarr: one NetCDF cube -> a verified Zarr v3 store (+ conversion report)."""

from astrobuild.climate.pipeline import convert
from astrobuild.paths import SourceRoot
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    convert(snakemake.params.cube, snakemake.output.store, snakemake.output.report, snakemake.output.timing,
            dict(snakemake.params.options), snakemake.threads, source=SourceRoot(**snakemake.params.source))
