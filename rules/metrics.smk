# What DVC shows: a short, curated metrics file (results/metrics/build.json, declared under
# `metrics:` in dvc.yaml) and small tables `dvc plots diff` draws across versions (`plots:`).
# Logic: src/astrobuild/metrics.py. The detailed reports stay ordinary outputs.

# Every quarantine file of each source, by the rule that writes it.
QUARANTINE_BY_SOURCE = {
    "genomes_1000g": [rules.dirlists_to_master.output.quarantine, rules.indices_to_sample_table.output.quarantine],
    "kegg": [
        rules.kegg_to_edges.output.quarantine,
        rules.brite_to_env_tags.output.quarantine,
        rules.overview_map_members.output.quarantine,
    ]
    # The REST lists are parsed only where the source has them (their tables are registered then).
    + ([rules.parse_kegg_lists.output.quarantine] if "kegg_pathway_list" in TABLES else []),
    "climate": [rules.index_climate_runs.output.quarantine],
    "exoplanets": [rules.exoplanet_archive_table.output.quarantine],
    "spectra": [rules.spectra_table.output.quarantine],
}


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
