"""The planet-run registry: the primary key that links every modality.

One row per planet-run (a planet under one climate scenario, i.e. one climate
cube). Its ``run_id`` is derived from the run's defining content, not from a
counter or a file name, so a rebuild, another machine or a reordered folder
gives the same id, and a changed cube gives a new one:

    run_id = "run-" + sha256(planet \\x1f scenario \\x1f source_sha256)[:16]

(an absent planet or scenario enters as the empty string; the cube's hash keeps
such runs apart.) The other columns are the keys of the modalities:

* ``climate_store``: the run's Zarr store;
* ``spectrum``: the spectrum id in the spectra table: the run's own spectrum
  (same id as the cube's stem), else the planet's (a spectrum whose ``planet``
  is the run's planet; the lowest id when there are several), else null;
* ``planet``: the key of the planet parameters in the exoplanet table (null
  when the run has no planet; a planet missing from the table is an error);
* ``pathways``: the run's biosphere (space-separated KEGG map ids), each of
  which must have a graph in the KEGG graph store.

A reference that does not resolve is not silently nulled: unknown planets and
pathways stop the build with the run and the missing key named; runs with no
planet or no spectrum are counted in the report.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from typing import Any

import pandas as pd
import pyarrow as pa

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.planet_runs import PlanetRuns
from astrobuild.io import read_parquet, write_json, write_parquet

log = logging.getLogger(__name__)

RUN_ID_PREFIX = "run-"
RUN_ID_HEX = 16
SEP = "\x1f"  # unit separator: cannot appear in a planet name or scenario read from CSV text

REGISTRY_SCHEMA = arrow_schema(PlanetRuns)


class RegistryError(ValueError):
    """A run refers to an artefact that does not exist; the message names the run and the key."""


def run_id(planet: str | None, scenario: str | None, source_sha256: str) -> str:
    """The deterministic id of a planet-run (see the module docstring)."""
    if not source_sha256:
        raise ValueError("a run id needs the hash of the run's climate file")
    text = SEP.join((planet or "", scenario or "", source_sha256))
    return RUN_ID_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:RUN_ID_HEX]


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else value


def build_registry(climate_runs: pd.DataFrame, planets: Iterable[str], spectra: pd.DataFrame,
                   graph_pathways: Iterable[str], store_exists=os.path.isdir) -> tuple[pa.Table, dict[str, Any]]:
    """Join the modalities' keys into the registry table; returns it and the facts for the report.

    ``climate_runs`` has one row per cube (file, stem, source_sha256, store,
    planet, scenario, label, biosphere); ``planets`` are the planet names of
    the exoplanet table; ``spectra`` has at least ``spectrum`` and ``planet``;
    ``graph_pathways`` are the pathways of the KEGG graph store.
    """
    known_planets = set(planets)
    graphs = set(graph_pathways)
    spectrum_ids = set(spectra["spectrum"].dropna()) if len(spectra) else set()
    run_stems = set(climate_runs["stem"])
    # A planet-level spectrum is one that is no run's own: a sibling run's spectrum
    # was taken under another climate and says nothing about this one.
    by_planet: dict[str, str] = {}
    if len(spectra):
        for sid, planet in sorted(zip(spectra["spectrum"], spectra["planet"], strict=True),
                                  key=lambda r: (str(r[1]), str(r[0]))):
            planet = _none(planet)
            if planet is not None and sid not in run_stems:
                by_planet.setdefault(planet, sid)

    rows, errors = [], []
    matches = {"run": 0, "planet": 0, "none": 0}
    for r in climate_runs.sort_values(["stem", "file"]).itertuples(index=False):
        planet, scenario = _none(r.planet), _none(r.scenario)
        store = r.store
        if not store_exists(store):
            errors.append(f"run {r.stem!r}: climate store {store} does not exist")
        if planet is not None and planet not in known_planets:
            errors.append(f"run {r.stem!r}: planet {planet!r} is not in the exoplanet table")
        pathways = sorted(set(str(_none(r.biosphere) or "").split()))
        missing = [p for p in pathways if p not in graphs]
        if missing:
            errors.append(f"run {r.stem!r}: pathway(s) {', '.join(missing)} have no graph in the KEGG graph store")
        if r.stem in spectrum_ids:
            spectrum, match = r.stem, "run"
        elif planet is not None and planet in by_planet:
            spectrum, match = by_planet[planet], "planet"
        else:
            spectrum, match = None, None
        matches[match or "none"] += 1
        label = _none(r.label)
        rows.append({
            "run_id": run_id(planet, scenario, r.source_sha256), "planet": planet, "scenario": scenario,
            "label": None if label is None else bool(label), "climate_file": r.file, "climate_store": store,
            "source_sha256": r.source_sha256, "spectrum": spectrum, "spectrum_match": match,
            "pathways": " ".join(pathways) if pathways else None, "n_pathways": len(pathways),
        })
    if errors:
        raise RegistryError(f"{len(errors)} unresolved reference(s) in the planet-run registry:\n  "
                            + "\n  ".join(errors[:50]))
    table = pa.Table.from_pylist(rows, schema=REGISTRY_SCHEMA).sort_by([("run_id", "ascending")])
    ids = table.column("run_id").to_pylist()
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise RegistryError(f"runs with identical defining content (same planet, scenario and cube bytes): {dupes}")
    report = {
        "runs": table.num_rows,
        "planets": len({r["planet"] for r in rows if r["planet"] is not None}),
        "runs_without_planet": sum(r["planet"] is None for r in rows),
        "runs_without_label": sum(r["label"] is None for r in rows),
        "runs_without_pathways": sum(r["n_pathways"] == 0 for r in rows),
        "spectrum_match": matches,
        "planets_in_archive_without_runs": len(known_planets - {r["planet"] for r in rows}),
    }
    return table, report


def planet_runs(climate_runs_path: str, exoplanets_path: str, planet_column: str, spectra_path: str,
                env_vectors_path: str, table_path: str, report_path: str) -> dict[str, Any]:
    """Rule planet_runs: read the modalities' tables, write the registry and its report."""
    climate = read_parquet(climate_runs_path).to_pandas()
    planets = read_parquet(exoplanets_path, columns=[planet_column]).column(planet_column).to_pylist()
    spectra = read_parquet(spectra_path, columns=["spectrum", "planet"]).to_pandas().drop_duplicates()
    pathways = read_parquet(env_vectors_path, columns=["pathway"]).column("pathway").to_pylist()
    table, report = build_registry(climate, planets, spectra, pathways)
    write_parquet(table, table_path, dictionary=["planet", "scenario", "spectrum_match"])
    report["inputs"] = {"climate_runs": climate_runs_path, "exoplanets": exoplanets_path,
                        "spectra": spectra_path, "env_vectors": env_vectors_path}
    write_json(report, report_path)
    log.info("%d planet-run(s) of %d planet(s); %d without planet; spectra matched: %s", report["runs"],
             report["planets"], report["runs_without_planet"], report["spectrum_match"])
    return report
