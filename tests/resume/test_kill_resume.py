"""A build killed with SIGKILL resumes, after `--unlock` and one rerun, to the bytes of a clean build.

Each test kills a real Snakemake run (its whole process group, as a scheduler or an out-of-memory
killer would) at a pause point (astrobuild.pausepoints): while a cube is half converted, while a
batch checks its stores, while the manifest is written. The rerun must leave the products and the
manifest byte-identical to a clean build, and no temporary file under data/ or results/, with no
step but the two Snakemake commands. `make test-resume` runs them (about 3 minutes).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from astrobuild.pausepoints import PAUSE_AT, PAUSE_FILE
from tests.workflow import (
    REPO,
    SNAKEMAKE,
    clone_build,
    copy_workflow,
    product_digests,
    snakemake,
    with_test_config,
)

pytestmark = pytest.mark.resume

STORES = "data/processed/climate"


def versioned_checkout(dest: Path) -> Path:
    """A copy of the workflow with dvc.yaml and .dvcignore, so that the manifest lists what DVC versions."""
    copy_workflow(dest)
    for name in ("dvc.yaml", ".dvcignore"):
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    work = versioned_checkout(tmp_path_factory.mktemp("clean"))
    snakemake(work, "build")
    assert len(product_digests(work)) > 100
    return work


def kill_at(work: Path, point: str, *args: str, timeout: float = 300) -> str:
    """Run Snakemake in ``work`` until a job reaches ``point``, then SIGKILL its process group;
    returns what it printed."""
    paused = work.parent / f"{work.name}.{point}.paused"
    output = work.parent / f"{work.name}.{point}.out"
    env = {**os.environ, PAUSE_AT: point, PAUSE_FILE: str(paused)}
    with open(output, "w") as out:
        proc = subprocess.Popen([SNAKEMAKE, "--cores", "2", *with_test_config(args)], cwd=work, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not paused.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"snakemake {' '.join(args)} never reached {point}:\n{output.read_text()[-5000:]}")
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return output.read_text()


def temporary_files(work: Path) -> list[str]:
    """Everything under data/ and results/ that a writer left unfinished (its temporary name)."""
    return sorted(str(p.relative_to(work)) for top in ("data", "results") for p in (work / top).rglob("*")
                  if p.name.endswith((".tmp", ".part")))


def resume(work: Path) -> None:
    """What a user does after a killed run: unlock, and run the build again."""
    snakemake(work, "--unlock")
    snakemake(work, "build", "--rerun-incomplete")


def test_killed_while_a_cube_converts(clean, tmp_path):
    work = versioned_checkout(tmp_path / "work")
    kill_at(work, "nc_to_zarr.convert", "build")
    # The half-made store is there, as a killed job leaves it.
    assert any(p.startswith(f"{STORES}/.") and ".zarr." in p for p in temporary_files(work))
    resume(work)
    assert temporary_files(work) == []
    assert product_digests(work) == product_digests(clean)


def test_killed_while_a_batch_checks_its_stores(clean, tmp_path):
    work = clone_build(clean, tmp_path / "work")
    kill_at(work, "nc_to_zarr.check", "build", "--forcerun", "nc_to_zarr_1")
    stores = sorted((work / STORES).glob("*.zarr"))
    assert stores and not (work / "results/validation" / f"climate_{stores[0].stem}.json").exists()
    resume(work)
    assert temporary_files(work) == [] and not (work / ".snakemake" / "backups").exists()
    assert product_digests(work) == product_digests(clean)


def test_killed_while_the_manifest_is_written(clean, tmp_path):
    work = clone_build(clean, tmp_path / "work")
    kill_at(work, "write_manifest", "build", "--forcerun", "write_manifest")
    assert not (work / "results/manifest.json").exists()
    resume(work)
    assert temporary_files(work) == []
    assert product_digests(work) == product_digests(clean)
