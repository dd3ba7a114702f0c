"""Config `resources`: each rule's threads, memory and runtime, over `resources.default`."""

from __future__ import annotations

import pytest
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from astrobuild.resources import (
    GROUPS,
    check_resource_names,
    job_resources,
    job_threads,
    unknown_resource_names,
)
from tests.workflow import REPO

SCHEMA = str(REPO / "schemas" / "config.schema.yaml")


def resources_section(section: dict | None = None) -> dict:
    """``resources:`` as the workflow sees it: validated, the schema's defaults filled in."""
    config = {} if section is None else {"resources": section}
    validate(config, SCHEMA)
    return config["resources"]


def test_schema_defaults_give_every_rule_threads_memory_and_runtime():
    section = resources_section()
    assert job_threads(section, "plot_spectra") == 1
    assert job_resources(section, "plot_spectra") == {"mem_mb": 4000, "runtime": 60}
    # the per-chain keys of before (genomes_1000g.threads, climate.threads, train.threads/gpu) live here now
    assert job_threads(section, "indices_to_sample_table") == 2
    assert job_resources(section, "indices_to_sample_table") == {"mem_mb": 8000, "runtime": 60}
    assert (job_threads(section, "nc_to_zarr"), job_threads(section, "nc_to_zarr_alone")) == (1, 2)
    assert job_threads(section, "train") == 2
    assert job_resources(section, "train") == {"gpu": 0, "mem_mb": 4000, "runtime": 60}


def test_a_partial_override_keeps_the_other_values():
    section = resources_section({"default": {"runtime": 5}, "train": {"gpu": 1}, "kegg_to_edges": {"mem_mb": 9000}})
    assert job_resources(section, "train") == {"gpu": 1, "mem_mb": 4000, "runtime": 5}
    assert job_threads(section, "train") == 2  # the schema's train.threads survives the user's train entry
    assert job_resources(section, "kegg_to_edges") == {"mem_mb": 9000, "runtime": 5}
    assert job_threads(section, "kegg_to_edges") == 1


@pytest.mark.parametrize(("section", "needle"), [
    ({"train": {"threads": 0}}, "0"),
    ({"default": {"mem_mb": "lots"}}, "lots"),
    ({"train": {"memory": 100}}, "memory"),
])
def test_bad_resource_values_are_refused(section, needle):
    with pytest.raises(WorkflowError, match=needle):
        resources_section(section)


def test_a_key_naming_no_rule_is_an_error_naming_it():
    section = resources_section({"kegg_to_edgs": {"mem_mb": 9000}, "train": {"gpu": 1}})
    rules = ["kegg_to_edges", "train", "predict", "indices_to_sample_table", "nc_to_zarr_1"]
    assert unknown_resource_names(section, rules) == ["kegg_to_edgs"]
    with pytest.raises(ValueError, match="resources: kegg_to_edgs: no rule"):
        check_resource_names(section, rules)
    # the groups of generated rules are known names even when no such rule exists in this build
    assert unknown_resource_names(resources_section(), ["train", "predict", "indices_to_sample_table"]) == []
    assert set(GROUPS) <= set(resources_section())
