rule generate_sample:
    output:
        directory(SAMPLE_DIR),
    params:
        scale=config["sample"]["scale"],
        seed=config["sample"]["seed"],
        # Only the climate sample has this knob: the other sources' jobs keep their params (no rerun).
        time_steps=lambda wc: config["sample"]["time_steps"] if wc.source == "climate" else None,
    threads: rule_threads("generate_sample")
    resources:
        **rule_resources("generate_sample"),
    log:
        "logs/generate_sample/{source}.log",
    benchmark:
        "results/benchmarks/generate_sample/{source}.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/generate_sample.py"
