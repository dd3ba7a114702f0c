"""One run's planet parameters: values [n_params] (raw, log10 for scale quantities) and a present mask.

The channels are the planet columns (``train.planet_columns``), then the run's
forcings (``train.run_columns``, :class:`~astrobuild.features.config.RunColumn`).
Radii, masses, periods, semi-major axes, insolation and distances span orders
of magnitude (0.3 to 4,000 Earth radii in the archive), so they enter as log10
(a non-positive value of one is treated as missing); temperatures and
metallicities stay linear. A run column says its own transform in the config.

A planet's columns come from the exoplanet table or, for a planet the archive
lacks, from the hypothetical planets the registry wrote
(:mod:`astrobuild.hypothetical_planets`); the run's forcings from its registry
row (``run:<name>``). The tables are read once, on first use, and only the
configured columns; a configured column a table lacks is an error naming it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from astrobuild.features.config import RunColumn

LOG_SCALE = {"radius_earth", "mass_earth", "semi_major_axis_au", "orbital_period_days", "insolation_earth",
             "star_radius_sun", "star_mass_sun", "distance_pc"}


class ParamsError(ValueError):
    pass


def transform(column: str) -> str:
    return "log10" if column in LOG_SCALE else "none"


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(values), np.nan)


def _rows(path: str | os.PathLike[str], columns: tuple[str, ...], planet_column: str) -> dict[str, np.ndarray]:
    schema = pq.read_schema(path)
    absent = [c for c in (planet_column, *columns) if c not in schema.names]
    if absent:
        raise ParamsError(f"{path} has no column(s) {absent} (train.planet_columns)")
    table = pq.read_table(path, columns=[planet_column, *columns])
    values = np.stack([np.asarray(table.column(c).to_pandas(), dtype=np.float64) for c in columns], 1) \
        if table.num_rows else np.zeros((0, len(columns)))
    for j, column in enumerate(columns):
        if transform(column) == "log10":
            values[:, j] = _log10(values[:, j])
    return {str(n): values[i] for i, n in enumerate(table.column(planet_column).to_pylist())}


class PlanetParams:
    """``values(planet, run)`` -> (values [n] float64 with NaN where unknown, present [n] bool) or None."""

    def __init__(self, table_path: str | os.PathLike[str], columns: tuple[str, ...], planet_column: str = "planet",
                 hypothetical_path: str | os.PathLike[str] | None = None, run_columns: Sequence[RunColumn] = ()):
        self.table_path, self.columns, self.planet_column = table_path, columns, planet_column
        self.hypothetical_path = hypothetical_path
        self.run_columns = tuple(run_columns)
        self._rows: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._rows is None:
            rows = _rows(self.table_path, self.columns, self.planet_column)
            if self.hypothetical_path is not None and Path(self.hypothetical_path).is_file():
                extra = _rows(self.hypothetical_path, self.columns, "planet")
                both = sorted(set(extra) & set(rows))
                if both:  # the registry writes only planets the archive lacks: another archive was pooled
                    raise ParamsError(f"{self.hypothetical_path}: planet(s) {both[:5]} are in {self.table_path} too")
                rows.update(extra)
            self._rows = rows
        return self._rows

    def planet(self, planet: str | None) -> np.ndarray:
        """The planet columns of ``planet`` (NaN where unknown; all NaN without a planet)."""
        if planet is None:
            return np.full(len(self.columns), np.nan)
        row = self._load().get(planet)
        if row is None:
            raise ParamsError(f"planet {planet!r} is not in {self.table_path} nor in {self.hypothetical_path}")
        return row.copy()

    def forcings(self, run: dict[str, Any]) -> np.ndarray:
        """The run's ``train.run_columns`` from its registry row (``run:<name>``; NaN where not given)."""
        values = np.array([np.nan if (v := run.get(c.channel)) is None else float(v) for c in self.run_columns],
                          dtype=np.float64)
        for j, column in enumerate(self.run_columns):
            if column.transform == "log10":
                values[j] = _log10(values[j:j + 1])[0]
        return values

    def values(self, planet: str | None, run: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        row = np.concatenate([self.planet(planet), self.forcings(run or {})])
        present = np.isfinite(row)
        if not present.any():
            return None
        return row, present
