"""The sample's label needs every modality: on 600 runs, no modality can be stood in for by the other three.

Each run is reduced to what each modality shows of it: the universe's per-run
quantities, as the generators write them into the files (tests of each
generator check that the files show them):

* planet_params: ``rocky`` (the archive radius is below 1.6 R_earth);
* climate cube: ``habitable`` (share of the surface that is liquid ocean: TS
  and OCNFRAC read together, cell by cell);
* bio_graph: ``methanogenic`` (map00680's compounds in the union graph);
* spectrum: ``band`` (CH4 detected at 5 sigma) and ``reach`` (how many of the
  weakest and the strongest band the sample makes would be detected at this
  spectrum's depth and noise: 0, a missing band says nothing; 2, it says
  there is no CH4).

and to what a modality lets slip about another's fact:

* the spectrum's continuum depth (Rp/R*)^2 about ``rocky`` (big planets are deep);
* T_eq (planet) plus the scenario's warming (the spectrum's CO2 band) about
  ``habitable``.

The best decision on a set of readouts is the majority label of the runs that
share them. It is fitted on the very runs it is scored on, which flatters the
finer set of readouts; the sets without a modality carry the leaks as well,
so the edge goes to them and the measured losses are lower bounds.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from astrobuild.sample.observables import band_snr, transit_depth_ppm
from astrobuild.sample.universe import CH4_STRENGTH, LABEL_NOISE, SCENARIOS, SNR_VISIBLE, build_universe

SCALE = 50  # 200 planets, 600 runs: the default sample's size
OWN = {"planet_params": ("rocky",), "climate": ("habitable",), "bio_graph": ("methanogenic",),
       "spectrum": ("band", "reach")}
# readouts of the other modalities that hint at a modality's own fact
LEAKS = {"planet_params": ("depth",), "climate": ("expected_temp",), "bio_graph": (), "spectrum": ()}


@pytest.fixture(scope="module")
def readouts() -> list[dict]:
    return sample_readouts(SCALE)


def sample_readouts(scale: int, seed: int = 0) -> list[dict]:
    """What each modality shows of every run of the sample at ``scale``: the facts and the leaks."""
    universe = build_universe(scale, seed)
    planets = {p.name: p for p in universe.planets}
    warming = {name: kelvin for name, _, kelvin in SCENARIOS}
    rows = []
    for run in (r for r in universe.runs if r.labelled):  # what the model is trained and tested on
        planet = planets[run.planet]
        depth0 = transit_depth_ppm(planet.rade, planet.st_rad)
        rows.append({
            "rocky": planet.rade < 1.6,
            "habitable": run.habitable,
            "methanogenic": run.methanogenic,
            "band": run.ch4_band,
            "reach": sum(band_snr(depth0, s, run.noise_ppm) >= SNR_VISIBLE for s in CH4_STRENGTH),
            "depth": int(np.digitize(math.log10(depth0), [2.0, 3.0])),  # < 100 ppm, < 1000 ppm, deeper
            "expected_temp": int(np.digitize(planet.eqt + warming[run.scenario], [260.0, 285.0, 310.0])),
            "biosignature": run.biosignature,
            "label": run.label,
        })
    return rows


def _best_decision(rows: list[dict], readouts: tuple[str, ...]) -> tuple[float, float]:
    """Accuracy and AUROC of deciding the rule's label by the majority of the runs with the same readouts."""
    groups: dict[tuple, list[bool]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[r] for r in readouts)].append(row["biosignature"])
    accuracy = sum(max(sum(g), len(g) - sum(g)) for g in groups.values()) / len(rows)
    score = np.array([np.mean(groups[tuple(row[r] for r in readouts)]) for row in rows])
    truth = np.array([row["biosignature"] for row in rows])
    pos, neg = score[truth][:, None], score[~truth][None, :]
    auroc = float((pos > neg).mean() + 0.5 * (pos == neg).mean())
    return accuracy, auroc


def test_the_universe_is_big_balanced_and_noisy_as_documented(readouts):
    assert len(readouts) == 3 * 4 * SCALE
    positives = np.mean([row["label"] for row in readouts])
    # four facts ANDed, each false often enough to matter (see the next tests): a fifth to a quarter positive
    assert 0.2 <= positives <= 0.7
    assert 0.5 <= np.mean([row["rocky"] for row in readouts]) <= 0.75  # mini-Neptunes are common
    flipped = np.mean([row["label"] != row["biosignature"] for row in readouts])
    assert 0.5 * LABEL_NOISE < flipped < 2 * LABEL_NOISE
    for fact in ("rocky", "habitable", "methanogenic", "band"):  # every fact varies
        assert 0.1 < np.mean([row[fact] for row in readouts]) < 0.9, fact


def test_all_four_modalities_nearly_decide_the_label(readouts):
    accuracy, auroc = _best_decision(readouts, sum(OWN.values(), ()))
    # not 1: a hidden band on a rocky, habitable, methanogenic run leaves "active" unknown
    assert accuracy > 0.87 and auroc > 0.92


@pytest.mark.parametrize("dropped", list(OWN))
def test_no_modality_is_stood_in_for_by_the_other_three(readouts, dropped):
    full_accuracy, full_auroc = _best_decision(readouts, sum(OWN.values(), ()))
    others = tuple(r for m, own in OWN.items() if m != dropped for r in own)
    accuracy, auroc = _best_decision(readouts, others + LEAKS[dropped])
    # on 600 runs: at least 18 runs more decided wrongly, and a loss of ranking even with the leaks
    # (T_eq with the CO2 band narrows the climate's prior most: its loss here is the smallest, 0.019)
    assert full_accuracy - accuracy >= 0.03, (dropped, full_accuracy, accuracy)
    assert full_auroc - auroc >= 0.015, (dropped, full_auroc, auroc)


FACTS = ("rocky", "habitable", "methanogenic", "band")


def _perfect_score_auroc(rows: list[dict], facts: tuple[str, ...]) -> float:
    """AUROC on the noisy label of a score that knows ``facts`` exactly: the positive share of the runs that share them."""
    groups: dict[tuple, list[bool]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[f] for f in facts)].append(row["label"])
    score = np.array([np.mean(groups[tuple(row[f] for f in facts)]) for row in rows])
    truth = np.array([row["label"] for row in rows])
    pos, neg = score[truth][:, None], score[~truth][None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


@pytest.mark.parametrize("dropped", FACTS)
def test_every_fact_carries_a_comparable_share_of_the_label(readouts, dropped):
    """A perfect score over the four facts loses at least 0.04 AUROC without any one of them.

    The model's ablation on 60 test runs has a split-to-split sd of a few hundredths, so a fact worth
    less than that (as ``rocky`` was with 85 % rocky planets, and the band was when it was mostly
    hidden) cannot show up in the table whatever the model does.
    """
    full = _perfect_score_auroc(readouts, FACTS)
    without = _perfect_score_auroc(readouts, tuple(f for f in FACTS if f != dropped))
    assert full > 0.85, full
    assert full - without >= 0.04, (dropped, full, without)


def test_the_facts_are_not_read_off_the_other_modalities(readouts):
    """The leaks are partial: deciding a fact from what the other modalities let slip errs on many runs."""
    for fact, leak in (("rocky", ("depth", "band", "reach")), ("habitable", ("expected_temp",)),
                       ("methanogenic", ("band", "reach", "rocky"))):
        groups: dict[tuple, list[bool]] = defaultdict(list)
        for row in readouts:
            groups[tuple(row[r] for r in leak)].append(row[fact])
        wrong = sum(min(sum(g), len(g) - sum(g)) for g in groups.values())  # the minority of each group
        assert wrong >= 0.1 * len(readouts), (fact, wrong)


def test_where_the_ocean_lies_decides_habitable_on_many_runs():
    """The climate fact needs the map, not per-variable summaries (issue 17: a fact the encoder reads).

    The ocean hemisphere turned by 180 degrees leaves the distribution of every cube variable over the
    surface as it was (TS is untouched, OCNFRAC is the same field rotated), so no summary of one
    variable (mean, quantiles, extremes) changes; yet the run's habitable fact flips on many runs:
    only TS and OCNFRAC read together, cell by cell, tell it.
    """
    from astrobuild.sample.observables import habitable_fraction
    from astrobuild.sample.universe import HABITABLE_FRACTION

    runs = [r for r in build_universe(SCALE, 0).runs if r.labelled]
    flipped = sum((habitable_fraction(r.surface_temp, r.pole_contrast, (r.ocean_centre + 180.0) % 360.0)
                   >= HABITABLE_FRACTION) != r.habitable for r in runs)
    assert flipped >= 0.35 * len(runs), flipped  # 280 of 600 at seed 0
