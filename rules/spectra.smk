# Spectra: transmission/emission spectrum files -> one tidy table (depth in ppm, wavelength in µm).
SPECTRA_PATTERNS = source_patterns("spectra", "spectra")  # astrobuild.registry


rule spectra_table:
    input:
        raw_inputs("spectra", SPECTRA_PATTERNS),
    output:
        table=TABLE_PATHS["spectra"],
        quarantine=QUARANTINE_PATHS["spectra"],
        report="results/reports/spectra_table.json",
    params:
        source=source_root("spectra"),
        patterns=SPECTRA_PATTERNS,
        negative_sigma=config["spectra"]["negative_sigma"],
    threads: rule_threads("spectra_table")
    resources:
        **rule_resources("spectra_table"),
    log:
        "logs/spectra_table.log",
    benchmark:
        "results/benchmarks/spectra_table.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/spectra_table.py"


rule plot_spectra:
    input:
        table=rules.spectra_table.output.table,
        table_ok=validation_report("spectra"),
    output:
        plot=report(
            "results/spectra/spectra_overlay.png",
            caption="../report/spectra_overlay.rst",
            category="Exoplanets & spectra",
        ),
    threads: rule_threads("plot_spectra")
    resources:
        **rule_resources("plot_spectra"),
    log:
        "logs/plot_spectra.log",
    benchmark:
        "results/benchmarks/plot_spectra.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/plot_spectra.py"


FINAL += rules.plot_spectra.output
