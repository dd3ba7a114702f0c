"""Rule planet_runs: climate runs x planets x spectra x pathways (x organisms) -> the planet-run registry."""

from astrobuild.planet_runs import planet_runs
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    planet_runs(climate_runs_path=snakemake.input.climate_runs, exoplanets_path=snakemake.input.exoplanets,
                planet_column=snakemake.params.planet_column, spectra_path=snakemake.input.spectra,
                env_vectors_path=snakemake.input.env_vectors, table_path=snakemake.output.table,
                report_path=snakemake.output.report, organisms_path=snakemake.input.organisms,
                organism_pathways_path=snakemake.input.get("organism_pathways"),
                planet_columns=list(snakemake.params.planet_columns), quarantine_path=snakemake.output.quarantine,
                hypothetical_path=snakemake.output.hypothetical_planets)
