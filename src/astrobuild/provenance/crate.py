"""The Provenance Run Crate of a build, made with ro-crate-py.

The crate's root is the checkout: every data entity's ``@id`` is its path relative to the checkout
(a folder's ends with ``/``), the one ``dvc pull`` restores. Its metadata file is kept in
``results/provenance/`` so that DVC versions it with the data it describes (docs/provenance.md says
how to point RO-Crate tools at it). A local source's files outside the checkout are contextual
entities ``#input/<source>/<path in its folder>``: named by source, never by a machine path.

What it holds (Workflow Run Crate and Provenance Run Crate 0.5):

- the workflow (``Snakefile``: File, SoftwareSourceCode, ComputationalWorkflow, HowTo; its commit and
  whether the tree was dirty), its rule files, and per rule a tool (SoftwareApplication ``#rule-<name>``,
  with its script and conda environment) and a HowToStep;
- per job a CreateAction (its tool as instrument, inputs as object, outputs as result), a ControlAction
  (step -> job), one OrganizeAction (Snakemake -> the steps, resulting in the build's CreateAction
  ``#build``, whose instrument is the workflow and whose object is the config and the raw inputs);
- the build's config as PropertyValues, each an example of a FormalParameter input of the workflow;
- the software: Snakemake (the engine), Python, and every package pinned in constraints.txt;
- the sources: origin, URL, terms of use and redistribution; every data entity names the sources it
  derives from (``isBasedOn``).

No timestamps but the commit's date (``datePublished``); entities in a fixed order; JSON with sorted
keys. Times of the jobs are in run-times.json (:mod:`astrobuild.provenance.times`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from rocrate.model import ContextEntity
from rocrate.rocrate import ROCrate

from astrobuild.provenance.facts import (
    GitState,
    Package,
    SourceFacts,
    parameter_type,
    parameter_value,
    raw_source_of,
)
from astrobuild.provenance.files import Described
from astrobuild.provenance.jobs import Job

RO_CRATE = "https://w3id.org/ro/crate/1.1"
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": ("Process Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/workflow/0.5": ("Workflow Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/provenance/0.5": ("Provenance Run Crate", "0.5"),
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": ("Workflow RO-Crate", "1.0"),
}
WORKFLOW_RUN_TERMS = "https://w3id.org/ro/terms/workflow-run"
FORMAL_PARAMETER = "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"
MIT = "https://spdx.org/licenses/MIT"
FORMATS = {".parquet": "application/vnd.apache.parquet", ".json": "application/json", ".csv": "text/csv",
           ".tsv": "text/tab-separated-values", ".png": "image/png", ".html": "text/html",
           ".md": "text/markdown", ".npz": "application/x-npz", ".py": "text/x-python", ".yaml": "application/yaml",
           ".smk": "text/x-snakemake", ".txt": "text/plain", ".nc": "application/x-netcdf"}


@dataclass(frozen=True)
class RuleInfo:
    """Where a rule is defined and what it runs (paths relative to the checkout)."""

    snakefile: str
    script: str | None = None
    conda_env: str | None = None


@dataclass
class BuildFacts:
    """Everything the crate records of one build."""

    name: str
    jobs: Sequence[Job]
    rules: Mapping[str, RuleInfo]
    described: Mapping[str, Described]  # path -> size and checksum: every data path of the jobs, and code files
    sources: Mapping[str, SourceFacts]
    lineage: Mapping[str, tuple[str, ...]]  # job key -> sources its outputs derive from
    config: Sequence[tuple[str, Any]]
    packages: Sequence[Package]
    python: str
    snakemake: str
    git: GitState
    workflow_files: Sequence[str]  # Snakefile first, then the rule files
    manifest: str
    constraints: str = "constraints.txt"
    recorded: frozenset[str] = field(default_factory=frozenset)  # the jobs' data paths the crate lists


def entity_id(path: str, described: Described | None, sources: Mapping[str, SourceFacts]) -> str:
    """The ``@id`` of a data path: relative to the checkout (``/`` after a folder), or for a local source's
    file outside the checkout ``#input/<source>/<path in its folder>``."""
    source = raw_source_of(path, sources)
    if source is not None and not sources[source].inside_checkout:
        return "#input/" + quote(f"{source}/{sources[source].relative(path)}")
    folder = described is not None and described.kind == "folder"
    return quote(PurePosixPath(path).as_posix()) + ("/" if folder else "")


def job_id(job: Job) -> str:
    return "#job-" + quote(job.rule) + "".join(f"-{quote(k)}-{quote(v, safe='')}" for k, v in job.wildcards)


def _ref(entity_or_id: Any) -> dict[str, str]:
    return {"@id": entity_or_id if isinstance(entity_or_id, str) else entity_or_id.id}


def _size_props(described: Described) -> dict[str, Any]:
    if described.kind == "missing":
        return {"description": "absent when the crate was written (a raw input not kept with the data)"}
    props: dict[str, Any] = {"contentSize": str(described.size), "sha256": described.sha256}
    if described.kind == "folder":
        props["description"] = (f"a folder of {described.files} file(s); sha256: of its sha256sum listing "
                                "(paths relative to the folder, sorted)")
    else:
        fmt = FORMATS.get(PurePosixPath(described.path).suffix)
        if fmt:
            props["encodingFormat"] = fmt
    return props


def build_crate(facts: BuildFacts) -> ROCrate:
    """The crate of ``facts`` (nothing is read from disk here)."""
    crate = ROCrate(version="1.1")
    crate.metadata.extra_contexts.append(WORKFLOW_RUN_TERMS)  # sha256 and the run crates' own terms
    add = crate.add
    crate.metadata["conformsTo"] = [{"@id": RO_CRATE}, {"@id": "https://w3id.org/workflowhub/workflow-ro-crate/1.0"}]
    root = crate.root_dataset
    root["name"] = facts.name
    root["description"] = ("A dataset version built by the astrobuild workflow: what went in (raw inputs, their "
                           "sources and terms), what ran (one action per job, with the code, config and software) "
                           "and what came out, with sizes and SHA-256 checksums. " + facts.git.status + ".")
    root["datePublished"] = facts.git.date
    profiles = [add(ContextEntity(crate, pid, properties={"@type": "CreativeWork", "name": name, "version": ver}))
                for pid, (name, ver) in PROFILES.items()]
    root["conformsTo"] = [_ref(p) for p in profiles]

    # Sources, their terms, and the license of the whole.
    source_ids = {name: f"#source-{name}" for name in facts.sources}
    for name, src in facts.sources.items():
        props = {"@type": "CreativeWork", "name": f"source {name}", "description": f"{src.description}. This build: "
                 f"{src.mode} mode, {src.origin}.", "conditionsOfAccess": src.terms,
                 "usageInfo": f"redistribution of derived data: {src.redistribution}"}
        if src.url:
            props["url"] = src.url
        if src.mode == "sample":
            props["license"] = {"@id": MIT}
        add(ContextEntity(crate, source_ids[name], properties=props))
    add(ContextEntity(crate, MIT, properties={"@type": "CreativeWork", "name": "MIT License"}))
    terms = "; ".join(f"{n}: {s.terms} (redistribution: {s.redistribution})" for n, s in facts.sources.items())
    add(ContextEntity(crate, "#terms-of-use", properties={
        "@type": "CreativeWork", "name": "Terms of use of this dataset version",
        "description": "The build's code is MIT (LICENSE); each file derived from a source is under that source's "
                       f"terms (see each data entity's isBasedOn). {terms}."}))
    root["license"] = {"@id": "#terms-of-use"}

    # Software: the engine, Python, the pinned packages.
    engine = add(ContextEntity(crate, "#snakemake", properties={
        "@type": "SoftwareApplication", "name": "Snakemake", "version": facts.snakemake,
        "url": "https://snakemake.github.io"}))
    python = add(ContextEntity(crate, "#python", properties={
        "@type": "SoftwareApplication", "name": "Python", "version": facts.python, "url": "https://www.python.org"}))
    package_refs = [_ref(python)]
    for pkg in facts.packages:
        pid = f"https://pypi.org/project/{quote(pkg.name)}/{quote(pkg.version)}/"
        add(ContextEntity(crate, pid, properties={"@type": "SoftwareApplication", "name": pkg.name,
                                                  "version": pkg.version, "description": pkg.note}))
        package_refs.append({"@id": pid})

    # Code files: the workflow, its rule files, scripts, environments, the pins.
    def code_file(path: str, types: Any = "File") -> Any:
        described = facts.described[path]
        return crate.add_file(dest_path=path, properties={"@type": types, "name": path, **_size_props(described)})

    snakefile, *rule_files = facts.workflow_files
    workflow = crate.add_workflow(dest_path=snakefile, main=True, lang="snakemake", lang_version=facts.snakemake,
                                  properties={"@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"],
                                              "name": "astrobuild", **_size_props(facts.described[snakefile])})
    workflow["creativeWorkStatus"] = facts.git.status
    if facts.git.commit:
        workflow["version"] = facts.git.commit
    workflow["license"] = {"@id": MIT}
    # The rule files are parts of the workflow's text, not tools of it: the profile's tools (the workflow's
    # hasPart) must each be an action's instrument.
    for path in rule_files:
        code_file(path)["isPartOf"] = _ref(workflow)
    environment = add(ContextEntity(crate, "#python-environment", properties={
        "@type": "SoftwareApplication", "name": "the build's Python environment",
        "description": f"Python {facts.python}, Snakemake {facts.snakemake} and the packages pinned in "
                       f"{facts.constraints} (the conda environments of the rules pin the same versions)",
        "softwareRequirements": package_refs}))
    environment["hasPart"] = [_ref(code_file(facts.constraints))]

    used_rules = sorted({job.rule for job in facts.jobs})
    tools, steps = {}, []
    for position, name in enumerate(used_rules, 1):
        info = facts.rules[name]
        props: dict[str, Any] = {"@type": "SoftwareApplication", "name": f"rule {name}",
                                 "description": f"Snakemake rule {name} ({info.snakefile})",
                                 "softwareRequirements": [_ref(environment)]}
        tool = add(ContextEntity(crate, f"#rule-{quote(name)}", properties=props))
        if info.script:
            tool["hasPart"] = [_ref(crate.get(info.script) or code_file(info.script, ["File", "SoftwareSourceCode"]))]
        if info.conda_env:
            env = crate.get(info.conda_env) or code_file(info.conda_env)
            tool["softwareRequirements"] = [_ref(environment), _ref(env)]
        tools[name] = tool
        steps.append(add(ContextEntity(crate, f"#step-{quote(name)}", properties={
            "@type": "HowToStep", "name": f"rule {name}", "position": str(position), "workExample": _ref(tool)})))
    workflow["hasPart"] = [_ref(t) for t in tools.values()]
    workflow["step"] = [_ref(s) for s in steps]

    # The config: one FormalParameter (workflow input) and one PropertyValue (its value in this build) per key.
    values, formal = [], []
    for key, value in facts.config:
        fp = add(ContextEntity(crate, f"#param-{quote(key)}", properties={
            "@type": "FormalParameter", "name": key, "additionalType": parameter_type(value),
            "conformsTo": {"@id": FORMAL_PARAMETER}, "valueRequired": False}))
        formal.append(_ref(fp))
        values.append(_ref(add(ContextEntity(crate, f"#value-{quote(key)}", properties={
            "@type": "PropertyValue", "name": key, "value": parameter_value(value), "exampleOfWork": _ref(fp)}))))
    workflow["input"] = formal

    # Data: every input and output of the jobs (a run's own timings left out), in path order.
    by_source: dict[str, set[str]] = {}
    made = {out: job for job in facts.jobs for out in job.outputs}
    for job in facts.jobs:
        for path in (*job.inputs, *job.outputs):
            if path in facts.recorded:
                by_source.setdefault(path, set()).update(facts.lineage.get(made[path].key, ()) if path in made else ())
    for path in sorted(by_source):
        src = raw_source_of(path, facts.sources)
        if src is not None:
            by_source[path].add(src)
    data_ids: dict[str, str] = {}
    for path in sorted(by_source):
        described = facts.described[path]
        eid = entity_id(path, described, facts.sources)
        src = raw_source_of(path, facts.sources)
        outside = eid.startswith("#")
        props = {"name": f"{src}/{facts.sources[src].relative(path)}" if outside else path, **_size_props(described)}
        if src is not None:
            props["description"] = "; ".join(filter(None, [props.get("description"), f"raw input of source {src}: "
                                                           f"{facts.sources[src].origin}"]))
        if by_source[path]:
            props["isBasedOn"] = [{"@id": source_ids[s]} for s in sorted(by_source[path])]
        if outside:
            add(ContextEntity(crate, eid, properties={"@type": "CreativeWork", **props,
                                                      "isPartOf": {"@id": source_ids[src]}}))
        elif described.kind == "folder":
            crate.add_dataset(dest_path=eid, properties=props)
        else:
            crate.add_file(dest_path=eid, properties=props)
        data_ids[path] = eid
    manifest = crate.add_file(dest_path=facts.manifest, properties={
        "name": facts.manifest, **_size_props(facts.described[facts.manifest]),
        "about": {"@id": "./"}}) if facts.manifest in facts.described else None

    # What ran: one CreateAction per job, each controlled by a step; the build as a whole.
    controls = []
    for job in facts.jobs:
        action = add(ContextEntity(crate, job_id(job), properties={
            "@type": "CreateAction", "name": f"job {job.key}", "instrument": _ref(tools[job.rule]),
            "object": [{"@id": data_ids[p]} for p in job.inputs if p in data_ids],
            "result": [{"@id": data_ids[p]} for p in job.outputs if p in data_ids]}))
        step = f"#step-{quote(job.rule)}"
        controls.append(_ref(add(ContextEntity(crate, f"#control-{job_id(job)[1:]}", properties={
            "@type": "ControlAction", "name": f"orchestrate {job.key}", "instrument": {"@id": step},
            "object": _ref(action)}))))
    produced = {p for job in facts.jobs for p in job.outputs}
    raw = [{"@id": data_ids[p]} for p in sorted(data_ids) if p not in produced]
    results = [{"@id": data_ids[p]} for p in sorted(data_ids) if p in produced]
    if manifest is not None:
        results.append(_ref(manifest))
    run = add(ContextEntity(crate, "#build", properties={
        "@type": "CreateAction", "name": f"build of {facts.name}", "instrument": _ref(workflow),
        "object": [*raw, *values], "result": results,
        "description": "The build (Snakemake target `build`); when each job ran: run-times.json beside this file"}))
    add(ContextEntity(crate, "#orchestration", properties={
        "@type": "OrganizeAction", "name": "Snakemake runs the build", "instrument": _ref(engine),
        "object": controls, "result": _ref(run)}))
    root["mentions"] = [_ref(run)]
    return crate


def crate_json(crate: ROCrate) -> str:
    """The metadata file's text: sorted keys, entities in the order they were added, a final newline."""
    return json.dumps(crate.metadata.generate(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
