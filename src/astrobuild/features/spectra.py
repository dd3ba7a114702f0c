"""One run's spectrum on the common wavelength grid: features [bins, 3] and a coverage mask [bins].

Why flux-conserving binning and not interpolation: a transit depth in a
published spectrum is already an average over a wavelength bin (its
``wavelength_err_um`` half-width; JWST reductions bin at R~100). Interpolating
between bin centres samples that average at points and, when the common grid is
coarser than the data, throws most measurements away (and with them their
noise averaging); when finer, it invents structure between measurements.
Binning instead gives each grid bin the mean depth of the measurements that
overlap it, weighted by overlap length x inverse variance: the integral of the
depth over a bin is kept (SpectRes-style), overlapping orders (NIRISS orders 1
and 2) are combined by their errors, and the error of the bin is propagated.

The grid is ``bins`` cells equal in log wavelength between ``min_um`` and
``max_um`` (constant resolving power, as spectrographs have). A point's extent
is wavelength +- its half-width, or, without one, half-way to its neighbours in
the same order. A grid bin whose measurements cover less than ``min_coverage``
of its width is *masked*: its features are 0 and ``mask`` is False, so the
model is told, not shown a fake zero. A spectrum covering no bin counts as
missing. Points with a non-zero ``quality`` flag are left out
(``drop_flagged``; the JWST convention, 0 = good).

Features per bin: the depth relative to the spectrum's own median depth
(depth / median - 1: the band shapes, whatever the planet's size, which the
planet parameters carry), the propagated error on the same scale, and their
ratio, (depth - median) / error: how many sigma the bin stands above the
continuum. A band of 40 ppm is plain in one spectrum and noise in the next; a
convolution over the first two channels cannot divide one by the other, so
the significance is given, not left to be learned.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow.parquet as pq

from astrobuild.features.config import SpectrumConfig

SPECTRUM_FEATURES = ("relative_depth", "relative_error", "excess_sigma")
COLUMNS = ["spectrum", "order", "wavelength_um", "wavelength_err_um", "depth_ppm", "depth_err_ppm", "quality"]


def grid_edges(config: SpectrumConfig) -> np.ndarray:
    return np.geomspace(config.min_um, config.max_um, config.bins + 1)


def point_extents(wavelength: np.ndarray, half_width: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) wavelength of each point: +- its half-width, else half-way to its same-order neighbours."""
    lo, hi = np.empty_like(wavelength), np.empty_like(wavelength)
    for o in np.unique(order):
        idx = np.flatnonzero(order == o)
        idx = idx[np.argsort(wavelength[idx], kind="stable")]
        w = wavelength[idx]
        if len(w) == 1:  # a lone point without a width covers nothing
            lo[idx], hi[idx] = w, w
            continue
        mid = (w[1:] + w[:-1]) / 2.0
        lo[idx] = np.concatenate([[w[0] - (mid[0] - w[0])], mid])
        hi[idx] = np.concatenate([mid, [w[-1] + (w[-1] - mid[-1])]])
    known = np.isfinite(half_width) & (half_width > 0)
    lo[known], hi[known] = wavelength[known] - half_width[known], wavelength[known] + half_width[known]
    return lo, hi


def covered_length(lo: np.ndarray, hi: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per grid bin, the length of the union of the intervals [lo, hi] inside it."""
    order = np.argsort(lo, kind="stable")
    merged: list[list[float]] = []
    for a, b in zip(lo[order], hi[order], strict=True):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    if not merged:
        return np.zeros(len(edges) - 1)
    m = np.asarray(merged)
    overlap = np.clip(np.minimum(edges[1:, None], m[None, :, 1]) - np.maximum(edges[:-1, None], m[None, :, 0]), 0, None)
    return overlap.sum(axis=1)


def bin_spectrum(wavelength, half_width, depth, error, order, edges: np.ndarray, min_coverage: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depth, error, mask) per grid bin; depth/error are NaN where masked."""
    wavelength, depth = np.asarray(wavelength, float), np.asarray(depth, float)
    half_width, error = np.asarray(half_width, float), np.asarray(error, float)
    lo, hi = point_extents(wavelength, half_width, np.asarray(order))
    overlap = np.clip(np.minimum(edges[1:, None], hi[None, :]) - np.maximum(edges[:-1, None], lo[None, :]), 0, None)
    good_err = np.isfinite(error) & (error > 0)
    # A point without an error weighs as the spectrum's typical point (or all alike when none has one).
    typical = np.median(error[good_err]) if good_err.any() else 1.0
    sigma = np.where(good_err, error, typical)
    w = overlap / sigma[None, :] ** 2
    total = w.sum(axis=1)
    coverage = covered_length(lo, hi, edges) / np.diff(edges)
    mask = (coverage >= min_coverage) & (total > 0)
    safe = np.where(total > 0, total, 1.0)
    binned = np.where(mask, (w @ depth) / safe, np.nan)
    binned_err = np.where(mask, np.sqrt((w ** 2) @ sigma ** 2) / safe, np.nan)
    return binned, binned_err, mask


class Spectra:
    """``features(spectrum_id)`` -> (features [bins, 3] float32, mask [bins] bool) or None (no coverage)."""

    def __init__(self, table_path: str | os.PathLike[str], config: SpectrumConfig):
        self.table_path, self.config = table_path, config
        self.edges = grid_edges(config)
        self._points: dict[str, dict[str, np.ndarray]] | None = None
        self.flagged_points = 0

    def load(self) -> dict[str, dict[str, np.ndarray]]:
        if self._points is None:
            frame = pq.read_table(self.table_path, columns=COLUMNS).to_pandas()
            frame = frame[np.isfinite(frame["depth_ppm"]) & np.isfinite(frame["wavelength_um"])]
            if self.config.drop_flagged:
                flagged = frame["quality"].notna() & (frame["quality"] != 0)
                self.flagged_points = int(flagged.sum())
                frame = frame[~flagged]
            self._points = {}
            for sid, part in frame.groupby("spectrum", sort=True):
                self._points[str(sid)] = {
                    "wavelength": part["wavelength_um"].to_numpy(float),
                    "half_width": part["wavelength_err_um"].to_numpy(float),
                    "depth": part["depth_ppm"].to_numpy(float), "error": part["depth_err_ppm"].to_numpy(float),
                    "order": part["order"].fillna(-1).to_numpy(float),
                }
        return self._points

    def features(self, spectrum_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        points = self.load().get(spectrum_id)
        if points is None:
            return None
        depth, error, mask = bin_spectrum(points["wavelength"], points["half_width"], points["depth"],
                                          points["error"], points["order"], self.edges, self.config.min_coverage)
        if not mask.any():
            return None
        scale = float(np.median(np.abs(depth[mask]))) or 1.0
        features = np.zeros((len(mask), len(SPECTRUM_FEATURES)), dtype=np.float32)
        features[mask, 0] = depth[mask] / scale - 1.0
        features[mask, 1] = error[mask] / scale
        features[mask, 2] = (depth[mask] - scale) / np.where(error[mask] > 0, error[mask], np.inf)
        return features, mask
