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
* ``planet``: the key of the planet parameters in the exoplanet table, or in
  the hypothetical planets runs.csv/planets.csv describe
  (:mod:`astrobuild.hypothetical_planets`; null when the run has no planet; a
  run whose planet is in neither goes to quarantine, the build goes on);
* ``run:<name>``: the run's forcings from runs.csv (``train.run_columns``,
  null where not given), the run parameters of the model;
* ``pathways``: the run's biosphere (space-separated KEGG map ids): the
  ``biosphere`` ids of its ``runs.csv`` row, each of which must have a graph
  in the KEGG graph store, and the present pathways (``organism_pathways``)
  of the genomes its ``organisms`` name (:func:`resolve_organisms`), the
  union of both; ``organisms`` holds those genomes and ``biosphere_source``
  says where the set came from (``biosphere``, ``organisms`` or ``both``).
  A pathway an organism has but the graph store lacks (a local KEGG folder
  without that map's KGML) cannot be a graph of the run: it is left out and
  counted, per run and pathway, in the report.

The ``runs.csv`` columns beyond the known ones (targets: :mod:`astrobuild.climate.runs`)
follow, under their own names and types (float64 or string), after the columns above.

A reference that does not resolve is not silently nulled: unknown pathways and
organisms stop the build with the run and the missing key named (a planet
:func:`build_registry` is given no row of does too; rule planet_runs first
quarantines such runs, :func:`~astrobuild.hypothetical_planets.resolve_planets`);
runs with no planet or no spectrum are counted in the report.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from astrobuild.climate.runs import PLANET_PREFIX, RUN_PREFIX, extra_field
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.climate import ClimateRuns
from astrobuild.contracts.planet_runs import PlanetRuns
from astrobuild.hypothetical_planets import hypothetical_table, resolve_planets
from astrobuild.io import read_parquet, write_json, write_parquet
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

RUN_ID_PREFIX = "run-"
RUN_ID_HEX = 16
SEP = "\x1f"  # unit separator: cannot appear in a planet name or scenario read from CSV text

REGISTRY_SCHEMA = arrow_schema(PlanetRuns)  # the named columns; a registry adds its run:<name> ones
# what a climate_runs table holds besides the runs.csv's extra (target) columns
CLIMATE_RUNS_COLUMNS = frozenset(arrow_schema(ClimateRuns).names)


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


class OrganismIndex:
    """Resolves the accessions a ``runs.csv`` names to genomes of the organisms table, and gives
    each genome's present pathways.

    A name is a genome (an assembly accession, or a record's accession.version for a record
    without one), a record's ``accession.version``, or a bare accession when one genome has it.
    """

    def __init__(self, organisms: pd.DataFrame, organism_pathways: pd.DataFrame | None):
        self.genome_of: dict[str, set[str]] = defaultdict(set)
        for accession, version, genome in zip(organisms["accession"], organisms["version"], organisms["genome"],
                                              strict=True):
            self.genome_of[genome].add(genome)
            self.genome_of[accession].add(genome)
            if _none(version) is not None:
                self.genome_of[f"{accession}.{int(version)}"].add(genome)
        self.mapped = organism_pathways is not None
        self.present: dict[str, set[str]] = defaultdict(set)
        if organism_pathways is not None:
            rows = organism_pathways[organism_pathways["present"].astype(bool)]
            for genome, pathway in zip(rows["genome"], rows["pathway"], strict=True):
                self.present[genome].add(pathway)

    def resolve(self, names: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
        """(genomes, names in no record, names of several genomes)."""
        genomes, unknown, ambiguous = set(), [], []
        for name in names:
            found = self.genome_of.get(name, set())
            if not found:
                unknown.append(name)
            elif len(found) > 1:
                ambiguous.append(f"{name} ({', '.join(sorted(found))})")
            else:
                genomes |= found
        return sorted(genomes), unknown, ambiguous


def resolve_organisms(stem: str, names: list[str], index: OrganismIndex | None,
                      errors: list[str]) -> tuple[list[str], set[str]]:
    """A run's genomes and the union of their present pathways; unresolved names go to ``errors``."""
    if index is None:
        errors.append(f"run {stem!r}: organisms {names} given, but the registry has no organisms table")
        return [], set()
    genomes, unknown, ambiguous = index.resolve(names)
    if unknown:
        errors.append(f"run {stem!r}: organism(s) {', '.join(unknown)} are not in the organisms table")
    if ambiguous:
        errors.append(f"run {stem!r}: organism(s) {'; '.join(ambiguous)} name several genomes: give the version")
    if not index.mapped:
        errors.append(f"run {stem!r}: organisms given, but this build maps no organism to pathways (the kegg "
                      "source has no KEGG link/pathway/ko or link/pathway/ec output)")
    return genomes, set().union(*(index.present.get(g, set()) for g in genomes))


def build_registry(climate_runs: pd.DataFrame, planets: Iterable[str], spectra: pd.DataFrame,
                   graph_pathways: Iterable[str], store_exists=os.path.isdir,
                   organisms: OrganismIndex | None = None) -> tuple[pa.Table, dict[str, Any]]:
    """Join the modalities' keys into the registry table; returns it and the facts for the report.

    ``climate_runs`` has one row per cube (file, stem, source_sha256, store,
    planet, scenario, label, biosphere and optionally organisms and ``run:<name>``
    forcings, carried as they are); ``planets`` are the planet names of the
    exoplanet table and the hypothetical planets; ``spectra`` has at least
    ``spectrum`` and ``planet``; ``graph_pathways`` are the pathways of the
    KEGG graph store; ``organisms`` resolves the runs' organisms.
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

    # the runs.csv's target columns (the forcings are run:<name>; planet:<name> values went to the planets)
    extras = [c for c in climate_runs.columns if c not in CLIMATE_RUNS_COLUMNS and not c.startswith((RUN_PREFIX, PLANET_PREFIX))]
    rows, errors = [], []
    forcings = sorted(c for c in climate_runs.columns if c.startswith(RUN_PREFIX))
    matches = {"run": 0, "planet": 0, "none": 0}
    without_graph: Counter = Counter()  # pathways of a run's organisms that the graph store lacks
    for r in climate_runs.sort_values(["stem", "file"]).to_dict("records"):
        stem = r["stem"]
        planet, scenario = _none(r["planet"]), _none(r["scenario"])
        store = r["store"]
        if not store_exists(store):
            errors.append(f"run {stem!r}: climate store {store} does not exist")
        if planet is not None and planet not in known_planets:
            errors.append(f"run {stem!r}: planet {planet!r} is not in the exoplanet table")
        given = set(str(_none(r["biosphere"]) or "").split())
        missing = sorted(p for p in given if p not in graphs)
        if missing:
            errors.append(f"run {stem!r}: pathway(s) {', '.join(missing)} have no graph in the KEGG graph store")
        names = str(_none(r.get("organisms")) or "").split()
        genomes, derived = resolve_organisms(r["stem"], names, organisms, errors) if names else ([], set())
        for pathway in sorted(derived - graphs - given):
            without_graph[pathway] += 1
        pathways = sorted(given | (derived & graphs))
        source = "both" if given and names else ("biosphere" if given else ("organisms" if names else None))
        if r["stem"] in spectrum_ids:
            spectrum, match = r["stem"], "run"
        elif planet is not None and planet in by_planet:
            spectrum, match = by_planet[planet], "planet"
        else:
            spectrum, match = None, None
        matches[match or "none"] += 1
        label = _none(r["label"])
        rows.append({
            "run_id": run_id(planet, scenario, r["source_sha256"]), "planet": planet, "scenario": scenario,
            "label": None if label is None else bool(label), "climate_file": r["file"], "climate_store": store,
            "source_sha256": r["source_sha256"], "spectrum": spectrum, "spectrum_match": match,
            "pathways": " ".join(pathways) if pathways else None, "n_pathways": len(pathways),
            "organisms": " ".join(genomes) if genomes else None, "biosphere_source": source,
            **{c: _none(r[c]) for c in forcings},
            **{c: _none(r[c]) for c in extras},
        })
    if errors:
        raise RegistryError(f"{len(errors)} unresolved reference(s) in the planet-run registry:\n  "
                            + "\n  ".join(errors[:50]))
    schema = pa.schema([*arrow_schema(PlanetRuns, forcings), *(extra_field(climate_runs, c) for c in extras)])
    table = pa.Table.from_pylist(rows, schema=schema).sort_by([("run_id", "ascending")])
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
        "biosphere_source": dict(sorted(Counter(r["biosphere_source"] or "none" for r in rows).items())),
        # pathway -> runs whose organisms have it although the KEGG graph store has no graph of it
        "organism_pathways_without_graph": dict(sorted(without_graph.items())),
    }
    if without_graph:
        log.warning("%d pathway(s) of the runs' organisms have no graph and are left out of their biospheres: %s",
                    len(without_graph), sorted(without_graph)[:20])
    return table, report


def planet_runs(climate_runs_path: str, exoplanets_path: str, planet_column: str, spectra_path: str,
                env_vectors_path: str, table_path: str, report_path: str, organisms_path: str | None = None,
                organism_pathways_path: str | None = None, planet_columns: Sequence[str] = (),
                quarantine_path: str | None = None, hypothetical_path: str | None = None) -> dict[str, Any]:
    """Rule planet_runs: read the modalities' tables, write the registry, its quarantine (runs whose planet
    is in neither the exoplanet table nor their runs.csv/planets.csv), the hypothetical planets and the report.

    ``organism_pathways_path`` is None where the build maps no organism to pathways."""
    climate = read_parquet(climate_runs_path).to_pandas()
    planets = read_parquet(exoplanets_path, columns=[planet_column]).column(planet_column).to_pylist()
    spectra = read_parquet(spectra_path, columns=["spectrum", "planet"]).to_pandas().drop_duplicates()
    pathways = read_parquet(env_vectors_path, columns=["pathway"]).column("pathway").to_pylist()
    index = None
    if organisms_path:
        present = (read_parquet(organism_pathways_path, columns=["genome", "pathway", "present"]).to_pandas()
                   if organism_pathways_path else None)
        index = OrganismIndex(read_parquet(organisms_path, columns=["accession", "version", "genome"]).to_pandas(),
                              present)
    quarantine = Quarantine()
    climate, hypothetical, facts = resolve_planets(climate, planets, planet_columns, quarantine)
    table, report = build_registry(climate, [*planets, *hypothetical["planet"]], spectra, pathways,
                                   organisms=index)
    write_parquet(table, table_path, dictionary=["planet", "scenario", "spectrum_match", "biosphere_source"])
    if hypothetical_path:
        write_parquet(hypothetical_table(hypothetical), hypothetical_path)
    if quarantine_path:
        quarantine.write(quarantine_path)
    report.update(facts, quarantine_reasons=quarantine.counts())
    report["inputs"] = {"climate_runs": climate_runs_path, "exoplanets": exoplanets_path,
                        "spectra": spectra_path, "env_vectors": env_vectors_path, "organisms": organisms_path,
                        "organism_pathways": organism_pathways_path}
    write_json(report, report_path)
    log.info("%d planet-run(s) of %d planet(s) (%d hypothetical); %d without planet; %d quarantined; spectra "
             "matched: %s", report["runs"], report["planets"], facts["hypothetical_planets"],
             report["runs_without_planet"], facts["runs_quarantined"], report["spectrum_match"])
    return report
