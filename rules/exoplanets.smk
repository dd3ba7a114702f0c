# Exoplanets: NASA Exoplanet Archive download (PSCompPars or PS CSV) -> one row per planet.
EXOPLANET_PATTERNS = source_patterns("exoplanets", "archive")  # astrobuild.registry


rule exoplanet_archive_table:
    input:
        raw_inputs("exoplanets", EXOPLANET_PATTERNS),
    output:
        table=TABLE_PATHS["exoplanets"],
        quarantine=QUARANTINE_PATHS["exoplanets"],
        report="results/reports/exoplanet_archive_table.json",
    params:
        source=source_root("exoplanets"),
        patterns=EXOPLANET_PATTERNS,
        table_kind=config["exoplanets"]["table"],
        albedo=config["exoplanets"]["albedo"],
        outlier_sigma=config["exoplanets"]["outlier_sigma"],
    threads: rule_threads("exoplanet_archive_table")
    resources:
        **rule_resources("exoplanet_archive_table"),
    log:
        "logs/exoplanet_archive_table.log",
    benchmark:
        "results/benchmarks/exoplanet_archive_table.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/exoplanet_archive_table.py"


rule plot_exoplanets:
    input:
        table=rules.exoplanet_archive_table.output.table,
        table_ok=validation_report("exoplanets"),
    output:
        plot=report(
            "results/exoplanets/radius_vs_teq.png",
            caption="../report/radius_vs_teq.rst",
            category="Exoplanets & spectra",
        ),
    threads: rule_threads("plot_exoplanets")
    resources:
        **rule_resources("plot_exoplanets"),
    log:
        "logs/plot_exoplanets.log",
    benchmark:
        "results/benchmarks/plot_exoplanets.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/plot_exoplanets.py"


FINAL += rules.plot_exoplanets.output
