# The learning stage: the multi-modal model on the planet-run registry (src/astrobuild/learn).
# Not part of the data build (rule `build`, the DVC `build` stage); rule `all` builds both.
# Only the products of the selected modalities are inputs (the exoplanet table always: the
# logistic baseline reads it), so a change of a dropped modality's products alone does not
# rerun training.
from astrobuild.contracts.products import TRAIN_OUTPUTS as TRAIN_OUTPUT_PATHS

TRAIN = config["train"]
TRAIN_PATHS = {  # plain strings: they are passed to the script as params too
    "registry": str(rules.planet_runs.output.table),
    "exoplanets": str(rules.exoplanet_archive_table.output.table),
    "spectra": str(rules.spectra_table.output.table),
    "graphs": GRAPH_STORE,
}


# Inputs of the selected modalities only.
TRAIN_MODALITY_INPUTS = {}
if "climate" in TRAIN["modalities"]:
    TRAIN_MODALITY_INPUTS["stores"] = sorted(CLIMATE_STORES.values())
if "bio_graph" in TRAIN["modalities"]:
    TRAIN_MODALITY_INPUTS.update(graphs=rules.edges_to_graphs.output.files, graphs_ok=rules.check_kegg_graphs.output[0])
if "spectrum" in TRAIN["modalities"]:
    TRAIN_MODALITY_INPUTS.update(spectra=TRAIN_PATHS["spectra"], spectra_ok=validation_report("spectra"))


rule train:
    input:
        unpack(lambda wc: TRAIN_MODALITY_INPUTS),
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
        "../envs/learn.yaml"
    script:
        "../scripts/train.py"


TRAIN_TARGETS = list(rules.train.output)
