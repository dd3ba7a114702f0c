"""Shared fixtures: where the repository and the real upstream files are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """../shared/realdata beside the checkout; tests that need it skip on a user's fresh clone."""
    if not REALDATA.is_dir():
        pytest.skip(f"real upstream files not available ({REALDATA} is absent)")
    return REALDATA


def _generated(tmp_path_factory, source: str) -> Path:
    """The built-in sample of ``source`` at scale 1, seed 0, in a fresh temporary folder."""
    from astrobuild.sample import generate

    out = tmp_path_factory.mktemp(f"{source}_sample")
    generate(source, out, scale=1, seed=0)
    return out


@pytest.fixture(scope="module")
def climate_sample(tmp_path_factory) -> Path:
    """The climate sample, generated once per test module that reads it."""
    return _generated(tmp_path_factory, "climate")


@pytest.fixture(scope="module")
def kegg_sample(tmp_path_factory) -> Path:
    """The KEGG sample, generated once per test module that reads it."""
    return _generated(tmp_path_factory, "kegg")


@pytest.fixture(scope="module")
def organisms_sample(tmp_path_factory) -> Path:
    """The organisms sample (GenBank genomes, GTDB and annotation tables), generated once per module."""
    return _generated(tmp_path_factory, "organisms")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """One full build of the workflow on the built-in sample, shared by the integration tests.

    Tests only read it; a test that needs to change or rerun something works in
    :func:`tests.workflow.clone_build` of it. Building once keeps the suite within its time budget.
    """
    from tests.workflow import copy_workflow, snakemake

    work = copy_workflow(tmp_path_factory.mktemp("sample_build"))
    snakemake(work)
    return work


def pytest_collection_modifyitems(items):
    """Tests that read real upstream files carry the ``realdata`` marker (``-m "not realdata"`` skips them)."""
    for item in items:
        if "realdata" in getattr(item, "fixturenames", ()) or "realdata" in item.nodeid:
            item.add_marker(pytest.mark.realdata)
