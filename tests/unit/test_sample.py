"""The built-in sample: deterministic, coherent, in the upstream formats."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from astrobuild.genomes.listings import build_master_table
from astrobuild.quarantine import Quarantine
from astrobuild.sample import GENERATORS, generate
from astrobuild.sample.genomes import sample_groups
from astrobuild.sample.universe import LABEL_NOISE, METHANOGENESIS, build_universe, runs_csv_text


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
    assert set(GENERATORS) == {"genomes_1000g", "kegg", "climate", "exoplanets", "spectra"}


def test_universe_label_follows_its_rule():
    universe = build_universe(scale=10, seed=0)
    assert len(universe.planets) == 40 and len(universe.runs) == 120
    assert build_universe(scale=10, seed=0) == universe
    noisy = 0
    for run in universe.runs:
        assert run.methanogenic == (METHANOGENESIS in run.biosphere)
        assert run.liquid_water == (273.15 < run.surface_temp < 373.15)
        assert run.ch4_band == (run.methanogenic and run.liquid_water)
        noisy += run.label != run.ch4_band
    assert 0 < noisy < 3 * LABEL_NOISE * len(universe.runs)
    positives = sum(r.ch4_band for r in universe.runs)
    assert 0.15 < positives / len(universe.runs) < 0.6  # both classes well represented
    lines = runs_csv_text(universe).splitlines()
    assert lines[0] == "file,planet,scenario,label,biosphere" and len(lines) == 121
