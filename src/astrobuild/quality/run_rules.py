"""Consistency rules of the tables behind the planet-run registry: ``exoplanets``,
``spectra``, ``climate_runs``, ``planet_runs`` and ``kegg_env_tags``.

Each rule counts the rows (or, where said, the pathways) it checked and those
that passed; see :class:`~astrobuild.quality.rule.Rule`. Cross-table rules read
the other tables of the build, which the ``quality_report`` rule has as inputs;
``stores`` is the set of Zarr stores the same rule grades.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from astrobuild.climate.stems import STORE_PATTERN, safe_stem
from astrobuild.exoplanets.derive import equilibrium_temperature, semi_major_axis
from astrobuild.planet_runs import run_id
from astrobuild.quality.rule import Frames, Rule, expected_per_group, present

# Derived T_eq is written rounded to 0.1 K (astrobuild.exoplanets.derive.fill_derived).
TEQ_ROUNDING_K = 0.05 + 1e-9
KEPLER_RTOL = 1e-9
NULL = "\x00null"  # stands for a null where a null is a value to compare (a spectrum without a planet)
SPECTRUM_ATTRIBUTES = ("planet", "kind", "instrument")


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _flags(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].astype("boolean").fillna(False).astype(bool)


def _derived_teq(frame: pd.DataFrame, albedo: float) -> pd.Series:
    teq = equilibrium_temperature(_numbers(frame, "star_teff_k"), _numbers(frame, "star_radius_sun"),
                                  _numbers(frame, "semi_major_axis_au"), albedo)
    return teq.where(np.isfinite(teq) & (teq > 0))


# --- exoplanets ---------------------------------------------------------------------------------

def _eqt_agrees_with_derived(frame: pd.DataFrame, _: Frames, *, albedo: float,
                             teq_tolerance: float) -> tuple[int, int]:
    archive = _numbers(frame, "eq_temp_k").where(~_flags(frame, "eqt_derived"))
    derived = _derived_teq(frame, albedo)
    both = archive.notna() & derived.notna()
    off = (archive[both] / derived[both] - 1.0).abs()
    return int((off <= teq_tolerance).sum()), int(both.sum())


def _derived_teq_follows_formula(frame: pd.DataFrame, _: Frames, *, albedo: float) -> tuple[int, int]:
    rows = _flags(frame, "eqt_derived")
    gap = (_numbers(frame, "eq_temp_k") - _derived_teq(frame, albedo))[rows].abs()
    return int((gap <= TEQ_ROUNDING_K).sum()), int(rows.sum())  # NaN gap: inputs missing, fails


def _derived_a_follows_kepler(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    rows = _flags(frame, "semi_major_axis_derived")
    kepler = semi_major_axis(_numbers(frame, "orbital_period_days"), _numbers(frame, "star_mass_sun"))
    ok = np.isclose(_numbers(frame, "semi_major_axis_au")[rows], kepler[rows], rtol=KEPLER_RTOL, atol=0.0)
    return int(ok.sum()), int(rows.sum())


def _outlier_is_any_flag(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    flags = [c for c in frame.columns if str(c).endswith("_outlier")]
    any_flag = pd.concat([_flags(frame, c) for c in flags], axis=1).any(axis=1) if flags else \
        pd.Series(False, index=frame.index)
    return int((_flags(frame, "outlier") == any_flag).sum()), len(frame)


# --- spectra ------------------------------------------------------------------------------------

def _wavelengths_increase(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    # A null order is one group: a spectrum without orders.
    order = pd.to_numeric(frame["order"], errors="coerce").fillna(-1)
    wavelength = _numbers(frame, "wavelength_um")
    previous = wavelength.groupby([frame["spectrum"], order], sort=False).shift()
    later = previous.notna()  # every row but the first of its spectrum and order
    return int((wavelength[later] > previous[later]).sum()), int(later.sum())


def _one_header_per_spectrum(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    agrees = pd.Series(True, index=frame.index)
    for column in SPECTRUM_ATTRIBUTES:
        values = frame[column].astype("object").where(frame[column].notna(), NULL)
        grouped = pd.DataFrame({"spectrum": frame["spectrum"], column: values})
        agrees &= values == expected_per_group(grouped, "spectrum", column)
    return int(agrees.sum()), len(frame)


def _bin_below_wavelength(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    error = _numbers(frame, "wavelength_err_um")
    rows = error.notna()
    return int((error[rows] < _numbers(frame, "wavelength_um")[rows]).sum()), int(rows.sum())


def _negative_flag_matches_depth(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return int((_flags(frame, "depth_negative") == (_numbers(frame, "depth_ppm") < 0)).sum()), len(frame)


# --- climate_runs -------------------------------------------------------------------------------

def _stem_from_file(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    def ok(file: str, stem: str) -> bool:
        base = safe_stem(PurePosixPath(str(file)).name)
        return stem == base or re.fullmatch(re.escape(base) + r"-\d+", str(stem)) is not None
    return sum(ok(f, s) for f, s in zip(frame["file"], frame["stem"], strict=True)), len(frame)


def _store_from_stem(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    expected = frame["stem"].map(lambda s: STORE_PATTERN.format(stem=s))
    return int((frame["store"] == expected).sum()), len(frame)


def _one_cube_per_planet_scenario(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    runs = frame[present(frame["planet"]) & present(frame["scenario"])]
    return int((~runs.duplicated(["planet", "scenario"], keep=False)).sum()), len(runs)


def _in_stores(paths: pd.Series, stores: list[str]) -> tuple[int, int]:
    built = {os.path.normpath(s) for s in stores}
    return int(paths.map(lambda p: os.path.normpath(str(p)) in built).sum()), len(paths)


def _store_in_build(frame: pd.DataFrame, _: Frames, *, stores: list[str]) -> tuple[int, int]:
    return _in_stores(frame["store"], stores)


# --- planet_runs --------------------------------------------------------------------------------

def _none(value):
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value


def _run_id_from_content(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    passed = sum(rid == run_id(_none(p), _none(s), sha) for rid, p, s, sha in
                 zip(frame["run_id"], frame["planet"], frame["scenario"], frame["source_sha256"], strict=True))
    return passed, len(frame)


def _run_matches_climate_runs(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    cubes = {r.store: (r.file, r.source_sha256, _none(r.planet), _none(r.scenario))
             for r in others["climate_runs"].itertuples(index=False)}
    passed = sum(cubes.get(r.climate_store) == (r.climate_file, r.source_sha256, _none(r.planet), _none(r.scenario))
                 for r in frame.itertuples(index=False))
    return passed, len(frame)


def _run_store_in_build(frame: pd.DataFrame, _: Frames, *, stores: list[str]) -> tuple[int, int]:
    return _in_stores(frame["climate_store"], stores)


def _planet_in_exoplanets(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    planets = frame["planet"][present(frame["planet"])]
    return int(planets.isin(set(others["exoplanets"]["planet"])).sum()), len(planets)


def _spectrum_in_spectra(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    spectra = frame["spectrum"][present(frame["spectrum"])]
    return int(spectra.isin(set(others["spectra"]["spectrum"])).sum()), len(spectra)


def _spectrum_match_holds(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    spectra = others["spectra"]
    planet_of = spectra.dropna(subset=["planet"]).drop_duplicates("spectrum").set_index("spectrum")["planet"]

    def ok(row) -> bool:
        spectrum, match = _none(row.spectrum), _none(row.spectrum_match)
        if spectrum is None or match is None:
            return spectrum is None and match is None
        if match == "run":  # the run's own spectrum has the id of its cube's stem
            return spectrum == PurePosixPath(str(row.climate_store)).name.removesuffix(".zarr")
        return match == "planet" and _none(row.planet) is not None and planet_of.get(spectrum) == row.planet
    return sum(ok(r) for r in frame.itertuples(index=False)), len(frame)


def _pathways_have_edges(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    with_edges = set(others["kegg_edges"]["pathway"])
    runs = frame["pathways"][present(frame["pathways"])]
    return sum(set(p.split()) <= with_edges for p in runs), len(runs)


def _n_pathways_counts_them(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    counted = frame["pathways"].map(lambda p: len(set(str(p).split())) if _none(p) is not None else 0)
    return int((pd.to_numeric(frame["n_pathways"]) == counted).sum()), len(frame)


# --- kegg_env_tags ------------------------------------------------------------------------------

def _map_number(pathways: pd.Series) -> pd.Series:
    return pathways.astype(str).str[-5:]


def _edges_have_tags(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    # Tags are on reference maps (map00010) and apply to every organism's copy (hsa00010, ko00010),
    # as make_env_vectors reads them.
    with_edges = pd.Series(sorted(set(others["kegg_edges"]["pathway"])), dtype="object")
    return int(_map_number(with_edges).isin(set(_map_number(frame["pathway"]))).sum()), len(with_edges)


def _no_ancestor_tags(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    tags = frame.groupby("pathway")["tag"].agg(lambda t: set(map(str, t)))

    def ok(pathway: str, tag: str) -> bool:
        return not any(other.startswith(tag + "/") for other in tags[pathway])
    return sum(ok(p, str(t)) for p, t in zip(frame["pathway"], frame["tag"], strict=True)), len(frame)


_TEQ_INPUTS = ("eq_temp_k", "eqt_derived", "star_teff_k", "star_radius_sun", "semi_major_axis_au")

RUN_RULES: dict[str, list[Rule]] = {
    "exoplanets": [
        Rule("eqt_agrees_with_derived",
             "an archive T_eq is within quality.teq_tolerance (relative) of T_eff*sqrt(R_star/2a)*(1-A)^(1/4) "
             "with the build's albedo A (rows with both)",
             _eqt_agrees_with_derived, columns=_TEQ_INPUTS, settings=("albedo", "teq_tolerance")),
        Rule("derived_teq_follows_formula", "a derived T_eq (eqt_derived) is the formula's value, to its 0.1 K rounding",
             _derived_teq_follows_formula, columns=_TEQ_INPUTS, settings=("albedo",)),
        Rule("derived_a_follows_kepler",
             "a derived semi-major axis (semi_major_axis_derived) is Kepler's third law of period and stellar mass",
             _derived_a_follows_kepler,
             columns=("semi_major_axis_au", "semi_major_axis_derived", "orbital_period_days", "star_mass_sun")),
        Rule("outlier_is_any_flag", "outlier is true exactly when one of the <column>_outlier flags is",
             _outlier_is_any_flag, columns=("outlier",)),
    ],
    "spectra": [
        Rule("wavelengths_increase", "wavelengths strictly increase within a spectrum and order (rows after the first)",
             _wavelengths_increase),
        Rule("one_header_per_spectrum", "every row of a spectrum has the same planet, kind and instrument",
             _one_header_per_spectrum),
        Rule("bin_below_wavelength", "a wavelength error (bin half-width) is smaller than its wavelength",
             _bin_below_wavelength),
        Rule("negative_flag_matches_depth", "depth_negative is true exactly when depth_ppm is below zero",
             _negative_flag_matches_depth, columns=("depth_negative",)),
    ],
    "climate_runs": [
        Rule("stem_from_file", "the stem is the cube's file name made safe (with -N when two files share it)",
             _stem_from_file),
        Rule("store_from_stem", "the store is data/processed/climate/<stem>.zarr", _store_from_stem),
        Rule("one_cube_per_planet_scenario", "no two cubes are the same planet under the same scenario",
             _one_cube_per_planet_scenario),
        Rule("store_in_build", "every cube's store is a store of this build (graded in this report)",
             _store_in_build, settings=("stores",)),
    ],
    "planet_runs": [
        Rule("run_id_from_content", "run_id is run- + sha256(planet, scenario, source_sha256)[:16]",
             _run_id_from_content),
        Rule("run_matches_climate_runs",
             "the run's store is a cube of climate_runs with the same file, hash, planet and scenario",
             _run_matches_climate_runs, needs=("climate_runs",)),
        Rule("store_in_build", "every run's store is a store of this build", _run_store_in_build,
             settings=("stores",)),
        Rule("planet_in_exoplanets", "every run's planet is a planet of the exoplanet table (runs with a planet)",
             _planet_in_exoplanets, needs=("exoplanets",)),
        Rule("spectrum_in_spectra", "every run's spectrum is a spectrum of the spectra table (runs with one)",
             _spectrum_in_spectra, needs=("spectra",)),
        Rule("spectrum_match_holds", "spectrum_match 'run': the spectrum is the cube's stem; 'planet': the "
             "spectrum's planet is the run's; null exactly when there is no spectrum",
             _spectrum_match_holds, needs=("spectra",)),
        Rule("pathways_have_edges", "every pathway of a run's biosphere has edges in kegg_edges (runs with pathways)",
             _pathways_have_edges, needs=("kegg_edges",)),
        Rule("n_pathways_counts_them", "n_pathways is the number of distinct pathways", _n_pathways_counts_them),
    ],
    "kegg_env_tags": [
        Rule("edges_have_tags", "every pathway of kegg_edges has a tag for its map number (counted per pathway); "
             "without one its env vector falls back to the defaults", _edges_have_tags, needs=("kegg_edges",)),
        Rule("no_ancestor_tags", "no tag of a pathway is a parent category of another of its tags",
             _no_ancestor_tags),
    ],
}
