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
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from astrobuild import ids
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.climate import ClimateRuns
from astrobuild.contracts.planet_runs import PlanetRuns
from astrobuild.io import sha256_file
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

RUNS_CSV = "runs.csv"
SCHEMA = arrow_schema(ClimateRuns)
REQUIRED = ("file", "planet", "scenario")
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


def read_runs_csv(path: str | os.PathLike[str], quarantine: Quarantine) -> dict[Path, dict[str, Any]]:
    """Resolved cube path -> run fields, from one ``runs.csv``; bad rows go to ``quarantine``."""
    path = Path(path)
    folder = path.parent.resolve()
    rows: dict[Path, dict[str, Any]] = {}
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
        twice = sorted({c for c in header if header.count(c) > 1})
        extras = [c for c in header if c not in KNOWN]
        clash = [c for c in extras if c in RESERVED or not c]
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
                       # raw text; typed per column over every runs.csv (extra_columns)
                       "extra": {c: fields[c] or None for c in extras}, "where": (path, line, text)}
            except ValueError as exc:
                quarantine.add(path, line, str(exc), text)
                continue
            if target in rows:
                quarantine.add(path, line, "file listed twice (first row kept)", text)
                continue
            rows[target] = run
    return rows


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


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


def runs_schema(frame: pd.DataFrame) -> pa.Schema:
    """:data:`SCHEMA` and the frame's extra (target) columns: float64 or string."""
    extra = [c for c in frame.columns if c not in SCHEMA.names]
    return pa.schema([*SCHEMA, *(pa.field(c, pa.float64() if pd.api.types.is_float_dtype(frame[c]) else pa.string())
                                 for c in extra)])


def climate_runs_frame(cubes: dict[str, str], stores: dict[str, str], roots: list[str | os.PathLike[str]],
                       quarantine: Quarantine) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per cube (sorted by stem) with its run from the ``runs.csv`` files under ``roots``."""
    runs: dict[Path, dict[str, Any]] = {}
    csvs = sorted({p for root in roots for p in Path(root).rglob(RUNS_CSV) if p.is_file()}, key=lambda p: p.as_posix())
    for path in csvs:
        for target, run in read_runs_csv(path, quarantine).items():
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
    frame = pd.DataFrame(rows, columns=[*SCHEMA.names, *extras])
    frame["label"] = frame["label"].astype("boolean")
    for column, numeric in extras.items():
        frame[column] = (frame[column].map(lambda t: np.nan if t is None else float(t)).astype("float64") if numeric
                         else frame[column].astype(object))
    report = {"cubes": len(rows), "runs_csv_files": [os.fspath(p) for p in csvs],
              "cubes_with_run": len(rows) - len(unlisted), "cubes_without_run": len(unlisted),
              "cubes_without_run_files": unlisted, "quarantined_rows": len(quarantine),
              "quarantine_reasons": quarantine.counts(),
              "extra_columns": {c: "float64" if n else "string" for c, n in extras.items()}}
    if unlisted:
        log.warning("%d cube(s) have no runs.csv row; each is its own run with null planet: %s", len(unlisted),
                    unlisted[:10])
    return frame, report
