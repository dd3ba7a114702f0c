# Quality report: grades every table of TABLES (the catalogue's tables this config builds) and
# every store of STORES (see src/astrobuild/quality). Inputs are functions so that stores
# registered by .smk files included after this one are picked up too.
# A store's validation report has the same path as a table's: results/validation/<name>.json.
# Cross-table consistency rules (astrobuild.quality.table_rules.RULES) read only the tables and
# stores below, all of them inputs; the exoplanet albedo is the one the T_eq was derived with.

from astrobuild.contracts.catalogue import counted_quarantines


rule quality_report:
    input:
        tables=lambda wc: [TABLES[t] for t in sorted(TABLES)],
        table_reports=lambda wc: [validation_report(t) for t in sorted(TABLES)],
        stores=lambda wc: [STORES[s] for s in sorted(STORES)],
        store_reports=lambda wc: [validation_report(s) for s in sorted(STORES)],
        # Quarantine files whose refused lines count against their table's validity (spectra).
        quarantines=lambda wc: list(counted_quarantines(TABLES).values()),
    output:
        json=report("results/quality/report.json", caption="../report/quality_report.rst", category="Quality"),
        html=report("results/quality/report.html", caption="../report/quality_page.rst", category="Quality"),
    params:
        quality=config["quality"],
        albedo=config["exoplanets"]["albedo"],
        tables=lambda wc: {t: str(TABLES[t]) for t in sorted(TABLES)},
        stores=lambda wc: {s: str(STORES[s]) for s in sorted(STORES)},
        validations=lambda wc: {
            **{t: validation_report(t) for t in sorted(TABLES)},
            **{s: validation_report(s) for s in sorted(STORES)},
        },
        quarantines=lambda wc: counted_quarantines(TABLES),
    threads: rule_threads("quality_report")
    resources:
        **rule_resources("quality_report"),
    log:
        "logs/quality_report.log",
    benchmark:
        "results/benchmarks/quality_report.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/quality_report.py"


FINAL += rules.quality_report.output
