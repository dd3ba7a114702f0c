# Scoring the runs without a label with a trained model.pt (src/astrobuild/learn/predict.py): the
# DVC `predict` stage. It reads the features store, the registry (which runs have no label) and the
# checkpoint: the workspace's (rule train's, or predict.model) or one read at a git revision
# (predict.rev, through dvc.api: then no workspace file is an input, and the revision is a param).
from astrobuild.contracts.products import PREDICT_OUTPUTS

PREDICT = config["predict"]


rule predict:
    input:
        model=[] if PREDICT["rev"] else (PREDICT["model"] or rules.train.output.model),
        features=TRAIN_PATHS["features"],
        features_ok=rules.check_features.output[0],
        registry=TRAIN_PATHS["registry"],
        registry_ok=validation_report("planet_runs"),
    output:
        predictions=PREDICT_OUTPUTS["predictions"],
        report=PREDICT_OUTPUTS["report"],
        manifest=PREDICT_OUTPUTS["manifest"],
    params:
        predict=PREDICT,
        # the model must have been trained for this (astrobuild.learn.predict.load_scorer)
        task={"task": config["train"]["task"], "target": config["train"]["target"]},
    threads: rule_threads("predict")
    resources:
        **rule_resources("predict"),
    log:
        "logs/predict.log",
    benchmark:
        "results/benchmarks/predict.tsv"
    conda:
        # envs/learn-gpu.yaml (torch's CUDA build) when the job asks for a GPU, else envs/learn.yaml
        learn_env("predict")
    script:
        "../scripts/predict.py"


PREDICT_TARGETS = list(rules.predict.output)
