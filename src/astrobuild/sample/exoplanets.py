"""Exoplanet archive sample files in the NASA Exoplanet Archive's CSV download format.

Written:

* ``PSCompPars_2025.01.01.csv`` — Planetary Systems Composite Parameters:
  the ``#`` banner, one ``# COLUMN <name>: <description> [unit]`` line per
  column, a header, one row per planet of the universe, missing values as
  empty strings. Radius and mass hold the label's planet condition (rocky:
  radius below 1.6 R_earth, Earth-like density; else a mini-Neptune), which
  no other modality shows; see :mod:`astrobuild.sample.universe`. Edge cases (by planet index ``i``):
  ``i % 4 == 1``: ``pl_eqt`` missing (computable from st_teff, st_rad, pl_orbsmax);
  ``i % 4 == 3``: ``pl_eqt`` and ``pl_orbsmax`` missing (a from Kepler's law, then T_eq);
  planet 2: ``pl_eqt`` and ``st_rad`` missing (T_eq not computable);
  planet 3: ``pl_rade`` written in km instead of Earth radii (a unit slip: a physical outlier).
* ``PS_2025.01.01.csv`` — the Planetary Systems table: two or three rows
  (parameter sets from different references) per planet, exactly one with
  ``default_flag`` 1, which equals the PSCompPars row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrobuild.sample.universe import Planet, build_universe

# archive name, description as the archive writes it (unit in brackets)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("pl_name", "Planet Name"), ("hostname", "Host Name"), ("sy_snum", "Number of Stars"),
    ("sy_pnum", "Number of Planets"), ("discoverymethod", "Discovery Method"), ("disc_year", "Discovery Year"),
    ("disc_facility", "Discovery Facility"), ("pl_controv_flag", "Controversial Flag"),
    ("pl_orbper", "Orbital Period [days]"), ("pl_orbpererr1", "Orbital Period Upper Unc. [days]"),
    ("pl_orbpererr2", "Orbital Period Lower Unc. [days]"), ("pl_orbperlim", "Orbital Period Limit Flag"),
    ("pl_orbsmax", "Orbit Semi-Major Axis [au]"), ("pl_rade", "Planet Radius [Earth Radius]"),
    ("pl_radeerr1", "Planet Radius Upper Unc. [Earth Radius]"), ("pl_radeerr2", "Planet Radius Lower Unc. [Earth Radius]"),
    ("pl_bmasse", "Planet Mass or Mass*sin(i) [Earth Mass]"),
    ("pl_bmassprov", "Planet Mass or Mass*sin(i) Provenance"), ("pl_orbeccen", "Eccentricity"),
    ("pl_insol", "Insolation Flux [Earth Flux]"), ("pl_eqt", "Equilibrium Temperature [K]"),
    ("st_spectype", "Spectral Type"), ("st_teff", "Stellar Effective Temperature [K]"),
    ("st_rad", "Stellar Radius [Solar Radius]"), ("st_mass", "Stellar Mass [Solar mass]"),
    ("st_met", "Stellar Metallicity [dex]"), ("st_metratio", "Stellar Metallicity Ratio"),
    ("rastr", "RA [sexagesimal]"), ("ra", "RA [deg]"), ("decstr", "Dec [sexagesimal]"), ("dec", "Dec [deg]"),
    ("sy_dist", "Distance [pc]"), ("sy_vmag", "V (Johnson) Magnitude"),
)
PS_EXTRA = (("default_flag", "Default Parameter Set"), ("pl_refname", "Planetary Parameter Reference"))
METHODS = ("Transit", "Transit", "Radial Velocity", "Transit Timing Variations")
FACILITIES = ("Transiting Exoplanet Survey Satellite (TESS)", "K2", "La Silla Observatory", "Kepler")
NOT_COMPUTABLE = 2  # planet index whose T_eq cannot be derived
RADIUS_OUTLIER = 3  # planet index whose radius is written in km (a unit slip)


def _spectype(teff: float) -> str:
    for limit, letter in ((3900, "M"), (5300, "K"), (6000, "G")):
        if teff < limit:
            return f"{letter}{int(9 - 9 * (teff % 700) / 700)} V"
    return "F8 V"


def _sexagesimal(deg: float, hours: bool) -> str:
    value = deg / 15.0 if hours else abs(deg)
    a = int(value)
    b = int((value - a) * 60)
    c = ((value - a) * 60 - b) * 60
    if hours:
        return f"{a:02d}h{b:02d}m{c:05.2f}s"
    return f"{'-' if deg < 0 else '+'}{a:02d}d{b:02d}m{c:04.1f}s"


def _fmt(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def planet_row(i: int, p: Planet, rng: np.random.Generator, edge_cases: bool = True) -> dict[str, str]:
    ra = float(rng.uniform(0.0, 360.0))
    dec = float(np.degrees(np.arcsin(rng.uniform(-1.0, 1.0))))
    err_p = p.orbper * 1e-5
    row = {
        "pl_name": p.name, "hostname": p.host, "sy_snum": "1", "sy_pnum": "1",
        "discoverymethod": METHODS[i % len(METHODS)], "disc_year": str(p.disc_year),
        "disc_facility": FACILITIES[i % len(FACILITIES)], "pl_controv_flag": "0",
        "pl_orbper": _fmt(p.orbper, 8), "pl_orbpererr1": _fmt(err_p, 8), "pl_orbpererr2": _fmt(-err_p, 8),
        "pl_orbperlim": "0", "pl_orbsmax": _fmt(p.orbsmax, 6), "pl_rade": _fmt(p.rade, 3),
        "pl_radeerr1": _fmt(0.05 * p.rade, 3), "pl_radeerr2": _fmt(-0.05 * p.rade, 3),
        "pl_bmasse": _fmt(p.masse, 5), "pl_bmassprov": "Mass" if i % 3 else "M-R relationship",
        "pl_orbeccen": _fmt(float(rng.uniform(0.0, 0.1)), 6) if i % 2 == 0 else "",
        "pl_insol": _fmt(p.insolation, 2),
        "pl_eqt": _fmt(p.eqt, 0) if p.eqt >= 100 else _fmt(p.eqt, 1),
        "st_spectype": _spectype(p.st_teff) if i % 3 else "", "st_teff": _fmt(p.st_teff, 2),
        "st_rad": _fmt(p.st_rad, 2), "st_mass": _fmt(p.st_mass, 2),
        "st_met": _fmt(float(rng.normal(0.0, 0.2)), 2), "st_metratio": "[Fe/H]",
        "rastr": _sexagesimal(ra, True), "ra": _fmt(ra, 7), "decstr": _sexagesimal(dec, False), "dec": _fmt(dec, 7),
        "sy_dist": _fmt(p.sy_dist, 4), "sy_vmag": _fmt(float(rng.uniform(8.0, 16.0)), 3),
    }
    # st_rad with 2 decimals would make the derived T_eq differ from the universe's; keep 4.
    row["st_rad"] = _fmt(p.st_rad, 4)
    if edge_cases:
        if i % 4 in (1, 3):
            row["pl_eqt"] = ""
        if i % 4 == 3:
            row["pl_orbsmax"] = ""
        if i == NOT_COMPUTABLE:
            # the insolation too: T_eq is derived from it where the star's values are missing
            row["pl_eqt"] = row["st_rad"] = row["pl_insol"] = ""
        if i == RADIUS_OUTLIER:
            row["pl_rade"] = _fmt(p.rade * 6371.0, 3)
    return row


def _csv_line(values: list[str]) -> str:
    return ",".join(f'"{v}"' if "," in v else v for v in values)


def _archive_text(columns: tuple[tuple[str, str], ...], rows: list[dict[str, str]]) -> str:
    width = max(len(name) for name, _ in columns) + 2
    lines = ["# This file was produced by the NASA Exoplanet Archive  http://exoplanetarchive.ipac.caltech.edu",
             "# Wed Jan  1 00:00:00 2025", "#"]
    lines += [f"# COLUMN {(name + ':').ljust(width)}{desc}" for name, desc in columns]
    lines.append("#")
    lines.append(",".join(name for name, _ in columns))
    lines += [_csv_line([row[name] for name, _ in columns]) for row in rows]
    return "\n".join(lines) + "\n"


def write(outdir: Path, scale: int = 1, seed: int = 0) -> list[Path]:
    universe = build_universe(scale, seed)
    rng = np.random.Generator(np.random.PCG64([seed, 0xE0]))
    rows = [planet_row(i, p, rng) for i, p in enumerate(universe.planets)]
    comp = outdir / "PSCompPars_2025.01.01.csv"
    comp.write_text(_archive_text(COLUMNS, rows), encoding="utf-8")
    ps_columns = COLUMNS[:2] + PS_EXTRA + COLUMNS[2:]
    ps_rows = []
    for i, row in enumerate(rows):
        extra = 1 + i % 2  # one or two non-default parameter sets
        for k in range(extra + 1):
            alt = dict(row, default_flag="1" if k == extra else "0",
                       pl_refname=f"<a refstr=ASB{k} href=https://example.org/ref{k} target=ref>Sample et al. {2015 + k}</a>")
            if k != extra:
                alt["pl_rade"] = _fmt(float(row["pl_rade"]) * (1.0 + 0.03 * (k + 1)), 3)
                alt["pl_eqt"] = ""
            ps_rows.append(alt)
    ps = outdir / "PS_2025.01.01.csv"
    ps.write_text(_archive_text(ps_columns, ps_rows), encoding="utf-8")
    return [comp, ps]
