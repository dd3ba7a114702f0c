"""Empty and smallest cubes: a dimension of length 0 is refused (on reading the NetCDF file, and by the store
contract), and the quality report and the climate map run on the smallest stores that pass their contract."""

from __future__ import annotations

import json
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from astrobuild.climate import source
from astrobuild.climate.check import StoreContractError, check_store, failing
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.climate.pipeline import validate_store
from astrobuild.climate.source import EmptyDimensionError, read_header
from astrobuild.plots.climate_map import plot_climate_map
from astrobuild.quality import quality_report
from tests.climate_options import zarr_options


def _cube(path: Path, time: int | None, lev: int, lat: int, lon: int, fmt: str = "NETCDF3_CLASSIC",
          constant: bool = False, spare_dim: bool = False) -> Path:
    """A CF cube: TS (time, lat, lon) and T (time, lev, lat, lon); ``time=None``: no time dimension;
    the time dimension is unlimited with ``time`` records (0: none written)."""
    rng = np.random.default_rng(0)
    with netCDF4.Dataset(path, "w", format=fmt) as nc:
        lead: tuple[str, ...] = ()
        if time is not None:
            nc.createDimension("time", None)
            var = nc.createVariable("time", "f8", ("time",))
            var.setncatts({"units": "days since 2000-01-01", "calendar": "noleap", "axis": "T"})
            if time:
                var[:] = np.arange(time) * 30.0 + 15.0
            lead = ("time",)
        if spare_dim:  # an unlimited dimension no variable uses (NetCDF4 allows several)
            nc.createDimension("spare", None)
        for name, size, units, values in (("lev", lev, "hPa", np.linspace(1000.0, 100.0, lev)),
                                          ("lat", lat, "degrees_north", np.linspace(-45.0, 45.0, lat) if lat > 1 else [10.0]),
                                          ("lon", lon, "degrees_east", np.arange(lon) * 90.0)):
            nc.createDimension(name, size)
            var = nc.createVariable(name, "f8", (name,))
            var.units = units
            var[:] = values
        ts = nc.createVariable("TS", "f4", (*lead, "lat", "lon"))
        ts.setncatts({"units": "K", "standard_name": "surface_temperature"})
        air = nc.createVariable("T", "f4", (*lead, "lev", "lat", "lon"))
        air.setncatts({"units": "K", "standard_name": "air_temperature"})
        if time != 0:
            ts[:] = 280.0 if constant else 280.0 + rng.random(ts.shape)
            air[:] = 250.0 if constant else 250.0 + rng.random(air.shape)
    return path


# --- a dimension of length 0 --------------------------------------------------------------------

def test_an_unlimited_time_without_records_is_refused_on_reading_naming_file_and_dimension(tmp_path):
    cube = _cube(tmp_path / "no_records.nc", time=0, lev=2, lat=3, lon=4)
    info = read_header(cube)  # the header alone is readable: the store check reads it too
    assert info.empty == {"time": ["T", "TS", "time"]} and info.unlimited == ["time"]
    with pytest.raises(EmptyDimensionError, match=rf"^{tmp_path / 'no_records.nc'}: dimension 'time' has length 0 "
                                                  r"\(unlimited, no record written\): the variable\(s\) on it "
                                                  r"\('T', 'TS', 'time'\) hold no values"):
        nc_to_zarr(cube, tmp_path / "no_records.zarr", zarr_options())
    assert not (tmp_path / "no_records.zarr").exists() and list(tmp_path.iterdir()) == [cube]


def test_the_store_contract_refuses_an_empty_dimension_naming_store_and_dimension(tmp_path, monkeypatch):
    cube = _cube(tmp_path / "no_records.nc", time=0, lev=2, lat=3, lon=4)
    store = tmp_path / "no_records.zarr"
    monkeypatch.setattr(source, "refuse_empty", lambda info: None)  # a store converted before the refusal
    nc_to_zarr(cube, store, zarr_options())
    monkeypatch.undo()
    report = check_store(store, cube)
    assert not report["valid"] and report["dims"]["time"] == 0
    assert failing(report) == [f"store {store}: check dims:time failed: length 0 (source 0): empty, "
                               "no values along it"]
    with pytest.raises(StoreContractError, match=rf"store {store}: check dims:time failed"):
        validate_store(str(store), str(cube), str(tmp_path / "v.json"))


def test_an_empty_dimension_no_variable_uses_is_no_data_lost(tmp_path):
    cube = _cube(tmp_path / "spare.nc", time=2, lev=1, lat=2, lon=2, fmt="NETCDF4", spare_dim=True)
    assert read_header(cube).empty == {}
    nc_to_zarr(cube, tmp_path / "spare.zarr", zarr_options())
    assert check_store(tmp_path / "spare.zarr", cube)["valid"]


# --- the smallest valid stores: the report and the plots run on every one -----------------------

SMALLEST = {
    # one time step, one level, one grid cell (NetCDF3 classic, unlimited time with one record)
    "one_cell": dict(time=1, lev=1, lat=1, lon=1),
    # every value the same: a colour scale of a single value
    "constant": dict(time=1, lev=1, lat=2, lon=2, constant=True),
    # one latitude row
    "one_row": dict(time=2, lev=1, lat=1, lon=3),
    # no time dimension at all, one level, one cell
    "no_time": dict(time=None, lev=1, lat=1, lon=1, fmt="NETCDF4"),
}


def _report_and_maps(root: Path, name: str, cube: Path, time_dim: str | None) -> tuple[dict, str, list[dict]]:
    store = root / f"{name}.zarr"
    conversion = nc_to_zarr(cube, store, zarr_options())
    assert conversion["time_dim"] == time_dim
    (root / f"{name}.conversion.json").write_text(json.dumps(conversion, default=str), encoding="utf-8")
    validate_store(str(store), str(cube), str(root / f"{name}.json"))  # passes its contract
    report = quality_report(tables={}, stores={name: store}, validations={name: root / f"{name}.json"}, config={},
                            json_path=root / "quality.json", html_path=root / "quality.html")
    maps = [plot_climate_map(store, root / f"{name}.conversion.json", root / f"{name}_{v}.png", variable=v)
            for v in ("TS", "T")]
    return report, (root / "quality.html").read_text(encoding="utf-8"), maps


@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_quality_report_and_maps_run_on_the_smallest_valid_stores(tmp_path, name):
    shape = SMALLEST[name]
    cube = _cube(tmp_path / f"{name}.nc", **shape)
    report, page, maps = _report_and_maps(tmp_path, name, cube, None if shape["time"] is None else "time")
    entry = report["stores"][name]
    assert entry["grade"] == "A+" and entry["passed"] and entry["not_assessed"] == []
    assert entry["dims"] == {d: n for d, n in (("lat", shape["lat"]), ("lev", shape["lev"]), ("lon", shape["lon"]),
                                               ("time", shape["time"])) if n is not None}
    assert f'alt="{name} map"' in page and f'alt="{name} completeness"' in page
    for drawn, variable in zip(maps, ("TS", "T"), strict=True):
        assert drawn["variable"] == variable and np.isfinite([drawn["min"], drawn["max"]]).all()
        assert (tmp_path / f"{name}_{variable}.png").stat().st_size > 0
    assert maps[1]["fixed"] == "lev = 1000"  # a single-level profile: its one level
    if shape.get("constant"):
        assert maps[0]["min"] == maps[0]["max"] == 280.0


def test_real_files_report_and_map(realdata, tmp_path):
    """tiny.nc (no coordinates, nothing to map) and the ExoCAM forcing file (coordinates in xc/yc)."""
    tiny = realdata / "climate" / "tiny.nc"
    nc_to_zarr(tiny, tmp_path / "tiny.zarr", zarr_options())
    validate_store(str(tmp_path / "tiny.zarr"), str(tiny), str(tmp_path / "tiny.json"))
    exocam = realdata / "climate" / "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc"
    conversion = nc_to_zarr(exocam, tmp_path / "exocam.zarr", zarr_options())
    (tmp_path / "exocam.conversion.json").write_text(json.dumps(conversion, default=str), encoding="utf-8")
    validate_store(str(tmp_path / "exocam.zarr"), str(exocam), str(tmp_path / "exocam.json"))
    stores = {"tiny": tmp_path / "tiny.zarr", "exocam": tmp_path / "exocam.zarr"}
    quality_report(tables={}, stores=stores, validations={n: tmp_path / f"{n}.json" for n in stores},
                   config={"default_min_grade": "F"}, json_path=tmp_path / "q.json", html_path=tmp_path / "q.html")
    page = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert 'alt="exocam map"' in page and "No (time, lat, lon) variable with values to draw." in page
    drawn = plot_climate_map(tmp_path / "exocam.zarr", tmp_path / "exocam.conversion.json", tmp_path / "exocam.png")
    assert drawn["time_dim"] == "time" and len(drawn["panels"]) == 2
