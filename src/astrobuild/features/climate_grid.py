"""Overlap weights of source cells with target cells: the arithmetic of first-order conservative remapping.

Each function gives a [n_dst, n_src] matrix of overlaps (in the coordinate that
measures the cell's share: sin(latitude) for area, degrees of longitude, steps,
pressure), so a target value is ``(w @ x) / (w @ valid)`` over the valid sources.
"""

from __future__ import annotations

import numpy as np


def interval_overlap(src_lo: np.ndarray, src_hi: np.ndarray, dst_edges: np.ndarray) -> np.ndarray:
    """[n_dst, n_src] length of each source interval inside each target interval (edges increasing)."""
    lo = np.maximum(dst_edges[:-1, None], src_lo[None, :])
    hi = np.minimum(dst_edges[1:, None], src_hi[None, :])
    return np.clip(hi - lo, 0.0, None)


def cell_bounds(centres: np.ndarray, lo: float | None = None, hi: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds of cells around ``centres``: midpoints, ends half a spacing out, clamped."""
    c = np.asarray(centres, dtype=np.float64)
    if c.size == 1:
        a, b = np.array([c[0] - 0.5]), np.array([c[0] + 0.5])
    else:
        mid = (c[1:] + c[:-1]) / 2.0
        edges = np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
        a, b = np.minimum(edges[:-1], edges[1:]), np.maximum(edges[:-1], edges[1:])
    if lo is not None:
        a, b = np.clip(a, lo, hi), np.clip(b, lo, hi)
    return a, b


def lat_weights(centres: np.ndarray | None, n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src] area weights (overlap in sin(latitude)) onto ``n_dst`` equal-angle bands."""
    if centres is None:
        centres = -90.0 + (np.arange(n_src) + 0.5) * 180.0 / n_src
    a, b = cell_bounds(centres, -90.0, 90.0)
    dst = np.sin(np.deg2rad(np.linspace(-90.0, 90.0, n_dst + 1)))
    return interval_overlap(np.sin(np.deg2rad(a)), np.sin(np.deg2rad(b)), dst)


def lon_weights(centres: np.ndarray | None, n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src] overlap in degrees onto ``n_dst`` cells of 0..360, periodic."""
    if centres is None:
        centres = np.arange(n_src) * 360.0 / n_src
    a, b = cell_bounds(centres)
    shift = np.floor(a / 360.0) * 360.0
    a, b = a - shift, b - shift  # a in [0, 360); a cell may reach past 360
    dst = np.linspace(0.0, 360.0, n_dst + 1)
    return interval_overlap(a, b, dst) + interval_overlap(a - 360.0, b - 360.0, dst)


def index_weights(n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src] overlap of unit steps with ``n_dst`` equal parts of [0, n_src)."""
    return interval_overlap(np.arange(n_src, dtype=np.float64), np.arange(1, n_src + 1, dtype=np.float64),
                            np.linspace(0.0, n_src, n_dst + 1))
