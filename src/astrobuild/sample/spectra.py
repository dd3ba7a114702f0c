"""Spectrum sample files: one transmission spectrum per run, ``<run_name>.<ext>``, in three real layouts.

Runs take the layouts in turn (run index ``k``):

* ``k % 3 == 0`` — ``.csv`` like the JWST NIRISS/SOSS release: ``#`` lines
  (title, ``# target: <planet>``), header ``wave,wave_error,dppm,dppm_err,order,quality``,
  depth in ppm, order 1 (0.85-5.0 µm) written before order 2 (0.6-0.9 µm),
  so wavelengths are not monotonic;
* ``k % 3 == 1`` — ``.txt``, whitespace table with the column names only in
  a ``#`` line (``wavelength_um  depth_percent  depth_err_percent``), padded
  values, depth in percent; ``# planet:``/``# instrument:``/``# kind:`` lines;
* ``k % 3 == 2`` — ``.dat``, whitespace table, names in a ``#`` line without
  units (``wavelength  depth  depth_err``), units in comments
  (``# depth unit: fraction``, ``# wavelength unit: micron``).

The depth is ``(Rp/Rs)^2`` from the universe's planet and star radii, with
water bands, a CO2 band at 4.3 µm growing with the scenario's CO2, and CH4
bands at 1.7, 2.3 and 3.3 µm peaking at ``run.ch4_strength`` of the continuum
whenever the run's atmosphere holds CH4 (biotic or abiotic; see
:mod:`astrobuild.sample.universe`), plus Gaussian noise of the run's
``noise_ppm`` (:func:`astrobuild.sample.observables.depth_noise_ppm`), which
the error column states. So the band is plain where ``run.ch4_band`` (signal
to noise >= 5 over the spectrum) and lost in the noise where the planet is
small against its star, the star far, or the run has few transits. The ``.txt``
file of the second run has one truncated line (quarantined by the reader).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrobuild.sample.observables import depth_noise_ppm, model_depth_ppm, transit_depth_ppm, wavelength_grid
from astrobuild.sample.universe import build_universe


def _rows(run, planet, rng):
    wave = wavelength_grid()
    depth0 = transit_depth_ppm(planet.rade, planet.st_rad)
    sigma = depth_noise_ppm(wave, run.noise_ppm)
    depth = model_depth_ppm(wave, depth0, run.ch4_strength, run.co2_ppmv) + rng.normal(0.0, sigma)
    half = np.gradient(wave) / 2.0
    return wave, half, depth, sigma


def _csv(run, planet, rng) -> str:
    wave, half, depth, sigma = _rows(run, planet, rng)
    lines = [f"# {planet.name} Native Resolution Transmission Spectrum", "# Created by: astrobuild sample",
             f"# target: {planet.name}", "# Created on: 2025-01-01 00:00:00",
             "wave,wave_error,dppm,dppm_err,order,quality"]
    order1 = wave >= 0.85
    order2 = wave <= 0.9
    for mask, order in ((order1, 1), (order2, 2)):
        for w, h, d, s in zip(wave[mask], half[mask], depth[mask], sigma[mask], strict=True):
            quality = int(rng.random() < 0.03)
            lines.append(f"{float(w)!r},{float(h)!r},{float(d)!r},{float(s)!r},{order:.1f},{quality}")
    return "\n".join(lines) + "\n"


def _whitespace(run, planet, rng, unit: str, broken: bool) -> str:
    wave, _, depth, sigma = _rows(run, planet, rng)
    scale = 1e-4 if unit == "percent" else 1e-6
    if unit == "percent":
        head = ["# planet: " + planet.name, "# instrument: JWST/NIRSpec PRISM", "# kind: transmission",
                "# depth in percent ((Rp/Rs)^2 x 100)",
                "#  wavelength_um   depth_percent   depth_err_percent"]
    else:
        head = [f"# Transmission spectrum of {planet.name}", f"# object: {planet.name}",
                "# wavelength unit: micron", "# depth unit: fraction ((Rp/Rs)^2)", "#",
                "#  wavelength      depth          depth_err"]
    lines = list(head)
    for i, (w, d, s) in enumerate(zip(wave, depth * scale, sigma * scale, strict=True)):
        if broken and i == 7:
            lines.append(f"  {w:12.6f}  {d:14.8f}")  # a truncated line: quarantined
            continue
        lines.append(f"  {w:12.6f}  {d:14.8f}  {s:14.8f}" if unit == "percent" else f"{w:10.5f}  {d:.7e}  {s:.3e}")
    return "\n".join(lines) + "\n"


def write(outdir: Path, scale: int = 1, seed: int = 0) -> list[Path]:
    universe = build_universe(scale, seed)
    planets = {p.name: p for p in universe.planets}
    written = []
    for k, run in enumerate(universe.runs):
        rng = np.random.Generator(np.random.PCG64([seed, 0x5EC, k]))
        planet = planets[run.planet]
        if k % 3 == 0:
            path, text = outdir / f"{run.run_name}.csv", _csv(run, planet, rng)
        elif k % 3 == 1:
            path, text = outdir / f"{run.run_name}.txt", _whitespace(run, planet, rng, "percent", broken=k == 1)
        else:
            path, text = outdir / f"{run.run_name}.dat", _whitespace(run, planet, rng, "fraction", broken=False)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
