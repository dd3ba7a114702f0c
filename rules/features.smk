# The features store (src/astrobuild/features): every run's model inputs pooled once, so that no
# training, fold or `dvc exp run` reads a cube again. One pooling job per climate conversion batch
# (the same content-cut batches, so a cube added reruns its own batch: a killed build redoes only
# the unfinished ones), then one merge into data/processed/features, then its contract.
# The pooling settings are the `train` keys of astrobuild.features.config.POOLING_KEYS (params of
# the DVC build stage); every other `train` key is the train stage's alone.
from astrobuild.contracts.products import FEATURES_STORE
from astrobuild.features.config import POOLING_KEYS

FEATURES_CHECK = "results/validation/features/features.json"
POOLING = {key: config["train"][key] for key in POOLING_KEYS}
# Named after each batch's first cube, not its number: a batch added before it renames nothing.
FEATURE_BATCHES = {stems[0]: stems for stems in CLIMATE_BATCHES}
FEATURE_INPUTS = dict(
    registry=TABLE_PATHS["planet_runs"],
    registry_ok=validation_report("planet_runs"),
    graphs=rules.edges_to_graphs.output.files,
    graphs_ok=rules.check_kegg_graphs.output[0],
    spectra=TABLE_PATHS["spectra"],
    spectra_ok=validation_report("spectra"),
    exoplanets=TABLE_PATHS["exoplanets"],
    exoplanets_ok=validation_report("exoplanets"),
    # the planets of runs the archive lacks, with their planet columns (rule planet_runs)
    hypothetical_planets=rules.planet_runs.output.hypothetical_planets,
)


rule pool_features:
    input:
        **FEATURE_INPUTS,
        stores=lambda wc: [CLIMATE_STORES[s] for s in FEATURE_BATCHES[wc.first]],
    output:
        "data/interim/features/batch_{first}.npz",
    params:
        train=POOLING,
        stores=lambda wc: [CLIMATE_STORES[s] for s in FEATURE_BATCHES[wc.first]],
    threads: rule_threads("pool_features")
    resources:
        **rule_resources("pool_features"),
    log:
        "logs/pool_features/{first}.log",
    benchmark:
        "results/benchmarks/pool_features/{first}.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/pool_features.py"


rule build_features:
    input:
        batches=expand("data/interim/features/batch_{first}.npz", first=sorted(FEATURE_BATCHES)),
    output:
        store=directory(FEATURES_STORE.path),
    threads: rule_threads("build_features")
    resources:
        **rule_resources("build_features"),
    log:
        "logs/build_features.log",
    benchmark:
        "results/benchmarks/build_features.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/build_features.py"


rule check_features:
    input:
        store=rules.build_features.output.store,
        registry=TABLE_PATHS["planet_runs"],
    output:
        # beside the graph store's check, not among the tables' reports (results/validation/<table>.json)
        FEATURES_CHECK,
    params:
        train=POOLING,
    threads: rule_threads("check_features")
    resources:
        **rule_resources("check_features"),
    log:
        "logs/check_features.log",
    benchmark:
        "results/benchmarks/check_features.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/check_features.py"


FINAL.append(FEATURES_CHECK)
