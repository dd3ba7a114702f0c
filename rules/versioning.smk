# Dataset versions (DVC): the build manifest, and build timestamps for files
# DVC restored. See src/astrobuild/versioning/manifest.py for the design.
#
# What DVC versions is the `build` stage's `outs` in dvc.yaml (its folders and
# files, minus .dvcignore): the manifest covers exactly that list, read from
# dvc.yaml, so there is one list to edit. The train stage's files have their own
# manifest, written by rule train (results/train/manifest.json).
import sys
from pathlib import Path

from astrobuild.versioning.manifest import (
    hold_workdir_lock,
    ignore_patterns,
    outside,
    restore_build_times,
    restore_stage_times,
    stage_outs,
)
from astrobuild.contracts.products import PROVENANCE_DIR
from astrobuild.versioning.products import rule_products, versioned

MANIFEST = "results/manifest.json"
# Files known to be as a build left them (size, mtime, inode, sha256): never retimed.
MANIFEST_STATE = ".snakemake/astrobuild_manifest_state.json"
# Held by each main Snakemake process for its life (astrobuild.versioning.manifest.hold_workdir_lock).
WORKDIR_LOCK = ".snakemake/astrobuild_workdir.lock"
# Less results/provenance (rules/provenance.smk): the crate there records the manifest's sha256, so it is
# written after the manifest and cannot be listed in it; it has its own checksums and check.
VERSIONED = [o for o in stage_outs(Path(workflow.basedir) / "dvc.yaml") if o != PROVENANCE_DIR] \
    if (Path(workflow.basedir) / "dvc.yaml").is_file() else []
VERSIONED_IGNORE = ignore_patterns(Path(workflow.basedir) / ".dvcignore")
# What the build makes, from its rules (astrobuild.versioning.products): every output of the rules
# that make its targets, tables and stores, and of the rules that make their inputs. This file is
# included last, so every rule of the build is defined by now. The versioned ones (under dvc.yaml's
# outs, not ignored) are inputs of the target rules (Snakefile) and what write_manifest lists.
BUILD_PRODUCTS = rule_products(
    {r.name: ([str(f) for f in r.output], [str(f) for f in r.input if isinstance(f, str)]) for r in workflow.rules},
    [*final_targets(), *TABLES.values(), *STORES.values()],
)
# The products made from raw data (the generated sample and remote downloads are raw data themselves).
MADE_PRODUCTS = [p for p in BUILD_PRODUCTS if not p.startswith((f"{SAMPLE_ROOT}/", f"{REMOTE_ROOT}/"))]
# What the target rules require, so that a deleted one is rebuilt: what DVC versions (neither the raw
# sample nor the timings, which a `dvc pull` does not bring: requiring them would rebuild the pulled
# data); in a bare copy of the workflow without dvc.yaml, every product made from raw data.
VERSIONED_PRODUCTS = versioned(BUILD_PRODUCTS, VERSIONED, VERSIONED_IGNORE)
REQUIRED_PRODUCTS = VERSIONED_PRODUCTS if VERSIONED else MADE_PRODUCTS


# dvc.yaml lists the build's result folders one by one (results/train is the train stage's):
# a product of the build outside them (raw data aside) would silently not be versioned, so say so now.
if VERSIONED:
    _unversioned = outside(MADE_PRODUCTS, VERSIONED, VERSIONED_IGNORE) + outside(
        TRAIN_TARGETS, stage_outs(Path(workflow.basedir) / "dvc.yaml", "train", ("outs", "metrics", "plots")))
    if _unversioned:
        raise ValueError(
            f"dvc.yaml: build product(s) {_unversioned[:10]} lie under no `outs` of their DVC stage "
            "(`build`, or `train` for results/train): add their folder to the stage's outs")
# Raw inputs a user keeps inside the checkout (local mode, tracked with `dvc add`)
# are recorded too, so that they also get their build timestamps back after a pull.
LOCAL_INPUT_DIRS = sorted(
    src["path"]
    for src in config["sources"].values()
    if src.get("mode") == "local" and not Path(src["path"]).is_absolute()
)

# A side effect while the workflow is read, on purpose: Snakemake decides what is outdated
# from modification times when it builds the DAG, right after reading this file, and no rule
# can run before that. After a `dvc pull`/`dvc checkout` (files stamped in checkout order, an
# input newer than its output) the times must be put back first, or Snakemake would plan to
# rebuild products byte-identical to what it would make. A dry run (-n) does it too, so that
# it shows what a real run would do. Only the main Snakemake process touches timestamps (not
# cluster/job subprocesses), only files whose bytes match the manifest (a real change keeps
# its time), and only backwards; the state of checked files is kept in MANIFEST_STATE, inside
# Snakemake's own .snakemake/. When nothing is stale (a clean checkout, no manifest yet; or a
# finished build) no file outside .snakemake/ is touched: tests/unit/test_rules.py and
# tests/integration/test_workflow.py check it for --lint and -n.
# A second Snakemake started while one runs here must not retime the files that one is writing: the
# restore runs only in the process holding WORKDIR_LOCK (a run beside it skips it and says so).
if workflow.is_main_process and not workflow.touch:
    if not hold_workdir_lock(WORKDIR_LOCK):
        print(
            "astrobuild: another Snakemake run is in progress in this folder: build timestamps were not "
            f"aligned to {MANIFEST} (that run may be writing those files)",
            file=sys.stderr,
        )
    else:
        _restored = restore_build_times(MANIFEST, state_path=MANIFEST_STATE)
        # Then the train stage's files (a model pulled with the data it was trained on): see
        # astrobuild.versioning.manifest.restore_stage_times.
        _train_restored = restore_stage_times(rules.train.output.manifest, state_path=MANIFEST_STATE)
        if _train_restored["retimed"] or _train_restored["changed"] or _train_restored["missing"]:
            print(
                f"astrobuild: training outputs: {_train_restored['retimed']} file(s) aligned to their inputs' "
                f"time; {_train_restored['changed']} changed and {_train_restored['missing']} missing since "
                f"{rules.train.output.manifest} was written (any: the model is retrained)",
                file=sys.stderr,
            )
        # And the predict stage's, after the model they were scored with.
        _predict_restored = restore_stage_times(rules.predict.output.manifest, state_path=MANIFEST_STATE)
        if _predict_restored["changed"] or _predict_restored["missing"]:
            print(
                f"astrobuild: predictions: {_predict_restored['changed']} file(s) changed and "
                f"{_predict_restored['missing']} missing since {rules.predict.output.manifest} was written "
                "(the runs are scored again)",
                file=sys.stderr,
            )
        if _restored["retimed"]:
            print(
                f"astrobuild: aligned the timestamps of {_restored['retimed']} file(s) byte-identical "
                f"to the build recorded in {MANIFEST} (changed: {_restored['changed']}, "
                f"missing: {_restored['missing']}; those keep theirs)",
                file=sys.stderr,
            )


rule write_manifest:
    input:
        # Every versioned product of the build (the manifest itself excepted): it is written last, and
        # refuses to list a missing product or a file no rule made (a killed job's temporary store).
        products=[p for p in VERSIONED_PRODUCTS if p != MANIFEST],
        targets=lambda wc: [t for t in final_targets() if t != MANIFEST],
    output:
        MANIFEST,
    params:
        roots=VERSIONED,
        ignore=VERSIONED_IGNORE,
        input_roots=LOCAL_INPUT_DIRS,
        state=MANIFEST_STATE,
    threads: rule_threads("write_manifest")
    resources:
        **rule_resources("write_manifest"),
    log:
        "logs/write_manifest.log",
    benchmark:
        "results/benchmarks/write_manifest.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/write_manifest.py"


FINAL.append(MANIFEST)


# `snakemake --cores N verify` (or `make verify`): are the files on disk the bytes the build
# recorded? Run after a `dvc pull`, a copy or a restore. No output, so it runs whenever asked
# and never triggers a rebuild first (a rebuild would hide the damage it should report).
rule verify:
    params:
        manifest=MANIFEST,
        roots=VERSIONED,
        ignore=VERSIONED_IGNORE,
    localrule: True
    threads: rule_threads("verify")
    resources:
        **rule_resources("verify"),
    log:
        "logs/verify.log",
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/verify.py"
