# astrobuild: raw public science data -> validated, versioned, model-ready datasets.
# Rules live in rules/*.smk, logic in src/astrobuild, config defaults in schemas/.
import re

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/sample.smk"
include: "rules/genomes.smk"
include: "rules/kegg.smk"
include: "rules/organisms.smk"
include: "rules/climate.smk"
include: "rules/exoplanets.smk"
include: "rules/spectra.smk"
# After the chains: the fetch rules write where remote mode's parsing rules read (climate.smk's cubes).
include: "rules/fetch.smk"
include: "rules/planet_runs.smk"
include: "rules/features.smk"
include: "rules/validate.smk"
include: "rules/quality.smk"
include: "rules/plots.smk"
include: "rules/metrics.smk"
include: "rules/train.smk"
include: "rules/predict.smk"
include: "rules/versioning.smk"
# Last: its rule runs after the manifest and records the build's rules and products (rules/versioning.smk).
include: "rules/provenance.smk"


# The workflow's wildcard constraints, in one place (validate_table's `table` is its own: exactly
# the registered tables).
wildcard_constraints:
    source="|".join(SOURCES),
    first="|".join(map(re.escape, FEATURE_BATCHES)) or "(?!)",  # pool_features: a batch's first cube


# Every versioned product (REQUIRED_PRODUCTS, rules/versioning.smk) is an input of the target rules: Snakemake
# looks for a missing file only among a target's inputs and the inputs of jobs that run anyway, so a
# deleted store, table or report that no later job needs would otherwise never be rebuilt. The provenance
# files (PROVENANCE_TARGETS, rules/provenance.smk) come after the manifest and are required here too.
rule all:
    input:
        final_targets(),
        REQUIRED_PRODUCTS,
        PROVENANCE_TARGETS,
        TRAIN_TARGETS,
        PREDICT_TARGETS,
    threads: rule_threads("all")
    resources:
        **rule_resources("all"),
    default_target: True


# The data build alone (the DVC `build` stage): everything but the learning stage.
rule build:
    input:
        final_targets(),
        REQUIRED_PRODUCTS,
        PROVENANCE_TARGETS,
    threads: rule_threads("build")
    resources:
        **rule_resources("build"),


# Every key of config `resources` names a rule defined above (or a group of them).
check_resource_names(config["resources"], [r.name for r in workflow.rules])
