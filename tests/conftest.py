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


# The test files whose tests read the shared sample build (:func:`sample_build`). Under ``make test``'s
# two pytest-xdist workers (``-n 2 --dist loadscope``) each file is a unit of work, and these files
# are one unit: a worker builds the sample once for all of them (the other worker takes the rest).
# xdist's own ``loadgroup`` cannot do it with pytest 9 (it rewrites ``item._nodeid``, which pytest 9
# no longer reads), hence the scheduler below.
SHARED_BUILD_FILES = frozenset(f"tests/{name}.py" for name in (
    "integration/test_climate_workflow", "integration/test_dvc_workflow", "integration/test_kegg_workflow",
    "integration/test_lost_products", "integration/test_organisms_workflow", "integration/test_provenance_workflow",
    "integration/test_quality_workflow", "integration/test_report_workflow", "integration/test_tables_workflow",
    "integration/test_targets_workflow", "integration/test_workflow", "report/test_report_browser"))


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope``, with the files of :data:`SHARED_BUILD_FILES` as one scope."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedBuildScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return "sample_build" if path in SHARED_BUILD_FILES else path

    return SharedBuildScheduling(config, log)


def pytest_collection_modifyitems(items):
    """Tests that read real upstream files carry the ``realdata`` marker (``-m "not realdata"`` skips them);
    a test on the shared build outside :data:`SHARED_BUILD_FILES` is refused (it would build it again)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "realdata" in fixtures or "realdata" in item.nodeid:
            item.add_marker(pytest.mark.realdata)
        if "sample_build" in fixtures and item.nodeid.split("::")[0] not in SHARED_BUILD_FILES:
            raise pytest.UsageError(f"{item.nodeid} reads the shared sample build: add its file to "
                                    "SHARED_BUILD_FILES in tests/conftest.py")
