# Organisms: GenBank genomes (+ GTDB taxonomy, + KO annotation tables) -> organisms table;
# x the kegg source's KO/EC -> pathway links -> the pathways each genome has (organism_pathways).
from astrobuild.organisms.files import ANNOTATION_PATTERNS, GENBANK_PATTERNS, GTDB_PATTERNS

# organism_pathways is built only where the kegg source has KO/EC -> pathway link files (the catalogue).
PATHWAY_LINK_PATTERNS = list(CATALOGUE["organism_pathways"].only_with_files)


rule genomes_table:
    input:
        genbank=raw_inputs("organisms", list(GENBANK_PATTERNS)),
        gtdb=optional_raw_inputs("organisms", list(GTDB_PATTERNS)),
        annotations=optional_raw_inputs("organisms", list(ANNOTATION_PATTERNS)),
    output:
        table=TABLE_PATHS["organisms"],
        quarantine=QUARANTINE_PATHS["organisms"],
        report="results/reports/genomes_table.json",
    params:
        source=source_root("organisms"),
    threads: rule_threads("genomes_table")
    resources:
        **rule_resources("genomes_table"),
    log:
        "logs/genomes_table.log",
    benchmark:
        "results/benchmarks/genomes_table.tsv"
    conda:
        "../envs/organisms.yaml"
    script:
        "../scripts/genomes_table.py"


rule organisms_to_pathways:
    input:
        organisms=TABLE_PATHS["organisms"],
        organisms_ok=validation_report("organisms"),
        links=raw_inputs("kegg", PATHWAY_LINK_PATTERNS),
    output:
        table=TABLE_PATHS["organism_pathways"],
        quarantine=QUARANTINE_PATHS["organism_pathways"],
        report="results/reports/organisms_to_pathways.json",
    params:
        source=source_root("kegg"),
        min_coverage=config["organisms"]["min_coverage"],
    threads: rule_threads("organisms_to_pathways")
    resources:
        **rule_resources("organisms_to_pathways"),
    log:
        "logs/organisms_to_pathways.log",
    benchmark:
        "results/benchmarks/organisms_to_pathways.tsv"
    conda:
        "../envs/organisms.yaml"
    script:
        "../scripts/organisms_to_pathways.py"

