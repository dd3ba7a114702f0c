"""Derived planet parameters and outlier flags. Nothing is dropped; everything derived is flagged.

Semi-major axis (where missing): Kepler's third law with the planet's mass
neglected, ``a [au] = (P [yr]^2 * M_star [M_sun])^(1/3)``, P in days / 365.25.
Flag ``semi_major_axis_derived``.

Equilibrium temperature (where missing):
``T_eq = T_eff * sqrt(R_star / (2 a)) * (1 - A)^(1/4)``
(full heat redistribution, R_star and a in the same unit: 1 R_sun =
0.00465047 au), with the Bond albedo ``A`` from config ``exoplanets.albedo``
(default 0.3, Earth-like). Where that cannot be computed but the insolation
``S`` (in Earth fluxes) is given, the same assumptions give
``T_eq = T_1 * S^(1/4) * (1 - A)^(1/4)`` with ``T_1 = T_sun * sqrt(R_sun / 2 au)
= 278.3 K`` (T_sun = 5772 K, the IAU nominal value): the Earth's T_eq at zero
albedo, and exactly the first formula for a star whose ``S = R_star^2
(T_eff / T_sun)^4 / a^2``. Flag ``eqt_derived``. Archive values are kept as
they are (the archive's own albedo assumptions vary by reference).

Only ``pl_name`` must be in the download. The columns the planet-run model
reads (:data:`MODEL_COLUMNS`) are in the table whatever the download held,
null where their archive column (or every column they derive from) was not
downloaded, so the schema downstream is fixed; :func:`absent_model_columns`
names them and the reason, and the report counts why each derived value that
stays null could not be derived (:func:`missing_reasons`).

Outliers, per checked column: ``<column>_outlier`` is true when a value lies
outside the physical bounds of :data:`BOUNDS`, or is more than
``exoplanets.outlier_sigma`` (default 3) standard deviations from the mean of
the column in log10 space (the parameters span decades). The sigma test runs
on columns with at least :data:`MIN_ROWS_FOR_SIGMA` values. ``outlier`` is
true when any column is flagged.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from astrobuild.contracts.exoplanet_columns import BOUNDS, MODEL_COLUMNS

R_SUN_AU = 0.00465047
T_SUN_K = 5772.0
# T_eq at one Earth flux, zero albedo, full redistribution, from the same constants as the stellar formula.
T_EQ_EARTH_FLUX_K = T_SUN_K * math.sqrt(R_SUN_AU / 2.0)
# The one column a table cannot be built without: the key.
KEY = "pl_name"
MIN_ROWS_FOR_SIGMA = 10


def absent_model_columns(archive_columns: set[str]) -> dict[str, str]:
    """Model columns that no downloaded archive column can fill -> why (the archive columns it needs)."""
    absent = {}
    for name, alternatives in MODEL_COLUMNS.items():
        if not any(all(c in archive_columns for c in alt) for alt in alternatives):
            needs = " or ".join("+".join(alt) for alt in alternatives)
            absent[name] = f"not in the download (needs {needs})"
    return absent


def semi_major_axis(period_days: pd.Series, star_mass_sun: pd.Series) -> pd.Series:
    return ((period_days / 365.25) ** 2 * star_mass_sun) ** (1.0 / 3.0)


def equilibrium_temperature(teff_k: pd.Series, star_radius_sun: pd.Series, a_au: pd.Series,
                            albedo: float) -> pd.Series:
    return teff_k * np.sqrt(star_radius_sun * R_SUN_AU / (2.0 * a_au)) * (1.0 - albedo) ** 0.25


def equilibrium_temperature_from_insolation(insolation_earth: pd.Series, albedo: float) -> pd.Series:
    return T_EQ_EARTH_FLUX_K * insolation_earth ** 0.25 * (1.0 - albedo) ** 0.25


def fill_derived(frame: pd.DataFrame, albedo: float) -> pd.DataFrame:
    """Add ``semi_major_axis_derived``/``eqt_derived`` and fill the missing values they flag."""
    if not 0.0 <= albedo < 1.0:
        raise ValueError(f"exoplanets.albedo must be in [0, 1), got {albedo}")
    frame = frame.copy()
    for name in ("semi_major_axis_au", "eq_temp_k"):
        if name not in frame:
            frame[name] = pd.Series(np.nan, index=frame.index, dtype="float64")
    a = frame["semi_major_axis_au"]
    if "orbital_period_days" in frame and "star_mass_sun" in frame:
        kepler = semi_major_axis(frame["orbital_period_days"], frame["star_mass_sun"])
        fill_a = a.isna() & kepler.notna() & (kepler > 0)
    else:
        kepler, fill_a = a, pd.Series(False, index=frame.index)
    frame["semi_major_axis_au"] = a.where(~fill_a, kepler)
    frame["semi_major_axis_derived"] = fill_a.astype(bool)
    teq = equilibrium_temperature(frame["star_teff_k"], frame["star_radius_sun"], frame["semi_major_axis_au"], albedo)
    if "insolation_earth" in frame:
        from_insolation = equilibrium_temperature_from_insolation(frame["insolation_earth"], albedo)
        teq = teq.where(teq.notna() & np.isfinite(teq), from_insolation)
    fill_t = frame["eq_temp_k"].isna() & teq.notna() & np.isfinite(teq)
    frame["eq_temp_k"] = frame["eq_temp_k"].where(~fill_t, teq.round(1))
    frame["eqt_derived"] = fill_t.astype(bool)
    return frame


def _lacking(frame: pd.DataFrame, column: str, inputs: dict[str, str]) -> dict[str, int]:
    """Rows where ``column`` is null, counted by which of ``inputs`` (documented -> archive name) they lack."""
    null_rows = frame[column].isna().to_numpy()
    lacks = {archive: (frame[name].isna().to_numpy() if name in frame else np.ones(len(frame), bool))[null_rows]
             for name, archive in inputs.items()}
    counts: Counter[str] = Counter()
    for i in range(int(null_rows.sum())):
        counts["missing " + ", ".join(archive for archive, lack in lacks.items() if lack[i])] += 1
    return dict(sorted(counts.items()))


def missing_reasons(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Derived columns' null rows counted by the archive columns they lack (run after :func:`fill_derived`),
    e.g. ``{"eq_temp_k": {"missing pl_eqt, st_rad, pl_insol": 3}}``; a column not downloaded lacks on every row."""
    return {
        "semi_major_axis_au": _lacking(frame, "semi_major_axis_au", {
            "semi_major_axis_au": "pl_orbsmax", "orbital_period_days": "pl_orbper", "star_mass_sun": "st_mass"}),
        "eq_temp_k": _lacking(frame, "eq_temp_k", {
            "eq_temp_k": "pl_eqt", "star_teff_k": "st_teff", "star_radius_sun": "st_rad",
            "semi_major_axis_au": "semi-major axis", "insolation_earth": "pl_insol"}),
    }


def flag_outliers(frame: pd.DataFrame, sigma: float) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Add ``<column>_outlier`` for each checked column present, and ``outlier`` (any); returns counts."""
    frame = frame.copy()
    counts: dict[str, dict[str, int]] = {}
    any_flag = pd.Series(False, index=frame.index)
    for name, (lo, hi) in BOUNDS.items():
        if name not in frame:
            continue
        values = frame[name].astype("float64")
        present = values.notna()
        bounds = present & ((values < lo) | (values > hi))
        positive = present & (values > 0)
        logs = np.log10(values.where(positive))
        spread = present & False
        if int(positive.sum()) >= MIN_ROWS_FOR_SIGMA:
            std = float(logs.std(ddof=0))
            if std > 0:
                spread = positive & ((logs - float(logs.mean())).abs() > sigma * std)
        flag = (bounds | spread).astype(bool)
        frame[f"{name}_outlier"] = flag
        any_flag |= flag
        counts[name] = {"bounds": int(bounds.sum()), "sigma": int(spread.sum()), "flagged": int(flag.sum())}
    frame["outlier"] = any_flag.astype(bool)
    return frame, counts
