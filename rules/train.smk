# The learning stage: the multi-modal model on the planet-run registry (src/astrobuild/learn).
# Not part of the data build (rule `build`, the DVC `build` stage); rule `all` builds both.
# It reads the features store (rules/features.smk) for every model input, the registry for the
# labels and the exoplanet table for the host stars the folds are grouped by: no cube is opened.
from astrobuild.contracts.products import TRAIN_OUTPUTS as TRAIN_OUTPUT_PATHS

TRAIN = config["train"]
TRAIN_PATHS = {  # plain strings: they are passed to the script as params too
    "registry": str(rules.planet_runs.output.table),
    "exoplanets": str(rules.exoplanet_archive_table.output.table),
    "features": str(rules.build_features.output.store),
}


rule train:
    input:
        features=TRAIN_PATHS["features"],
        features_ok=rules.check_features.output[0],
        registry=TRAIN_PATHS["registry"],
        registry_ok=validation_report("planet_runs"),
        exoplanets=TRAIN_PATHS["exoplanets"],
        exoplanets_ok=validation_report("exoplanets"),
    output:
        # The paths are declared once, in astrobuild.contracts.products.TRAIN_OUTPUTS.
        model=TRAIN_OUTPUT_PATHS["model"],
        metrics=TRAIN_OUTPUT_PATHS["metrics"],
        curves=TRAIN_OUTPUT_PATHS["curves"],
        predictions=TRAIN_OUTPUT_PATHS["predictions"],
        norm_stats=TRAIN_OUTPUT_PATHS["norm_stats"],
        report=TRAIN_OUTPUT_PATHS["report"],
        curves_plot=report(TRAIN_OUTPUT_PATHS["curves_plot"], caption="../report/train_curves.rst", category="Training"),
        confusion_plot=report(TRAIN_OUTPUT_PATHS["confusion_plot"], caption="../report/train_confusion.rst",
                            category="Training"),
        calibration_plot=report(TRAIN_OUTPUT_PATHS["calibration_plot"], caption="../report/train_calibration.rst",
                                category="Training"),
        manifest=TRAIN_OUTPUT_PATHS["manifest"],
    params:
        train=TRAIN,
        paths=TRAIN_PATHS,
    threads: rule_threads("train")
    resources:
        **rule_resources("train"),
    log:
        "logs/train.log",
    benchmark:
        "results/benchmarks/train.tsv"
    conda:
        # envs/learn-gpu.yaml (torch's CUDA build) when the job asks for a GPU, else envs/learn.yaml
        learn_env("train")
    script:
        "../scripts/train.py"


TRAIN_TARGETS = list(rules.train.output)
