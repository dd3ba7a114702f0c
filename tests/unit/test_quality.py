"""Quality report: scores on small frames and stores, grades, bars, determinism, HTML."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pytest
import xarray as xr
from pandera.typing import Series

from astrobuild.io import write_json, write_parquet
from astrobuild.quality import (
    QualityError,
    build_report,
    check_bars,
    grade,
    passes,
    quality_report,
    score_store,
)
from astrobuild.quality.grades import min_grade_for
from astrobuild.quality.table_rules import Rule
from astrobuild.quality.tables import score_table


class Toy(pa.DataFrameModel):
    id: Series[str] = pa.Field()
    value: Series[float] = pa.Field(ge=0.0)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class ToyKeyed(Toy):
    class Config:
        strict = True
        coerce = True
        unique = ["id"]


def _toy(n=20) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"r{i}" for i in range(n)], "value": [float(i) for i in range(n)],
                         "note": [None] * n})


@pytest.mark.parametrize(("value", "letter"), [
    (1.0, "A+"), (0.98, "A+"), (49 / 50, "A+"), (0.979999, "A"), (0.98 - 1e-12, "A+"), (0.95, "A"), (19 / 20, "A"), (0.949999, "B"),
    (0.90, "B"), (9 / 10, "B"), (0.899999, "C"), (0.85, "C"), (17 / 20, "C"), (0.849999, "F"), (0.0, "F"),
])
def test_grade_boundaries(value, letter):
    # Scores are rounded to 6 decimals before grading: float noise under a bar is not a lower grade.
    assert grade(value) == letter


def test_bars():
    assert not passes("F", min_grade_for("t", {}))  # default: anything but F
    assert passes("C", min_grade_for("t", {}))
    assert passes("F", min_grade_for("t", {"min_grade": {"t": "F"}}))
    assert not passes("A", min_grade_for("t", {"min_grade": {"t": "A+"}}))
    assert not passes("B", min_grade_for("u", {"default_min_grade": "A", "min_grade": {"t": "F"}}))
    with pytest.raises(ValueError, match="Z"):
        passes("Z", "C")


def test_a_clean_table_is_a_plus_and_nullable_columns_do_not_count():
    # The toy table has no consistency rule: not assessed (null), not a 1.0 that could not fall.
    result = score_table("toy", _toy(), Toy)
    assert result["scores"] == {"completeness": 1.0, "validity": 1.0, "uniqueness": 1.0, "consistency": None}
    assert result["not_assessed"] == ["consistency"]
    assert result["grade"] == "A+" and result["overall"] == 1.0 and result["pulled_down_by"] == []
    assert result["completeness"]["columns"]["note"] == {"non_null": 0.0, "required": False}
    assert result["consistency"]["rules"] == 0


def test_nulls_duplicates_and_contract_failures_are_counted():
    frame = _toy(20)
    frame.loc[[0, 1], "value"] = np.nan  # 2 nulls in a required column: also 2 contract failures
    frame.loc[[2, 3, 4], "value"] = -1.0  # 3 rows break ge=0
    frame.loc[19, "id"] = "r18"  # same key as row 18
    frame.loc[19, "value"] = 18.0  # ...and the same whole row
    result = score_table("toy", frame, ToyKeyed)
    # (1 + 18/20) / 2 required columns; 'note' (all null) is measured, not scored
    assert result["completeness"]["score"] == pytest.approx(0.95)
    assert result["completeness"]["columns"]["value"]["non_null"] == 0.9
    assert result["validity"]["failing_rows"] == 5 + 2  # 2 nulls + 3 negatives + both rows of the duplicate key
    assert result["validity"]["score"] == pytest.approx(13 / 20)
    assert result["uniqueness"] == {"score": 0.95, "key": ["id"], "key_source": "contract", "duplicate_rows": 1}
    assert result["overall"] == pytest.approx(0.65) and result["grade"] == "F"
    pulled = {p["dimension"]: p for p in result["pulled_down_by"]}
    assert set(pulled) == {"completeness", "validity", "uniqueness"}
    assert "column 'value'" in pulled["completeness"]["because"][0]
    assert any("'value'" in b and "greater_than_or_equal_to" in b for b in pulled["validity"]["because"])


def test_whole_row_key_and_a_missing_column_invalidates_every_row():
    frame = pd.concat([_toy(4), _toy(4).iloc[[0]]], ignore_index=True)
    result = score_table("toy", frame, Toy)
    assert result["uniqueness"]["key_source"] == "whole row" and result["uniqueness"]["duplicate_rows"] == 1
    assert result["uniqueness"]["score"] == 0.8
    broken = score_table("toy", _toy(4).drop(columns="note"), Toy)
    assert broken["validity"]["score"] == 0.0 and broken["validity"]["failing_rows"] == 4


def test_consistency_rules_cross_table_and_skipped():
    frame = _toy(10)
    others = {"ref": pd.DataFrame({"id": [f"r{i}" for i in range(8)]})}
    rule = Rule("ids_in_ref", "every id is in ref", lambda f, o: (int(f["id"].isin(o["ref"]["id"]).sum()), len(f)),
                needs=("ref",))
    scored = score_table("toy", frame, Toy, others, rules=[rule])
    assert scored["consistency"]["score"] == 0.8 and scored["consistency"]["rules"] == 1
    assert scored["grade"] == "F" and "rule ids_in_ref: 8/10" in scored["pulled_down_by"][0]["because"][0]
    skipped = score_table("toy", frame, Toy, {}, rules=[rule])
    assert skipped["consistency"]["score"] is None and skipped["consistency"]["rules"] == 0
    assert skipped["consistency"]["skipped"][0]["name"] == "ids_in_ref"


def test_table_rules_of_the_1000g_samples():
    from astrobuild.contracts.catalogue import CONTRACTS

    samples = pd.DataFrame({
        "sample_id": ["HG1", "HG1", "HG2", "HG3"], "population": ["CHB", "CHB", "YRI", "YRI"],
        "super_population": ["EAS", "EAS", "AFR", "EUR"], "platform": None, "file_path": list("abcd"),
        "md5": None, "index_file_path": None, "read_count": None, "base_count": None, "withdrawn": None,
        "analysis_group": None, "data_type": "sequence", "index_file": "x.index"})
    master = pd.DataFrame({"sample_id": ["HG1", "HG2"]})
    result = score_table("1000g_samples", samples, CONTRACTS["1000g_samples"], {"1000g_master": master})
    checks = {c["name"]: (c["passed"], c["checked"]) for c in result["consistency"]["checks"]}
    assert checks == {"super_population_matches_population": (3, 4), "one_population_per_sample": (4, 4),
                      "samples_in_master": (3, 4)}
    assert result["consistency"]["score"] == 0.75


def _store(tmp_path, name="run.zarr", lat=(-45.0, 0.0, 45.0), units=True, nan=0, consolidated=False,
           bounds=False) -> str:
    rng = np.random.default_rng(0)
    ts = 250.0 + rng.random((2, len(lat), 4))
    ts.flat[:nan] = np.nan
    ds = xr.Dataset(
        {"TS": (("time", "lat", "lon"), ts, {"units": "K"} if units else {}),
         "T": (("time", "lev", "lat", "lon"), 200.0 + rng.random((2, 2, len(lat), 4)), {"units": "K"})},
        coords={"time": ("time", [0.0, 30.0], {"units": "days since 2000-01-01", "bounds": "time_bnds"}),
                "lev": [1000.0, 500.0],
                "lat": list(lat), "lon": [0.0, 90.0, 180.0, 270.0]})
    if bounds:
        ds["time_bnds"] = (("time", "nbnd"), [[0.0, 30.0], [30.0, 60.0]])
    path = tmp_path / name
    ds.to_zarr(path, mode="w", consolidated=consolidated)
    return str(path)


def _validation(path, checks=(True, True, True, True), nan_ts=None) -> dict:
    variables = {"TS": {"dtype": "float64", "units": "K"}, "T": {"dtype": "float64", "units": "K"}}
    if nan_ts is not None:
        variables["TS"]["nan_fraction"] = nan_ts
        variables["T"]["nan_fraction"] = 0.0
    return {"store": path, "source": "run.nc", "valid": all(checks),
            "dims": dict(xr.open_zarr(path, consolidated=False).sizes), "variables": variables,
            "checks": [{"name": f"check{i}", "passed": ok, "detail": "d"} for i, ok in enumerate(checks)]}


def test_store_scores(tmp_path):
    path = _store(tmp_path, nan=3)  # 3 of 24 TS values are NaN
    good = score_store("climate_run", path, _validation(path))
    assert good["completeness"]["variables"]["TS"]["non_nan"] == pytest.approx(21 / 24, abs=1e-6)
    assert good["completeness"]["score"] == pytest.approx((21 / 24 + 1) / 2, abs=1e-6)
    assert good["validity"]["score"] == 1.0 and good["uniqueness"]["score"] == 1.0  # lev decreasing is fine
    assert good["consistency"]["score"] == 1.0 and good["grade"] == "B"
    # nan_fraction of the validation report is used when given
    given = score_store("climate_run", path, _validation(path, nan_ts=0.5))
    assert given["completeness"]["variables"]["TS"]["non_nan"] == 0.5
    bad = score_store("climate_run", path, _validation(path, checks=(True, False, True, True)))
    assert bad["validity"]["score"] == 0.75 and bad["grade"] == "F"
    assert "check 'check1' failed: d" in bad["pulled_down_by"][-1]["because"]


def test_store_coordinates_units_and_dims(tmp_path):
    path = _store(tmp_path, lat=(0.0, -45.0, 45.0), units=False, consolidated=True, bounds=True)
    result = score_store("climate_run", path, _validation(path))
    assert result["uniqueness"]["coordinates"]["lat"] == {"unique_and_monotonic": False}
    assert result["uniqueness"]["score"] == 0.75
    failed = [c["name"] for c in result["consistency"]["checks"] if not c["passed"]]
    assert failed == ["units:TS"]
    assert "units:time_bnds" not in {c["name"] for c in result["consistency"]["checks"]}  # CF bounds: parent's units
    wrong_dims = {**_validation(path), "dims": {"time": 2, "lev": 2, "lat": 3, "lon": 5}}
    result = score_store("climate_run", path, wrong_dims)
    assert "dims_match_validation" in [c["name"] for c in result["consistency"]["checks"] if not c["passed"]]


def _build(tmp_path, frame, config=None):
    table = tmp_path / "toy.parquet"
    write_parquet(pyarrow.Table.from_pandas(frame, preserve_index=False), table)
    store = _store(tmp_path, bounds=True)
    write_json(_validation(store), tmp_path / "climate_run.json")
    write_json({"valid": True, "rows": len(frame)}, tmp_path / "toy.json")
    return dict(tables={"toy": str(table)}, stores={"climate_run": store},
                validations={"toy": str(tmp_path / "toy.json"), "climate_run": str(tmp_path / "climate_run.json")},
                config=config or {})


def test_report_bars_and_message(tmp_path, monkeypatch):
    monkeypatch.setattr("astrobuild.contracts.catalogue.CONTRACTS", {"toy": Toy})
    frame = _toy(20)
    frame.loc[[0, 1, 2, 3], "value"] = -1.0  # validity 0.8: F
    args = _build(tmp_path, frame)
    report = build_report(**args)
    assert report["tables"]["toy"]["grade"] == "F" and not report["summary"]["passed"]
    assert report["summary"]["grades"] == {"climate_run": "A+", "toy": "F"}
    with pytest.raises(QualityError, match=r"table 'toy' is graded F .*below its bar C .*validity 0\.8"):
        check_bars(report)
    lowered = build_report(**{**args, "config": {"min_grade": {"toy": "F", "ghost": "A"}}})
    check_bars(lowered)  # no error
    assert lowered["summary"]["unused_overrides"] == ["ghost"]
    raised = build_report(**{**args, "config": {"min_grade": {"climate_run": "A+"}, "default_min_grade": "F"}})
    check_bars(raised)
    clean = build_report(**_build(tmp_path, _toy(20), {"min_grade": {"toy": "A+"}}))
    check_bars(clean)


def test_quality_report_files_are_deterministic_and_complete(tmp_path, monkeypatch):
    monkeypatch.setattr("astrobuild.contracts.catalogue.CONTRACTS", {"toy": Toy})
    args = _build(tmp_path, _toy(20))
    outputs = []
    for run in ("a", "b"):
        quality_report(**args, json_path=tmp_path / f"{run}.json", html_path=tmp_path / f"{run}.html")
        outputs.append(((tmp_path / f"{run}.json").read_bytes(), (tmp_path / f"{run}.html").read_bytes()))
    assert outputs[0] == outputs[1]
    text = outputs[0][0].decode()
    assert list(json.loads(text)["tables"]["toy"]) == sorted(json.loads(text)["tables"]["toy"])
    page = outputs[0][1].decode()
    for section in ('id="summary"', "Completeness per column", "Value distributions", "toy.value",
                    "Completeness per variable", "Climate map", "climate_run map", "data:image/png;base64,"):
        assert section in page, section
    assert "toy.note" not in page  # all-null and string columns get no histogram
    # A table below its bar still gets its report (into the log) before the error.
    frame = _toy(20)
    frame.loc[[0, 1, 2, 3], "value"] = -1.0
    with pytest.raises(QualityError, match="toy"):
        quality_report(**_build(tmp_path, frame), json_path=tmp_path / "c.json", html_path=tmp_path / "c.html")
    assert json.loads((tmp_path / "c.json").read_text())["tables"]["toy"]["grade"] == "F"


def test_map_variable_choice(tmp_path):
    from astrobuild.quality.html import map_variable
    from astrobuild.quality.stores import read_store

    ds = read_store(_store(tmp_path))
    assert map_variable(ds) == "TS"  # T has a lev dimension: not a surface field
    renamed = ds.rename({"TS": "tsurf", "lat": "latitude", "lon": "longitude"})
    assert map_variable(renamed) == "tsurf"
    assert map_variable(ds[["T"]]) is None


def test_config_schema_defaults_and_bad_grades():
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    from tests.workflow import REPO

    schema = str(REPO / "schemas" / "config.schema.yaml")
    config: dict = {}
    validate(config, schema)
    assert config["quality"] == {"default_min_grade": "C", "min_grade": {}, "max_histograms": 6, "max_store_figures": 6,
                                 "teq_tolerance": 0.25}
    ok = {"quality": {"min_grade": {"1000g_samples": "A+", "climate_run": "F"}}}
    validate(ok, schema)
    with pytest.raises(WorkflowError, match="A\\+\\+"):
        validate({"quality": {"min_grade": {"kegg_edges": "A++"}}}, schema)


def test_only_flagged_and_the_first_stores_get_figures():
    from astrobuild.quality.html import stores_to_draw

    entries = {f"climate_{i:03d}": {"grade": "A+"} for i in range(300)}
    entries["climate_150"] = {"grade": "B"}
    drawn = stores_to_draw(entries, 3)
    assert drawn == {"climate_150", "climate_000", "climate_001"}
    assert stores_to_draw(entries, 0) == {"climate_150"}, "a store below A+ is always drawn"
    assert len(stores_to_draw({n: {"grade": "A+"} for n in ("a", "b")}, 6)) == 2
