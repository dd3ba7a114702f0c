"""Checks of a written crate that need no network: the profiles' required properties, and the data.

:data:`REQUIRED` lists, one line each, the MUST requirements of the profiles the crate declares
(RO-Crate 1.1's root and descriptor, Workflow RO-Crate 1.0, Process, Workflow and Provenance Run
Crate 0.5; the SHACL shapes of roc-validator 0.13 say the same), and :func:`missing_required`
returns those a crate breaks. :func:`data_problems` loads the crate back with ro-crate-py and checks
that every data entity exists under the checkout with its recorded size and sha256.
roc-validator itself needs the network (it fetches the JSON-LD contexts): docs/provenance.md.

``python -m astrobuild.provenance.check [results/provenance/ro-crate-metadata.json] [checkout]``
runs both and exits non-zero naming each problem (raw inputs under data/raw/, which ``dvc pull`` does
not bring, may be absent; those present are checked).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from rocrate.rocrate import ROCrate

from astrobuild.provenance.files import describe

Graph = Mapping[str, Mapping[str, Any]]


def _types(entity: Mapping[str, Any] | None) -> set[str]:
    value = (entity or {}).get("@type", [])
    return set([value] if isinstance(value, str) else value)


def _refs(entity: Mapping[str, Any] | None, prop: str) -> list[str]:
    value = (entity or {}).get(prop)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [v["@id"] if isinstance(v, Mapping) else v for v in values]


def _root(graph: Graph) -> Mapping[str, Any]:
    descriptor = graph.get("ro-crate-metadata.json", {})
    ids = _refs(descriptor, "about")
    return graph.get(ids[0], {}) if ids else {}


def _main(graph: Graph) -> Mapping[str, Any]:
    ids = _refs(_root(graph), "mainEntity")
    return graph.get(ids[0], {}) if ids else {}


def _of_type(graph: Graph, kind: str) -> list[Mapping[str, Any]]:
    return [e for e in graph.values() if kind in _types(e)]


def _all_typed(graph: Graph, ids: Iterable[str], kind: str) -> bool:
    return all(kind in _types(graph.get(i)) for i in ids)


def _conforms(graph: Graph, prefix: str) -> bool:
    return any(i.startswith(prefix) for i in _refs(_root(graph), "conformsTo"))


def _tools(graph: Graph) -> list[Mapping[str, Any]]:
    """What the profile calls tools: software that a ComputationalWorkflow has as a part."""
    kinds = {"SoftwareApplication", "SoftwareSourceCode", "ComputationalWorkflow"}
    ids = {i for w in _of_type(graph, "ComputationalWorkflow") for i in _refs(w, "hasPart")}
    return [graph[i] for i in sorted(ids) if i in graph and _types(graph[i]) & kinds]


def _instrument_of_action(graph: Graph, entity_id: str) -> bool:
    actions = {"CreateAction", "ActivateAction", "UpdateAction"}
    return any(entity_id in _refs(e, "instrument") for e in graph.values() if _types(e) & actions)


REQUIRED: dict[str, Callable[[Graph], bool]] = {
    "RO-Crate: the metadata descriptor is a CreativeWork about the root and conformsTo RO-Crate":
        lambda g: "CreativeWork" in _types(g.get("ro-crate-metadata.json")) and bool(_root(g))
        and any(i.startswith("https://w3id.org/ro/crate/") for i in _refs(g["ro-crate-metadata.json"], "conformsTo")),
    "RO-Crate: the root is a Dataset whose @id ends with /":
        lambda g: "Dataset" in _types(_root(g)) and str(_root(g).get("@id", "")).endswith("/"),
    "RO-Crate: the root has name, description, license and datePublished":
        lambda g: all(_root(g).get(p) for p in ("name", "description", "license", "datePublished")),
    "Workflow RO-Crate: the root has a mainEntity":
        lambda g: bool(_refs(_root(g), "mainEntity")),
    "Workflow RO-Crate: the main workflow is a File, SoftwareSourceCode and ComputationalWorkflow":
        lambda g: {"File", "SoftwareSourceCode", "ComputationalWorkflow"} <= _types(_main(g)),
    "Workflow RO-Crate: the main workflow has a programmingLanguage that is a ComputerLanguage":
        lambda g: bool(_refs(_main(g), "programmingLanguage"))
        and _all_typed(g, _refs(_main(g), "programmingLanguage"), "ComputerLanguage"),
    "Process Run Crate: the root conformsTo https://w3id.org/ro/wfrun/process/":
        lambda g: _conforms(g, "https://w3id.org/ro/wfrun/process/"),
    "Process Run Crate: every CreateAction has an instrument":
        lambda g: all(_refs(a, "instrument") for a in _of_type(g, "CreateAction")),
    "Workflow Run Crate: the root conformsTo https://w3id.org/ro/wfrun/workflow/":
        lambda g: _conforms(g, "https://w3id.org/ro/wfrun/workflow/"),
    "Workflow Run Crate: a CreateAction has the main workflow as instrument":
        lambda g: any(_main(g).get("@id") in _refs(a, "instrument") for a in _of_type(g, "CreateAction")),
    "Workflow Run Crate: workflow input and output are FormalParameters":
        lambda g: all(_all_typed(g, _refs(w, "input") + _refs(w, "output"), "FormalParameter")
                      for w in _of_type(g, "ComputationalWorkflow")),
    "Workflow Run Crate: every FormalParameter has an additionalType":
        lambda g: all(fp.get("additionalType") for fp in _of_type(g, "FormalParameter")),
    "Provenance Run Crate: the root conformsTo https://w3id.org/ro/wfrun/provenance/":
        lambda g: _conforms(g, "https://w3id.org/ro/wfrun/provenance/"),
    "Provenance Run Crate: the workflow has its tools as hasPart":
        lambda g: all(_refs(w, "hasPart") for w in _of_type(g, "ComputationalWorkflow")),
    "Provenance Run Crate: a workflow with steps is also a HowTo":
        lambda g: all("HowTo" in _types(w) for w in _of_type(g, "ComputationalWorkflow") if _refs(w, "step")),
    "Provenance Run Crate: every tool is the instrument of an action, and its input and output are FormalParameters":
        lambda g: all(_instrument_of_action(g, t["@id"]) and _all_typed(g, _refs(t, "input") + _refs(t, "output"),
                                                                         "FormalParameter") for t in _tools(g)),
    "Provenance Run Crate: every HowToStep is a workflow's step and has a workExample":
        lambda g: all(_refs(s, "workExample") and any(s["@id"] in _refs(w, "step")
                                                      for w in _of_type(g, "ComputationalWorkflow"))
                      for s in _of_type(g, "HowToStep")),
    "Provenance Run Crate: every ControlAction has an instrument (a HowToStep) and an object (an action)":
        lambda g: all(_refs(c, "instrument") and _all_typed(g, _refs(c, "instrument"), "HowToStep")
                      and _refs(c, "object") for c in _of_type(g, "ControlAction")),
    "Provenance Run Crate: an OrganizeAction has the engine as instrument, ControlActions as object and the "
    "workflow run as result":
        lambda g: bool(_of_type(g, "OrganizeAction")) and all(
            _refs(o, "instrument") and _refs(o, "object") and _all_typed(g, _refs(o, "object"), "ControlAction")
            and _refs(o, "result") for o in _of_type(g, "OrganizeAction")),
}
"""One line per MUST requirement of the declared profiles -> its check of the crate's graph."""


def graph_of(metadata: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``@id`` -> entity of a metadata document (its ``@graph``)."""
    return {e["@id"]: e for e in metadata.get("@graph", []) if isinstance(e, Mapping) and "@id" in e}


def missing_required(metadata: Mapping[str, Any]) -> list[str]:
    """The requirements of :data:`REQUIRED` that ``metadata`` (a parsed ro-crate-metadata.json) breaks."""
    graph = graph_of(metadata)
    return [name for name, holds in REQUIRED.items() if not holds(graph)]


def data_problems(metadata: Mapping[str, Any], root: str | os.PathLike[str] = ".", raw_required: bool = True) -> list[str]:
    """Load the crate with ro-crate-py and check every data entity (File or Dataset, relative ``@id``) against
    the files under ``root``: present, and with the recorded size and sha256. One message per problem.
    ``raw_required=False``: raw inputs (under data/raw/, which DVC does not version) may be absent, as after
    a ``dvc pull``; those present are checked."""
    crate = ROCrate(json.loads(json.dumps(metadata)))  # ro-crate-py consumes the dict it is given
    problems = []
    for entity in crate.data_entities:
        eid = entity.id
        if "://" in eid or eid.startswith("#"):
            continue
        path = unquote(eid).rstrip("/")
        found = describe(path, root)
        if found.kind == "missing":
            if not raw_required and PurePosixPath(path).parts[:2] == ("data", "raw"):
                continue
            problems.append(f"{path}: missing under {root}")
            continue
        if entity.get("sha256") is None:
            problems.append(f"{path}: no sha256 recorded")
        elif found.sha256 != entity.get("sha256") or str(found.size) != str(entity.get("contentSize")):
            problems.append(f"{path}: sha256 {found.sha256} ({found.size} bytes), the crate records "
                            f"{entity.get('sha256')} ({entity.get('contentSize')} bytes)")
    return problems


def check_crate(metadata_path: str | os.PathLike[str], root: str | os.PathLike[str] = ".",
                raw_required: bool = False) -> list[str]:
    """Every problem of the crate at ``metadata_path`` (required properties, then data), each naming the file.
    Raw inputs may be absent unless ``raw_required`` (:func:`data_problems`)."""
    metadata = json.loads(Path(metadata_path).read_text(encoding="utf-8"))
    return ([f"{metadata_path}: breaks '{name}'" for name in missing_required(metadata)]
            + [f"{metadata_path}: {problem}" for problem in data_problems(metadata, root, raw_required)])


if __name__ == "__main__":
    args = sys.argv[1:]
    found_problems = check_crate(args[0] if args else "results/provenance/ro-crate-metadata.json",
                                 args[1] if len(args) > 1 else ".")
    for line in found_problems:
        print(line, file=sys.stderr)
    print(f"{len(found_problems)} problem(s)")
    sys.exit(1 if found_problems else 0)
