"""The one-node SLURM cluster of the SLURM tests (tests/slurm/cluster.py), started once per session.

Where it cannot start (not root, slurm-wlm/munge or the executor plugin missing, a SLURM
configuration of this machine's own) the tests skip, saying why; under CI (CI=true, where .ci/run
installs what they need) they fail instead, so that CI never passes without running them.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
import yaml

from tests.slurm import cluster
from tests.workflow import REPO

# Two jobs side by side at the largest --mem of tests/slurm/resources.yaml, with room to spare.
MIN_MEMORY_MB = 4000
PROFILE = REPO / "config" / "profiles" / "slurm" / "config.yaml"


def _cannot(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the SLURM tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def profile() -> dict:
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def slurm(tmp_path_factory, profile) -> cluster.Cluster:
    """A running cluster whose partitions are the profile's (its default one and train's)."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        _cannot("snakemake-executor-plugin-slurm is not installed (pip extra `slurm`; `make test-slurm` installs it)")
    if reason := cluster.unavailable():
        _cannot(reason)
    if (memory := int(cluster.host_node()["RealMemory"])) < MIN_MEMORY_MB:
        _cannot(f"{memory} MiB of memory: the test jobs (tests/slurm/resources.yaml) need {MIN_MEMORY_MB}")
    partitions = [profile["default-resources"]["slurm_partition"], profile["set-resources"]["train"]["slurm_partition"]]
    running = cluster.start(tmp_path_factory.mktemp("slurm"), partitions=partitions)
    try:
        yield running
    finally:
        running.stop()
