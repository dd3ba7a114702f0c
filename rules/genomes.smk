# 1000 Genomes reference metadata: listings -> master table; indices + populations -> sample table.
# File patterns of a local folder: astrobuild.registry (the genomes_1000g source).
LISTING_PATTERNS = source_patterns("genomes_1000g", "listings")
INDEX_PATTERNS = source_patterns("genomes_1000g", "indices")
POPULATION_PATTERNS = source_patterns("genomes_1000g", "populations")


rule dirlists_to_master:
    input:
        raw_inputs("genomes_1000g", LISTING_PATTERNS, remote=["dirlists"]),
    output:
        table=TABLE_PATHS["1000g_master"],
        quarantine=QUARANTINE_PATHS["1000g_master"],
        report="results/reports/dirlists_to_master.json",
    params:
        source=source_root("genomes_1000g"),
        patterns=LISTING_PATTERNS,
    threads: rule_threads("dirlists_to_master")
    resources:
        **rule_resources("dirlists_to_master"),
    log:
        "logs/dirlists_to_master.log",
    benchmark:
        "results/benchmarks/dirlists_to_master.tsv"
    conda:
        "../envs/genomes.yaml"
    script:
        "../scripts/dirlists_to_master.py"


rule indices_to_sample_table:
    input:
        raw_inputs("genomes_1000g", INDEX_PATTERNS + POPULATION_PATTERNS, remote=["indices"]),
    output:
        table=TABLE_PATHS["1000g_samples"],
        quarantine=QUARANTINE_PATHS["1000g_samples"],
        report="results/reports/indices_to_sample_table.json",
    params:
        source=source_root("genomes_1000g"),
        index_patterns=INDEX_PATTERNS,
        population_patterns=POPULATION_PATTERNS,
    threads: rule_threads("indices_to_sample_table")
    resources:
        **rule_resources("indices_to_sample_table"),
    log:
        "logs/indices_to_sample_table.log",
    benchmark:
        "results/benchmarks/indices_to_sample_table.tsv"
    conda:
        "../envs/genomes.yaml"
    script:
        "../scripts/indices_to_sample_table.py"


rule summarise_1000g:
    input:
        master=rules.dirlists_to_master.output.table,
        samples=rules.indices_to_sample_table.output.table,
        master_ok=validation_report("1000g_master"),
        samples_ok=validation_report("1000g_samples"),
    output:
        summary="results/genomes/1000g_summary.json",
        plot=report(
            "results/genomes/samples_per_population.png",
            caption="../report/samples_per_population.rst",
            category="Genomes",
        ),
    threads: rule_threads("summarise_1000g")
    resources:
        **rule_resources("summarise_1000g"),
    log:
        "logs/summarise_1000g.log",
    benchmark:
        "results/benchmarks/summarise_1000g.tsv"
    conda:
        "../envs/genomes.yaml"
    script:
        "../scripts/summarise_1000g.py"


FINAL += rules.summarise_1000g.output
