import re


rule validate_table:
    input:
        table=lambda wc: TABLE_PATHS[wc.table],
    output:
        "results/validation/{table}.json",
    threads: rule_threads("validate_table")
    resources:
        **rule_resources("validate_table"),
    log:
        "logs/validate_table/{table}.log",
    benchmark:
        "results/benchmarks/validate_table/{table}.tsv"
    wildcard_constraints:
        # Exactly the tables of the catalogue, so the store reports beside them
        # (results/validation/climate_<stem>.json) never match here.
        table="|".join(re.escape(t) for t in sorted(CATALOGUE)),
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/validate_table.py"
