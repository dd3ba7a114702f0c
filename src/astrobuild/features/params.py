"""One run's planet parameters: values [n_params] (raw, log10 for scale quantities) and a present mask.

Radii, masses, periods, semi-major axes, insolation and distances span orders
of magnitude (0.3 to 4,000 Earth radii in the archive), so they enter as log10
(a non-positive value of one is treated as missing); temperatures and
metallicities stay linear. The table is read once, on first use, and only the
configured columns; a configured column the table lacks is an error naming it.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow.parquet as pq

LOG_SCALE = {"radius_earth", "mass_earth", "semi_major_axis_au", "orbital_period_days", "insolation_earth",
             "star_radius_sun", "star_mass_sun", "distance_pc"}


class ParamsError(ValueError):
    pass


def transform(column: str) -> str:
    return "log10" if column in LOG_SCALE else "none"


class PlanetParams:
    """``values(planet)`` -> (values [n] float64 with NaN where unknown, present [n] bool) or None."""

    def __init__(self, table_path: str | os.PathLike[str], columns: tuple[str, ...], planet_column: str = "planet"):
        self.table_path, self.columns, self.planet_column = table_path, columns, planet_column
        self._rows: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._rows is None:
            schema = pq.read_schema(self.table_path)
            absent = [c for c in (self.planet_column, *self.columns) if c not in schema.names]
            if absent:
                raise ParamsError(f"{self.table_path} has no column(s) {absent} (train.planet_columns)")
            table = pq.read_table(self.table_path, columns=[self.planet_column, *self.columns])
            values = np.stack([np.asarray(table.column(c).to_pandas(), dtype=np.float64) for c in self.columns], 1)
            for j, column in enumerate(self.columns):
                if transform(column) == "log10":
                    with np.errstate(divide="ignore", invalid="ignore"):
                        values[:, j] = np.where(values[:, j] > 0, np.log10(values[:, j]), np.nan)
            names = table.column(self.planet_column).to_pylist()
            self._rows = {str(n): values[i] for i, n in enumerate(names)}
        return self._rows

    def values(self, planet: str | None) -> tuple[np.ndarray, np.ndarray] | None:
        if planet is None:
            return None
        row = self._load().get(planet)
        if row is None:
            raise ParamsError(f"planet {planet!r} is not in {self.table_path}")
        present = np.isfinite(row)
        if not present.any():
            return None
        return row.copy(), present
