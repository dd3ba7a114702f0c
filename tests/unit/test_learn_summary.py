"""The boosted-trees yardstick: summary features (exact values on hand-made arrays, NaN and absence,
names) and the classifier's scores (learns a planted signal, byte-identical across fits and threads)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from astrobuild.learn import summary
from astrobuild.learn.metrics import auroc
from astrobuild.learn.summary import (
    CLIMATE_STATS,
    QUANTILES,
    boosted_trees_scores,
    lat_band_weights,
    summary_features,
)

NAMES = {"channels": ["surface_temperature", "precipitation"], "planet_columns": ["radius_earth", "log10_flux"],
         "pathway_ids": ["map00680", "map00190", "map00910"]}


def reference_stats(values, weights) -> list[float]:
    """mean, sd, min, max and the midpoint-rule weighted quantiles of one run's cells, cell by cell in
    plain Python: the definition the module docstring gives, written independently of its numpy."""
    pairs = sorted(((x, w) for x, w in zip(values, weights, strict=True) if not math.isnan(x)),
                   key=lambda pair: pair[0])  # Python's sort is stable, as the module's
    if not pairs:
        return [math.nan] * len(CLIMATE_STATS)
    total = sum(w for _, w in pairs)
    mean = sum(x * w for x, w in pairs) / total
    sd = math.sqrt(sum(w * (x - mean) ** 2 for x, w in pairs) / total)
    positions, cumulative = [], 0.0
    for _, w in pairs:
        positions.append((cumulative + w / 2) / total)
        cumulative += w

    def quantile(q):
        if q <= positions[0]:
            return pairs[0][0]
        for i in range(len(pairs) - 1):
            if positions[i] <= q <= positions[i + 1]:
                t = (q - positions[i]) / (positions[i + 1] - positions[i])
                return pairs[i][0] + t * (pairs[i + 1][0] - pairs[i][0])
        return pairs[-1][0]

    xs = [x for x, _ in pairs]
    return [mean, sd, min(xs), max(xs), *(quantile(q) for q in QUANTILES)]


def band_weights(n_lat):
    edge = [math.sin(math.radians(-90 + 180 * j / n_lat)) for j in range(n_lat + 1)]
    return [edge[j + 1] - edge[j] for j in range(n_lat)]


def test_lat_bands_weigh_by_area():
    np.testing.assert_allclose(lat_band_weights(2), [1.0, 1.0])
    s = math.sqrt(0.5)
    np.testing.assert_allclose(lat_band_weights(4), [1 - s, s, s, 1 - s])
    np.testing.assert_allclose(lat_band_weights(7).sum(), 2.0)


def test_two_bands_give_hand_computed_values():
    # one time step, two equal bands (south 1.0, north 3.0), one lon cell, one layer
    cube = np.array([1.0, 3.0], dtype=np.float32).reshape(1, 1, 1, 2, 1, 1)
    X, names = summary_features({"climate": cube}, channels=["t"], planet_columns=[], pathway_ids=[])
    assert names == [f"climate.t.lev0.{stat}" for stat in CLIMATE_STATS]
    # positions 0.25 and 0.75: below and above them the end values, between them a straight line
    assert X.tolist() == [[2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 2.0, 3.0, 3.0]]


def test_polar_bands_weigh_less():
    # four bands; the two polar ones (weight 1 - sqrt(1/2) each) hold 10, the two middle ones 0
    cube = np.array([10.0, 0.0, 0.0, 10.0], dtype=np.float32).reshape(1, 1, 1, 4, 1, 1)
    X, _ = summary_features({"climate": cube}, channels=["t"], planet_columns=[], pathway_ids=[])
    polar = 1 - math.sqrt(0.5)
    assert X[0, 0] == pytest.approx(10 * polar)  # mean: 10 * (2 polar) / 2
    assert X[0, 1] == pytest.approx(10 * math.sqrt(polar * (1 - polar)))  # a two-point distribution


def test_climate_statistics_match_the_cell_by_cell_reference():
    rng = np.random.default_rng(3)
    n, n_vars, n_time, n_lat, n_lon, n_lev = 4, 2, 3, 5, 4, 2
    cube = rng.normal(size=(n, n_vars, n_time, n_lat, n_lon, n_lev)).astype(np.float32)
    cube[rng.random(cube.shape) < 0.2] = np.nan  # NaN cells: left out of the weights
    cube[1, 0, :, :, :, 1] = np.nan  # one run without any value of one variable's layer
    cube[2, 1, 0, 0, 0, 0] = cube[2, 1, 1, 0, 0, 0] = 0.5  # ties
    X, names = summary_features({"climate": cube}, channels=["a", "b"], planet_columns=[], pathway_ids=[])
    assert X.dtype == np.float64 and X.shape == (n, n_vars * n_lev * len(CLIMATE_STATS)) == (n, len(names))
    weights = [w for _ in range(n_time) for w in band_weights(n_lat) for _ in range(n_lon)]
    for r in range(n):
        for v, var in enumerate("ab"):
            for lev in range(n_lev):
                cells = cube[r, v, :, :, :, lev].astype(np.float64).ravel().tolist()
                start = names.index(f"climate.{var}.lev{lev}.mean")
                np.testing.assert_allclose(X[r, start:start + len(CLIMATE_STATS)],
                                           reference_stats(cells, weights), rtol=1e-12, atol=1e-12)
    assert np.isnan(X[1, names.index("climate.a.lev1.mean"):names.index("climate.a.lev1.q90") + 1]).all()
    assert not np.isnan(X[1, names.index("climate.b.lev1.mean")])


def test_equal_weights_are_numpys_hazen_quantiles_and_weighted_mean():
    rng = np.random.default_rng(5)
    cube = rng.normal(size=(6, 1, 3, 1, 11, 1)).astype(np.float32)  # one band: every cell weighs the same
    cube[0, 0, 0, 0, :4, 0] = np.nan
    X, names = summary_features({"climate": cube}, channels=["t"], planet_columns=[], pathway_ids=[])
    flat = cube.reshape(6, -1).astype(np.float64)
    quantiles = X[:, names.index("climate.t.lev0.q10"):]
    np.testing.assert_allclose(quantiles, np.nanquantile(flat, QUANTILES, axis=1, method="hazen").T, rtol=1e-12)
    np.testing.assert_allclose(X[:, 0], np.nanmean(flat, axis=1), rtol=1e-12)
    np.testing.assert_allclose(X[:, 1], np.nanstd(flat, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(X[:, 2], np.nanmin(flat, axis=1))
    np.testing.assert_array_equal(X[:, 3], np.nanmax(flat, axis=1))


def test_blocks_of_runs_give_the_same_bytes(monkeypatch):
    rng = np.random.default_rng(7)
    cube = rng.normal(size=(9, 1, 2, 3, 4, 1)).astype(np.float32)
    one_block, _ = summary_features({"climate": cube}, channels=["t"], planet_columns=[], pathway_ids=[])
    monkeypatch.setattr(summary, "BLOCK_CELLS", 2 * 24)  # 2 runs a block, the last one alone
    blocks, _ = summary_features({"climate": cube}, channels=["t"], planet_columns=[], pathway_ids=[])
    assert one_block.tobytes() == blocks.tobytes()


def _all_modalities(n=3):
    rng = np.random.default_rng(11)
    return {
        "climate": rng.normal(size=(n, 2, 2, 3, 4, 1)).astype(np.float32),
        "climate_present": np.array([True, False, True])[:n],
        "spectrum": np.arange(n * 4 * 3, dtype=np.float32).reshape(n, 4, 3),
        "spectrum_mask": np.array([[True, True, False, True], [True] * 4, [False] * 4])[:n],
        "spectrum_present": np.array([True, False, True])[:n],
        "pathways": np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=np.uint8)[:n],
        "graph_node_count": np.array([12, 0, 5], dtype=np.int64)[:n],
        "graph_edge_count": np.array([20, 0, 4], dtype=np.int64)[:n],
        "graph_present": np.array([True, False, True])[:n],
        "planet_params": np.array([[1.1, np.nan], [2.0, 0.3], [0.9, -0.2]])[:n],
        "planet_params_present": np.array([True, True, False])[:n],
    }


def test_every_modality_its_columns_names_and_absent_rows():
    arrays = _all_modalities()
    X, names = summary_features(arrays, **NAMES)
    assert X.shape == (3, len(names)) == (3, 2 * 9 + 3 * 4 + 3 + 2 + 2) and len(set(names)) == len(names)
    assert names[0] == "climate.surface_temperature.lev0.mean"
    assert names[18:22] == [f"spectrum.relative_depth.bin{b}" for b in range(4)]
    assert names[-7:] == ["pathway.map00680", "pathway.map00190", "pathway.map00910", "graph.nodes",
                          "graph.edges", "planet.radius_earth", "planet.log10_flux"]
    col = {name: X[:, i] for i, name in enumerate(names)}
    climate = X[:, :18]
    assert np.isnan(climate[1]).all() and not np.isnan(climate[[0, 2]]).any()  # run 1 has no climate
    # spectrum feature-major: bin b of feature f is spectrum[:, b, f]; uncovered bins and absent runs NaN
    np.testing.assert_array_equal(col["spectrum.excess_sigma.bin1"], [5.0, np.nan, np.nan])
    np.testing.assert_array_equal(col["spectrum.relative_error.bin3"], [10.0, np.nan, np.nan])
    assert np.isnan(col["spectrum.relative_depth.bin2"][0])
    np.testing.assert_array_equal(col["pathway.map00680"], [1.0, np.nan, 0.0])
    np.testing.assert_array_equal(col["pathway.map00190"], [0.0, np.nan, 1.0])
    np.testing.assert_array_equal(col["graph.nodes"], [12.0, np.nan, 5.0])
    np.testing.assert_array_equal(col["graph.edges"], [20.0, np.nan, 4.0])
    np.testing.assert_array_equal(col["planet.radius_earth"], [1.1, 2.0, np.nan])
    np.testing.assert_array_equal(col["planet.log10_flux"], [np.nan, 0.3, np.nan])
    assert not np.isnan(arrays["planet_params"][2]).any()  # the caller's arrays are left alone


def test_missing_keys_drop_their_columns():
    arrays = _all_modalities()
    full, full_names = summary_features(arrays, **NAMES)
    for dropped in (["climate", "climate_present"], ["spectrum", "spectrum_mask", "spectrum_present"],
                    ["pathways"], ["graph_node_count", "graph_edge_count"], ["planet_params"]):
        rest = {key: value for key, value in arrays.items() if key not in dropped}
        X, names = summary_features(rest, **NAMES)
        kept = [i for i, name in enumerate(full_names) if name in names]
        assert names == [full_names[i] for i in kept] and len(names) < len(full_names)
        np.testing.assert_array_equal(X, full[:, kept])
    only, names = summary_features({"planet_params": arrays["planet_params"]}, **NAMES)
    assert names == ["planet.radius_earth", "planet.log10_flux"]  # no presence key: every row present
    np.testing.assert_array_equal(only, arrays["planet_params"])
    with pytest.raises(ValueError, match="none of"):
        summary_features({"climate_present": arrays["climate_present"]}, **NAMES)
    with pytest.raises(ValueError, match="row counts differ"):
        summary_features({**arrays, "planet_params": arrays["planet_params"][:2]}, **NAMES)
    with pytest.raises(ValueError, match="channel names"):
        summary_features(arrays, **{**NAMES, "channels": ["one"]})


def test_summary_features_on_many_runs_in_one_pass():
    """Speed sanity, no timing assertion: 2,000 runs of the training shapes go through at once, and
    the time is printed (pytest -s) to catch a per-run loop by eye."""
    rng = np.random.default_rng(0)
    n = 2000
    arrays = {"climate": rng.normal(size=(n, 2, 4, 8, 16, 1)).astype(np.float32),
              "climate_present": rng.random(n) < 0.9,
              "spectrum": rng.normal(size=(n, 48, 3)).astype(np.float32),
              "spectrum_mask": rng.random((n, 48)) < 0.8, "spectrum_present": rng.random(n) < 0.7,
              "pathways": (rng.random((n, 40)) < 0.3).astype(np.uint8),
              "graph_node_count": rng.integers(0, 500, n), "graph_edge_count": rng.integers(0, 900, n),
              "graph_present": rng.random(n) < 0.8,
              "planet_params": rng.normal(size=(n, 9)), "planet_params_present": rng.random(n) < 0.95}
    start = time.perf_counter()
    X, names = summary_features(arrays, channels=["a", "b"], planet_columns=[f"p{i}" for i in range(9)],
                                pathway_ids=[f"map{i:05d}" for i in range(40)])
    print(f"summary_features: {n} runs, {len(names)} features in {time.perf_counter() - start:.2f} s")
    assert X.shape == (n, 2 * 9 + 48 * 3 + 40 + 2 + 9) and "spectrum.excess_sigma.bin07" in names


def _planted(n, seed):
    """Features where the label rides on two columns (one with gaps) and the rest is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 12))
    y = (X[:, 0] - X[:, 3] + 0.3 * rng.normal(size=n) > 0).astype(np.int64)
    X[:, 4:][rng.random((n, 8)) < 0.2] = np.nan  # gaps in the noise
    X[:, 3][rng.random(n) < 0.05] = np.nan  # and a few in the signal: the trees route them
    return X, y


def test_boosted_trees_learn_a_planted_signal_deterministically():
    X, y = _planted(1500, seed=1)
    train, test = slice(0, 1100), slice(1100, None)
    scores = boosted_trees_scores(X[train], y[train], X[test], seed=0)
    assert scores.dtype == np.float64 and scores.shape == (400,)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert auroc(y[test], scores) > 0.9
    assert boosted_trees_scores(X[train], y[train], X[test], seed=0).tobytes() == scores.tobytes()
    by_threads = {}
    for limit in (1, 2):
        with threadpool_limits(limits=limit):
            by_threads[limit] = boosted_trees_scores(X[train], y[train].astype(bool), X[test], seed=0).tobytes()
    assert by_threads[1] == by_threads[2] == scores.tobytes()


def test_boosted_trees_with_one_class_score_its_rate():
    X, _ = _planted(50, seed=2)
    np.testing.assert_array_equal(boosted_trees_scores(X[:30], np.zeros(30), X[30:], seed=0), np.zeros(20))
    np.testing.assert_array_equal(boosted_trees_scores(X[:30], np.ones(30, bool), X[30:], seed=0), np.ones(20))
    with pytest.raises(ValueError, match="0/1 label"):
        boosted_trees_scores(X[:30], np.full(30, 2), X[30:], seed=0)
    with pytest.raises(ValueError, match="X shapes"):
        boosted_trees_scores(X[:30], np.zeros(30), X[30:, :3], seed=0)


def test_boosted_trees_leave_out_a_column_no_training_row_has():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    X[:, 1] = np.nan  # a modality no training run has
    test = rng.normal(size=(10, 3))
    scores = boosted_trees_scores(X, y, test, seed=0)
    assert np.array_equal(scores, boosted_trees_scores(X[:, [0, 2]], y, test[:, [0, 2]], seed=0))
    assert np.array_equal(boosted_trees_scores(np.full((4, 2), np.nan), np.array([0, 1, 0, 1]), test[:, :2], seed=0),
                          np.full(10, 0.5))
