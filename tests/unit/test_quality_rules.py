"""Quality report: the keys and consistency rules of every table, each broken by a small table;
"not assessed" instead of a 1.0 that cannot fall; an empty table is F."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow
import pytest
import xarray as xr

from astrobuild.climate.stems import STORE_PATTERN
from astrobuild.contracts.catalogue import CATALOGUE, CONTRACTS
from astrobuild.exoplanets.derive import equilibrium_temperature, semi_major_axis
from astrobuild.io import write_json, write_parquet
from astrobuild.planet_runs import build_registry
from astrobuild.quality import QualityError, build_report, check_bars, quality_report, score_store
from astrobuild.quality.table_rules import RULES
from astrobuild.quality.tables import consistency, score_table, table_key, uniqueness

ALBEDO = 0.3
SHA = {"cube_a": "a" * 64, "cube_b": "b" * 64}
SETTINGS_KEYS = ("albedo", "teq_tolerance", "stores")


def _exoplanets() -> pd.DataFrame:
    # P1: archive T_eq (agrees with the derived one); P2: T_eq derived; P3: a by Kepler, then T_eq derived.
    frame = pd.DataFrame({
        "planet": ["P1", "P2", "P3"], "star_teff_k": [5000.0, 4000.0, 5800.0], "star_radius_sun": [0.8, 0.6, 1.0],
        "semi_major_axis_au": [0.8, 0.2, np.nan], "orbital_period_days": [300.0, 40.0, 365.25],
        "star_mass_sun": [0.8, 0.6, 1.0], "semi_major_axis_derived": [False, False, True],
        "radius_earth_outlier": [False, False, True], "outlier": [False, False, True]})
    frame.loc[2, "semi_major_axis_au"] = float(semi_major_axis(frame["orbital_period_days"], frame["star_mass_sun"])[2])
    teq = equilibrium_temperature(frame["star_teff_k"], frame["star_radius_sun"], frame["semi_major_axis_au"], ALBEDO)
    frame["eq_temp_k"] = [round(float(teq[0]) * 1.1), round(float(teq[1]), 1), round(float(teq[2]), 1)]
    frame["eqt_derived"] = [False, True, True]
    return frame


def _spectra() -> pd.DataFrame:
    # s1: a planet-level spectrum without orders; cube_a: a run's own spectrum in two overlapping orders.
    rows = [("s1", "P1", None, w, 0.01) for w in (1.0, 1.5, 2.0)]
    rows += [("cube_a", "P1", 1, w, None) for w in (0.9, 1.2, 1.8)] + [("cube_a", "P1", 2, w, None) for w in (0.6, 0.9)]
    frame = pd.DataFrame(rows, columns=["spectrum", "planet", "order", "wavelength_um", "wavelength_err_um"])
    return frame.assign(order=frame["order"].astype("Int64"), kind="transmission", instrument="JWST",
                        depth_ppm=100.0, depth_negative=False)


def _climate_runs() -> pd.DataFrame:
    return pd.DataFrame({
        "file": ["cube_a.nc", "sub/cube_b.nc"], "stem": ["cube_a", "cube_b"],
        "source_sha256": [SHA["cube_a"], SHA["cube_b"]],
        "store": [STORE_PATTERN.format(stem="cube_a"), STORE_PATTERN.format(stem="cube_b")],
        "planet": ["P1", "P1"], "scenario": ["present_day", "snowball"],
        "label": pd.array([True, False], dtype="boolean"), "biosphere": ["map00010 map00680", "map00010"]})


def universe() -> tuple[dict[str, pd.DataFrame], dict]:
    """One small, consistent build: every rule of the five tables passes on it."""
    frames = {"exoplanets": _exoplanets(), "spectra": _spectra(), "climate_runs": _climate_runs(),
              "kegg_edges": pd.DataFrame({"pathway": ["map00010", "map00680", "ko00680"], "reaction": "rn:R00001",
                                          "substrate": "cpd:C00001", "product": "cpd:C00002", "reversible": False}),
              "kegg_env_tags": pd.DataFrame({"pathway": ["map00010", "map00680", "map01100"],
                                             "tag": ["Metabolism/Carbohydrate metabolism", "Metabolism/Energy metabolism",
                                                     "Metabolism/Global and overview maps"]})}
    registry, _ = build_registry(frames["climate_runs"], frames["exoplanets"]["planet"], frames["spectra"],
                                 frames["kegg_edges"]["pathway"], store_exists=lambda _: True)
    frames["planet_runs"] = registry.to_pandas()
    settings = {"albedo": ALBEDO, "teq_tolerance": 0.25, "stores": sorted(frames["climate_runs"]["store"])}
    return frames, settings


def _check(name: str, frames: dict[str, pd.DataFrame], settings: dict, rule: str) -> dict:
    result = consistency(name, frames[name], {k: v for k, v in frames.items() if k != name}, settings=settings)
    assert not result["skipped"], result["skipped"]
    return {c["name"]: c for c in result["checks"]}[rule]


def _set(table, row, column, value):
    def mutate(frames, _settings):
        frames[table].loc[row, column] = value
    return mutate


def _run_row(frames, stem):
    runs = frames["planet_runs"]
    return runs.index[runs["climate_store"] == STORE_PATTERN.format(stem=stem)][0]


def _drop_store(frames, settings):
    settings["stores"] = settings["stores"][:1]


def _eqt_off(frames, _):
    frames["exoplanets"].loc[0, "eq_temp_k"] *= 1.5  # an archive T_eq 65% above the derived one


def _unsorted(frames, _):
    frames["spectra"].loc[[0, 1], "wavelength_um"] = [1.5, 1.0]


def _run_id(frames, _):
    frames["planet_runs"].loc[0, "run_id"] = "run-0000000000000000"


def _sha(frames, _):
    frames["planet_runs"].loc[0, "source_sha256"] = "c" * 64


def _no_planet(frames, _):
    frames["exoplanets"] = frames["exoplanets"][frames["exoplanets"]["planet"] != "P1"]


def _no_spectrum(frames, _):
    frames["spectra"] = frames["spectra"][frames["spectra"]["spectrum"] != "cube_a"]


def _wrong_match(frames, _):
    frames["planet_runs"].loc[_run_row(frames, "cube_b"), "spectrum_match"] = "run"  # s1 is no cube's own


def _no_edges(frames, _):
    frames["kegg_edges"] = frames["kegg_edges"][frames["kegg_edges"]["pathway"] != "map00680"]


def _count(frames, _):
    frames["planet_runs"].loc[0, "n_pathways"] += 1


def _untagged(frames, _):
    frames["kegg_env_tags"] = frames["kegg_env_tags"][frames["kegg_env_tags"]["pathway"] != "map00680"]


def _ancestor(frames, _):
    frames["kegg_env_tags"] = pd.concat([frames["kegg_env_tags"],
                                         pd.DataFrame({"pathway": ["map00010"], "tag": ["Metabolism"]})],
                                        ignore_index=True)


BREAKS = {
    ("exoplanets", "eqt_agrees_with_derived"): _eqt_off,
    ("exoplanets", "derived_teq_follows_formula"): _set("exoplanets", 1, "eq_temp_k", 999.0),
    ("exoplanets", "derived_a_follows_kepler"): _set("exoplanets", 2, "semi_major_axis_au", 2.0),
    ("exoplanets", "outlier_is_any_flag"): _set("exoplanets", 0, "radius_earth_outlier", True),
    ("spectra", "wavelengths_increase"): _unsorted,
    ("spectra", "one_header_per_spectrum"): _set("spectra", 1, "planet", "P2"),
    ("spectra", "bin_below_wavelength"): _set("spectra", 2, "wavelength_err_um", 4.0),
    ("spectra", "negative_flag_matches_depth"): _set("spectra", 1, "depth_negative", True),
    ("climate_runs", "stem_from_file"): _set("climate_runs", 0, "file", "renamed.nc"),
    ("climate_runs", "store_from_stem"): _set("climate_runs", 0, "store", "data/processed/climate/cube_b.zarr"),
    ("climate_runs", "one_cube_per_planet_scenario"): _set("climate_runs", 1, "scenario", "present_day"),
    ("climate_runs", "store_in_build"): _drop_store,
    ("planet_runs", "run_id_from_content"): _run_id,
    ("planet_runs", "run_matches_climate_runs"): _sha,
    ("planet_runs", "store_in_build"): _drop_store,
    ("planet_runs", "planet_in_exoplanets"): _no_planet,
    ("planet_runs", "spectrum_in_spectra"): _no_spectrum,
    ("planet_runs", "spectrum_match_holds"): _wrong_match,
    ("planet_runs", "pathways_have_edges"): _no_edges,
    ("planet_runs", "n_pathways_counts_them"): _count,
    ("kegg_env_tags", "edges_have_tags"): _untagged,
    ("kegg_env_tags", "no_ancestor_tags"): _ancestor,
}
RUN_TABLES = ("exoplanets", "spectra", "climate_runs", "planet_runs", "kegg_env_tags")


def test_every_rule_of_the_run_tables_is_tested_here():
    assert {(t, r.name) for t in RUN_TABLES for r in RULES[t]} == set(BREAKS)


@pytest.mark.parametrize(("table", "rule"), sorted(BREAKS))
def test_each_rule_passes_on_a_consistent_build_and_falls_on_one_that_breaks_it(table, rule):
    frames, settings = universe()
    clean = _check(table, frames, settings, rule)
    assert clean["checked"] > 0 and clean["passed"] == clean["checked"], clean
    BREAKS[(table, rule)](frames, settings)
    broken = _check(table, frames, settings, rule)
    assert broken["checked"] > 0 and broken["passed"] < broken["checked"], broken
    assert broken["score"] < 1.0


def test_a_tag_without_edges_is_no_defect():
    # map01100 (an overview map) is tagged and has no reactions by design, as do the non-metabolic
    # maps BRITE classifies: only edges without a tag count.
    frames, settings = universe()
    check = _check("kegg_env_tags", frames, settings, "edges_have_tags")
    assert (check["passed"], check["checked"]) == (3, 3)


def test_eqt_tolerance_is_relative_and_configurable():
    frames, settings = universe()  # P1's archive T_eq is 10% above the derived one
    assert _check("exoplanets", frames, settings, "eqt_agrees_with_derived")["passed"] == 1
    assert _check("exoplanets", frames, {**settings, "teq_tolerance": 0.05}, "eqt_agrees_with_derived")["passed"] == 0


def test_rules_needing_absent_columns_or_settings_are_skipped_not_passed():
    # An archive download with a user column selection: no stellar columns, no orbit.
    frames, settings = universe()
    planets = frames["exoplanets"][["planet", "eq_temp_k", "eqt_derived", "outlier"]]
    result = consistency("exoplanets", planets, {}, settings={})
    skipped = {s["name"]: s["reason"] for s in result["skipped"]}
    assert "star_teff_k" in skipped["eqt_agrees_with_derived"] and "orbital_period_days" in skipped["derived_a_follows_kepler"]
    assert [c["name"] for c in result["checks"]] == ["outlier_is_any_flag"]
    no_albedo = consistency("exoplanets", frames["exoplanets"], {}, settings={"teq_tolerance": 0.25})
    assert "albedo" in {s["name"]: s["reason"] for s in no_albedo["skipped"]}["eqt_agrees_with_derived"]


def _with_duplicate(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    twin = frame.iloc[[0]].copy()
    twin[column] = value
    return pd.concat([frame, twin], ignore_index=True)


@pytest.mark.parametrize(("table", "key", "column", "value"), [
    ("exoplanets", ["planet"], "eq_temp_k", 500.0),  # two rows for one planet, different values
    ("planet_runs", ["run_id"], "label", True),
    ("climate_runs", ["store"], "planet", "P9"),
    ("spectra", ["spectrum", "order", "wavelength_um"], "depth_ppm", 200.0),
    ("kegg_env_tags", ["pathway", "tag"], "tag", "Metabolism/Carbohydrate metabolism"),
])
def test_real_keys_catch_two_rows_for_one_thing(table, key, column, value):
    frames, _ = universe()
    frame = _with_duplicate(frames[table], column, value)
    result = uniqueness(frame, *table_key(table, CONTRACTS[table], list(frame.columns)))
    assert result["key"] == key and result["key_source"] == "catalogue"
    assert result["duplicate_rows"] == 1 and result["score"] < 1.0


def test_every_table_has_a_key_and_rules():
    assert set(CATALOGUE) <= set(RULES)
    for name, table in CATALOGUE.items():
        assert table.key and set(table.key) <= set(table.contract.to_schema().columns), name


def _report_args(tmp_path, frame: pd.DataFrame, config=None) -> dict:
    table = tmp_path / "toy.parquet"
    write_parquet(pyarrow.Table.from_pandas(frame, preserve_index=False), table)
    write_json({"valid": True, "rows": len(frame)}, tmp_path / "toy.json")
    return dict(tables={"toy": str(table)}, stores={}, validations={"toy": str(tmp_path / "toy.json")},
                config=config or {})


def test_a_table_without_rules_is_not_assessed_and_graded_on_the_rest(tmp_path, monkeypatch):
    from tests.unit.test_quality import Toy, _toy

    monkeypatch.setattr("astrobuild.contracts.catalogue.CONTRACTS", {"toy": Toy})
    frame = _toy(20)
    frame.loc[[0, 1], "value"] = np.nan  # completeness (1 + 0.9) / 2 = 0.95; validity 0.9
    args = _report_args(tmp_path, frame)
    quality_report(**args, json_path=tmp_path / "q.json", html_path=tmp_path / "q.html")
    entry = json.loads((tmp_path / "q.json").read_text())["tables"]["toy"]
    assert entry["scores"]["consistency"] is None and entry["consistency"]["score"] is None
    assert entry["overall"] == 0.9 and entry["grade"] == "B"  # the minimum of the assessed scores
    assert json.loads((tmp_path / "q.json").read_text())["summary"]["not_assessed"] == {"toy": ["consistency"]}
    page = (tmp_path / "q.html").read_text()
    assert "<td>not assessed</td>" in page and "Consistency: not assessed" in page
    assert "scored 1.0" not in page


def test_without_a_contract_validity_is_not_assessed():
    from tests.unit.test_quality import _toy

    result = score_table("toy", _toy(5), None)
    assert result["scores"]["validity"] is None and result["not_assessed"] == ["consistency", "validity"]


def test_an_empty_table_is_graded_f_and_stops_the_build(tmp_path, monkeypatch):
    from tests.unit.test_quality import Toy, _toy

    monkeypatch.setattr("astrobuild.contracts.catalogue.CONTRACTS", {"toy": Toy})
    args = _report_args(tmp_path, _toy(0))
    report = build_report(**args)
    entry = report["tables"]["toy"]
    assert entry["grade"] == "F" and entry["overall"] is None and not entry["passed"]
    assert entry["scores"] == {"completeness": None, "validity": None, "uniqueness": None, "consistency": None}
    with pytest.raises(QualityError, match=r"table 'toy' is graded F \(overall none assessed\).*no rows"):
        check_bars(report)
    # A mode where the table may be empty says so: its bar lowered to F.
    check_bars(build_report(**{**args, "config": {"min_grade": {"toy": "F"}}}))
    quality_report(**{**args, "config": {"min_grade": {"toy": "F"}}}, json_path=tmp_path / "e.json",
                   html_path=tmp_path / "e.html")
    assert "not assessed: the table has no rows" in (tmp_path / "e.html").read_text()


def test_a_store_without_coordinates_is_not_assessed_on_uniqueness(tmp_path):
    path = tmp_path / "bare.zarr"
    xr.Dataset({"x": (("time", "y"), np.ones((2, 3)), {"units": "1"})}).to_zarr(path, mode="w", consolidated=False)
    result = score_store("bare", path, {"valid": True, "checks": [{"name": "c", "passed": True}]})
    assert result["scores"]["uniqueness"] is None and result["grade"] == "A+" and result["overall"] == 1.0
    assert result["not_assessed"] == ["uniqueness"]
