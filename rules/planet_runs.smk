# The planet-run registry: one row per planet x climate-scenario run, the key of every modality.
# A run's biosphere: its runs.csv pathway ids and the present pathways of its organisms.
# A run's planet: the exoplanet table's, or a hypothetical one its runs.csv/planets.csv give every
# train.planet_columns value of (written for pooling); a run whose planet is in neither is quarantined.
from astrobuild.contracts.products import HYPOTHETICAL_PLANETS


rule planet_runs:
    input:
        unpack(organism_pathways_inputs),
        climate_runs=rules.index_climate_runs.output.table,
        exoplanets=rules.exoplanet_archive_table.output.table,
        spectra=rules.spectra_table.output.table,
        env_vectors=rules.make_env_vectors.output.table,
        climate_ok=validation_report("climate_runs"),
        exoplanets_ok=validation_report("exoplanets"),
        spectra_ok=validation_report("spectra"),
        env_ok=validation_report("env_vectors"),
        graphs_ok=rules.check_kegg_graphs.output,
        organisms=rules.genomes_table.output.table,
        organisms_ok=validation_report("organisms"),
    output:
        table=TABLE_PATHS["planet_runs"],
        quarantine=QUARANTINE_PATHS["planet_runs"],
        hypothetical_planets=HYPOTHETICAL_PLANETS.path,
        report="results/reports/planet_runs.json",
    params:
        planet_column="planet",
        # what a planet absent from the exoplanet table must be given (a pooling key)
        planet_columns=config["train"]["planet_columns"],
    threads: rule_threads("planet_runs")
    resources:
        **rule_resources("planet_runs"),
    log:
        "logs/planet_runs.log",
    benchmark:
        "results/benchmarks/planet_runs.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/planet_runs.py"


