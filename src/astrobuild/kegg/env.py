"""Environment vectors (pH, temp, O2, redox) for pathways, from a documented mapping.

The mapping is data (``config/kegg_env.yaml``): explicit ``defaults`` and
rows keyed by a pathway's map number (``"00680"``), an overview map's number
(membership from ``overview_map_members``) or a BRITE tag
(``Metabolism/Energy metabolism``; a row applies to the tag and every tag
below it). Keys are map numbers, so ``map00680``, ``ko00680`` and
``hsa00680`` read the same row.

Each variable is resolved on its own, most specific first:

1. the pathway's own row;
2. the rows of the overview maps it belongs to (their mean);
3. the rows of its most specific matching tags (longest tag prefix; mean of ties);
4. the default.

Units (also in the mapping file and the contract): pH (0-14); temp in kelvin;
O2 as the oxygen volume mixing ratio of the habitat's gas phase (0-1, present
Earth air 0.2095); redox as Eh in volts against the standard hydrogen electrode.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from astrobuild import ids

VARIABLES = ("pH", "temp", "O2", "redox")
RANGES = {"pH": (0.0, 14.0), "temp": (173.15, 423.15), "O2": (0.0, 1.0), "redox": (-1.0, 1.3)}
LEVELS = ("pathway", "overview", "tag", "default")
_NUMBER = re.compile(rf"^{ids.NUMBER}$")
_PATHWAY_NUMBER = re.compile(rf"({ids.NUMBER})$")


@dataclass(frozen=True)
class EnvMapping:
    defaults: dict[str, float]
    pathways: dict[str, dict[str, float]]
    overviews: dict[str, dict[str, float]]
    tags: dict[str, dict[str, float]]


def _values(row: Any, where: str, complete: bool = False) -> dict[str, float]:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a mapping of {VARIABLES} to numbers, got {row!r}")
    unknown = sorted(set(row) - set(VARIABLES))
    if unknown:
        raise ValueError(f"{where}: unknown variable(s) {unknown}; known: {list(VARIABLES)}")
    if complete and set(row) != set(VARIABLES):
        raise ValueError(f"{where}: defaults must give every variable {list(VARIABLES)}")
    out = {}
    for var, value in row.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{where}.{var}: {value!r} is not a finite number")
        low, high = RANGES[var]
        if not low <= value <= high:
            raise ValueError(f"{where}.{var}: {value} outside [{low}, {high}]")
        out[var] = float(value)
    return out


def load_mapping(path: str | os.PathLike[str]) -> EnvMapping:
    """Read and check the mapping file; errors name the file and the row."""
    path = os.fspath(path)
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or "defaults" not in doc:
        raise ValueError(f"{path}: an environment mapping needs a 'defaults' section")
    extra = sorted(set(doc) - {"units", "defaults", "pathways", "overviews", "tags"})
    if extra:
        raise ValueError(f"{path}: unknown section(s) {extra}")
    sections: dict[str, dict[str, dict[str, float]]] = {}
    for section in ("pathways", "overviews", "tags"):
        rows = doc.get(section) or {}
        if not isinstance(rows, dict):
            raise ValueError(f"{path}: {section} must be a mapping")
        parsed = {}
        for key, row in rows.items():
            key = str(key)
            if section != "tags" and not _NUMBER.match(key):
                raise ValueError(f"{path}: {section}: key {key!r} is not a quoted five-digit map number")
            parsed[key.strip("/") if section == "tags" else key] = _values(row, f"{path}: {section}.{key}")
        sections[section] = parsed
    return EnvMapping(defaults=_values(doc["defaults"], f"{path}: defaults", complete=True), **sections)


def map_number(pathway: str) -> str | None:
    match = _PATHWAY_NUMBER.search(pathway)
    return match.group(1) if match else None


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _tag_rows(tags: list[str], mapping: EnvMapping) -> list[dict[str, float]]:
    """Rows of the most specific mapped tag prefixes (one depth: the deepest that matches)."""
    best_depth, rows = 0, []
    for tag in tags:
        parts = tag.split("/")
        for depth in range(len(parts), 0, -1):
            row = mapping.tags.get("/".join(parts[:depth]))
            if row is None:
                continue
            if depth > best_depth:
                best_depth, rows = depth, [row]
            elif depth == best_depth:
                rows.append(row)
            break
    return rows


def env_vector(pathway: str, tags: list[str], overviews: list[str], mapping: EnvMapping
               ) -> tuple[dict[str, float], dict[str, str]]:
    """(values, level each value came from) for one pathway."""
    number = map_number(pathway)
    candidates = [
        ("pathway", [mapping.pathways[number]] if number in mapping.pathways else []),
        ("overview", [mapping.overviews[o] for o in sorted(set(overviews)) if o in mapping.overviews]),
        ("tag", _tag_rows(sorted(set(tags)), mapping)),
    ]
    values, sources = {}, {}
    for var in VARIABLES:
        for level, rows in candidates:
            found = [row[var] for row in rows if var in row]
            if found:
                values[var], sources[var] = round(_mean(found), 6), level
                break
        else:
            values[var], sources[var] = mapping.defaults[var], "default"
    return values, sources


def env_vectors(pathways: list[str], tags: dict[str, list[str]], overviews: dict[str, list[str]],
                mapping: EnvMapping) -> tuple[list[tuple[str, float, float, float, float]], dict[str, Any]]:
    """Rows (pathway, pH, temp, O2, redox) in the order given, and counts for the report.

    ``tags`` and ``overviews`` are keyed by map number (``"00010"``).
    """
    rows = []
    per_variable = {var: Counter() for var in VARIABLES}
    all_default, any_default = [], 0
    for pathway in pathways:
        number = map_number(pathway) or ""
        values, sources = env_vector(pathway, tags.get(number, []), overviews.get(number, []), mapping)
        rows.append((pathway, *(values[v] for v in VARIABLES)))
        for var in VARIABLES:
            per_variable[var][sources[var]] += 1
        if all(s == "default" for s in sources.values()):
            all_default.append(pathway)
        if any(s == "default" for s in sources.values()):
            any_default += 1
    report = {
        "pathways": len(pathways),
        "took_default": len(all_default),
        "took_default_examples": all_default[:50],
        "some_variable_default": any_default,
        "source_per_variable": {var: {lvl: per_variable[var].get(lvl, 0) for lvl in LEVELS} for var in VARIABLES},
        "defaults": mapping.defaults,
    }
    return rows, report
