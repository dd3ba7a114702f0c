"""The rules as wiring: every rule's threads and resources come from config `resources`, and reading
the workflow (--lint, -n) on a clean checkout touches no file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from snakemake.utils import validate

from astrobuild.resources import job_resources, job_threads
from tests.workflow import REPO, copy_workflow, file_states, snakemake

RULE_FILES = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
# The values a test config gives: numbers no rule would write, so that each job shows where its came from.
TEST_RESOURCES = {"default": {"threads": 2, "mem_mb": 1111, "runtime": 7},
                  "train": {"mem_mb": 2222, "gpu": 3}, "nc_to_zarr": {"runtime": 9}}


def rule_blocks(text: str) -> dict[str, str]:
    """Each rule's text, by name (`rule x:`, or `rule:` with a `name:`), up to the next rule or
    top-level statement."""
    blocks = {}
    for match in re.finditer(r"^( *)rule( \w+)?:\n((?:\1 .*\n|\n)*)", text, re.M):
        name = (match.group(2) or "").strip() or re.search(r"name:\s*\n\s*(.+)", match.group(3)).group(1)
        blocks[name] = match.group(3)
    return blocks


def test_every_rule_declares_threads_and_resources_from_config():
    blocks = {name: body for path in RULE_FILES for name, body in rule_blocks(path.read_text()).items()}
    assert {"all", "build", "verify", "train", "validate_table", 'f"nc_to_zarr_{_index}"'} <= set(blocks)
    for name, body in blocks.items():
        assert re.search(r"^\s+threads: rule_threads\(", body, re.M), f"rule {name}: no threads from config"
        assert re.search(r"^\s+resources:\n\s+\*\*rule_resources\(", body, re.M), \
            f"rule {name}: no resources from config"
    for path in RULE_FILES:
        assert not re.search(r"\b(mem_mb|runtime|gpu|threads)\s*[=:]\s*\d", path.read_text()), \
            f"{path.name}: a number of threads or resources written in the rule file"


def _jobs(dry_run: str) -> list[dict[str, str]]:
    """Rule name, threads and resources of each job a dry run (-n) prints."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", dry_run):
        head = re.match(r"(?:local)?rule (\w+):\n", block)
        if head:
            threads = re.search(r"^\s+threads: (\d+)", block, re.M)
            resources = re.search(r"^\s+resources: (.*)", block, re.M).group(1)
            jobs.append({"rule": head.group(1), "threads": int(threads.group(1)) if threads else 1,
                         **{k: v for k, v in (kv.split("=", 1) for kv in resources.split(", "))}})
    return jobs


def test_every_planned_job_gets_its_rules_configured_resources(tmp_path: Path):
    work = copy_workflow(tmp_path / "work")
    (work / "config" / "resources.yaml").write_text(yaml.safe_dump({"resources": TEST_RESOURCES}))
    proc = snakemake(work, "-n", "--configfile", "config/resources.yaml", "all", "build", "verify")
    jobs = _jobs(proc.stdout + proc.stderr)
    section = {"resources": TEST_RESOURCES}
    validate(section, str(REPO / "schemas" / "config.schema.yaml"))  # the schema's defaults, as the workflow
    section = section["resources"]
    assert {"all", "build", "verify", "train", "generate_sample", "validate_table", "nc_to_zarr_1"} <= \
        {job["rule"] for job in jobs}
    for job in jobs:
        key = "nc_to_zarr" if job["rule"].startswith("nc_to_zarr_") else job["rule"]  # no cube is big here
        want = job_resources(section, key)
        got = {name: int(job[name]) for name in want if name in job}
        assert got == want, f"{job['rule']}: {got} != {want} from config"
        assert job["threads"] == min(job_threads(section, key), 2), job["rule"]  # capped at --cores 2


def test_reading_the_workflow_touches_no_file_of_a_clean_checkout(tmp_path: Path):
    work = copy_workflow(tmp_path / "work")
    before = file_states(work)
    snakemake(work, "--lint")
    snakemake(work, "-n")
    assert file_states(work) == before


def test_every_script_makes_one_call_with_keyword_arguments():
    for path in sorted((REPO / "scripts").glob("*.py")):
        tree = ast.parse(path.read_text())
        (block,) = [node for node in tree.body if isinstance(node, ast.With)]
        assert ast.unparse(block.items[0].context_expr).startswith("rule_logging("), path.name
        (statement,) = block.body
        assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call), path.name
        assert not statement.value.args, f"{path.name}: positional arguments to {ast.unparse(statement.value.func)}"


# What a profile may set per rule: where a job runs on the cluster (partition, account, node
# constraint, QoS) and the GPU that comes with a GPU partition (config/profiles/slurm sends train
# to one); nothing that sizes a job.
PLACEMENT = {"slurm_partition", "slurm_account", "constraint", "qos", "gpu", "gpu_model"}


def test_profiles_leave_job_sizes_to_the_config():
    # One place for what a job asks for: a profile's mem_mb or cpus_per_task would silently win over
    # config `resources` (set-resources) or hide a rule's threads from the SLURM plugin (cpus_per_task).
    for path in sorted((REPO / "config" / "profiles").glob("*/config.yaml")):
        profile = yaml.safe_load(path.read_text())
        assert "set-threads" not in profile, path
        for rule, values in profile.get("set-resources", {}).items():
            assert set(values) <= PLACEMENT, (path, rule)
        defaults = profile.get("default-resources", {})
        assert not {"mem_mb", "runtime", "cpus_per_task", "gpu"} & set(defaults), path


def test_a_resources_key_naming_no_rule_stops_the_run(tmp_path: Path):
    work = copy_workflow(tmp_path / "work")
    (work / "config" / "typo.yaml").write_text(yaml.safe_dump({"resources": {"kegg_to_edgs": {"mem_mb": 9000}}}))
    proc = snakemake(work, "-n", "--configfile", "config/typo.yaml", check=False)
    assert proc.returncode != 0 and "resources: kegg_to_edgs: no rule" in proc.stdout + proc.stderr


def test_wildcard_constraints_are_global():
    # validate_table's `table` is the one exception: exactly the registered tables, set beside its rule.
    per_rule = [path.name for path in RULE_FILES
                if re.search(r"^ +wildcard_constraints:", path.read_text(), re.M) and path.name != "validate.smk"]
    assert per_rule == []
    assert re.search(r"^wildcard_constraints:\n +source=", (REPO / "Snakefile").read_text(), re.M)


# `snakemake verify` has no benchmark on purpose: a benchmark file is an output, and a rule with an
# output would run once and then be "up to date" instead of checking every time it is asked.
NO_BENCHMARK = {"verify"}


def test_every_rule_that_runs_a_script_names_its_log_benchmark_env_and_script_after_itself():
    checked = 0
    for path in RULE_FILES:
        for name, body in rule_blocks(path.read_text()).items():
            if not re.search(r"^\s+script:", body, re.M):
                assert not re.search(r"^\s+(shell|run):", body, re.M), f"rule {name}: use a script"
                continue
            # The generated conversion rules nc_to_zarr_<n> share the name nc_to_zarr.
            base = "nc_to_zarr" if name.startswith('f"nc_to_zarr_') else name
            for directive in ("log", "conda", "script") + (() if name in NO_BENCHMARK else ("benchmark",)):
                assert re.search(rf"^\s+{directive}:", body, re.M), f"rule {name}: no {directive}"
            log = re.search(r"^\s+log:\s*\n\s+(?:\w+=)?f?\"([^\"]+)\"", body, re.M).group(1)
            assert re.fullmatch(rf"logs/{base}(\.log|/.+\.log)", log), f"rule {name}: log {log}"
            script = re.search(r"^\s+script:\s*\n\s+\"([^\"]+)\"", body, re.M).group(1)
            assert script == f"../scripts/{base}.py", f"rule {name}: script {script}"
            if name not in NO_BENCHMARK:
                bench = re.search(r"^\s+benchmark:\s*\n\s+f?\"([^\"]+)\"", body, re.M).group(1)
                assert re.fullmatch(rf"results/benchmarks/{base}(\.tsv|/.+\.tsv)", bench), f"rule {name}: {bench}"
            checked += 1
    assert checked >= 35
