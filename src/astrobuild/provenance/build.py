"""Rule write_provenance: the crate, the dataset card and the run times of a finished build.

The rule (rules/provenance.smk) runs after the build manifest and hands over what only Snakemake
knows: the jobs (:func:`astrobuild.provenance.jobs.plan_jobs` over its rules), where each rule is
defined, the versions installed where Snakemake runs, the tables this config builds and the
quarantine files of each source. Everything else is read here: the files (sizes, sha256), git,
the build metrics and quarantine reasons. The crate is checked against the profiles' required
properties before anything is written.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from astrobuild.io import write_json, write_text
from astrobuild.provenance.card import card_html, card_text
from astrobuild.provenance.check import missing_required
from astrobuild.provenance.crate import BuildFacts, RuleInfo, build_crate, crate_json
from astrobuild.provenance.facts import (
    build_config,
    config_parameters,
    git_state,
    packages,
    raw_source_of,
    source_facts,
)
from astrobuild.provenance.files import describe_all, run_specific
from astrobuild.provenance.jobs import Job, source_lineage
from astrobuild.provenance.times import run_times

log = logging.getLogger(__name__)


class ProvenanceError(ValueError):
    """A build whose provenance cannot be written as it is (a product missing, a crate breaking its profile)."""


def gather_facts(*, jobs: Sequence[Mapping[str, Any]], rules: Mapping[str, Mapping[str, Any]],
                 config: Mapping[str, Any], pooling_keys: Sequence[str], installed: Mapping[str, str], python: str,
                 snakemake_version: str, workflow_files: Sequence[str], manifest: str,
                 constraints: str = "constraints.txt", run_specific_patterns: Sequence[str] = (),
                 root: str | os.PathLike[str] = ".", threads: int = 1) -> BuildFacts:
    """The facts of the build in ``root`` (the checkout; paths relative to it)."""
    plan = [Job.from_dict(j) for j in jobs]
    sources = source_facts(config)
    lineage = source_lineage(plan, lambda path: raw_source_of(path, sources))
    recorded = frozenset(p for job in plan for p in (*job.inputs, *job.outputs)
                         if not run_specific(p, run_specific_patterns))
    infos = {name: RuleInfo(str(r["snakefile"]), r.get("script"), r.get("conda_env")) for name, r in rules.items()}
    code = {*workflow_files, constraints, manifest,
            *(i.script for i in infos.values() if i.script), *(i.conda_env for i in infos.values() if i.conda_env)}
    described = describe_all([*recorded, *code], root, threads)
    produced = {p for job in plan for p in job.outputs}
    missing = sorted(p for p in [*recorded, *code] if described[p].kind == "missing"
                     and (p in produced or p in code) and raw_source_of(p, sources) is None)
    if missing:
        raise ProvenanceError(f"{len(missing)} file(s) of the build are missing, so their provenance cannot be "
                              f"written: {', '.join(missing[:20])} (rerun the build)")
    git = git_state(root)
    name = f"astrobuild datasets at {git.commit[:12]}" if git.commit else "astrobuild datasets (no git commit)"
    constraints_text = (Path(root) / constraints).read_text(encoding="utf-8")
    return BuildFacts(
        name=name, jobs=plan, rules=infos, described=described, sources=sources, lineage=lineage,
        config=config_parameters(build_config(config, pooling_keys), sources),
        packages=packages(constraints_text, installed), python=python, snakemake=snakemake_version, git=git,
        workflow_files=list(workflow_files), manifest=manifest, constraints=constraints, recorded=recorded)


def write_provenance(facts: BuildFacts, *, crate_path: str, card_path: str, card_html_path: str, times_path: str,
                     tables: Mapping[str, str], metrics_path: str, quarantine: Mapping[str, Iterable[str]],
                     root: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """Write the crate, the card (Markdown and HTML) and the run times; returns counts for the log."""
    text = crate_json(build_crate(facts))
    broken = missing_required(json.loads(text))
    if broken:
        raise ProvenanceError(f"{crate_path}: the crate would break its profiles' requirements: {broken}")
    metrics = json.loads((Path(root) / metrics_path).read_text(encoding="utf-8"))
    card = card_text(facts, tables, metrics, {s: [str(Path(root) / p) for p in ps] for s, ps in quarantine.items()})
    write_text(text, Path(root) / crate_path)
    write_text(card, Path(root) / card_path)
    write_text(card_html(card, f"Dataset card: {facts.name}"), Path(root) / card_html_path)
    write_json(run_times(facts.jobs, root), Path(root) / times_path)
    counts = {"jobs": len(facts.jobs), "data_paths": len(facts.recorded),
              "bytes": sum(facts.described[p].size or 0 for p in facts.recorded), "crate_bytes": len(text.encode())}
    log.info("provenance: %d job(s), %d data path(s) (%d bytes) in %s (%d bytes); card %s", counts["jobs"],
             counts["data_paths"], counts["bytes"], crate_path, counts["crate_bytes"], card_path)
    return counts


def write_build_provenance(*, outputs: Mapping[str, str], tables: Mapping[str, str], metrics_path: str,
                           quarantine: Mapping[str, Iterable[str]], **facts: Any) -> dict[str, Any]:
    """Rule write_provenance: :func:`gather_facts` (``facts``: its keywords), then :func:`write_provenance` to
    ``outputs`` (``crate``, ``card``, ``card_html``, ``times``: astrobuild.contracts.products.PROVENANCE_OUTPUTS)."""
    root = facts.get("root", ".")
    return write_provenance(gather_facts(**facts), crate_path=outputs["crate"], card_path=outputs["card"],
                            card_html_path=outputs["card_html"], times_path=outputs["times"], tables=tables,
                            metrics_path=metrics_path, quarantine=quarantine, root=root)
