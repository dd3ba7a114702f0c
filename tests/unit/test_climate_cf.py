"""Cubes read as a climate scientist would: calendar seasons after spin-up, pressure-weighted layers (surface
first, either file orientation), aliases in any case, and masked cells carried as a valid share."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from astrobuild.climate.convert import nc_to_zarr
from astrobuild.features.climate import CubeError, CubeReader, lat_weights
from astrobuild.features.climate_levels import formula_terms, pressure_overlap, surface_first
from astrobuild.features.climate_time import Dates, TimeAxisError, decode, parse_spinup, time_plan
from astrobuild.features.config import PoolingConfigError, climate_config
from astrobuild.learn.config import ClimateVariable, train_config
from tests.climate_options import zarr_options
from tests.learn_products import train_section

NOLEAP_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
SEASON_MONTHS = ((12, 1, 2), (3, 4, 5), (6, 7, 8), (9, 10, 11))


def config(channels=(("ts", ("TS",)),), **fields):
    """The schema's climate settings on a 1x1 grid, one layer, with ``fields`` changed."""
    base = dataclasses.replace(train_config(train_section()).climate, lat=1, lon=1, lev=1,
                               variables=tuple(ClimateVariable(n, a) for n, a in channels))
    return dataclasses.replace(base, **fields)


def store(tmp_path: Path, ds: xr.Dataset, name: str = "cube") -> str:
    """``ds`` written as NetCDF and converted as the workflow converts a cube; the store's relative path."""
    nc = tmp_path / f"{name}.nc"
    ds.to_netcdf(nc)
    nc_to_zarr(nc, tmp_path / f"{name}.zarr", zarr_options())
    return f"{name}.zarr"


def surface_cube(values: np.ndarray, time: np.ndarray, calendar: str, bounds: np.ndarray | None = None,
                 nlat: int = 2, nlon: int = 2) -> xr.Dataset:
    """TS(time, lat, lon), the same value over the globe at each step."""
    field = np.broadcast_to(np.asarray(values, np.float32)[:, None, None], (len(values), nlat, nlon)).copy()
    coords = {"time": ("time", time, {"units": "days since 2000-01-01 00:00:00", "calendar": calendar,
                                      "axis": "T", **({"bounds": "time_bnds"} if bounds is not None else {})}),
              "lat": ("lat", np.linspace(-45, 45, nlat), {"units": "degrees_north"}),
              "lon": ("lon", np.arange(nlon) * 360.0 / nlon, {"units": "degrees_east"})}
    data = {"TS": (("time", "lat", "lon"), field, {"units": "K"})}
    if bounds is not None:
        data["time_bnds"] = (("time", "nbnd"), bounds)
    return xr.Dataset(data, coords=coords)


def _noleap_daily(years: int):
    """Daily stamps (mid-day) of ``years`` noleap years; each day's month and year."""
    month = np.concatenate([np.repeat(np.arange(1, 13), NOLEAP_DAYS)] * years)
    year = np.repeat(np.arange(years), 365)
    return np.arange(365 * years) + 0.5, month, year


def _value(month, year):
    """A field that tells the month and the year apart; the first (spin-up) year is far off."""
    return np.where(year == 0, 1000.0, 10.0 * month + year)


def _expected_seasons(years=(1, 2)):
    out = []
    for months in SEASON_MONTHS:
        days = sum(NOLEAP_DAYS[m - 1] for m in months) * len(years)
        out.append(sum(NOLEAP_DAYS[m - 1] * _value(m, y) for m in months for y in years) / days)
    return np.array(out)


def test_a_noleap_daily_cube_with_a_year_of_spinup_gives_the_seasons_of_the_later_years(tmp_path):
    time, month, year = _noleap_daily(3)
    path = store(tmp_path, surface_cube(_value(month, year), time, "noleap"))
    values, valid = CubeReader(config(spinup="1Y"), tmp_path).pool(path)
    assert values.shape == (1, 4, 1, 1, 1) and (valid == 1).all()
    # DJF: Jan, Feb, Dec of years 1 and 2, every day alike; e.g. (31*10 + 28*20 + 31*120) / 90 + 1.5 = 52.5
    assert np.allclose(values[0, :, 0, 0, 0], _expected_seasons(), rtol=1e-6)
    assert values[0, 0, 0, 0, 0] == pytest.approx(52.5)
    # without the spin-up, year 0 (1000 K) would be in every season
    assert (CubeReader(config(), tmp_path).read(path) > 300).all()
    with pytest.raises(CubeError, match=r"climate store cube.zarr: 'TS': too short: spin-up 3Y leaves none"):
        CubeReader(config(spinup="3Y"), tmp_path).pool(path)


def test_monthly_means_stamped_at_the_end_with_bounds_weigh_their_length_and_match_the_daily_seasons(tmp_path):
    # CESM's way: January's mean is stamped 1 February, its bounds are [1 Jan, 1 Feb]
    ends = np.cumsum(np.tile(NOLEAP_DAYS, 3)).astype(np.float64)
    bounds = np.stack([ends - np.tile(NOLEAP_DAYS, 3), ends], axis=1)
    month, year = np.tile(np.arange(1, 13), 3), np.repeat(np.arange(3), 12)
    path = store(tmp_path, surface_cube(_value(month, year), ends, "noleap", bounds))
    values = CubeReader(config(spinup="12M"), tmp_path).read(path)
    assert np.allclose(values[0, :, 0, 0, 0], _expected_seasons(), rtol=1e-6)
    months = CubeReader(config(time="months", spinup="1Y"), tmp_path).read(path)
    assert np.allclose(months[0, :, 0, 0, 0], 10.0 * np.arange(1, 13) + 1.5)
    annual = CubeReader(config(time="annual", spinup="365D"), tmp_path).read(path)
    assert annual.shape[1] == 1
    assert annual[0, 0, 0, 0, 0] == pytest.approx((NOLEAP_DAYS * 10.0 * np.arange(1, 13)).sum() / 365 + 1.5)


def test_a_360_day_calendar_groups_by_its_own_months(tmp_path):
    time = np.arange(24) * 30.0 + 15.0  # mid-month, two 360-day years
    month, year = np.tile(np.arange(1, 13), 2), np.repeat(np.arange(2), 12)
    path = store(tmp_path, surface_cube(10.0 * month + year, time, "360_day"))
    seasons = CubeReader(config(), tmp_path).read(path)[0, :, 0, 0, 0]
    assert np.allclose(seasons, [np.mean([10 * m for m in s]) + 0.5 for s in SEASON_MONTHS])
    # 6 months of 30 days: spin-up ends on 16 July of year 0
    months = CubeReader(config(time="months", spinup="6M"), tmp_path).read(path)[0, :, 0, 0, 0]
    assert np.allclose(months, 10.0 * np.arange(1, 13) + np.where(np.arange(1, 13) >= 7, 0.5, 1.0))


@pytest.mark.parametrize("calendar", ["standard", "gregorian", "proleptic_gregorian", "all_leap", "365_day"])
def test_every_cf_calendar_decodes_to_months(calendar):
    dates = decode(np.array([15.0, 45.0, 75.0, 200.0]), {"units": "days since 2000-01-01", "calendar": calendar},
                   None)
    assert dates is not None and dates.months.tolist() == [1, 2, 3, 7]


def test_without_dates_auto_falls_back_to_equal_steps_and_the_calendar_modes_refuse(tmp_path):
    assert decode(np.arange(12.0), {"units": "months"}, None) is None and decode(np.arange(3.0), {}, None) is None
    ds = surface_cube(np.arange(12.0), np.arange(12.0), "noleap").rename({"time": "month"})
    ds["month"].attrs = {"long_name": "month index"}
    path = store(tmp_path, ds)
    assert np.allclose(CubeReader(config(), tmp_path).read(path)[0, :, 0, 0, 0], [1, 4, 7, 10])
    for fields, message in (({"time": "seasons"}, "time mode 'seasons' needs dates"),
                            ({"spinup": "1Y"}, "spin-up needs dates")):
        with pytest.raises(CubeError, match=f"climate store cube.zarr: 'TS': {message}"):
            CubeReader(config(**fields), tmp_path).read(path)


def test_a_few_months_fall_back_to_steps_under_auto_and_are_refused_by_seasons():
    dates = Dates(starts=np.arange(4) * 30.0 + 15, months=np.arange(1, 5), lengths=None, units="days since 2000-01-01",
                  calendar="360_day")
    plan = time_plan(4, slice(0, None), "auto", 4, None, dates)
    assert plan.mode == "steps" and np.allclose(plan.weights, np.eye(4))
    with pytest.raises(TimeAxisError, match=r"too short for time mode 'seasons': no step in JJA, SON"):
        time_plan(4, slice(0, None), "seasons", 4, None, dates)
    assert parse_spinup("10Y") == (10.0, "Y") and parse_spinup("2.5d") == (2.5, "D") and parse_spinup(None) is None
    for bad in ("10", "1.5Y", "3W"):
        with pytest.raises(ValueError):
            parse_spinup(bad)


def test_config_knows_the_time_modes_and_refuses_what_cannot_work():
    section = train_section()["climate"]
    assert climate_config(section).time == "auto" and climate_config(section).shape[1] == 4
    assert climate_config({**section, "time": "months"}).shape[1] == 12
    assert climate_config({**section, "time": "steps", "time_steps": 6}).shape[1] == 6
    with pytest.raises(PoolingConfigError, match=r"train.climate.time_steps: 6 with time: auto"):
        climate_config({**section, "time_steps": 6})
    with pytest.raises(PoolingConfigError, match=r"train.climate.spinup"):
        climate_config({**section, "spinup": "1.5Y"})
    with pytest.raises(Exception, match="spinup"):
        train_section(climate={"spinup": "ten years"})


def test_the_sample_generator_monthly_cube_gives_four_seasons_by_default(climate_sample):
    cube = sorted(climate_sample.glob("*.nc"))[0]
    with xr.open_dataset(cube, decode_times=False) as ds:
        dates = decode(ds["time"].values, ds["time"].attrs, None)
    assert dates is not None and sorted(set(dates.months.tolist())) == list(range(1, 13))
    assert time_plan(12, slice(0, None), "auto", 4, None, dates).mode == "seasons"


# --- levels --------------------------------------------------------------------------------------

HYAI = np.array([0.002, 0.05, 0.15, 0.05, 0.0])  # top-down, as CESM writes them
HYBI = np.array([0.0, 0.0, 0.2, 0.7, 1.0])


def hybrid_cube(flip: bool = False, ps_missing: bool = False) -> xr.Dataset:
    """T(time, lev, lat, lon) on 4 hybrid levels over 2x2 columns of different surface pressures."""
    hyam, hybm = (HYAI[1:] + HYAI[:-1]) / 2, (HYBI[1:] + HYBI[:-1]) / 2
    ps = np.array([[1.0e5, 0.9e5], [1.1e5, 0.6e5]])[None].repeat(2, axis=0)
    if ps_missing:
        ps[:, 1, 1] = np.nan
    p_mid = hyam[None, :, None, None] * 1e5 + hybm[None, :, None, None] * ps[:, None]
    temp = 150.0 + p_mid / 1000.0 + np.arange(2)[:, None, None, None]  # warmer at depth, and in step 1
    lev = 1000.0 * (hyam + hybm)
    ds = xr.Dataset(
        {"T": (("time", "lev", "lat", "lon"), temp.astype(np.float32), {"units": "K"}),
         "PS": (("time", "lat", "lon"), ps, {"units": "Pa"}), "P0": ((), 1e5, {"units": "Pa"}),
         "hyam": (("lev",), hyam), "hybm": (("lev",), hybm), "hyai": (("ilev",), HYAI), "hybi": (("ilev",), HYBI)},
        coords={"time": ("time", [15.0, 45.0], {"units": "days since 2000-01-01", "calendar": "noleap"}),
                "lev": ("lev", lev, {"units": "level", "positive": "down",
                                     "standard_name": "atmosphere_hybrid_sigma_pressure_coordinate",
                                     "formula_terms": "a: hyam b: hybm p0: P0 ps: PS"}),
                "ilev": ("ilev", 1000.0 * (HYAI + HYBI), {"units": "level", "positive": "down"}),
                "lat": ("lat", [-45.0, 45.0], {"units": "degrees_north"}),
                "lon": ("lon", [90.0, 270.0], {"units": "degrees_east"})})
    return ds.isel(lev=slice(None, None, -1), ilev=slice(None, None, -1)) if flip else ds


def test_hybrid_levels_weigh_pressure_thickness_per_column_and_either_orientation_agrees(tmp_path):
    down, up = store(tmp_path, hybrid_cube(), "down"), store(tmp_path, hybrid_cube(flip=True), "up")
    one = config(channels=(("t", ("T",)),), time="steps")
    got = CubeReader(one, tmp_path).read(down)[0, :, 0, 0, 0]
    ds = hybrid_cube()
    ps = ds["PS"].values
    p_int = HYAI[None, :, None, None] * 1e5 + HYBI[None, :, None, None] * ps[:, None]
    dp = np.diff(p_int, axis=1)  # every column the same area here (2 equal lat bands, 2 equal lon cells)
    want = (dp * ds["T"].values).sum(axis=(1, 2, 3)) / dp.sum(axis=(1, 2, 3))
    assert np.allclose(got, np.repeat(want, 2), rtol=1e-5), "2 steps stretched over 4"
    two = dataclasses.replace(one, lev=2, lat=2, lon=2)
    a, valid_a = CubeReader(two, tmp_path).pool(down)
    b, valid_b = CubeReader(two, tmp_path).pool(up)
    assert np.allclose(a, b, rtol=1e-6) and (valid_a == 1).all() and (valid_b == 1).all()
    assert (a[..., 0] > a[..., 1]).all(), "layer 0 is the surface (the warmer, higher-pressure half)"


def test_a_column_without_surface_pressure_has_no_valid_layer(tmp_path):
    path = store(tmp_path, hybrid_cube(ps_missing=True))
    values, valid = CubeReader(config(channels=(("t", ("T",)),), lat=2, lon=2, lev=2), tmp_path).pool(path)
    assert (valid[..., 1, 1, :] == 0).all() and np.isnan(values[..., 1, 1, :]).all()
    assert (valid[..., 0, 0, :] == 1).all() and np.isfinite(values[..., 0, 0, :]).all()
    pooled = CubeReader(config(channels=(("t", ("T",)),), lev=2), tmp_path).pool(path)[1]
    assert np.allclose(pooled, 0.75), "one of four equal-area columns is unknown"


def pressure_cube(levels: np.ndarray, units: str, positive: str = "down") -> xr.Dataset:
    temp = 200.0 + 0.05 * np.asarray(levels if units == "hPa" else levels / 100.0)
    field = np.broadcast_to(temp[None, :, None, None], (1, len(levels), 2, 2)).astype(np.float32)
    return xr.Dataset({"ta": (("time", "plev", "lat", "lon"), field, {"units": "K"})},
                      coords={"time": ("time", [15.0], {"units": "days since 2000-01-01", "calendar": "noleap"}),
                              "plev": ("plev", levels, {"units": units, "positive": positive}),
                              "lat": ("lat", [-45.0, 45.0]), "lon": ("lon", [90.0, 270.0])})


def test_pressure_levels_in_hpa_or_pa_either_way_up_give_the_same_layers(tmp_path):
    hpa = np.array([1000.0, 850.0, 500.0, 250.0])
    paths = [store(tmp_path, pressure_cube(hpa, "hPa"), "hpa"),
             store(tmp_path, pressure_cube(hpa * 100.0, "Pa"), "pa"),
             store(tmp_path, pressure_cube(hpa[::-1] * 100.0, "Pa", "up"), "pa_up")]
    c = config(channels=(("t", ("TA",)),), time="steps", time_steps=1, lev=2)
    cubes = [CubeReader(c, tmp_path).read(p) for p in paths]
    assert np.allclose(cubes[0], cubes[1]) and np.allclose(cubes[0], cubes[2])
    # bounds midway: 1075, 925, 675, 375, 125 hPa; two layers of 475 hPa each, 1075..600 and 600..125
    low = (150 * 1000 + 250 * 850 + 75 * 500) / 475
    high = (225 * 500 + 250 * 250) / 475
    assert np.allclose(cubes[0][0, 0, 0, 0], 200.0 + 0.05 * np.array([low, high]), rtol=1e-6)


def test_level_helpers_overlap_in_pressure_and_put_the_surface_first():
    w = pressure_overlap(np.array([0.0, 50.0]), np.array([50.0, 100.0]), 4)
    assert np.allclose(w, [[0, 25], [0, 25], [25, 0], [25, 0]]), "part 0 holds the highest pressure"
    assert surface_first(np.array([1.0, 2.0, 3.0]), {"positive": "down"}, 3).tolist() == [2, 1, 0]
    assert surface_first(np.array([10.0, 5.0, 1.0]), {"positive": "up", "units": "km"}, 3).tolist() == [2, 1, 0]
    assert surface_first(None, {}, 3).tolist() == [0, 1, 2]
    assert formula_terms("a: hyam b: hybm p0: P0 ps: PS") == {"a": "hyam", "b": "hybm", "p0": "P0", "ps": "PS"}
    assert formula_terms("ap:ap b:b ps:ps") == {"ap": "ap", "b": "b", "ps": "ps"}


# --- aliases and masks ---------------------------------------------------------------------------

def test_aliases_match_names_and_standard_names_in_any_case(tmp_path):
    ds = surface_cube(np.full(12, 280.0), np.arange(12) * 30.0 + 15, "360_day").rename({"TS": "tsurf"})
    ds["TEMP_AIR"] = ds["tsurf"].copy() - 30.0
    ds["TEMP_AIR"].attrs = {"standard_name": "Air_Temperature", "units": "K"}
    path = store(tmp_path, ds)
    c = config(channels=(("surface_temperature", ("TS", "TSURF")), ("air_temperature", ("T", "air_temperature"))))
    cube = CubeReader(c, tmp_path).read(path)
    assert np.allclose(cube[0], 280.0) and np.allclose(cube[1], 250.0)


def test_nan_cells_become_a_valid_share_not_a_value(tmp_path):
    lat = np.array([-67.5, -22.5, 22.5, 67.5])
    field = np.full((12, 4, 4), 250.0, np.float32)
    field[:, 1, 0] = np.nan  # one source cell of target (south, first lon cell) unknown at every step
    field[:, 2:, 2:] = np.nan  # a target cell (north, second lon cell) without any valid source
    field[:6, 0, 0] = np.nan  # a cell unknown for half the year
    ds = xr.Dataset({"TS": (("time", "lat", "lon"), field, {"units": "K"})},
                    coords={"time": ("time", np.arange(12) * 30.0 + 15, {"units": "days since 2000-01-01",
                                                                         "calendar": "360_day"}),
                            "lat": ("lat", lat), "lon": ("lon", np.arange(4) * 90.0 + 45.0)})
    path = store(tmp_path, ds)
    values, valid = CubeReader(config(lat=2, lon=2, time="annual"), tmp_path).pool(path)
    area = lat_weights(lat, 4, 2)[0, :2]  # the southern target band's two source bands
    want = 1.0 - (area[1] + 0.5 * area[0]) / (2 * area.sum())
    assert valid[0, 0, 0, 0, 0] == pytest.approx(want, rel=1e-5) and values[0, 0, 0, 0, 0] == pytest.approx(250.0)
    assert valid[0, 0, 1, 1, 0] == 0 and np.isnan(values[0, 0, 1, 1, 0])
    assert valid[0, 0, 0, 1, 0] == 1 and valid[0, 0, 1, 0, 0] == 1


def test_real_exocam_forcing_gives_calendar_seasons_from_its_months(realdata, tmp_path):
    # noleap, 'days since 0001-01-01', stamps mid-month (14, 46, ... 349), no bounds; coordinates in xc/yc
    nc_to_zarr(realdata / "climate" / "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc", tmp_path / "aqua.zarr",
               zarr_options())
    c = config(channels=(("t", ("t",)),), lat=6, lon=8)
    seasons, valid = CubeReader(c, tmp_path).pool("aqua.zarr")
    months = CubeReader(dataclasses.replace(c, time="months"), tmp_path).read("aqua.zarr")
    assert seasons.shape == (1, 4, 6, 8, 1) and months.shape == (1, 12, 6, 8, 1)
    for s, members in enumerate(SEASON_MONTHS):  # each step weighs the same without bounds
        want = np.nanmean(months[0, [m - 1 for m in members]], axis=0)
        assert np.allclose(seasons[0, s], want, rtol=1e-5, equal_nan=True)
    assert np.array_equal(valid > 0, np.isfinite(seasons))
    # the forcing's temperature has no seasonal cycle (its months agree to 1e-5 K): neither have its seasons
    assert np.allclose(seasons[0], seasons[0, :1], atol=1e-3) and 200 < seasons.min() and seasons.max() < 320
