"""Rule planet_runs: climate runs x planets x spectra x pathways -> the planet-run registry."""

from astrobuild.planet_runs import planet_runs
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    planet_runs(snakemake.input.climate_runs, snakemake.input.exoplanets, snakemake.params.planet_column,
                snakemake.input.spectra, snakemake.input.env_vectors, snakemake.output.table,
                snakemake.output.report)
