"""Planets the exoplanet archive lacks: parameter sweeps, fictional and changed planets.

A run's planet is the key of its planet parameters. A planet in the exoplanet table
takes them from there (values a runs.csv or planets.csv gives for it are not used:
the report counts them; give a changed planet a name of its own). A planet absent
from it is *hypothetical*: it is accepted when its runs.csv rows or the planets.csv
beside them give every column of ``train.planet_columns`` (the archive's names and
units), so that the model sees it as it sees an archive planet; the values then go
to ``data/processed/hypothetical_planets.parquet``, which pooling reads beside the
archive's rows (:class:`astrobuild.features.params.PlanetParams`).

A run whose planet is in neither place, or whose values for its planet differ from
those of an earlier run of that planet (by stem), goes to the registry's quarantine
with the reason, and the build goes on without it. The values arrive from
``climate_runs.parquet`` as ``planet:<name>`` columns (:mod:`astrobuild.climate.runs`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from astrobuild.climate.runs import PLANET_PREFIX
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.planet_runs import HypotheticalPlanets
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

NOT_GIVEN = "planet not in the exoplanet table, and runs.csv/planets.csv do not give its train.planet_columns"
DIFFERS = "planet not in the exoplanet table, and its columns differ from those of an earlier run of it"


def _value(value: Any) -> Any:
    return None if value is None or value is pd.NA or (isinstance(value, float) and value != value) else value


def resolve_planets(climate_runs: pd.DataFrame, archive_planets: Iterable[str], planet_columns: Sequence[str],
                    quarantine: Quarantine) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(the runs whose planet resolves, the hypothetical planets, facts for the report).

    ``climate_runs`` is the climate chain's table (``planet:<name>`` columns where files gave
    planet values); a run it drops is in ``quarantine``, named by its cube file."""
    known = set(archive_planets)
    given = [c for c in climate_runs.columns if c.startswith(PLANET_PREFIX)]
    runs = climate_runs.sort_values(["stem", "file"], kind="stable")
    planets: dict[str, tuple[str, dict[str, float]]] = {}  # name -> (first run's stem, its values)
    keep, ignored = [], Counter()
    for index, row in zip(runs.index, runs.to_dict("records"), strict=True):
        planet = _value(row["planet"])
        values = {c[len(PLANET_PREFIX):]: v for c in given if (v := _value(row[c])) is not None}
        if planet is None or planet in known:
            if values and planet is not None:
                ignored[planet] += 1
            keep.append(index)
            continue
        missing = [c for c in planet_columns if c not in values]
        wanted = {c: float(values[c]) for c in planet_columns if c in values}
        if missing:
            quarantine.add(row["file"], None, NOT_GIVEN, f"run {row['stem']}: planet {planet!r}: no "
                           + ", ".join(missing))
            continue
        first = planets.setdefault(planet, (row["stem"], wanted))
        if first[1] != wanted:
            differ = sorted(c for c in planet_columns if first[1][c] != wanted[c])
            quarantine.add(row["file"], None, DIFFERS, f"run {row['stem']}: planet {planet!r}: "
                           f"{', '.join(differ)} differ from run {first[0]}'s")
            continue
        keep.append(index)
    rows = [{"planet": name, **values} for name, (_, values) in sorted(planets.items())]
    frame = pd.DataFrame(rows, columns=["planet", *planet_columns])
    for column in planet_columns:
        frame[column] = frame[column].astype("float64")
    facts = {"hypothetical_planets": len(planets), "runs_quarantined": len(runs) - len(keep),
             # archive planets for which a runs.csv or planets.csv gave values anyway (archive values used)
             "planet_values_ignored_for_archive_planets": dict(sorted(ignored.items()))}
    if ignored:
        log.warning("runs.csv/planets.csv give planet columns for %d planet(s) of the exoplanet table; the "
                    "table's values are used (name a changed planet anew): %s", len(ignored), sorted(ignored)[:10])
    return climate_runs.loc[sorted(keep)], frame, facts


def hypothetical_table(frame: pd.DataFrame) -> pa.Table:
    """The hypothetical planets as the Parquet table, checked against its contract first."""
    HypotheticalPlanets.validate(frame, lazy=True)
    schema = arrow_schema(HypotheticalPlanets, [c for c in frame.columns if c != "planet"])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
