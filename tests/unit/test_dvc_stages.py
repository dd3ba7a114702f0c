"""The DVC build stage depends on what the build runs, and on nothing of the learning stage, so an
edit to the model never rebuilds the data (the DVC run of it: tests/integration/test_dvc_workflow.py)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import PurePosixPath

import yaml

from tests.workflow import REPO

PACKAGE = REPO / "src" / "astrobuild"
# The learning stage's own files: deps of the train stage (and of predict: PREDICT_ONLY), never of the build.
TRAIN_ONLY = {"src/astrobuild/learn", "rules/train.smk", "scripts/train.py", "envs/learn.yaml", "envs/learn-gpu.yaml"}
PREDICT_ONLY = {"src/astrobuild/learn", "rules/predict.smk", "scripts/predict.py", "envs/learn.yaml",
                "envs/learn-gpu.yaml"}
# Package modules that no rule runs (the docs generator, `make docs`).
NOT_RUN = {"src/astrobuild/docs.py"}


def stage_deps(stage: str) -> list[str]:
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    return [str(PurePosixPath(d)) for d in spec["stages"][stage]["deps"]]


def build_files() -> set[str]:
    """What the build can run: the Snakefile, every rule file, script and env, and the package's top-level
    modules and subpackages, less the train stage's own files."""
    files = {"Snakefile"}
    files |= {f"rules/{p.name}" for p in (REPO / "rules").glob("*.smk")}
    files |= {f"scripts/{p.name}" for p in (REPO / "scripts").glob("*.py")}
    files |= {f"envs/{p.name}" for p in (REPO / "envs").glob("*.yaml")}
    files |= {f"src/astrobuild/{p.name}" for p in PACKAGE.iterdir()
              if (p.is_dir() and (p / "__init__.py").is_file()) or p.suffix == ".py"}
    return files - TRAIN_ONLY - PREDICT_ONLY - NOT_RUN


def test_the_build_stage_depends_on_what_the_build_runs_and_on_no_training_file():
    deps = set(stage_deps("build"))
    missing, extra = sorted(build_files() - deps), sorted(deps & (TRAIN_ONLY | PREDICT_ONLY | NOT_RUN))
    assert not missing, f"dvc.yaml: add to the build stage's deps: {missing}"
    assert not extra, f"dvc.yaml: the build stage must not depend on {extra} (an edit there would rebuild the data)"
    assert {"schemas", "constraints.txt", ".dvcignore", "config/kegg_env.yaml"} <= deps
    for stage, own in (("train", TRAIN_ONLY), ("predict", PREDICT_ONLY)):
        deps_of = [PurePosixPath(d) for d in stage_deps(stage)]
        uncovered = [f for f in sorted(own) if not any(d == PurePosixPath(f) or d in PurePosixPath(f).parents
                                                       for d in deps_of)]
        assert not uncovered, f"dvc.yaml: the {stage} stage must depend on {uncovered}"


def test_no_module_the_build_runs_imports_the_learning_stage():
    modules = sorted(m.name for m in pkgutil.walk_packages([str(PACKAGE)], "astrobuild.")
                     if not m.name.startswith("astrobuild.learn") and m.name != "astrobuild.docs")
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('astrobuild.learn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
    for script in sorted((REPO / "scripts").glob("*.py")):
        if f"scripts/{script.name}" not in TRAIN_ONLY | PREDICT_ONLY:
            assert "astrobuild.learn" not in script.read_text(encoding="utf-8"), script.name


def test_each_stage_runs_its_own_snakemake_target():
    """Read with Snakemake's own parser: a rule list option (--forcerun, --allowed-rules) takes every
    word after it, so a target written after one without `--` is swallowed and the stage would run
    the default target `all` (the build stage training and predicting)."""
    import shlex

    from snakemake.cli import get_argument_parser

    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    parser = get_argument_parser()
    for stage in ("build", "train", "predict"):
        words = shlex.split(spec["stages"][stage]["cmd"])
        assert words[0] == "snakemake", stage
        assert list(parser.parse_args(words[1:]).targets) == [stage], f"dvc.yaml: stage {stage} runs {words}"
