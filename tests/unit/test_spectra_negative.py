"""Negative depths: refused beyond spectra.negative_sigma errors (quarantined with the reason), kept and flagged
within them, in every layout the reader takes; the quality report's validity counts both."""

from __future__ import annotations

import math

import pyarrow.parquet as pq
import pytest

from astrobuild.configschema import defaults
from astrobuild.contracts.catalogue import CATALOGUE, counted_quarantines
from astrobuild.contracts.spectra import Spectra
from astrobuild.quality import build_report, quality_report
from astrobuild.quarantine import Quarantine, quarantined_lines
from astrobuild.sample import generate
from astrobuild.spectra.pipeline import spectra_table
from astrobuild.spectra.reader import read_spectrum

PATTERNS = ["*.csv", "*.txt", "*.dat"]
# (wavelength µm, depth ppm, error ppm): two clean points, one 525 errors below zero, one within its errors.
POINTS = [(1.0, 21000.0, 40.0), (1.1, 21050.0, 40.0), (1.2, -21000.0, 40.0), (1.3, -30.0, 40.0)]


def _niriss_csv(points) -> str:
    """The JWST NIRISS release: '#' lines, header wave,wave_error,dppm,dppm_err,order,quality."""
    lines = ["# WASP-X b NIRISS/SOSS transmission spectrum", "wave,wave_error,dppm,dppm_err,order,quality"]
    return "\n".join(lines + [f"{w},0.005,{d},{e},1,0" for w, d, e in points]) + "\n"


def _percent_table(points) -> str:
    """Whitespace columns, names in a '#' line, depths in percent."""
    lines = ["# planet: WASP-X b", "#  wavelength_um   depth_percent   depth_err_percent"]
    return "\n".join(lines + [f"  {w:.4f}   {d / 1e4:.6f}   {e / 1e4:.6f}" for w, d, e in points]) + "\n"


def _numbered(points) -> str:
    """A header-less table whose columns are named by '# Column N:' lines, wavelengths in nm."""
    lines = ["# Column 1: Wavelength (nm)", "# Column 2: Transit depth (ppm)",
             "# Column 3: Transit depth uncertainty (ppm)"]
    return "\n".join(lines + [f"  {w * 1000:.1f}   {d}   {e}" for w, d, e in points]) + "\n"


def _ratio_csv(points) -> str:
    """Rp/R* with its error: a negative ratio is judged in ratio units (error 40 ppm / (2 |r|))."""
    lines = ["Wavelength microns, Wavelength bin size microns, Rp/R*, Rp/R* error"]
    for w, d, e in points:
        r = math.copysign(math.sqrt(abs(d) / 1e6), d)
        lines.append(f"  {w:.4f},   0.0200,  {r:.8f},  {e / 1e6 / (2 * abs(r)):.8f}")
    return "\n".join(lines) + "\n"


LAYOUTS = {"niriss.csv": _niriss_csv, "percent.txt": _percent_table, "numbered.dat": _numbered,
           "ratio.csv": _ratio_csv}


def _build(tmp_path, files: dict[str, str], **kwargs):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    report = spectra_table([str(raw)], PATTERNS, out / "spectra.parquet", out / "spectra.quarantine.tsv",
                           out / "r.json", **kwargs)
    table = pq.read_table(out / "spectra.parquet").to_pandas()
    rows = [line.split("\t") for line in (out / "spectra.quarantine.tsv").read_text().splitlines()[1:]]
    return table, rows, report, out


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_a_depth_far_below_zero_is_quarantined_and_one_within_its_errors_kept_and_flagged(tmp_path, name):
    table, rows, _, _ = _build(tmp_path, {name: LAYOUTS[name](POINTS)})
    Spectra.validate(table, lazy=True)
    assert table["wavelength_um"].round(6).tolist() == [1.0, 1.1, 1.3]
    assert table["depth_negative"].tolist() == [False, False, True]
    kept = table.iloc[2]
    if name == "ratio.csv":  # -(Rp/R*)^2, its error 2 |r| sigma_r: the ppm values come back
        assert kept["depth_ppm"] == pytest.approx(-30.0, rel=1e-4) and kept["depth_err_ppm"] == pytest.approx(40.0, rel=1e-4)
    else:
        assert (kept["depth_ppm"], kept["depth_err_ppm"]) == pytest.approx((-30.0, 40.0))
    # One quarantined line: the file, its line, and a reason naming file, wavelength, depth and error.
    assert len(rows) == 1
    file, line, reason, text = rows[0]
    assert file.endswith(name) and int(line) > 0 and text.strip()
    assert name in reason and "at 1.2 µm" in reason and "below zero" in reason
    assert "spectra.negative_sigma = 5" in reason
    if name == "ratio.csv":
        assert reason.startswith("negative radius ratio -0.144914 ± 0.000138") and "1050.0 errors" in reason
    else:
        assert reason.startswith("negative depth -21000 ppm ± 40 ppm") and "525.0 errors below zero" in reason


def test_a_negative_depth_without_an_error_is_quarantined(tmp_path):
    text = "# wavelength  depth_ppm\n1.0  21000\n1.1  -30\n1.2  0\n"
    table, rows, _, _ = _build(tmp_path, {"noerr.txt": text})
    assert table["depth_ppm"].tolist() == [21000.0, 0.0] and not table["depth_negative"].any()
    assert [(r[1], r[2]) for r in rows] == [
        ("3", "negative depth -30 ppm at 1.1 µm in noerr.txt, without an error to tell noise from a broken point")]


def test_negative_sigma_is_the_config_key_and_a_zero_error_is_no_excuse(tmp_path):
    assert defaults("spectra") == {"negative_sigma": 5}
    points = [*POINTS, (1.4, -1.0, 0.0)]
    table, rows, _, _ = _build(tmp_path, {"wide.csv": _niriss_csv(points)}, negative_sigma=1000.0)
    assert table["depth_ppm"].tolist() == [21000.0, 21050.0, -21000.0, -30.0]  # 525 errors < 1000: kept
    assert table["depth_negative"].tolist() == [False, False, True, True]
    assert [r[2].split(": ")[-1] for r in rows] == ["below zero with a zero error, more than "
                                                    "spectra.negative_sigma = 1000"]


def test_the_sample_has_no_negative_depth(tmp_path):
    raw = tmp_path / "raw"
    generate("spectra", raw, scale=1)
    q = Quarantine()
    for path in sorted(raw.iterdir()):
        spectrum = read_spectrum(path, q)
        assert spectrum is None or min(row[2] for row in spectrum.rows) > 0
    assert [r.reason for r in q.records] == ["2 fields, expected 3"]  # the sample's one broken line, as before


def test_quality_validity_counts_flagged_and_quarantined_rows(tmp_path):
    files = {"niriss.csv": _niriss_csv(POINTS), "clean.csv": _niriss_csv(POINTS[:2]),
             "notes.csv": "file,planet\na.nc,b\n"}  # a file that is no spectrum: not a row, not counted
    table, rows, _, out = _build(tmp_path, files)
    assert len(table) == 5 and len(rows) == 2 and quarantined_lines(out / "spectra.quarantine.tsv") == 1
    assert counted_quarantines(["exoplanets", "spectra", "planet_runs"]) == {"spectra": CATALOGUE["spectra"].quarantine}

    tables = {"spectra": out / "spectra.parquet"}
    report = build_report(tables, {}, {}, quarantines={"spectra": out / "spectra.quarantine.tsv"})
    validity = report["tables"]["spectra"]["validity"]
    assert validity["failing_rows"] == 0 and validity["flagged_rows"] == {"depth_negative": 1}
    assert validity["quarantined_rows"] == 1
    assert validity["score"] == pytest.approx(1 - 2 / 6, abs=1e-6)  # 2 of the 5 rows + 1 refused line
    entry = report["tables"]["spectra"]
    assert entry["grade"] == "F" and entry["quarantine"] == str(out / "spectra.quarantine.tsv")
    because = next(p["because"] for p in entry["pulled_down_by"] if p["dimension"] == "validity")
    assert because == ["1 row(s) flagged depth_negative (kept)", "1 line(s) quarantined"]
    # The page says so too.
    quality_report(tables, {}, {}, {"default_min_grade": "F"}, tmp_path / "q.json", tmp_path / "q.html",
                   quarantines={"spectra": out / "spectra.quarantine.tsv"})
    assert ("0 row(s) break the contract; 1 flagged depth_negative (kept), 1 line(s) quarantined."
            in (tmp_path / "q.html").read_text(encoding="utf-8"))
    # Without its quarantine file the refused lines are not counted, and the report says nothing of them.
    alone = build_report(tables, {}, {})["tables"]["spectra"]["validity"]
    assert "quarantined_rows" not in alone and alone["score"] == pytest.approx(1 - 1 / 5, abs=1e-6)


def test_a_flag_on_a_row_that_breaks_the_contract_counts_once(tmp_path):
    table, _, _, out = _build(tmp_path, {"niriss.csv": _niriss_csv(POINTS)})
    frame = table.copy()
    frame.loc[2, "wavelength_um"] = -1.0  # the flagged row also breaks the contract
    report = build_report({"spectra": out / "spectra.parquet"}, {}, {}, frames={"spectra": frame})
    validity = report["tables"]["spectra"]["validity"]
    assert validity["failing_rows"] == 1 and validity["score"] == pytest.approx(2 / 3, abs=1e-6)
