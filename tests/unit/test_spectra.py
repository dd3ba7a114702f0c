"""Spectrum readers and the tidy table: generated files of every layout, edge cases, the real NIRISS file."""

from __future__ import annotations

import numpy as np
import pytest

from astrobuild.contracts.spectra import Spectra
from astrobuild.quarantine import Quarantine
from astrobuild.sample import generate
from astrobuild.sample.community import runs_csv_text
from astrobuild.sample.observables import ch4_profile, depth_noise_ppm, model_depth_ppm, transit_depth_ppm
from astrobuild.sample.universe import build_universe
from astrobuild.spectra.pipeline import read_spectra, spectra_frame
from astrobuild.spectra.reader import SpectrumError, column_role, explicit_unit, is_full_width, read_spectrum


def _table(files):
    q = Quarantine()
    return spectra_frame(read_spectra(files, q, show_progress=False)).to_pandas(), q


def test_column_roles_and_units():
    assert [column_role(n) for n in ("wave", "wave_error", "dppm", "dppm_err", "order", "quality", "(Rp/Rs)^2", "err")] == [
        "wavelength", "wavelength_err", "depth", "depth_err", "order", "quality", "depth", "depth_err"]
    assert [explicit_unit(n) for n in ("dppm", "depth_percent", "depth[ppm]", "wave (nm)", "(Rp/Rs)^2", "depth")] == [
        "ppm", "percent", "ppm", "nm", "fraction", None]


def test_sample_spectra_every_layout_agrees(tmp_path):
    files = generate("spectra", tmp_path, scale=1)
    universe = build_universe(1, 0)
    assert {f.suffix for f in files} == {".csv", ".txt", ".dat"}
    table, q = _table(files)
    Spectra.validate(table, lazy=True)
    # the spectrum id is the run name, which is the climate cube's stem: the planet-run registry's link
    stems = {line.split(",")[0].removesuffix(".nc") for line in runs_csv_text(universe).splitlines()[1:]}
    assert set(table["spectrum"]) == stems == {r.run_name for r in universe.runs}
    assert [(r.line, r.reason) for r in q.records] == [(13, "2 fields, expected 3")]
    planets = {p.name: p for p in universe.planets}
    for run in universe.runs:
        rows = table[table["spectrum"] == run.run_name]
        assert rows["wavelength_um"].is_monotonic_increasing and (rows["planet"] == run.planet).all()
        p = planets[run.planet]
        wave = rows["wavelength_um"].to_numpy()
        # ppm, percent and fraction files all land on the same physical depth, within the run's noise,
        # and state that noise in their error column
        model = model_depth_ppm(wave, transit_depth_ppm(p.rade, p.st_rad), run.ch4_strength, run.co2_ppmv)
        sigma = depth_noise_ppm(wave, run.noise_ppm)
        assert np.abs(rows["depth_ppm"].to_numpy() - model).max() < 5 * sigma.max(), run.run_name
        assert rows["depth_err_ppm"].to_numpy() == pytest.approx(sigma, rel=2e-3), run.run_name
    assert (table["kind"] == "transmission").all()


def test_ch4_band_shows_as_the_universe_says(tmp_path):
    """The CH4 band shows with the signal-to-noise the universe gives it: plain, absent or lost in the noise."""
    # scale 5: a band that is there is hidden in only ~1 % of runs, and scale 5 is the first with two of them
    table, _ = _table(generate("spectra", tmp_path, scale=5))
    universe = build_universe(5, 0)
    planets = {p.name: p for p in universe.planets}
    seen = {"visible": 0, "no CH4": 0, "hidden": 0}
    for run in universe.runs:
        rows = table[table["spectrum"] == run.run_name]
        wave, depth, err = (rows[c].to_numpy() for c in ("wavelength_um", "depth_ppm", "depth_err_ppm"))
        p = planets[run.planet]
        depth0 = transit_depth_ppm(p.rade, p.st_rad)
        # least-squares CH4 strength from the file (its error column as weights), the rest of the model known
        residual = depth - model_depth_ppm(wave, depth0, 0.0, run.co2_ppmv)
        template = depth0 * ch4_profile(wave)
        weight = 1.0 / err ** 2
        strength = float((weight * residual * template).sum() / (weight * template ** 2).sum())
        strength_err = float(1.0 / np.sqrt((weight * template ** 2).sum()))
        # the universe's band signal-to-noise is the one this file allows, and the file shows it
        assert run.ch4_strength / strength_err == pytest.approx(run.band_snr, rel=0.01, abs=0.01), run.run_name
        assert abs(strength / strength_err - run.band_snr) < 4, run.run_name
        if run.ch4_band:
            seen["visible"] += 1
        elif run.ch4_strength == 0:
            seen["no CH4"] += 1
        else:  # CH4 there, under the 5-sigma bar
            seen["hidden"] += 1
    assert min(seen.values()) >= 2, seen  # every case happens


def test_same_seed_same_bytes(tmp_path):
    a = generate("spectra", tmp_path / "a", scale=1, seed=3)
    b = generate("spectra", tmp_path / "b", scale=1, seed=3)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_names_only_in_comment_with_units_in_comment(tmp_path):
    path = tmp_path / "wasp-x_emission.dat"
    path.write_text("# target: WASP-X b\n# wavelength unit: nm\n# depth unit: percent\n"
                    "#  wl    fp/fs_depth    sigma\n  1200.0   0.0100  0.0010\n   900.0   0.0200  0.0010\n"
                    "  nan   0.1 0.1\n  1000.0  abc  0.1\n", encoding="utf-8")
    q = Quarantine()
    s = read_spectrum(path, q)
    assert (s.planet, s.kind, s.depth_unit, s.wave_unit) == ("WASP-X b", "emission", "percent", "nm")
    assert s.rows == [(1.2, None, 100.0, 10.0, None, None), (0.9, None, 200.0, 10.0, None, None)]
    assert [(r.line, r.reason) for r in q.records] == [(7, "missing wavelength in column 'wl'"),
                                                       (8, "not a number in column 'fp/fs_depth'")]


def test_unknown_depth_unit_names_file_and_column(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("# wavelength depth err\n1.0 0.5 0.1\n", encoding="utf-8")
    with pytest.raises(SpectrumError, match=r"s.txt: column 'depth': no unit stated"):
        read_spectrum(path, Quarantine())
    path.write_text("wave,depth[mmag],err\n1.0,0.5,0.1\n", encoding="utf-8")
    with pytest.raises(SpectrumError, match=r"s.txt: column 'depth\[mmag\]': unit 'mmag' unknown"):
        read_spectrum(path, Quarantine())


def test_unreadable_and_non_spectrum_files(tmp_path):
    binary = tmp_path / "blob.dat"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(SpectrumError, match=r"blob.dat: cannot read"):
        read_spectrum(binary, Quarantine())
    notes = tmp_path / "runs.csv"
    notes.write_text("file,planet,scenario\na.nc,A b,x\n", encoding="utf-8")
    q = Quarantine()
    assert read_spectrum(notes, q) is None and "not a spectrum" in q.records[0].reason


def test_duplicate_spectrum_ids_are_an_error(tmp_path):
    for name in ("x.csv", "x.txt"):
        (tmp_path / name).write_text("wave,dppm\n1.0,100\n", encoding="utf-8")
    with pytest.raises(SpectrumError, match=r"two spectrum files with the id 'x'"):
        read_spectra(sorted(tmp_path.iterdir()), Quarantine(), show_progress=False)


def test_real_niriss_spectrum(realdata):
    path = realdata / "spectra" / "CMADF-WASP_39b_NIRISS_transmission_spectrum_R100.csv"
    q = Quarantine()
    s = read_spectrum(path, q)
    assert (s.depth_unit, s.instrument, s.kind, s.planet) == ("ppm", "NIRISS", "transmission", None) and len(q) == 0
    # wave_error is the bin half-width (about half the spacing of the R100 bins): kept as it is
    assert (s.wave_err_is_full_width, s.rows[0][1]) == (False, 0.004898581320246398)
    table, _ = _table([path])
    Spectra.validate(table, lazy=True)
    assert len(table) == 132 and table["order"].value_counts().to_dict() == {1: 105, 2: 27}
    assert table["wavelength_um"].is_monotonic_increasing
    assert 20000 < np.median(table["depth_ppm"]) < 23000  # WASP-39 b: ~2.1 % deep


def test_rule_outputs_are_byte_identical(tmp_path):
    from astrobuild.spectra.pipeline import plot_spectra, spectra_table

    raw = tmp_path / "raw"
    generate("spectra", raw, scale=1)
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        report = spectra_table([str(raw)], ["*.csv", "*.txt", "*.dat"], out / "t.parquet", out / "q.tsv", out / "r.json")
        plot_spectra(out / "t.parquet", out / "p.png")
        outputs.append([(out / n).read_bytes() for n in ("t.parquet", "q.tsv", "r.json", "p.png")])
    assert outputs[0] == outputs[1]
    # 13 runs (12 labelled, 1 to predict): the formats rotate ppm CSV, percent, fraction
    assert report["depth_units"] == {"fraction": 4, "percent": 4, "ppm": 5} and report["spectra"] == 13


RATIO_CSV = ("Wavelength microns, Wavelength bin size microns, Rp/R*, Rp/R* error\n"
             "  0.6000,   0.0200,  0.14500,  0.00050\n"
             "  0.6200,   0.0200,  0.14600,  0.00060\n"
             "\n")


def test_radius_ratio_csv_with_unit_words_and_padding(tmp_path):
    """Published layout: ', ' separators, padded values, unit words in the names, a blank last line."""
    path = tmp_path / "hatp1b_stis.csv"
    path.write_text(RATIO_CSV, encoding="utf-8")
    q = Quarantine()
    s = read_spectrum(path, q)
    assert len(q) == 0 and (s.depth_unit, s.wave_unit, s.kind) == ("radius_ratio", "um", "transmission")
    # depth = (Rp/R*)^2, sigma = 2 (Rp/R*) sigma_ratio; the bin size is a full width, stored as a half-width
    expected = [(0.60, 0.01, 0.145 ** 2 * 1e6, 2 * 0.145 * 0.0005 * 1e6), (0.62, 0.01, 0.146 ** 2 * 1e6, 2 * 0.146 * 0.0006 * 1e6)]
    for row, want in zip(s.rows, expected, strict=True):
        assert row[:4] == pytest.approx(want) and row[4:] == (None, None)
    table, _ = _table([path])
    Spectra.validate(table, lazy=True)


def test_column_name_unit_words_and_widths():
    assert [column_role(n) for n in ("Wavelength microns", "Wavelength bin size microns", "Rp/R*", "Rp/R* error",
                                     "Bin half-width (micron)", "Transit depth uncertainty (ppm)")] == [
        "wavelength", "wavelength_err", "depth", "depth_err", "wavelength_err", "depth_err"]
    assert [explicit_unit(n) for n in ("Wavelength microns", "wavelength in nm", "Rp/R*", "RpRs", "(Rp/R*)^2",
                                       "half width of a bin", "( Rp / Rs )^2", "Rp / R*")] == [
        "um", "nm", "radius_ratio", "radius_ratio", "fraction", None, "fraction", "radius_ratio"]
    assert [is_full_width(n) for n in ("Wavelength bin size microns", "bin_width", "Bin half-width", "wave_error")] == [
        True, True, False, False]


def test_numbered_column_comments_name_a_headerless_table(tmp_path):
    path = tmp_path / "k2-18b_niriss.txt"
    path.write_text("# Transmission spectrum of K2-18 b\n# planet: K2-18 b\n"
                    "# Column 1: Wavelength (nm)\n# Column 2: Bin half-width (nm)\n"
                    "# Column 3: Transit depth (ppm)\n# Column 4: Transit depth uncertainty (ppm)\n"
                    "  1100.0   10.0   2900.0   30.0\n  1120.0   10.0   2910.0   35.0\n  1140.0   10.0   abc   35.0\n",
                    encoding="utf-8")
    q = Quarantine()
    s = read_spectrum(path, q)
    assert (s.planet, s.kind, s.depth_unit, s.wave_unit, s.instrument) == ("K2-18 b", "transmission", "ppm", "nm", "NIRISS")
    assert s.rows == [pytest.approx((1.1, 0.01, 2900.0, 30.0, None, None)), pytest.approx((1.12, 0.01, 2910.0, 35.0, None, None))]
    assert [(r.line, r.reason) for r in q.records] == [(9, "not a number in column 'Transit depth (ppm)'")]
    # numbered from 0, and a column without a line is kept unnamed (ignored, and reported)
    path.write_text("# Column 0: wavelength [um]\n# Column 2: depth [percent]\n1.0  7  0.5\n", encoding="utf-8")
    s = read_spectrum(path, Quarantine())
    assert s.rows == [(1.0, None, 5000.0, None, None, None)] and s.ignored_columns == ["column 1"]
    # more numbered columns than fields: the file is quarantined, saying so
    path.write_text("# Column 1: wavelength [um]\n# Column 3: depth [ppm]\n1.0  500\n", encoding="utf-8")
    q = Quarantine()
    assert read_spectrum(path, q) is None
    assert q.records[0].reason == "no column names: '# Column N' lines name column 3, the data rows have 2 fields"


def test_real_niriss_spectrum_in_the_published_layouts(realdata, tmp_path):
    """The real NIRISS spectrum rewritten as a radius-ratio CSV and as a '# Column N' table reads back the same."""
    import pandas as pd

    source = realdata / "spectra" / "CMADF-WASP_39b_NIRISS_transmission_spectrum_R100.csv"
    real = pd.read_csv(source, comment="#")
    ratio = np.sqrt(real["dppm"] / 1e6)
    lines = ["Wavelength microns, Wavelength bin size microns, Rp/R*, Rp/R* error"]
    lines += [f"  {w:.10f},  {2 * we:.10f},  {r:.10f},  {e / 1e6 / (2 * r):.10f}"
              for w, we, r, e in zip(real["wave"], real["wave_error"], ratio, real["dppm_err"], strict=True)]
    (tmp_path / "ratio.csv").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    lines = ["# Column 1: Wavelength (micron)", "# Column 2: Wavelength bin half-width (micron)",
             "# Column 3: Transit depth (ppm)", "# Column 4: Transit depth error (ppm)", "# Column 5: order"]
    lines += [f"{w:>18.12g} {we:>18.12g} {d:>20.12g} {e:>18.12g}  {int(o)}"
              for w, we, d, e, o in zip(real["wave"], real["wave_error"], real["dppm"], real["dppm_err"],
                                        real["order"], strict=True)]
    (tmp_path / "numbered.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    q = Quarantine()
    for name in ("ratio.csv", "numbered.txt"):
        s = read_spectrum(tmp_path / name, q)
        got = np.array([row[:4] for row in s.rows], dtype=float)
        np.testing.assert_allclose(got[:, 0], real["wave"], rtol=1e-8)
        np.testing.assert_allclose(got[:, 1], real["wave_error"], rtol=1e-7)
        np.testing.assert_allclose(got[:, 2], real["dppm"], rtol=1e-7)
        np.testing.assert_allclose(got[:, 3], real["dppm_err"], rtol=1e-6)
    assert len(q) == 0


def test_no_spectrum_at_all_names_every_reason_in_the_error_and_log(tmp_path, caplog):
    from astrobuild.spectra.pipeline import spectra_table

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "notes.csv").write_text("file,planet,scenario\na.nc,A b,x\n", encoding="utf-8")
    (raw / "empty.txt").write_text("# nothing here\n", encoding="utf-8")
    (raw / "bad.dat").write_text("# wavelength depth_ppm\n-1.0 5\n", encoding="utf-8")
    out = tmp_path / "out"
    with caplog.at_level("ERROR"), pytest.raises(SpectrumError) as info:
        spectra_table([str(raw)], ["*.csv", "*.txt", "*.dat"], out / "t.parquet", out / "q.tsv", out / "r.json")
    message = str(info.value)
    assert "none of the 3 file(s) holds a spectrum" in message and "q.tsv" not in message
    assert f"{raw / 'notes.csv'}: not a spectrum: no wavelength and depth columns" in message
    assert f"{raw / 'empty.txt'}: no data lines (not a spectrum)" in message
    assert (f"{raw / 'bad.dat'}: no usable data line (every one quarantined) (1 line(s) quarantined, first: line 2: "
            f"wavelength not positive)") in message
    assert sum("no spectrum:" in r.getMessage() for r in caplog.records) == 3
