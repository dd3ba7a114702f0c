"""Each rule's conda environment holds what the rule imports, pinned as constraints.txt pins the venv.

With ``--use-conda`` a rule's script runs in the environment its ``conda:`` names. Snakemake
appends the host's ``sys.path`` to the script's, so on the machine that made the venv a missing
package is found there and nothing fails; on a cluster node without that venv the job dies.
These tests read, for every rule with ``conda:`` and ``script:``, the imports of the script and,
transitively, of the astrobuild modules it reaches (``ast``, no import executed), map them to
distributions (``importlib.metadata.packages_distributions``) and check them against the env file.

What counts as reached: module-level imports; a module named in a string constant, or built by name
(the sample generators, ``DYNAMIC_IMPORTS``); and an import inside a function when that
function's name is used anywhere in the reached code (``store.to_torch()`` reaches ``to_torch``'s
``import torch``; a rule that never names ``to_torch`` does not need torch).
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from astrobuild.registry import SOURCES
from astrobuild.resources import LEARN_ENVS, learn_env
from tests.unit.test_rules import RULE_FILES, rule_blocks
from tests.workflow import REPO

SRC = REPO / "src"
PACKAGE = "astrobuild"


@dataclass
class _Source:
    """What one Python file imports and names."""

    imports: set[str] = field(default_factory=set)  # executed on import: module level
    local_imports: set[tuple[str, str]] = field(default_factory=set)  # (enclosing function, module)
    names: set[str] = field(default_factory=set)  # identifiers and attributes used


class _Scanner(ast.NodeVisitor):
    def __init__(self, package: str, root: str) -> None:
        self.package, self.functions, self.found = package, [], _Source()
        self.module_name = re.compile(rf"{root}(?:\.\w+)+")

    def _record(self, module: str) -> None:
        if self.functions:
            self.found.local_imports.add((self.functions[-1], module))
        else:
            self.found.imports.add(module)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._record(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self.package.split(".")[: len(self.package.split(".")) - node.level + 1] if node.level else []
        module = ".".join([*base, *([node.module] if node.module else [])])
        self._record(module)
        for alias in node.names:  # `from pkg import sub` may import a submodule
            self._record(f"{module}.{alias.name}")
            self.found.names.add(alias.name)

    def visit_Name(self, node: ast.Name) -> None:
        self.found.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.found.names.add(node.attr)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and self.module_name.fullmatch(node.value):
            self._record(node.value)  # a module imported by name (importlib)


@functools.cache
def _scan(path: Path, package: str, root: str) -> _Source:
    scanner = _Scanner(package, root)
    scanner.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return scanner.found


def _module_file(module: str, src: Path) -> tuple[Path, str] | None:
    """The file of a first-party module and the package its relative imports start from."""
    path = src.joinpath(*module.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py", module
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py"), module.rpartition(".")[0]
    return None


# Modules a package imports by a name it builds (importlib): astrobuild.sample runs the generator of
# each source, named in the registry by its last name only.
DYNAMIC_IMPORTS = {"astrobuild.sample": [f"astrobuild.sample.{s.generator}" for s in SOURCES.values()]}


def third_party_imports(script: Path, src: Path = SRC, package: str = PACKAGE) -> set[str]:
    """Modules outside the standard library and ``package`` that running ``script`` may import."""
    scanned: dict[Path, _Source] = {}
    queue: list[tuple[Path, str]] = [(script, "")]
    third: set[str] = set()
    names: set[str] = set()
    done_local: set[tuple[Path, str, str]] = set()

    def reach(module: str) -> None:
        top = module.split(".")[0]
        for dynamic in DYNAMIC_IMPORTS.get(module, ()):
            reach(dynamic)
        if top == package:
            parts = module.split(".")
            for end in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
                found = _module_file(".".join(parts[:end]), src)
                if found and found[0] not in scanned:
                    queue.append(found)
        elif top not in sys.stdlib_module_names and top != "__future__":
            third.add(module)

    while True:
        while queue:
            path, pkg = queue.pop()
            if path in scanned:
                continue
            scanned[path] = source = _scan(path, pkg, package)
            names |= source.names
            for module in source.imports:
                reach(module)
        pending = [(path, function, module) for path, source in scanned.items()
                   for function, module in source.local_imports
                   if function in names and (path, function, module) not in done_local]
        if not pending:
            return third
        for key in pending:
            done_local.add(key)
            reach(key[2])


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return md.packages_distributions()  # reads every installed distribution's file list: once


@functools.cache
def distribution_of(module: str) -> str | None:
    """The installed distribution (canonical name) that provides ``module``, or None."""
    top = module.split(".")[0]
    candidates = _packages_distributions().get(top, [])
    if len(candidates) > 1:  # a namespace package (google.*): the one whose files hold the module
        stem = module.replace(".", "/")
        candidates = [name for name in candidates
                      if any(str(f).startswith((stem + "/", stem + ".")) for f in md.files(name) or [])]
    return canonicalize_name(candidates[0]) if len(candidates) == 1 else None


def script_rules() -> dict[str, tuple[Path, Path | None]]:
    """Rule name -> (script, conda env file or None), read from the rule files."""
    rules = {}
    for rule_file in RULE_FILES:
        for name, body in rule_blocks(rule_file.read_text()).items():
            script = re.search(r"^\s+script:\s*\n\s+\"([^\"]+)\"", body, re.M)
            if script:
                env = re.search(r"^\s+conda:\s*\n(?:\s+#.*\n)*\s+\"([^\"]+)\"", body, re.M)
                chosen = re.search(r"^\s+conda:\s*\n(?:\s+#.*\n)*\s+learn_env\(\"(\w+)\"\)", body, re.M)
                path = env.group(1) if env else (LEARN_ENVS["cpu"] if chosen else None)
                rules[name] = ((rule_file.parent / script.group(1)).resolve(),
                               (rule_file.parent / path).resolve() if path else None)
    return rules


def learn_env_rules() -> set[str]:
    """The rules whose env is chosen by learn_env (envs/learn.yaml, or envs/learn-gpu.yaml with a GPU)."""
    return {name for rule_file in RULE_FILES for name, body in rule_blocks(rule_file.read_text()).items()
            if re.search(r"^\s+conda:\s*\n(?:\s+#.*\n)*\s+learn_env\(", body, re.M)}


def constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


@dataclass
class CondaEnv:
    python: str | None
    conda: list[str]  # conda packages other than python and pip
    pins: dict[str, str]  # pip section: canonical name -> pinned version
    unpinned: list[str]  # pip section lines without `==`
    options: list[str]  # pip section options (an extra index)


def read_env(path: Path) -> CondaEnv:
    spec = yaml.safe_load(path.read_text())
    env = CondaEnv(None, [], {}, [], [])
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if line.startswith("-"):
                    env.options.append(line)
                elif "==" in line:
                    name, version = line.split("==")
                    env.pins[canonicalize_name(name)] = version
                else:
                    env.unpinned.append(line)
        elif dep.split("=")[0] == "python":
            env.python = dep.split("=", 1)[1]
        elif dep != "pip":
            env.conda.append(dep)
    return env


def requirement_closure(names: set[str]) -> set[str]:
    """``names`` and every distribution they require here (Linux, this Python, no extras)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in md.requires(name) or []:
            requirement = Requirement(line)
            if not requirement.marker or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


RULES = script_rules()
ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


def test_the_rules_are_found_and_every_script_rule_has_an_env():
    assert {"dirlists_to_master", "train", "generate_sample", 'f"nc_to_zarr_{_index}"'} <= set(RULES)
    for name, (script, env) in RULES.items():
        assert script.is_file(), f"rule {name}: no script {script}"
        assert env is not None and env.is_file(), f"rule {name}: a script without a conda env file"


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_env_holds_what_the_rule_imports(name):
    script, env_file = RULES[name]
    env = read_env(env_file)
    needed = {module: distribution_of(module) for module in third_party_imports(script)}
    unknown = sorted(module for module, dist in needed.items() if dist is None)
    assert not unknown, f"rule {name} imports modules no installed distribution provides: {unknown}"
    missing = sorted({dist for dist in needed.values()} - set(env.pins))
    assert not missing, (f"rule {name} imports {missing}, absent from {env_file.name}; add to its pip "
                         f"section: {[f'{d}=={constraints().get(d)}' for d in missing]}")


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_env_pins_are_the_constraints_pins_and_closed(env_file):
    env, pins = read_env(env_file), constraints()
    assert env.python == "{}.{}".format(*sys.version_info[:2]), f"{env_file.name}: python={env.python}"
    assert not env.conda and not env.unpinned, \
        f"{env_file.name}: every package is pinned in the pip section, as constraints.txt pins it"
    wrong = {name: (version, pins.get(name)) for name, version in env.pins.items() if pins.get(name) != version}
    assert not wrong, f"{env_file.name}: pins differ from constraints.txt (env, constraints): {wrong}"
    for name, version in env.pins.items():  # the installed metadata below is that of these versions
        assert SpecifierSet(f"=={version}").contains(Version(md.version(name))), name
    unpinned = sorted(requirement_closure(set(env.pins)) - set(env.pins))
    assert not unpinned, (f"{env_file.name}: requirements of its packages left to the resolver: "
                          f"{[f'{n}=={pins.get(n)}' for n in unpinned]}")


CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
GPU_ENV = REPO / "envs" / "learn-gpu.yaml"


def test_env_files_are_used_and_torch_comes_from_the_cpu_index():
    used = {env for _, env in RULES.values()} | ({GPU_ENV} if learn_env_rules() else set())
    assert used == set(ENV_FILES), f"env files no rule uses: {sorted(set(ENV_FILES) - used)}"
    for env_file in ENV_FILES:
        if env_file == GPU_ENV:
            continue
        env = read_env(env_file)
        cpu_index = CPU_INDEX in env.options
        assert cpu_index == ("torch" in env.pins), f"{env_file.name}: torch and the CPU wheel index go together"
    assert "torch" in read_env(REPO / "envs" / "learn.yaml").pins


def test_the_gpu_env_is_the_learn_env_with_torch_from_pypi():
    """envs/learn-gpu.yaml: the same pins (so the same closure, checked above), no CPU wheel index: pip takes
    PyPI's torch, the CUDA build, which pins its CUDA libraries itself."""
    cpu, gpu = read_env(REPO / "envs" / "learn.yaml"), read_env(GPU_ENV)
    assert gpu.pins == cpu.pins and gpu.python == cpu.python and not gpu.options and not gpu.unpinned
    assert cpu.options == [CPU_INDEX]
    assert learn_env_rules() == {"train", "predict"}


def test_a_job_that_asks_for_a_gpu_gets_the_cuda_env_and_a_cpu_job_the_cpu_wheel():
    section = {"default": {"threads": 1, "mem_mb": 1000, "runtime": 10}, "train": {"gpu": 0}}
    assert learn_env(section, "train") == LEARN_ENVS["cpu"] == "../envs/learn.yaml"
    assert learn_env({**section, "train": {"gpu": 1}}, "train") == LEARN_ENVS["gpu"] == "../envs/learn-gpu.yaml"
    assert learn_env(section, "predict") == LEARN_ENVS["cpu"]  # no gpu key at all: the default's (none)
    # set-resources (a profile, or --set-resources train:gpu=1) wins over the config, both ways
    assert learn_env(section, "train", {"train": {"gpu": 1, "slurm_partition": "gpu"}}) == LEARN_ENVS["gpu"]
    assert learn_env({**section, "train": {"gpu": 1}}, "train", {"train": {"gpu": 0}}) == LEARN_ENVS["cpu"]
    assert learn_env(section, "predict", {"train": {"gpu": 1}}) == LEARN_ENVS["cpu"]


def test_the_slurm_profile_sends_train_to_the_cuda_env():
    """What the SLURM profile asks for train (set-resources: a GPU partition, one GPU) selects the CUDA env,
    as Snakemake hands it to the Snakefile (workflow.resource_settings.overwrite_resources, Resource objects),
    with the schema's default resources; without the profile the same rule keeps the CPU wheel."""
    from snakemake.resources import Resources
    from snakemake.utils import validate

    profile = yaml.safe_load((REPO / "config" / "profiles" / "slurm" / "config.yaml").read_text())
    overrides = {rule: Resources.from_mapping(values) for rule, values in profile["set-resources"].items()}
    config = {"resources": {}}
    validate(config, str(REPO / "schemas" / "config.schema.yaml"))
    assert learn_env(config["resources"], "train", overrides) == "../envs/learn-gpu.yaml"
    assert learn_env(config["resources"], "train") == "../envs/learn.yaml"
    assert learn_env(config["resources"], "predict", overrides) == "../envs/learn.yaml"  # the profile sends only train


def test_scanner_follows_lazy_and_named_imports(tmp_path):
    """The reach rules on a made-up package: module level, relative, by name, lazy when called."""
    pkg = tmp_path / "src" / "mypkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("import json\n")
    (pkg / "sub" / "__init__.py").write_text("from ..core import run\n")
    (pkg / "core.py").write_text(
        "import numpy as np\nimport importlib\n"
        "def run():\n    import yaml\n    return importlib.import_module('mypkg.plugin')\n"
        "def unused():\n    import torch\n")
    (pkg / "plugin.py").write_text("import lxml.etree\n")
    script = tmp_path / "script.py"
    script.write_text("from mypkg.sub import run\nrun()\n")
    assert third_party_imports(script, tmp_path / "src", "mypkg") == {"numpy", "yaml", "lxml.etree"}
    other = tmp_path / "other.py"
    other.write_text("import mypkg.core\n")  # `run` never named: its imports are not reached
    assert third_party_imports(other, tmp_path / "src", "mypkg") == {"numpy"}
    assert distribution_of("yaml") == "pyyaml" and distribution_of("google_crc32c") == "google-crc32c"
