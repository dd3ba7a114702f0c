"""The SLURM profile on a real SLURM cluster (one node, this machine: tests/slurm/cluster.py).

``snakemake --profile config/profiles/slurm`` builds the tests' sample through ``sbatch``, and
SLURM's own records (``scontrol show job``, kept for MinJobAge) show that every rule ran in a
SLURM job with the CPUs, memory and time limit its config ``resources`` declare, and train in the
profile's GPU partition with a GPU; the products are byte-identical to a local ``--cores 2`` build;
a failing job ends the run naming its log, and the rerun after the fix redoes only what failed.
Marked ``slurm``: ``make test`` leaves it out, ``make test-slurm`` (and .ci/run) run it.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from astrobuild.resources import job_resources, job_threads
from tests.slurm.cluster import Cluster, parse_record
from tests.workflow import SNAKEMAKE, clone_build, copy_workflow, product_digests, with_test_config

pytestmark = [pytest.mark.slurm, pytest.mark.integration]

RESOURCES = Path(__file__).with_name("resources.yaml")
# The test cluster has no accounting database, so the plugin polls squeue (jobs stay listed for
# MinJobAge), from 2 s after a submission rather than its default 40 s.
TEST_CLUSTER_ARGS = ("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2")
BUILD_TIMEOUT_S = 1500


@dataclass
class Run:
    proc: subprocess.CompletedProcess
    seconds: float

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    def jobs(self, slurm: Cluster) -> list[dict[str, str]]:
        """SLURM's records of this run's jobs (the plugin names each job after the run's ID)."""
        found = re.search(r"SLURM run ID: (\S+)", self.output)
        assert found, f"no SLURM run ID in the output:\n{self.output[-3000:]}"
        return [job for job in slurm.jobs() if job["JobName"] == found.group(1)]


def run_profile(slurm: Cluster, work: Path, *args: str) -> Run:
    """``snakemake --profile config/profiles/slurm`` in ``work`` on the test cluster, with the tests'
    configuration; group jobs are laid out for the node's CPUs (--cores)."""
    command = [SNAKEMAKE, "--profile", "config/profiles/slurm", "--cores", slurm.node["CPUs"], *TEST_CLUSTER_ARGS,
               *with_test_config((*args, "--configfile", str(RESOURCES)))]
    started = time.monotonic()
    proc = subprocess.run(command, cwd=work, env=slurm.env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    return Run(proc, time.monotonic() - started)


def job_rules(job: dict[str, str]) -> list[str]:
    """The rules a SLURM job ran, one entry per rule job, from the job's own log (StdOut): Snakemake
    inside the job prints ``rule <name>:`` for each job it runs (``localrule`` from the inner run)."""
    return re.findall(r"^rule (\w+):$", Path(job["StdOut"]).read_text(errors="replace"), flags=re.MULTILINE)


def planned_rules(output: str) -> set[str]:
    """Rules of the run's job table (``Job stats``) less those Snakemake ran on the submitting host."""
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    planned = {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", table, flags=re.MULTILINE)}
    return planned - set(re.findall(r"^localrule (\w+):$", output, flags=re.MULTILINE))


def minutes(limit: str) -> int:
    """``[days-]hours:minutes:seconds`` of scontrol, in minutes."""
    days, _, clock = limit.rpartition("-")
    hours, mins, secs = (int(x) for x in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + mins + (secs > 0)


def memory_mb(tres: str) -> int:
    """The ``mem=`` of a TRES string (``cpu=2,mem=1800M,node=1``), in MiB."""
    value = dict(item.split("=", 1) for item in tres.split(","))["mem"]
    return int(float(value[:-1]) * {"M": 1, "G": 1024, "T": 1024 ** 2}[value[-1]])


def effective_config(work: Path) -> dict:
    """The configuration the tests' runs build with: config.yaml, test.yaml, resources.yaml, then the
    schema's defaults (as Snakemake's `validate` sets them in rules/common.smk)."""

    def merge(base: dict, over: dict) -> dict:
        return {**base, **{k: merge(base.get(k, {}), v) if isinstance(v, dict) else v for k, v in over.items()}}

    config: dict = {}
    for path in (work / "config/config.yaml", work / "config/test.yaml", RESOURCES):
        config = merge(config, yaml.safe_load(path.read_text(encoding="utf-8")))
    validate(config, str(work / "schemas/config.schema.yaml"))
    return config


def declared(section: dict, rule: str) -> tuple[int, int, int]:
    """(threads, mem_mb, runtime minutes) of a rule in config ``resources``. nc_to_zarr_<n> rules take
    the nc_to_zarr entry: the test sample has no cube above climate.dask_threshold_mb."""
    key = "nc_to_zarr" if re.fullmatch(r"nc_to_zarr_\d+", rule) else rule
    res = job_resources(section, key)
    return job_threads(section, key), res["mem_mb"], res["runtime"]


def granted(job: dict[str, str]) -> tuple[int, int, int]:
    """(CPUs, memory MiB, time limit minutes) of a SLURM job record."""
    return int(job["NumCPUs"]), memory_mb(job["TRES"]), minutes(job["TimeLimit"])


def say(request, line: str) -> None:
    """A line on pytest's terminal even while output is captured (the durations the README quotes)."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n{line}")


@dataclass
class Builds:
    local: Path
    slurm: Path
    run: Run


@pytest.fixture(scope="module")
def builds(slurm, tmp_path_factory, request) -> Builds:
    """The sample built through the SLURM profile, and beside it (at the same time: the cluster run
    spends most of its time waiting for SLURM) locally with ``--cores 2``, same configuration."""
    root = tmp_path_factory.mktemp("slurm_builds")
    local, work = copy_workflow(root / "local"), copy_workflow(root / "slurm")
    local_log = root / "local.log"
    with local_log.open("w") as log:
        local_proc = subprocess.Popen([SNAKEMAKE, "--cores", "2", *with_test_config(("--configfile", str(RESOURCES)))],
                                      cwd=local, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            run = run_profile(slurm, work)
        finally:
            local_proc.wait(timeout=BUILD_TIMEOUT_S)
    assert local_proc.returncode == 0, local_log.read_text()[-5000:]
    assert run.proc.returncode == 0, f"{run.output[-8000:]}\n{slurm.logs()}"
    say(request, f"SLURM build of the test sample: {run.seconds:.0f} s wall, {len(run.jobs(slurm))} SLURM jobs "
                 "(a local --cores 2 build ran beside it)")
    return Builds(local=local, slurm=work, run=run)


def test_every_rule_ran_as_a_completed_slurm_job(builds, slurm):
    jobs = builds.run.jobs(slurm)
    assert jobs, "no SLURM job carries this run's name"
    for job in jobs:
        assert (job["JobState"], job["ExitCode"]) == ("COMPLETED", "0:0"), job
        assert job["BatchHost"] == slurm.node["NodeName"]
    ran = {rule for job in jobs for rule in job_rules(job)}
    assert ran == planned_rules(builds.run.output)
    assert {"generate_sample", "validate_table", "train", "write_manifest"} <= ran


def test_each_job_asks_for_what_its_rules_declare(builds, slurm, profile):
    section = effective_config(builds.slurm)["resources"]
    cores = int(slurm.node["CPUs"])
    singles = 0
    for job in builds.run.jobs(slurm):
        rules = job_rules(job)
        want = [declared(section, rule) for rule in rules]
        cpus, mem, limit = granted(job)
        if len(rules) == 1:
            singles += 1
            assert (cpus, mem, limit) == want[0], (rules, job["TRES"], job["TimeLimit"])
            continue
        # A group job: its rules, all of one group of the profile, side by side within --cores CPUs,
        # one after another beyond: at least what any one of them needs, at most all of them at once.
        (group,) = {profile["groups"][rule] for rule in rules}
        assert job["Comment"].startswith(f"rule_{group}_"), job["Comment"]
        assert max(w[0] for w in want) <= cpus <= cores, (group, cpus)
        assert max(w[1] for w in want) <= mem <= sum(w[1] for w in want), (group, mem)
        assert max(w[2] for w in want) <= limit <= sum(w[2] for w in want), (group, limit)
    assert singles >= 2  # train and the climate conversion run alone


def test_train_runs_on_a_gpu_in_the_profile_partition(builds, slurm, profile):
    jobs = builds.run.jobs(slurm)
    (train,) = [job for job in jobs if job_rules(job) == ["train"]]
    wanted = profile["set-resources"]["train"]
    assert train["Partition"] == wanted["slurm_partition"]
    assert train["TresPerJob"] == f"gres:gpu:{wanted['gpu']}"
    # Granted, not only asked for: the node has the GPU and the job ran there.
    node = parse_record(slurm.run("scontrol", "show", "node", "--oneliner", slurm.node["NodeName"]).stdout)
    assert node["Gres"] == "gpu:1" and train["JobState"] == "COMPLETED"
    default = profile["default-resources"]["slurm_partition"]
    assert {job["Partition"] for job in jobs if job is not train} == {default}


def test_products_are_byte_identical_to_a_local_build(builds):
    digests = product_digests(builds.slurm)
    assert len(digests) > 100
    assert digests == product_digests(builds.local)


def test_a_failed_job_names_its_log_and_the_rerun_redoes_only_it(builds, slurm, tmp_path, request):
    work = clone_build(builds.slurm, tmp_path / "failing")
    cube = sorted((work / "data/raw/sample/climate").glob("*.nc"))[0]
    good = cube.read_bytes()
    cube.write_bytes(good[: len(good) // 2])  # a download cut short
    # The conversion (which fails on that cube) and, independent of it, the exoplanet table: asked
    # for again, both are submitted at once, and the table's job finishes while the other fails.
    targets = ("nc_to_zarr_1", "exoplanet_archive_table")
    failed = run_profile(slurm, work, *targets, "--forcerun", *targets)
    assert failed.proc.returncode != 0
    log = "logs/nc_to_zarr/batch_1.log"
    assert log in failed.output and cube.name in (work / log).read_text()
    states = {(rule, job["JobState"]) for job in failed.jobs(slurm) for rule in job_rules(job)}
    assert ("exoplanet_archive_table", "COMPLETED") in states and ("nc_to_zarr_1", "FAILED") in states

    cube.write_bytes(good)
    resumed = run_profile(slurm, work, *targets)
    assert resumed.proc.returncode == 0, resumed.output[-5000:]
    assert [rule for job in resumed.jobs(slurm) for rule in job_rules(job)] == ["nc_to_zarr_1"]
    assert product_digests(work) == product_digests(builds.slurm)
    say(request, f"SLURM run with a failing job: {failed.seconds:.0f} s; the rerun after the fix: {resumed.seconds:.0f} s")
