# KEGG: KGML -> reaction edges; BRITE -> tags; overview maps -> members; -> env vectors -> graph store.
import os

from astrobuild.contracts.products import GRAPH_STORE as GRAPH_STORE_PRODUCT
from astrobuild.contracts.products import graph_store_files

# File patterns of a local folder: astrobuild.registry (the kegg source).
KGML_PATTERNS = source_patterns("kegg", "kgml")
BRITE_PATTERNS = source_patterns("kegg", "brite")
LINK_PATTERNS = source_patterns("kegg", "links")
# The REST lists are optional: their tables are built only where the source has them (the catalogue).
LIST_PATTERNS = list(CATALOGUE["kegg_pathway_list"].only_with_files)


rule kegg_to_edges:
    input:
        raw_inputs("kegg", KGML_PATTERNS, remote=["pathways"]),
    output:
        table=TABLE_PATHS["kegg_edges"],
        quarantine=QUARANTINE_PATHS["kegg_edges"],
        report="results/reports/kegg_to_edges.json",
    params:
        source=source_root("kegg"),
        patterns=KGML_PATTERNS,
    threads: rule_threads("kegg_to_edges")
    resources:
        **rule_resources("kegg_to_edges"),
    log:
        "logs/kegg_to_edges.log",
    benchmark:
        "results/benchmarks/kegg_to_edges.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/kegg_to_edges.py"


rule brite_to_env_tags:
    input:
        optional_raw_inputs("kegg", BRITE_PATTERNS, remote=["lists"]),
    output:
        table=TABLE_PATHS["kegg_env_tags"],
        quarantine=QUARANTINE_PATHS["kegg_env_tags"],
        report="results/reports/brite_to_env_tags.json",
    params:
        source=source_root("kegg"),
        patterns=BRITE_PATTERNS,
    threads: rule_threads("brite_to_env_tags")
    resources:
        **rule_resources("brite_to_env_tags"),
    log:
        "logs/brite_to_env_tags.log",
    benchmark:
        "results/benchmarks/brite_to_env_tags.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/brite_to_env_tags.py"


rule overview_map_members:
    input:
        optional_raw_inputs("kegg", KGML_PATTERNS + LINK_PATTERNS),
    output:
        table=TABLE_PATHS["kegg_overview_members"],
        quarantine=QUARANTINE_PATHS["kegg_overview_members"],
        report="results/reports/overview_map_members.json",
    params:
        source=source_root("kegg"),
        kgml_patterns=KGML_PATTERNS,
        link_patterns=LINK_PATTERNS,
        overview_pattern=config["kegg"]["overview_pattern"],
    threads: rule_threads("overview_map_members")
    resources:
        **rule_resources("overview_map_members"),
    log:
        "logs/overview_map_members.log",
    benchmark:
        "results/benchmarks/overview_map_members.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/overview_map_members.py"


rule parse_kegg_lists:
    input:
        optional_raw_inputs("kegg", LIST_PATTERNS, remote=["lists"]),
    output:
        pathways=TABLE_PATHS["kegg_pathway_list"],
        genes=TABLE_PATHS["kegg_gene_list"],
        quarantine=QUARANTINE_PATHS["kegg_pathway_list"],
        report="results/reports/parse_kegg_lists.json",
    params:
        source=source_root("kegg"),
        patterns=LIST_PATTERNS,
    threads: rule_threads("parse_kegg_lists")
    resources:
        **rule_resources("parse_kegg_lists"),
    log:
        "logs/parse_kegg_lists.log",
    benchmark:
        "results/benchmarks/parse_kegg_lists.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/parse_kegg_lists.py"


rule make_env_vectors:
    input:
        edges=rules.kegg_to_edges.output.table,
        tags=rules.brite_to_env_tags.output.table,
        overview=rules.overview_map_members.output.table,
        mapping=config["kegg"]["env_mapping"],
        edges_ok=validation_report("kegg_edges"),
        tags_ok=validation_report("kegg_env_tags"),
        overview_ok=validation_report("kegg_overview_members"),
    output:
        table=TABLE_PATHS["env_vectors"],
        report="results/reports/make_env_vectors.json",
    threads: rule_threads("make_env_vectors")
    resources:
        **rule_resources("make_env_vectors"),
    log:
        "logs/make_env_vectors.log",
    benchmark:
        "results/benchmarks/make_env_vectors.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/make_env_vectors.py"


# The graph store's files, one by one (not the folder as a directory() output), so that Snakemake
# rebuilds the store when any of them is missing. Rules that read it take its folder from those files.
GRAPH_STORE = GRAPH_STORE_PRODUCT.path


rule edges_to_graphs:
    input:
        edges=rules.kegg_to_edges.output.table,
        env=rules.make_env_vectors.output.table,
        env_ok=validation_report("env_vectors"),
    output:
        files=graph_store_files(),
        graphml=[directory(f"{GRAPH_STORE}/graphml")] if config["kegg"]["graphml"] else [],
    params:
        # The store's folder, from its files (Snakemake's lint: a path prefix is derived, not hard-coded).
        store=lambda wc, output: os.path.dirname(output.files[0]),
        graphml=config["kegg"]["graphml"],
    threads: rule_threads("edges_to_graphs")
    resources:
        **rule_resources("edges_to_graphs"),
    log:
        "logs/edges_to_graphs.log",
    benchmark:
        "results/benchmarks/edges_to_graphs.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/edges_to_graphs.py"


# The graph store is not one table: its check is its own rule, writing the same kind of report
# (in a subfolder, so that validate_table's results/validation/{table}.json never claims it).
rule check_kegg_graphs:
    input:
        store=rules.edges_to_graphs.output.files,
        edges=rules.kegg_to_edges.output.table,
        env=rules.make_env_vectors.output.table,
    output:
        "results/validation/graphs/kegg_graphs.json",
    params:
        store=lambda wc, input: os.path.dirname(input.store[0]),
    threads: rule_threads("check_kegg_graphs")
    resources:
        **rule_resources("check_kegg_graphs"),
    log:
        "logs/check_kegg_graphs.log",
    benchmark:
        "results/benchmarks/check_kegg_graphs.tsv"
    conda:
        "../envs/kegg.yaml"
    script:
        "../scripts/check_kegg_graphs.py"



FINAL += rules.check_kegg_graphs.output
