"""Exoplanet archive parsing, derived values, outlier flags: generated files, edge cases, the real download."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from astrobuild.contracts.exoplanets import Exoplanets
from astrobuild.exoplanets.archive import ArchiveError, parse_column_block, read_archive_csv, unit_of
from astrobuild.exoplanets.derive import (
    T_EQ_EARTH_FLUX_K,
    equilibrium_temperature,
    equilibrium_temperature_from_insolation,
)
from astrobuild.exoplanets.pipeline import choose_archive_file, process_archive, to_arrow
from astrobuild.quarantine import Quarantine
from astrobuild.sample import generate
from astrobuild.sample.exoplanets import NOT_COMPUTABLE, RADIUS_OUTLIER
from astrobuild.sample.universe import build_universe
from astrobuild.sample.universe import equilibrium_temperature as universe_teq

HEAD = "# banner\n#\n# COLUMN pl_name:  Planet Name\n# COLUMN pl_rade:  Planet Radius [Earth Radius]\n#\n"


def _process(path, albedo=0.3, sigma=3.0):
    q = Quarantine()
    table = read_archive_csv(path, q)
    frame, report = process_archive(table, albedo, sigma)
    return table, frame, report, q


def _write(tmp_path, body, name="PSCompPars_x.csv", head=HEAD):
    path = tmp_path / name
    path.write_text(head + body, encoding="utf-8")
    return path


def test_column_block_and_units():
    block = parse_column_block(["# COLUMN pl_bmasseerr1:  Planet Mass or Mass*sin(i) [Earth Mass] Upper Unc.",
                                "# COLUMN st_metratio:    Stellar Metallicity Ratio", "# not a column"])
    assert block == {"pl_bmasseerr1": "Planet Mass or Mass*sin(i) [Earth Mass] Upper Unc.",
                     "st_metratio": "Stellar Metallicity Ratio"}
    assert unit_of(block["pl_bmasseerr1"]) == "Earth Mass" and unit_of(block["st_metratio"]) == ""


def test_sample_pscomppars_edge_cases(tmp_path):
    files = generate("exoplanets", tmp_path, scale=2)
    comp = next(f for f in files if f.name.startswith("PSCompPars"))
    table, frame, report, q = _process(comp)
    universe = build_universe(2, 0)
    assert len(q) == 0 and list(frame["planet"]) == sorted(p.name for p in universe.planets)
    by_name = frame.set_index("planet")
    for i, p in enumerate(universe.planets):
        row = by_name.loc[p.name]
        if i == NOT_COMPUTABLE:
            assert pd.isna(row["eq_temp_k"]) and not row["eqt_derived"]
        elif i % 4 in (1, 3):
            assert row["eqt_derived"] and row["eq_temp_k"] == pytest.approx(p.eqt, abs=1.5)
            assert row["semi_major_axis_derived"] == (i % 4 == 3)
        else:
            assert not row["eqt_derived"] and row["eq_temp_k"] == pytest.approx(p.eqt, abs=0.6)
        assert row["radius_earth_outlier"] == (i == RADIUS_OUTLIER) == row["outlier"]
    assert report["eqt_missing"] == 1 and report["eqt_derived"] == 4 and report["semi_major_axis_derived"] == 2
    Exoplanets.validate(to_arrow(frame, table).to_pandas(), lazy=True)


def test_ps_table_default_rows_match_pscomppars(tmp_path):
    files = generate("exoplanets", tmp_path, scale=1)
    comp, ps = (next(f for f in files if f.name.startswith(p)) for p in ("PSCompPars", "PS_"))
    _, from_comp, _, _ = _process(comp)
    table, from_ps, _, _ = _process(ps)
    assert table.is_ps_table and table.rows_read > len(from_ps) == 4
    shared = [c for c in from_comp.columns if c in from_ps.columns]
    pd.testing.assert_frame_equal(from_comp[shared], from_ps[shared])
    assert choose_archive_file(files, "ps", Quarantine()) == ps
    assert choose_archive_file(files, "pscomppars", Quarantine()) == comp


def test_ps_table_without_or_with_several_defaults_names_the_planet(tmp_path):
    head = HEAD + "# COLUMN default_flag: Default Parameter Set\n"
    body = "pl_name,default_flag,pl_rade,st_teff,st_rad,pl_orbsmax\nA b,1,1,5000,1,1\nA b,1,1.1,5000,1,1\nB b,0,1,5000,1,1\n"
    with pytest.raises(ArchiveError, match=r"several default_flag=1 rows: \['A b'\].*without a default_flag=1 row: \['B b'\]"):
        _process(_write(tmp_path, body, "PS_x.csv", head))


def test_user_column_selection_builds_the_table_with_the_model_columns_null(tmp_path):
    """A download of only pl_name, pl_rade, pl_bmasse, pl_insol: built, T_eq from the insolation, the rest null."""
    body = "pl_name,pl_rade,pl_bmasse,pl_insol\nA b,1.0,1.0,1.0\nB b,2.0,5.0,16\nC b,1.5,3.0,\n"
    table, frame, report, q = _process(_write(tmp_path, body), albedo=0.3)
    assert len(q) == 0 and list(frame["planet"]) == ["A b", "B b", "C b"]
    by_name = frame.set_index("planet")
    # zero albedo, full redistribution at 1 Earth flux: the Earth's 278.3 K, scaled by (1 - A)^(1/4) and S^(1/4)
    assert by_name.loc["A b", "eq_temp_k"] == pytest.approx(T_EQ_EARTH_FLUX_K * 0.7 ** 0.25, abs=0.06)
    assert by_name.loc["B b", "eq_temp_k"] == pytest.approx(2 * T_EQ_EARTH_FLUX_K * 0.7 ** 0.25, abs=0.06)
    assert list(frame["eqt_derived"]) == [True, True, False] and pd.isna(by_name.loc["C b", "eq_temp_k"])
    for name in ("semi_major_axis_au", "star_teff_k", "star_radius_sun"):
        assert frame[name].isna().all()
    assert set(report["columns_absent"]) == {"semi_major_axis_au", "star_teff_k", "star_radius_sun"}
    assert "needs st_teff" in report["columns_absent"]["star_teff_k"]
    assert report["missing_reasons"] == {
        "semi_major_axis_au": {"missing pl_orbsmax, pl_orbper, st_mass": 3},
        "eq_temp_k": {"missing pl_eqt, st_teff, st_rad, semi-major axis, pl_insol": 1}}
    Exoplanets.validate(to_arrow(frame, table).to_pandas(), lazy=True)


def test_only_consumers_needing_an_absent_column_fail_naming_it(tmp_path):
    import pyarrow.parquet as pq

    from astrobuild.exoplanets.pipeline import exoplanet_archive_table, plot_exoplanets

    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw, "pl_name,pl_bmasse,pl_insol\nA b,1.0,1.0\n")
    out = tmp_path / "out"
    report = exoplanet_archive_table([str(raw)], ["PSCompPars*.csv"], "pscomppars", 0.3, 3.0,
                                     out / "t.parquet", out / "q.tsv", out / "r.json")
    assert "radius_earth" in report["columns_absent"] and "eq_temp_k" not in report["columns_absent"]
    # the table exists with the fixed schema: a consumer of the key only (the planet-run registry) works
    written = pq.read_table(out / "t.parquet")
    assert {"planet", "radius_earth", "eq_temp_k", "star_teff_k"} <= set(written.column_names)
    assert written.column("planet").to_pylist() == ["A b"]
    with pytest.raises(ArchiveError, match=r"plot_exoplanets .* needs radius_earth \(not in the download \(needs pl_rade\)\)"):
        plot_exoplanets(out / "t.parquet", out / "p.png")
    assert not (out / "p.png").exists()


def test_teq_from_insolation_agrees_with_the_stellar_formula():
    # the Sun's insolation at 2 au is 1/4 Earth flux; both routes give the same T_eq
    star = equilibrium_temperature(pd.Series([5772.0]), pd.Series([1.0]), pd.Series([2.0]), 0.3)[0]
    assert equilibrium_temperature_from_insolation(pd.Series([0.25]), 0.3)[0] == pytest.approx(star, rel=1e-12)
    assert T_EQ_EARTH_FLUX_K == pytest.approx(278.3, abs=0.05)


def test_file_without_pl_name_says_so_not_to_set_the_table_kind(tmp_path):
    path = _write(tmp_path, "name,radius\nA b,1\n", name="PSCompPars_y.csv")
    q = Quarantine()
    with pytest.raises(ArchiveError) as info:
        choose_archive_file([path], "pscomppars", q)
    message = str(info.value)
    assert "PSCompPars_y.csv: the header has no pl_name column" in message and "name,radius" in message
    assert "exoplanets.table" not in message and q.records[0].reason.startswith("the header has no pl_name")
    # a table of the other kind is still reported with the advice that fits it
    ps = _write(tmp_path, "pl_name,default_flag\nA b,1\n", name="PS_y.csv")
    with pytest.raises(ArchiveError, match=r"'ps' table\(s\) .*PS_y.csv.*set exoplanets.table: ps"):
        choose_archive_file([path, ps], "pscomppars", Quarantine())


def test_byte_order_mark_is_not_part_of_the_file(realdata, tmp_path):
    source = realdata / "exoplanets" / "PSCompPars_2024.10.15.csv"
    bom = tmp_path / "PSCompPars_bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert choose_archive_file([bom], "pscomppars", Quarantine()) == bom
    table, frame, _, q = _process(bom)
    _, plain, _, _ = _process(source)
    assert len(q) == 0 and len(table.descriptions) == 84
    pd.testing.assert_frame_equal(frame, plain)


def test_real_archive_with_a_user_column_selection(realdata, tmp_path):
    """The real download cut to the columns a user picked in the archive's column selector."""
    import csv

    source = realdata / "exoplanets" / "PSCompPars_2024.10.15.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    keep = ["pl_name", "pl_rade", "pl_bmasse", "pl_insol"]
    head = [line for line in lines if line.startswith("#") and any(f"COLUMN {k}:" in line for k in keep)]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    index = [rows[0].index(k) for k in keep]
    cut = tmp_path / "PSCompPars_selection.csv"
    with open(cut, "w", encoding="utf-8", newline="") as out:
        out.write("\n".join(head) + "\n")
        csv.writer(out, lineterminator="\n").writerows([[r[i] for i in index] for r in rows])
    table, frame, report, q = _process(cut, albedo=0.0)
    assert len(frame) == 5766 and len(q) == 0
    with_insol = frame["insolation_earth"].notna()
    assert (frame["eqt_derived"] == with_insol).all() and frame["eq_temp_k"].notna().sum() == with_insol.sum()
    earthlike = frame.set_index("planet").loc["TRAPPIST-1 e"]
    assert earthlike["eq_temp_k"] == pytest.approx(T_EQ_EARTH_FLUX_K * earthlike["insolation_earth"] ** 0.25, abs=0.06)
    assert sum(report["missing_reasons"]["eq_temp_k"].values()) == int((~with_insol).sum())
    Exoplanets.validate(to_arrow(frame, table).to_pandas(), lazy=True)


def test_teq_derived_with_configured_albedo_and_missing_eqt_column(tmp_path):
    # no pl_eqt column at all: every T_eq is derived (the documented fallback), none is a silent NaN
    path = _write(tmp_path, "pl_name,pl_rade,st_teff,st_rad,pl_orbsmax\nA b,1,5772,1,1\nB b,1,5772,1,\n")
    _, frame, report, _ = _process(path, albedo=0.0)
    a = frame.set_index("planet")
    assert a.loc["A b", "eq_temp_k"] == pytest.approx(universe_teq(5772, 1, 1, albedo=0.0), abs=0.06)
    assert a.loc["A b", "eq_temp_k"] == pytest.approx(278.5, abs=0.5)  # the Earth's, zero albedo
    assert a.loc["A b", "eqt_derived"] and pd.isna(a.loc["B b", "eq_temp_k"]) and not a.loc["B b", "eqt_derived"]
    assert report["eqt_missing_planets"] == ["B b"]
    assert math.isclose(float(equilibrium_temperature(pd.Series([5772.0]), pd.Series([1.0]), pd.Series([1.0]), 0.3)[0]),
                        universe_teq(5772, 1, 1), rel_tol=1e-12)


def test_bad_rows_are_quarantined_not_dropped_silently(tmp_path):
    body = "pl_name,pl_rade,st_teff,st_rad,pl_orbsmax,mystery\nA b,1,5000,1,1,x\nB b,abc,5000,1,1,y\nC b,1,5000\n"
    table, frame, _, q = _process(_write(tmp_path, body))
    reasons = {(r.line, r.reason) for r in q.records}
    assert reasons == {(8, "not a number in column pl_rade; kept as missing"), (9, "3 fields, header has 6")}
    assert list(frame["planet"]) == ["A b", "B b"] and pd.isna(frame["radius_earth"][1])
    assert table.not_kept == ["mystery"]


def test_duplicate_planet_in_pscomppars_is_an_error(tmp_path):
    body = "pl_name,pl_rade,st_teff,st_rad,pl_orbsmax\nA b,1,5000,1,1\nA b,1,5000,1,1\n"
    with pytest.raises(ArchiveError, match=r"planet\(s\) on several rows.*'A b'"):
        _process(_write(tmp_path, body))


def test_real_pscomppars(realdata):
    table, frame, report, q = _process(realdata / "exoplanets" / "PSCompPars_2024.10.15.csv")
    assert table.rows_read == 5766 and len(table.archive_names) == 84 and table.not_kept == [] and len(q) == 0
    assert len(frame) == 5766 and frame["planet"].is_unique
    arrow = to_arrow(frame, table)
    meta = arrow.schema.field("mass_earth").metadata
    assert meta[b"archive_column"] == b"pl_bmasse" and meta[b"unit"] == b"Earth mass"
    assert frame.set_index("planet").loc["11 Com b", "orbital_period_days"] == pytest.approx(323.21)
    assert 0 < report["eqt_derived"] < 5766 and 0 < report["outlier_rows"] < 0.1 * 5766
    assert not frame["outlier"].isna().any()
    Exoplanets.validate(arrow.to_pandas(), lazy=True)


def test_rule_outputs_are_byte_identical(tmp_path):
    from astrobuild.exoplanets.pipeline import exoplanet_archive_table, plot_exoplanets

    raw = tmp_path / "raw"
    generate("exoplanets", raw, scale=1)
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        report = exoplanet_archive_table([str(raw)], ["PSCompPars*.csv", "PS_*.csv"], "ps", 0.3, 3.0,
                                         out / "t.parquet", out / "q.tsv", out / "r.json")
        plot_exoplanets(out / "t.parquet", out / "p.png")
        outputs.append([(out / n).read_bytes() for n in ("t.parquet", "q.tsv", "r.json", "p.png")])
    assert outputs[0] == outputs[1] and report["file"] == "PS_2025.01.01.csv" and report["rows"] == 4
