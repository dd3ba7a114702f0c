"""What each job asks the scheduler for: threads, memory, runtime (and GPUs), from the config's
``resources:`` section (schema: schemas/config.schema.yaml), so that no number lives in rules/*.smk.

``resources.default`` applies to every rule; ``resources.<name>`` overrides some of its keys for
one rule (or one group of generated rules, see ``GROUPS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Keys of ``resources:`` that name a group of generated rules rather than one rule: the climate
# conversion rules are nc_to_zarr_<n>, one per batch, and a cube above climate.dask_threshold_mb
# gets a job of its own, with more threads.
GROUPS = {
    "nc_to_zarr": "every nc_to_zarr_<n> job converting a batch of small cubes",
    "nc_to_zarr_alone": "every nc_to_zarr_<n> job converting one cube above climate.dask_threshold_mb",
}


def _entry(section: dict[str, Any], name: str) -> dict[str, Any]:
    return {**section["default"], **section.get(name, {})}


def job_threads(section: dict[str, Any], name: str) -> int:
    """Threads of rule (or group) ``name``: its own ``threads``, else ``resources.default.threads``."""
    return int(_entry(section, name)["threads"])


def job_resources(section: dict[str, Any], name: str) -> dict[str, int]:
    """Snakemake resources of rule (or group) ``name`` (``mem_mb``, ``runtime`` in minutes, and
    ``gpu`` where the config gives one), the rule's keys over ``resources.default``'s."""
    return {key: int(value) for key, value in sorted(_entry(section, name).items()) if key != "threads"}


def unknown_resource_names(section: dict[str, Any], rule_names: Iterable[str]) -> list[str]:
    """Keys of ``resources:`` that are neither ``default``, a rule of the workflow nor a group:
    a misspelt rule name would otherwise be ignored without a word."""
    known = {"default", *GROUPS, *rule_names}
    return sorted(set(section) - known)


def check_resource_names(section: dict[str, Any], rule_names: Iterable[str]) -> None:
    """Raise naming every key of ``resources:`` that names no rule (see unknown_resource_names)."""
    unknown = unknown_resource_names(section, rule_names)
    if unknown:
        raise ValueError(f"config: resources: {', '.join(unknown)}: no rule of the workflow has this name "
                         f"(keys are 'default', a rule name, or one of {sorted(GROUPS)})")


# The learning rules' conda envs: the CPU wheel of torch, or PyPI's CUDA build for a job that gets a GPU
# (paths as the rules' conda: directive takes them, relative to rules/).
LEARN_ENVS = {"cpu": "../envs/learn.yaml", "gpu": "../envs/learn-gpu.yaml"}


def _gpu_count(value: Any) -> int:
    value = getattr(value, "value", value)  # Snakemake wraps --set-resources values in Resource objects
    if value is None:
        return 0
    if callable(value):  # a function of the job, unknown while the workflow is read: it asks for a GPU
        return 1
    return int(value)


def asks_for_gpu(section: dict[str, Any], name: str, overrides: Any = None) -> bool:
    """Whether the jobs of rule ``name`` ask the scheduler for a GPU: config ``resources.<name>.gpu``, or a
    ``set-resources`` entry (``--set-resources name:gpu=1``, a profile's ``set-resources``, which Snakemake
    applies over the rule's own), given as ``overrides``: rule -> resource -> value."""
    overridden = dict((overrides or {}).get(name, {}).items()) if overrides else {}
    if "gpu" in overridden:
        return _gpu_count(overridden["gpu"]) > 0
    return _gpu_count(_entry(section, name).get("gpu")) > 0


def learn_env(section: dict[str, Any], name: str, overrides: Any = None) -> str:
    """The conda env of learning rule ``name``: with a GPU, PyPI's CUDA build of torch (envs/learn-gpu.yaml),
    else the CPU wheel (envs/learn.yaml), so that a GPU node does not train on its CPU and a CPU node does
    not install CUDA libraries it cannot use. Chosen while the workflow is read: Snakemake gives a
    ``conda:`` function the wildcards, params and input of a job, not its resources."""
    return LEARN_ENVS["gpu" if asks_for_gpu(section, name, overrides) else "cpu"]
