"""What rules/provenance.smk asks Snakemake's own objects: the build's jobs, where each rule is defined.

The only module of the package that touches Snakemake's rule objects (``Rule.is_producer``,
``get_wildcards``, ``expand_input``, ``expand_output``: what Snakemake's DAG calls for a job), so
that input functions are evaluated as they are for the real jobs. Called while the DAG is built.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from astrobuild.provenance.jobs import plan_jobs


def relative(path: str | os.PathLike[str], basedir: str | os.PathLike[str]) -> str:
    """A workflow file's path relative to the checkout ``basedir`` (POSIX)."""
    return Path(os.path.relpath(os.path.normpath(path), basedir)).as_posix()


def rule_files(rule: Any, basedir: str | os.PathLike[str]) -> dict[str, str]:
    """Where a rule is defined (``snakefile``) and what it runs (``script``, ``conda_env``), relative to the checkout."""
    files = {"snakefile": relative(rule.snakefile, basedir)}
    if rule.script:
        files["script"] = relative(os.path.join(rule.basedir, rule.script), basedir)
    if isinstance(rule.conda_env, str):
        files["conda_env"] = relative(os.path.join(rule.basedir, rule.conda_env), basedir)
    return files


def build_plan(rules: Sequence[Any], seeds: Iterable[str], basedir: str | os.PathLike[str]) -> dict[str, Any]:
    """The jobs of ``rules`` that make ``seeds`` and what they need (as dicts), and the files of their rules."""
    from snakemake.iocontainers import Wildcards

    exact = {str(o): r for r in rules for o in r.output if not r.has_wildcards()}
    patterned = [r for r in rules if r.has_wildcards()]
    by_name = {r.name: r for r in rules}

    def producer(path: str) -> tuple[str, dict[str, str]] | None:
        if path in exact:
            return exact[path].name, {}
        for r in patterned:
            if r.is_producer(path):
                return r.name, dict(r.get_wildcards(path))
        return None

    def expand(name: str, wildcards: dict[str, str]) -> tuple[list[str], list[str], str | None]:
        r, given = by_name[name], Wildcards(fromdict=dict(wildcards))
        return ([str(f) for f in r.expand_input(given)[0]], [str(f) for f in r.expand_output(given)[0]],
                str(r.benchmark.apply_wildcards(given)) if r.benchmark else None)

    jobs = plan_jobs(seeds, producer, expand)
    used = {j.rule for j in jobs}
    return {"jobs": [j.as_dict() for j in jobs],
            "rules": {r.name: rule_files(r, basedir) for r in rules if r.name in used}}


def installed_versions() -> dict[str, str]:
    """Distribution name -> version, as installed where Snakemake runs (the crate's software)."""
    return {d.metadata["Name"]: d.version for d in importlib.metadata.distributions() if d.metadata["Name"]}
