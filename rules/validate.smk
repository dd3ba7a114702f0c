rule validate_table:
    input:
        table=lambda wc: TABLES[wc.table],
    output:
        "results/validation/{table}.json",
    log:
        "logs/validate_table/{table}.log",
    benchmark:
        "results/benchmarks/validate_table/{table}.tsv"
    wildcard_constraints:
        table="[^/]+",
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/validate_table.py"
