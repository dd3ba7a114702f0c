# What DVC shows: a short, curated metrics file (results/metrics/build.json, declared under
# `metrics:` in dvc.yaml) and small tables `dvc plots diff` draws across versions (`plots:`).
# Logic: src/astrobuild/metrics.py. The detailed reports stay ordinary outputs.

# Every quarantine file of each source, from the catalogue: those of the tables this config
# builds (the KEGG REST lists only where the source has them), each file once.
QUARANTINE_BY_SOURCE = {}
for _table in CATALOGUE.values():
    if _table.name in TABLES and _table.quarantine:
        _files = QUARANTINE_BY_SOURCE.setdefault(_table.chain, [])
        if _table.quarantine not in _files:
            _files.append(_table.quarantine)


rule write_build_metrics:
    input:
        quality=rules.quality_report.output.json,
        quarantine=[path for paths in QUARANTINE_BY_SOURCE.values() for path in paths],
    output:
        metrics="results/metrics/build.json",
        rows="results/metrics/rows.csv",
        quality="results/metrics/quality.csv",
        quarantine="results/metrics/quarantine.csv",
    params:
        quarantine={source: [str(p) for p in paths] for source, paths in QUARANTINE_BY_SOURCE.items()},
    threads: rule_threads("write_build_metrics")
    resources:
        **rule_resources("write_build_metrics"),
    log:
        "logs/write_build_metrics.log",
    benchmark:
        "results/benchmarks/write_build_metrics.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/write_build_metrics.py"


FINAL += rules.write_build_metrics.output
