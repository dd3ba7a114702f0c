"""The built-in sample: deterministic, coherent, in the upstream formats."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from astrobuild.genomes.listings import build_master_table
from astrobuild.quarantine import Quarantine
from astrobuild.sample import GENERATORS, generate
from astrobuild.sample.community import runs_csv_text
from astrobuild.sample.genomes import sample_groups
from astrobuild.sample.observables import (
    DAY_NIGHT_K,
    SEASON_K,
    band_snr,
    habitable_fraction,
    transit_depth_ppm,
)
from astrobuild.sample.universe import (
    HABITABLE_FRACTION,
    LABEL_NOISE,
    METHANOGENESIS,
    ROCKY_MAX_RADIUS,
    SNR_VISIBLE,
    build_universe,
)


def _digest(paths):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_same_seed_same_bytes(tmp_path):
    a = generate("genomes_1000g", tmp_path / "a", scale=1, seed=7)
    b = generate("genomes_1000g", tmp_path / "b", scale=1, seed=7)
    c = generate("genomes_1000g", tmp_path / "c", scale=1, seed=8)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_scale_grows_the_source(tmp_path):
    small = generate("genomes_1000g", tmp_path / "s", scale=1)
    large = generate("genomes_1000g", tmp_path / "l", scale=3)
    size = lambda files: sum(p.stat().st_size for p in files)  # noqa: E731
    assert size(large) > 2.5 * size(small)


def test_sample_ids_stay_unique_at_large_scale(tmp_path):
    rng = np.random.Generator(np.random.PCG64(0))
    groups = sample_groups(rng, scale=2000)
    ids = [sample for group in groups for sample, _, _ in group]
    assert len(ids) == len(set(ids)) == 2000 * 48 + 2
    with pytest.raises(ValueError, match="too large"):
        generate("genomes_1000g", tmp_path / "x", scale=5000)


def test_generated_listings_parse(tmp_path):
    files = generate("genomes_1000g", tmp_path, scale=1)
    q = Quarantine()
    table, report = build_master_table([p for p in files if p.name in ("ls-lR", "1000_genomes_project.md5")], q)
    assert report["formats"] == {"ls-lR": 1, "md5": 1}
    assert table.num_rows > 300 and len(q) == 2  # the two deliberately broken lines


def test_unknown_source_and_bad_scale(tmp_path):
    with pytest.raises(KeyError, match="unknown source"):
        generate("nope", tmp_path)
    with pytest.raises(ValueError, match="scale"):
        generate("genomes_1000g", tmp_path, scale=0)
    assert set(GENERATORS) == {"genomes_1000g", "kegg", "climate", "exoplanets", "spectra", "organisms"}


def test_universe_label_follows_its_rule():
    universe = build_universe(scale=10, seed=0)
    # 3 runs a planet, and one more on every tenth planet, its label left for rule predict
    assert len(universe.planets) == 40 and len(universe.runs) == 124
    assert [r.planet for r in universe.runs if not r.labelled] == [p.name for p in universe.planets[::10]]
    assert build_universe(scale=10, seed=0) == universe
    planets = {p.name: p for p in universe.planets}
    noisy = 0
    for run in universe.runs:
        planet = planets[run.planet]
        assert planet.rocky == (planet.rade < ROCKY_MAX_RADIUS)
        assert run.methanogenic == (METHANOGENESIS in run.biosphere)
        assert run.habitable_fraction == pytest.approx(habitable_fraction(run.surface_temp, run.pole_contrast, run.ocean_centre),
                                                             abs=1e-4)
        assert run.habitable == (run.habitable_fraction >= HABITABLE_FRACTION)
        # CH4 in the air: biotic or abiotic; the band is visible where its signal-to-noise allows
        assert (run.ch4_strength > 0) == ((run.methanogenic and run.active) or run.abiotic_ch4)
        depth0 = transit_depth_ppm(planet.rade, planet.st_rad)
        assert run.band_snr == pytest.approx(band_snr(depth0, run.ch4_strength, run.noise_ppm), abs=1e-3)
        assert run.ch4_band == (run.band_snr >= SNR_VISIBLE)
        assert run.biosignature == (planet.rocky and run.habitable and run.methanogenic and run.active)
        noisy += run.label != run.biosignature
    assert 0 < noisy < 3 * LABEL_NOISE * len(universe.runs)
    positives = sum(r.label for r in universe.runs)
    assert 0.2 < positives / len(universe.runs) < 0.6  # both classes well represented
    # the band tells the biosphere only partly: visible without it (abiotic), hidden with it
    assert any(r.ch4_band and not r.methanogenic for r in universe.runs)
    assert any(r.methanogenic and r.active and not r.ch4_band for r in universe.runs)
    lines = runs_csv_text(universe).splitlines()
    assert lines[0] == "file,planet,scenario,label,organisms,co2_ppm,instellation_earth,habitable_fraction,habitability" and len(lines) == 125
    assert sum(line.split(",")[3] == "" for line in lines[1:]) == 4  # the unlabelled runs' empty label
    # the forcings: the scenario's CO2 and the planet's instellation (the archive's insolation, unrounded)
    planets = {p.name: p for p in universe.planets}
    for line, run in zip(lines[1:], universe.runs, strict=True):
        co2, instellation = (float(v) for v in line.split(",")[5:7])
        assert co2 == run.co2_ppmv
        assert instellation == pytest.approx(planets[run.planet].insolation, abs=1e-4)
    # the targets: empty where the label is, else the run's own facts
    from astrobuild.sample.universe import habitability

    rocky = {p.name: p.rocky for p in universe.planets}
    for line, run in zip(lines[1:], universe.runs, strict=True):
        fraction, kind = line.split(",")[-2:]
        if not run.labelled:
            assert (fraction, kind) == ("", "")
            continue
        assert float(fraction) == run.habitable_fraction and kind == habitability(run, rocky[run.planet])
        assert kind == ("biosignature" if run.biosignature else
                        "habitable" if rocky[run.planet] and run.habitable else "uninhabitable")
    kinds = [line.split(",")[-1] for line in lines[1:] if line.split(",")[-1]]
    assert {k: kinds.count(k) for k in set(kinds)}.keys() == {"uninhabitable", "habitable", "biosignature"}


def test_universe_climate_stays_inside_the_cube_packing():
    """TS feeds OLR, packed in int16 with a fixed scale: the hottest sample cell must still fit."""
    from astrobuild.sample.climate import OLR_PACKING

    hottest_olr = OLR_PACKING[1] + 32767 * abs(OLR_PACKING[0])
    for seed in range(4):
        for run in build_universe(scale=25, seed=seed).runs:
            # equator, substellar point, the seasonal cycle and 6 sigma of noise
            ts_max = run.surface_temp + run.pole_contrast / 3.0 + DAY_NIGHT_K + SEASON_K + 3.0
            assert 5.67e-8 * ts_max ** 4 * 0.6 < hottest_olr, run.run_name
