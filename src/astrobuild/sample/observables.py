"""What a sample modality shows of a run: the physics shared by the universe and the generators.

The universe (:mod:`astrobuild.sample.universe`) decides each run's latent
state and its label; the generators write the files. Both need the same
formulas (the label's climate condition is read off the very field the cube
holds; the spectrum's band visibility is the very signal-to-noise the spectrum
file has), so the formulas live here, in one place, importing neither.
"""

from __future__ import annotations

import math

import numpy as np

R_EARTH_KM = 6371.0
R_SUN_KM = 695700.0
NLAT, NLON = 16, 32  # the sample cubes' horizontal grid
MONTHS = 12  # the seasonal cycle's period, in time steps (monthly means)
SEASON_K = 4.0  # amplitude of the seasonal cycle (K, grows towards the poles, opposite in each hemisphere)
# The sample's planets are tidally locked (their star at longitude 0): the day/night-side wave is most
# of their climate's structure, so *where* a surface lies (under the star or not) decides its state.
DAY_NIGHT_K = 70.0  # amplitude of the day/night-side wave (K, cos(lon) cos(lat))
OCEAN_SHARPNESS = 3.0  # how abruptly the ocean hemisphere's coast falls from sea to land (tanh slope)
LIQUID_WATER_K = (273.15, 373.15)  # water is liquid between these at about one bar

N_POINTS = 120  # spectral points, 0.6-5.0 µm
WATER = ((1.15, 0.04), (1.4, 0.06), (1.85, 0.08), (2.7, 0.12))  # (centre µm, Gaussian width µm)
CH4 = ((1.7, 0.05), (2.3, 0.08), (3.3, 0.12))
CO2 = (4.3, 0.1)


def lat_lon(nlat: int = NLAT, nlon: int = NLON) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre latitudes (south to north) and longitudes (from 0 east) of a regular grid, in degrees."""
    lat = (-90.0 + (np.arange(nlat) + 0.5) * 180.0 / nlat).astype(np.float64)
    lon = (np.arange(nlon) * 360.0 / nlon).astype(np.float64)
    return lat, lon


def surface_temperature(mean_k: float, contrast_k: float, t: np.ndarray, lat: np.ndarray,
                        lon: np.ndarray) -> np.ndarray:
    """Noise-free surface temperature (time, lat, lon) in K.

    ``mean_k`` plus an equator-to-pole contrast of ``contrast_k`` (the equator
    is warmer than the poles by that much), a day/night-side wave of
    :data:`DAY_NIGHT_K` (the substellar point at longitude 0) and a seasonal
    cycle of period :data:`MONTHS`. The contrast term is
    ``contrast_k * (cos^2(lat) - 2/3)``, whose mean over the sphere is 0, as is
    the wave's, so the area-weighted global mean stays ``mean_k``.
    """
    phi = np.deg2rad(lat)[None, :, None]
    lam = np.deg2rad(lon)[None, None, :]
    season = np.cos(2 * np.pi * np.asarray(t, dtype=np.float64) / MONTHS)[:, None, None]
    return (mean_k + contrast_k * (np.cos(phi) ** 2 - 2.0 / 3.0) + DAY_NIGHT_K * np.cos(lam) * np.cos(phi)
            + SEASON_K * season * np.sin(phi))


def ocean_fraction(centre_deg: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Share of each cell (lat, lon) covered by ocean: one ocean hemisphere centred on ``centre_deg`` east.

    ``0.5 + 0.5 tanh(OCEAN_SHARPNESS cos(lon - centre))``, the same at every
    latitude: half the surface is sea whatever the centre, so the field's
    area-weighted distribution does not tell where the ocean lies, only the
    map does (and so only the map tells whether the sea is on the warm side).
    """
    lam = np.deg2rad(np.asarray(lon, dtype=np.float64) - centre_deg)
    band = 0.5 + 0.5 * np.tanh(OCEAN_SHARPNESS * np.cos(lam))
    return np.broadcast_to(band[None, :], (np.asarray(lat).size, band.size)).copy()


def habitable_fraction(mean_k: float, contrast_k: float, ocean_centre_deg: float, nlat: int = NLAT,
                       nlon: int = NLON) -> float:
    """Share of the surface, by area and over one seasonal cycle, that is liquid ocean (273.15-373.15 K).

    Computed on the noise-free fields of :func:`surface_temperature` and
    :func:`ocean_fraction` on the cube's grid, cell areas weighted by
    cos(latitude): a cell counts by its ocean share where its temperature
    lets water be liquid. Neither field alone tells it: the temperatures say
    how much of the surface *could* hold liquid water (on a cold planet the
    day side, on a hot one the night side), the ocean map where the water
    is. The cube adds noise of 0.5 K per cell, so the fraction read off a
    cube differs by the cells that lie within a kelvin or so of the limits; a
    cube of other than 12 months (``sample.time_steps``) differs a little
    more, by its share of the seasonal cycle (4 K at the poles).
    """
    lat, lon = lat_lon(nlat, nlon)
    field = surface_temperature(mean_k, contrast_k, np.arange(MONTHS, dtype=np.float64), lat, lon)
    liquid = (field > LIQUID_WATER_K[0]) & (field < LIQUID_WATER_K[1])
    ocean = ocean_fraction(ocean_centre_deg, lat, lon)[None]
    weights = np.cos(np.deg2rad(lat))[None, :, None] * np.ones((1, 1, nlon))
    return float((liquid * ocean * weights).sum() / (weights.sum() * MONTHS))


def transit_depth_ppm(radius_earth: float, star_radius_sun: float) -> float:
    """The continuum transit depth (Rp/R*)^2 in ppm."""
    return (radius_earth * R_EARTH_KM / (star_radius_sun * R_SUN_KM)) ** 2 * 1e6


def wavelength_grid() -> np.ndarray:
    """0.6-5.0 µm, constant resolving power (log-spaced), like binned JWST spectra."""
    return np.geomspace(0.6, 5.0, N_POINTS)


def depth_noise_ppm(wave: np.ndarray | float, noise_ppm: float) -> np.ndarray | float:
    """1-sigma depth noise per spectral point: ``noise_ppm`` at short wavelengths, rising to the red."""
    return noise_ppm * (1.0 + np.asarray(wave) / 10.0)


def _bands(wave: np.ndarray, bands, amplitude: float) -> np.ndarray:
    return sum(amplitude * np.exp(-0.5 * ((wave - c) / w) ** 2) for c, w in bands)


def ch4_profile(wave: np.ndarray) -> np.ndarray:
    """The CH4 bands' shape: 1 at each band's centre (relative to the continuum, per unit strength)."""
    return _bands(wave, CH4, 1.0)


def model_depth_ppm(wave: np.ndarray, depth0: float, ch4_strength: float, co2_ppmv: float) -> np.ndarray:
    """Noise-free transit depth in ppm: ``depth0`` times (1 + band strengths + a Rayleigh slope).

    Water bands are the same in every run; the CO2 band at 4.3 µm grows with
    log10 of the scenario's CO2; each CH4 band peaks at ``ch4_strength`` of
    the continuum (0 for an atmosphere without CH4).
    """
    relative = _bands(wave, WATER, 0.012) + _bands(wave, (CO2,), 0.01 * math.log10(co2_ppmv))
    if ch4_strength > 0:
        relative = relative + ch4_strength * ch4_profile(wave)
    rayleigh = 0.004 * (0.6 / wave) ** 4
    return depth0 * (1.0 + relative + rayleigh)


def band_snr(depth0: float, ch4_strength: float, noise_ppm: float) -> float:
    """Signal-to-noise of the CH4 bands in the whole spectrum (0 without CH4).

    The matched-filter statistic: the bands' known shape fitted to the
    points of :func:`wavelength_grid`, each weighted by its noise, so
    ``strength * depth0 * sqrt(sum((profile / sigma)^2))``. It is the best an
    observer (or a model) can do; 5 is the usual bar of a detection.
    """
    wave = wavelength_grid()
    weight = ch4_profile(wave) / depth_noise_ppm(wave, noise_ppm)
    return ch4_strength * depth0 * float(np.sqrt((weight ** 2).sum()))
