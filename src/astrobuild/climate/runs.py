"""The table of cubes with their runs (``climate_runs.parquet``), from the cubes and their ``runs.csv``.

A ``runs.csv`` beside the cubes maps files to runs: columns ``file``,
``planet``, ``scenario`` and optionally ``label`` (0/1/true/false),
``biosphere`` (space-separated KEGG map ids) and ``organisms``
(space-separated GenBank record or assembly accessions, whose pathways the
registry adds to the biosphere). ``file`` is relative to the
folder of the ``runs.csv``; a path leaving that folder, a file that does not
exist, a row with the wrong number of fields or an unreadable label, biosphere or
organisms goes to quarantine with the reason. A cube no row names is its own
run (null planet and scenario); the report says how many. The cubes and their
stems come from :mod:`astrobuild.climate.stems`.

Numbers, each cell empty (not given) or a finite number, else the row goes to
quarantine naming the column and the value:

* the run's forcings: the columns ``train.run_columns`` names (CO2, instellation,
  ...), carried as ``run:<name>``; a declared column no runs.csv has is null on
  every run (the report lists it);
* a planet's parameters, for a planet the exoplanet table lacks: any column named
  as a numeric column of that table (``radius_earth``, ``mass_earth``, ... in its
  units), in runs.csv or in a ``planets.csv`` beside it (``planet`` and those
  columns, one row per planet), carried as ``planet:<name>``. A value given in
  both that differs sends the run's row to quarantine. Whether the registry needs
  them (the planet is not in the archive) is its decision
  (:func:`astrobuild.planet_runs.build_registry`).


Any other column (a target of the training, ``train.target``) is carried into
the table, and on into the registry, under its own name: ``float64`` when every
non-empty value of it (over every ``runs.csv``) is a finite number, else a
string (class names). An empty cell is null (an unlabelled run). A column whose
values are mostly numbers but not all sends the rows that are not to
quarantine, naming file, line and column: a typo must not turn a regression
target into class names. A column named like one of the registry's own is
refused (the whole file), as is a header naming a column twice.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from astrobuild import ids
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.climate import ClimateRuns
from astrobuild.contracts.exoplanet_columns import all_columns
from astrobuild.contracts.planet_runs import PlanetRuns
from astrobuild.io import sha256_file
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

RUNS_CSV = "runs.csv"
PLANETS_CSV = "planets.csv"
SCHEMA = arrow_schema(ClimateRuns)
REQUIRED = ("file", "planet", "scenario")
RUN_PREFIX, PLANET_PREFIX = "run:", "planet:"  # not a dot: Arrow reads "a.b" as a nested field
# The exoplanet table's numeric columns: what a runs.csv or planets.csv may give for a planet.
PLANET_COLUMNS = frozenset(c.name for c in all_columns() if c.kind in ("float", "int"))
_MAP_ID = ids.PATHWAY_RE
KNOWN = (*REQUIRED, "label", "biosphere", "organisms")
# An extra column may not shadow a column of this table or of the registry it flows into.
RESERVED = frozenset(SCHEMA.names) | frozenset(arrow_schema(PlanetRuns).names)
_TRUE, _FALSE = {"1", "true", "yes", "t", "y"}, {"0", "false", "no", "f", "n"}


def _label(text: str) -> bool | None:
    value = text.strip().lower()
    if value == "":
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"label {text!r} is not 0/1/true/false")


def _biosphere(text: str) -> str | None:
    maps = text.split()
    if not maps:
        return None
    bad = [i for i in maps if not _MAP_ID.match(i)]
    if bad:
        raise ValueError(f"biosphere ids {bad} are not KEGG map ids")
    return " ".join(maps)


def _organisms(text: str) -> str | None:
    names = text.split()
    if not names:
        return None
    bad = [n for n in names if not ids.ACCESSION_RE.match(n)]
    if bad:
        raise ValueError(f"organisms {bad} are not sequence accessions (NC_000932.1, GCF_000005845.2)")
    return " ".join(dict.fromkeys(names))


def number(text: str, column: str) -> float | None:
    """A numeric cell: None when empty, else a finite float; a ValueError naming the column otherwise."""
    value = text.strip()
    if value == "":
        return None
    try:
        result = float(value)
    except ValueError:
        raise ValueError(f"column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(result):
        raise ValueError(f"column {column!r}: {text!r} is not a finite number")
    return result


def _numbers(fields: dict[str, str], columns: Sequence[str], prefix: str) -> dict[str, float | None]:
    return {prefix + c: number(fields[c], c) for c in columns}


def read_planets_csv(path: str | os.PathLike[str], quarantine: Quarantine) -> dict[str, dict[str, float]]:
    """Planet -> its given planet columns (``planet:<name>``), from one ``planets.csv``; bad rows to quarantine."""
    planets: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        if "planet" not in header:
            quarantine.add(path, 1, "planets.csv header lacks column 'planet'", ",".join(header))
            return planets
        columns = [c for c in header if c in PLANET_COLUMNS]
        for record in reader:
            line, text = reader.line_num, ",".join(record)
            if not "".join(record).strip():
                continue
            if len(record) != len(header):
                quarantine.add(path, line, f"{len(record)} fields, header has {len(header)}", text)
                continue
            fields = dict(zip(header, (v.strip() for v in record), strict=True))
            if not fields["planet"]:
                quarantine.add(path, line, "empty planet name", text)
                continue
            try:
                values = {k: v for k, v in _numbers(fields, columns, PLANET_PREFIX).items() if v is not None}
            except ValueError as exc:
                quarantine.add(path, line, str(exc), text)
                continue
            if fields["planet"] in planets:
                quarantine.add(path, line, "planet listed twice (first row kept)", text)
                continue
            planets[fields["planet"]] = values
    return planets


def _with_planet_file(run: dict[str, Any], listed: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The run's planet columns: its own cells, then the planets.csv row's; a disagreement is a ValueError."""
    for key, value in listed.get(run["planet"], {}).items():
        given = run.get(key)
        if given is not None and given != value:
            raise ValueError(f"planet {run['planet']!r}: {key[len(PLANET_PREFIX):]} is {given:g} here, "
                             f"{value:g} in planets.csv")
        run[key] = value
    return run


def read_runs_csv(path: str | os.PathLike[str], quarantine: Quarantine, run_columns: Sequence[str] = (),
                  facts: dict[str, Any] | None = None) -> dict[Path, dict[str, Any]]:
    """Resolved cube path -> run fields, from one ``runs.csv`` (and the ``planets.csv`` beside it); bad rows
    go to ``quarantine``. ``run_columns``: the forcing columns to read (train.run_columns); ``facts``
    collects the forcing columns found, for the report."""
    path = Path(path)
    folder = path.parent.resolve()
    rows: dict[Path, dict[str, Any]] = {}
    facts = {} if facts is None else facts
    planets_csv = path.parent / PLANETS_CSV
    listed = read_planets_csv(planets_csv, quarantine) if planets_csv.is_file() else {}
    # utf-8-sig: a byte-order mark (spreadsheet exports write one) is not part of the first column's name
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            quarantine.add(path, 1, "empty runs.csv")
            return rows
        header = [h.strip() for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            quarantine.add(path, 1, f"header lacks column(s) {missing}", ",".join(header))
            return rows
        forcings = [c for c in run_columns if c in header]
        planet_columns = [c for c in header if c in PLANET_COLUMNS]
        facts.setdefault("run_columns_found", set()).update(forcings)
        twice = sorted({c for c in header if header.count(c) > 1})
        extras = [c for c in header if c not in KNOWN and c not in run_columns and c not in PLANET_COLUMNS]
        clash = [c for c in extras if c in RESERVED or not c or c.startswith((RUN_PREFIX, PLANET_PREFIX))]
        if twice or clash:
            why = f"header names column(s) {twice} twice" if twice else \
                f"column(s) {clash} would shadow the registry's own (rename them)"
            quarantine.add(path, 1, why, ",".join(header))
            return rows
        for record in reader:
            line = reader.line_num
            text = ",".join(record)
            if not record or not "".join(record).strip():
                continue
            if len(record) != len(header):
                quarantine.add(path, line, f"{len(record)} fields, header has {len(header)}", text)
                continue
            fields = dict(zip(header, (v.strip() for v in record), strict=True))
            name = fields["file"]
            if not name:
                quarantine.add(path, line, "empty file name", text)
                continue
            target = (folder / name).resolve()
            if os.path.isabs(name) or not target.is_relative_to(folder):
                quarantine.add(path, line, "file path escapes the folder of runs.csv", text)
                continue
            if not target.is_file():
                quarantine.add(path, line, "no such cube file", text)
                continue
            try:
                run = {"planet": fields["planet"] or None, "scenario": fields["scenario"] or None,
                       "label": _label(fields.get("label", "")), "biosphere": _biosphere(fields.get("biosphere", "")),
                       "organisms": _organisms(fields.get("organisms", "")),
                       **_numbers(fields, forcings, RUN_PREFIX),
                       **{k: v for k, v in _numbers(fields, planet_columns, PLANET_PREFIX).items() if v is not None},
                       # raw text; typed per column over every runs.csv (extra_columns)
                       "extra": {c: fields[c] or None for c in extras}, "where": (path, line, text)}
                _with_planet_file(run, listed)
            except ValueError as exc:
                quarantine.add(path, line, str(exc), text)
                continue
            if target in rows:
                quarantine.add(path, line, "file listed twice (first row kept)", text)
                continue
            rows[target] = run
    return rows


def _number(text: str) -> float | None:
    """The cell as :func:`number` reads it, None for one it refuses (a target column's type is decided
    over all its cells, so one bad cell is counted, not raised)."""
    try:
        return number(text, "")
    except ValueError:
        return None


def extra_columns(runs: dict[Path, dict[str, Any]], quarantine: Quarantine) -> dict[str, bool]:
    """Extra column -> numeric? over every run (first-seen order); rows whose text breaks a mostly
    numeric column are quarantined (naming file, line and column) and dropped from ``runs``."""
    columns: dict[str, bool] = {}
    for run in runs.values():
        columns.update(dict.fromkeys(c for c in run["extra"] if c not in columns))
    for column in columns:
        cells = {t: r["extra"].get(column) for t, r in runs.items() if r["extra"].get(column) is not None}
        bad = [t for t, text in cells.items() if _number(text) is None]
        columns[column] = not bad or len(bad) < len(cells) - len(bad)
        if columns[column]:
            for target in bad:
                path, line, text = runs.pop(target)["where"]
                quarantine.add(path, line, f"column {column!r}: {cells[target]!r} is not a finite number "
                               "(the column's other values are)", text)
    return columns


def extra_field(frame: pd.DataFrame, column: str) -> pa.Field:
    """An extra (target) column's Arrow field: float64 when the frame holds it as floats, else string."""
    return pa.field(column, pa.float64() if pd.api.types.is_float_dtype(frame[column]) else pa.string())


def runs_schema(frame: pd.DataFrame) -> pa.Schema:
    """:data:`SCHEMA`, the contract's pattern columns the frame has (``run:<name>``, ``planet:<name>``, with
    their descriptions), then its extra (target) columns: float64 or string."""
    extra = [c for c in frame.columns if c not in SCHEMA.names]
    patterned = [c for c in extra if c.startswith((RUN_PREFIX, PLANET_PREFIX))]
    return pa.schema([*arrow_schema(ClimateRuns, patterned), *(extra_field(frame, c) for c in extra if c not in patterned)])


def climate_runs_frame(cubes: dict[str, str], stores: dict[str, str], roots: list[str | os.PathLike[str]],
                       quarantine: Quarantine, run_columns: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per cube (sorted by stem) with its run from the ``runs.csv`` files under ``roots``; a
    ``run:<name>`` column per ``run_columns`` name and a ``planet:<name>`` column per planet column given."""
    runs: dict[Path, dict[str, Any]] = {}
    facts: dict[str, Any] = {}
    csvs = sorted({p for root in roots for p in Path(root).rglob(RUNS_CSV) if p.is_file()}, key=lambda p: p.as_posix())
    for path in csvs:
        for target, run in read_runs_csv(path, quarantine, run_columns, facts).items():
            if target in runs:
                quarantine.add(path, None, f"{target.name} is already listed in another runs.csv (first kept)")
                continue
            runs[target] = run
    extras = extra_columns(runs, quarantine)
    cube_paths = {Path(p).resolve() for p in cubes.values()}
    for target in sorted(set(runs) - cube_paths):
        quarantine.add(target, None, "runs.csv names a file that is not a NetCDF cube of this source")
    root_dirs = [Path(r).resolve() for r in roots]
    rows, unlisted = [], []
    for stem in sorted(cubes):
        path = Path(cubes[stem])
        resolved = path.resolve()
        rel = next((resolved.relative_to(r).as_posix() for r in root_dirs if resolved.is_relative_to(r)), path.name)
        run = runs.get(resolved)
        if run is None:
            unlisted.append(rel)
            run = {"planet": None, "scenario": None, "label": None, "biosphere": None, "organisms": None, "extra": {}}
        fields = {k: v for k, v in run.items() if k not in ("extra", "where")}
        rows.append({"file": rel, "stem": stem, "source_sha256": sha256_file(path), "store": stores[stem], **fields,
                     **{c: run["extra"].get(c) for c in extras}})
    numbers = [RUN_PREFIX + c for c in run_columns] + sorted({k for r in rows for k in r if k.startswith(PLANET_PREFIX)})
    frame = pd.DataFrame(rows, columns=[*SCHEMA.names, *numbers, *extras])
    frame["label"] = frame["label"].astype("boolean")
    for column in numbers:  # a column of nothing but nulls would otherwise be of object dtype
        frame[column] = frame[column].astype("float64")
    for column, numeric in extras.items():
        frame[column] = (frame[column].map(lambda t: np.nan if t is None else float(t)).astype("float64") if numeric
                         else frame[column].astype(object))
    report = {"cubes": len(rows), "runs_csv_files": [os.fspath(p) for p in csvs],
              "cubes_with_run": len(rows) - len(unlisted), "cubes_without_run": len(unlisted),
              "cubes_without_run_files": unlisted, "quarantined_rows": len(quarantine),
              "quarantine_reasons": quarantine.counts(), "run_columns": list(run_columns),
              "run_columns_in_no_runs_csv": [c for c in run_columns if c not in facts.get("run_columns_found", set())],
              "planet_columns_given": sorted(c[len(PLANET_PREFIX):] for c in numbers if c.startswith(PLANET_PREFIX)),
              "extra_columns": {c: "float64" if n else "string" for c, n in extras.items()}}
    if unlisted:
        log.warning("%d cube(s) have no runs.csv row; each is its own run with null planet: %s", len(unlisted),
                    unlisted[:10])
    return frame, report
