"""A gradient-boosted-trees yardstick: generic per-modality summary features and the trees' scores.

Beside the network every training scores scikit-learn's ``HistGradientBoostingClassifier`` (default
settings, seeded) on a flat table of summary features. The table is deliberately generic: the same
statistics for every variable, bin, pathway and parameter, and nothing that knows how the sample
was made, so what the trees reach is what plain summaries of the inputs carry, not what a feature
written for this sample's signal carries. A network that does not beat it has learned nothing that
a flat summary lacks.

:func:`summary_features` takes the modalities as stacked numpy arrays (one row per run; each key
optional, an absent modality adds no column) and returns ``X`` float64 ``[n, f]`` and the column
names; a run without a modality gets NaN in that modality's columns (the trees route missing values
themselves, so nothing is imputed):

* climate, float32 ``[n, vars, time, lat, lon, lev]``: per variable and layer, over time x lat x lon,
  the area-weighted mean and sd (population sd, weights normalised), min, max and the area-weighted
  quantiles 0.1, 0.25, 0.5, 0.75, 0.9 (``climate.<var>.lev<k>.<stat>``). The grid is equal-angle, so
  a cell's area is its latitude band's ``sin(upper edge) - sin(lower edge)`` (longitude cells and
  time steps are equal); NaN cells are left out of the weights. Quantiles are the weighted
  midpoint ("Hazen") rule: the values sorted, each at position ``(cumulative weight - own weight / 2)
  / total weight``, linear interpolation between positions, the end values beyond the first and last
  positions. With equal weights that is numpy's ``method="hazen"``; unlike a step (inverted-CDF)
  quantile it moves smoothly with the data, and unlike numpy's default it has a plain weighted form.
  Tied values keep their cell order (a stable sort), so the result is fixed.
* spectrum, ``[n, bins, features]``: every bin's value of every feature (``spectrum.<feature>.bin<b>``),
  NaN where the bin is not covered.
* pathways, multi-hot ``[n, maps]`` (``pathway.<id>``, 0/1) and the union graph's size
  (``graph.nodes``, ``graph.edges``).
* planet parameters ``[n, p]`` as given (``planet.<column>``; NaN unknown, already log10 where due).

Everything is vectorised over runs: the climate statistics loop over variables, layers and blocks
of runs (blocks bound the memory of the sort), never over single runs.

:func:`boosted_trees_scores` fits the classifier on the training rows and returns P(positive) for
the test rows, byte-identical whatever the number of OpenMP threads (see its comments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from astrobuild.features.spectra import SPECTRUM_FEATURES

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
CLIMATE_STATS = ("mean", "sd", "min", "max", *(f"q{round(q * 100):02d}" for q in QUANTILES))
# Cells of one (variable, layer) processed at once: the sort and its gathers hold a few float64 and
# int64 copies of a block, so ~4 M cells keep each copy near 32 MB however large the grid or run count.
BLOCK_CELLS = 1 << 22


def lat_band_weights(n_lat: int) -> np.ndarray:
    """[n_lat] relative areas of equal-angle latitude bands over -90..90 (south first)."""
    edges = np.sin(np.deg2rad(np.linspace(-90.0, 90.0, n_lat + 1)))
    return np.diff(edges)


def weighted_stats(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """[n, 9] weighted mean, sd, min, max and :data:`QUANTILES` of each row of ``values`` [n, cells]
    under ``weights`` [cells] (non-negative); NaN cells are left out, a row without a value is NaN."""
    x = np.asarray(values, dtype=np.float64)
    n, cells = x.shape
    out = np.full((n, len(CLIMATE_STATS)), np.nan)
    if n == 0 or cells == 0:
        return out
    valid = ~np.isnan(x)
    w = np.where(valid, np.asarray(weights, dtype=np.float64)[None, :], 0.0)
    total = w.sum(axis=1)
    has = total > 0
    safe_total = np.where(has, total, 1.0)  # rows without a value: any divisor, overwritten with NaN
    x0 = np.where(valid, x, 0.0)  # 0 * NaN is NaN: the missing cells must hold a number, weight 0
    mean = (w * x0).sum(axis=1) / safe_total
    sd = np.sqrt((w * (x0 - mean[:, None]) ** 2).sum(axis=1) / safe_total)
    low = np.where(valid, x, np.inf).min(axis=1)
    high = np.where(valid, x, -np.inf).max(axis=1)

    # Weighted quantiles, all rows at once: sort each row (NaN last), cumulate the weights in that
    # order, and place each value at the midpoint of its own weight.
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    ws = np.take_along_axis(w, order, axis=1)
    position = (np.cumsum(ws, axis=1) - ws / 2.0) / safe_total[:, None]
    count = valid.sum(axis=1)  # the sorted row's valid values are its first `count`
    sorted_valid = np.arange(cells)[None, :] < count[:, None]
    last = np.maximum(count - 1, 0)[:, None]
    quantiles = []
    for q in QUANTILES:
        # k: valid positions at or below q; interpolate between the k-th and (k+1)-th (1-based),
        # and take the first or last value outside the positions' range (k = 0 or k = count).
        k = ((position <= q) & sorted_valid).sum(axis=1)[:, None]
        lo = np.minimum(np.maximum(k - 1, 0), last)
        hi = np.minimum(k, last)
        x_lo, x_hi = np.take_along_axis(xs, lo, axis=1), np.take_along_axis(xs, hi, axis=1)
        p_lo, p_hi = np.take_along_axis(position, lo, axis=1), np.take_along_axis(position, hi, axis=1)
        gap = p_hi - p_lo
        # a zero gap (same cell, or a weightless cell) takes the lower value; t stays in [0, 1]
        t = np.clip(np.where(gap > 0, (q - p_lo) / np.where(gap > 0, gap, 1.0), 0.0), 0.0, 1.0)
        quantiles.append((x_lo + t * (x_hi - x_lo))[:, 0])
    out[:] = np.column_stack([mean, sd, low, high, *quantiles])
    out[~has] = np.nan
    return out


def _present(arrays: Mapping[str, np.ndarray], key: str, n: int) -> np.ndarray:
    """The modality's presence flags; a modality given without them counts as present everywhere."""
    if key not in arrays:
        return np.ones(n, dtype=bool)
    present = np.asarray(arrays[key], dtype=bool)
    if present.shape != (n,):
        raise ValueError(f"{key}: shape {present.shape}, expected ({n},)")
    return present


def _width(count: int) -> int:
    """Digits of the largest index, so names sort in index order (bin07 of 48 bins)."""
    return len(str(max(count - 1, 0)))


def _climate(arrays, channels, n):
    cube = np.asarray(arrays["climate"])
    if cube.ndim != 6:
        raise ValueError(f"climate: shape {cube.shape}, expected [n, vars, time, lat, lon, lev]")
    _, n_vars, n_time, n_lat, n_lon, n_lev = cube.shape
    if len(channels) != n_vars:
        raise ValueError(f"climate: {n_vars} variables but {len(channels)} channel names")
    present = _present(arrays, "climate_present", n)
    # one weight per cell of a (time, lat, lon) slab, flattened in the cube's C order
    weights = np.broadcast_to(lat_band_weights(n_lat)[None, :, None], (n_time, n_lat, n_lon)).ravel()
    cells = weights.size
    block = max(1, BLOCK_CELLS // max(cells, 1))
    columns, names = [], []
    width = _width(n_lev)
    for v, channel in enumerate(channels):
        for lev in range(n_lev):
            stats = np.full((n, len(CLIMATE_STATS)), np.nan)
            for start in range(0, n, block):  # blocks of runs: bounded memory, still vectorised
                rows = slice(start, start + block)
                stats[rows] = weighted_stats(cube[rows, v, :, :, :, lev].reshape(-1, cells), weights)
            columns.append(stats)
            names += [f"climate.{channel}.lev{lev:0{width}d}.{stat}" for stat in CLIMATE_STATS]
    X = np.concatenate(columns, axis=1) if columns else np.empty((n, 0))
    X[~present] = np.nan
    return X, names


def _spectrum(arrays, features, n):
    spectrum = np.asarray(arrays["spectrum"], dtype=np.float64)
    if spectrum.ndim != 3 or spectrum.shape[2] != len(features):
        raise ValueError(f"spectrum: shape {spectrum.shape}, expected [n, bins, {len(features)}]")
    n_bins = spectrum.shape[1]
    covered = (np.asarray(arrays["spectrum_mask"], dtype=bool) if "spectrum_mask" in arrays
               else np.ones((n, n_bins), dtype=bool))
    if covered.shape != (n, n_bins):
        raise ValueError(f"spectrum_mask: shape {covered.shape}, expected ({n}, {n_bins})")
    keep = covered & _present(arrays, "spectrum_present", n)[:, None]
    values = np.where(keep[:, :, None], spectrum, np.nan)
    width = _width(n_bins)
    names = [f"spectrum.{feature}.bin{b:0{width}d}" for feature in features for b in range(n_bins)]
    return values.transpose(0, 2, 1).reshape(n, -1), names  # feature-major, as the names


def _pathways(arrays, pathway_ids, n):
    present = _present(arrays, "graph_present", n)
    columns, names = [], []
    if "pathways" in arrays:
        hot = np.asarray(arrays["pathways"])
        if hot.shape != (n, len(pathway_ids)):
            raise ValueError(f"pathways: shape {hot.shape}, expected ({n}, {len(pathway_ids)})")
        columns.append((hot != 0).astype(np.float64))
        names += [f"pathway.{pathway}" for pathway in pathway_ids]
    for key, name in (("graph_node_count", "graph.nodes"), ("graph_edge_count", "graph.edges")):
        if key in arrays:
            size = np.asarray(arrays[key])
            if size.shape != (n,):
                raise ValueError(f"{key}: shape {size.shape}, expected ({n},)")
            columns.append(size.astype(np.float64)[:, None])
            names.append(name)
    X = np.concatenate(columns, axis=1) if columns else np.empty((n, 0))
    X[~present] = np.nan
    return X, names


def _planet(arrays, planet_columns, n):
    values = np.array(arrays["planet_params"], dtype=np.float64)  # a copy: rows are overwritten
    if values.shape != (n, len(planet_columns)):
        raise ValueError(f"planet_params: shape {values.shape}, expected ({n}, {len(planet_columns)})")
    values[~_present(arrays, "planet_params_present", n)] = np.nan
    return values, [f"planet.{column}" for column in planet_columns]


DATA_KEYS = ("climate", "spectrum", "pathways", "graph_node_count", "graph_edge_count", "planet_params")


def summary_features(arrays: Mapping[str, np.ndarray], *, channels: Sequence[str],
                     planet_columns: Sequence[str], pathway_ids: Sequence[str],
                     spectrum_features: Sequence[str] = SPECTRUM_FEATURES) -> tuple[np.ndarray, list[str]]:
    """X float64 [n, f] of per-modality summaries and its column names (see the module docstring).

    ``arrays`` holds, each optional: ``climate`` [n, vars, time, lat, lon, lev] with
    ``climate_present`` [n]; ``spectrum`` [n, bins, len(spectrum_features)] with ``spectrum_mask``
    [n, bins] and ``spectrum_present`` [n]; ``pathways`` [n, len(pathway_ids)], ``graph_node_count`` [n],
    ``graph_edge_count`` [n] (the features store's names) with ``graph_present`` [n]; ``planet_params`` [n, len(planet_columns)] with
    ``planet_params_present`` [n]. A data key that is absent adds no column; a presence key that is
    absent counts every row present. Columns come in that order: climate, spectrum, pathways, graph
    size, planet.
    """
    given = [key for key in DATA_KEYS if key in arrays]
    if not given:
        raise ValueError(f"summary_features: none of {list(DATA_KEYS)} given, so no row count")
    sizes = {key: len(arrays[key]) for key in given}
    n = sizes[given[0]]
    if set(sizes.values()) != {n}:
        raise ValueError(f"summary_features: row counts differ: {sizes}")
    blocks: list[tuple[np.ndarray, list[str]]] = []
    if "climate" in arrays:
        blocks.append(_climate(arrays, list(channels), n))
    if "spectrum" in arrays:
        blocks.append(_spectrum(arrays, list(spectrum_features), n))
    if any(key in arrays for key in ("pathways", "graph_node_count", "graph_edge_count")):
        blocks.append(_pathways(arrays, list(pathway_ids), n))
    if "planet_params" in arrays:
        blocks.append(_planet(arrays, list(planet_columns), n))
    X = np.concatenate([block for block, _ in blocks], axis=1)
    names = [name for _, block_names in blocks for name in block_names]
    return np.ascontiguousarray(X, dtype=np.float64), names


def boosted_trees_scores(train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray,
                         seed: int) -> np.ndarray:
    """P(positive) float64 [len(test_X)] from ``HistGradientBoostingClassifier(random_state=seed)``
    (default settings) fitted on ``train_X``/``train_y`` (labels 0/1 or bool). NaN features are the
    trees' missing values (each split learns which side they go to)."""
    train_X = np.asarray(train_X, dtype=np.float64)
    test_X = np.asarray(test_X, dtype=np.float64)
    labels = np.asarray(train_y)
    if train_X.ndim != 2 or test_X.ndim != 2 or train_X.shape[1] != test_X.shape[1]:
        raise ValueError(f"boosted_trees_scores: X shapes {train_X.shape} and {test_X.shape}")
    if labels.shape != (len(train_X),) or not len(labels) or not np.isin(labels, (0, 1)).all():
        raise ValueError("boosted_trees_scores: train_y must be one 0/1 label per training row")
    y = labels.astype(np.int64)
    rate = float(y.mean())
    if rate in (0.0, 1.0) or not len(test_X):
        # One class only: the classifier refuses to fit (nothing to separate), and the only honest
        # score is the training rate, as the `majority` baseline gives (AUROC 0.5 where defined).
        return np.full(len(test_X), rate, dtype=np.float64)
    from sklearn.ensemble import HistGradientBoostingClassifier  # imported when used: ~1 s to import

    # A column with no value in the training rows (a modality no training run has) carries nothing,
    # and scikit-learn 1.9.1's binning fails on it ("window shape cannot be larger than input array
    # shape"): left out, for the test rows too.
    known = ~np.isnan(train_X).all(axis=0)
    train_X, test_X = train_X[:, known], test_X[:, known]
    if not known.any():
        return np.full(len(test_X), rate, dtype=np.float64)

    # Why one OpenMP thread: the fit's histograms are OpenMP loops. In scikit-learn 1.9.1 each
    # feature's sums run in sample order on one thread and the root's sums are numpy's, so 1, 2, 3, 4
    # and 8 threads gave byte-identical scores here; but 1.5 and 1.6 (which ">=1.5" admits) summed each
    # tree root's gradients with an OpenMP reduction (`sum_parallel`, dropped in 1.7 by PR #30875),
    # whose order, and so last bits, follow the thread count, and scikit-learn promises nothing. One thread makes the bytes a
    # function of the data and seed alone, on any machine; it costs ~1.3 s a fit on 8,000 x 213.
    # Only OpenMP is limited (the trees use no BLAS), and the previous limits come back on exit.
    with threadpool_limits(limits=1, user_api="openmp"):
        model = HistGradientBoostingClassifier(random_state=seed).fit(train_X, y)
        proba = model.predict_proba(test_X)
    return np.ascontiguousarray(proba[:, list(model.classes_).index(1)], dtype=np.float64)
