# Provenance of the dataset version (issue 20; logic: src/astrobuild/provenance, docs/provenance.md):
# a Provenance Run Crate, the dataset card and the jobs' run times, in results/provenance/.
#
# Written last, after results/manifest.json: the crate records the manifest's sha256, so its files
# cannot be in the manifest; rules/versioning.smk leaves results/provenance out of what the manifest
# lists and of its check for stray files. DVC versions the folder with the build (dvc.yaml).
import functools
import platform

from snakemake import __version__ as SNAKEMAKE_VERSION

from astrobuild.contracts.products import PROVENANCE_OUTPUTS
from astrobuild.provenance.snakemake_rules import build_plan, installed_versions, relative, rule_files

# Not jobs of the data build: the targets, the check, the learning stage, and this rule.
NOT_BUILD_RULES = {"all", "build", "verify", "train", "write_provenance"}
# A run's own records, never in the crate: the rules' benchmark files and the conversions' timings
# (results/benchmarks/, left out of DVC by .dvcignore; its patterns too).
RUN_SPECIFIC = ["/results/benchmarks/", *VERSIONED_IGNORE]
PROVENANCE_TARGETS = [PROVENANCE_OUTPUTS[name] for name in ("crate", "card", "card_html", "times")]
BUILD_RULES = [r for r in workflow.rules if r.name not in NOT_BUILD_RULES]
# The workflow's text: the Snakefile, then every file it includes but those that define only rules of no
# build (rules/train.smk: an edit to training must leave the build's files alone); and what the build's
# rules run.
_OTHER_RULE_FILES = {relative(r.snakefile, workflow.basedir) for r in workflow.rules} - {
    relative(r.snakefile, workflow.basedir) for r in BUILD_RULES}
WORKFLOW_FILES = ["Snakefile", *sorted(
    {relative(f.get_path_or_uri(secret_free=False), workflow.basedir) for f in workflow.included}
    - {"Snakefile"} - _OTHER_RULE_FILES)]
PROVENANCE_CODE = sorted(
    {*WORKFLOW_FILES, "constraints.txt"}
    | {f for r in BUILD_RULES for k, f in rule_files(r, workflow.basedir).items() if k != "snakefile"}
)
# The build's jobs, from its rules (astrobuild.provenance.jobs): what Snakemake's DAG runs for the build's
# products and the manifest. Asked for only when the DAG has this rule's job, after every rule is defined.
provenance_plan = functools.cache(lambda: build_plan(BUILD_RULES, [*BUILD_PRODUCTS, MANIFEST], workflow.basedir))


rule write_provenance:
    input:
        # Every versioned product and the manifest: this rule runs after them all.
        manifest=MANIFEST,
        products=[p for p in REQUIRED_PRODUCTS if p != MANIFEST],
        metrics=rules.write_build_metrics.output.metrics,
        quarantine=rules.write_build_metrics.input.quarantine,
        # The code the crate records the checksums of: an edit rewrites the crate.
        code=PROVENANCE_CODE,
    output:
        crate=PROVENANCE_OUTPUTS["crate"],
        card=PROVENANCE_OUTPUTS["card"],
        card_html=report(PROVENANCE_OUTPUTS["card_html"], caption="../report/dataset_card.rst", category="Provenance"),
        times=PROVENANCE_OUTPUTS["times"],
    params:
        plan=lambda wc: provenance_plan(),
        installed=lambda wc: installed_versions(),
        python=platform.python_version(),
        snakemake_version=SNAKEMAKE_VERSION,
        pooling_keys=list(POOLING_KEYS),
        workflow_files=WORKFLOW_FILES,
        run_specific=RUN_SPECIFIC,
        tables=lambda wc: {t: str(TABLES[t]) for t in sorted(TABLES)},
        quarantine={source: [str(p) for p in paths] for source, paths in QUARANTINE_BY_SOURCE.items()},
    threads: rule_threads("write_provenance")
    resources:
        **rule_resources("write_provenance"),
    log:
        "logs/write_provenance.log",
    benchmark:
        "results/benchmarks/write_provenance.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/write_provenance.py"
