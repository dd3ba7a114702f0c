"""Climate sample: one CF NetCDF cube per climate-scenario run, plus ``runs.csv``.

Written, for every run of :func:`astrobuild.sample.universe.build_universe`:

* ``<planet slug>__<scenario>.nc`` — dims ``time`` (unlimited), ``lev``,
  ``lat``, ``lon`` with CF coordinate variables (units, axis, ``positive``
  for ``lev``, calendar ``noleap`` or ``360_day``), and

  - ``TS`` (time, lat, lon) float32 surface temperature: the run's
    ``surface_temp`` (area-weighted global mean) with its ``pole_contrast``
    (equator minus pole), a day/night wave and a seasonal cycle
    (:func:`astrobuild.sample.observables.surface_temperature`), plus 0.5 K
    noise (the planets are tidally locked: the star stands over longitude 0);
  - ``T`` (time, lev, lat, lon) float32 air temperature (lapse rate from TS);
  - ``Q`` (time, lev, lat, lon) float32 specific humidity with a
    ``_FillValue`` and a few missing points;
  - ``PS`` (time, lat, lon) int16 packed surface pressure (scale_factor,
    add_offset, _FillValue, some fill points);
  - ``OLR`` (time, lat, lon) int16 packed outgoing long-wave flux with a
    *negative* scale_factor (as some model output has);
  - ``OCNFRAC`` (time, lat, lon) float32 ocean share of each cell (CESM's
    name, CF ``sea_area_fraction``): one ocean hemisphere, centred on the
    run's ``ocean_centre``; liquid ocean, not warmth alone, is the label's
    habitable surface, so the cube tells it only where TS and OCNFRAC are
    read together, cell by cell;
  - global attributes Conventions, source, planet, scenario, co2_ppmv.

  Formats rotate over runs: NetCDF4 (HDF5, zlib), NetCDF3 classic, NetCDF3
  64-bit offset — the mix a real archive has.
* ``runs.csv`` — file, planet, scenario, label, organisms (the accessions of
  the organisms sample whose pathways are the run's biosphere;
  :func:`astrobuild.sample.community.runs_csv_text`).

Size knobs: ``scale`` multiplies the number of planets (via the universe), so
the number of cubes; ``time_steps`` (config ``sample.time_steps``, default
:data:`TIME_STEPS`, monthly means) is the length of every cube, whatever the
scale. The sample's size therefore grows linearly with either knob (not with
scale squared, as when the cube length followed the scale).
:func:`write_big_cube` writes one cube of a requested size for benchmarks.

Determinism: netCDF-C turns off HDF5's object time tracking, so a NetCDF4 file
holds no write time; the test suite writes the sample twice and compares
sha256 to keep it so.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import netCDF4
import numpy as np

from astrobuild.sample.community import runs_csv_text
from astrobuild.sample.files import RUNS_CSV, cube_file
from astrobuild.sample.observables import NLAT, NLON, lat_lon, ocean_fraction, surface_temperature
from astrobuild.sample.universe import Run, build_universe

FORMATS = ("NETCDF4", "NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET")
CALENDARS = ("noleap", "360_day")
NLEV = 4
LEVELS_HPA = (1000.0, 850.0, 500.0, 250.0)
PS_PACKING = (0.05, 100000.0 / 100.0)  # hPa: scale_factor, add_offset; int16 covers 1000 +- 1638 hPa
# W m-2: a negative scale_factor, as in some CESM/ExoCAM output; covers -710..1910 W m-2, so the
# hottest day side the sample makes (about 480 K) still fits
OLR_PACKING = (-0.04, 600.0)
INT16_FILL = np.int16(-32768)
TIME_STEPS = 12  # one year of monthly means per cube
FLOAT_FILL = np.float32(1.0e20)


def write(outdir: Path, scale: int = 1, seed: int = 0, time_steps: int = TIME_STEPS) -> list[Path]:
    if time_steps < 1:
        raise ValueError(f"sample.time_steps must be >= 1, got {time_steps}")
    universe = build_universe(scale, seed)
    written = []
    for index, run in enumerate(universe.runs):
        path = outdir / cube_file(run.run_name)
        rng = np.random.Generator(np.random.PCG64([seed, index, zlib.crc32(run.run_name.encode())]))
        write_cube(path, run, rng, ntime=time_steps, fmt=FORMATS[index % len(FORMATS)],
                   calendar=CALENDARS[index % len(CALENDARS)])
        written.append(path)
    runs_csv = outdir / RUNS_CSV
    runs_csv.write_text(runs_csv_text(universe), encoding="utf-8")
    written.append(runs_csv)
    return written


def _fields(run: Run, rng: np.random.Generator, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
            lev: np.ndarray) -> dict[str, np.ndarray]:
    """Smooth fields (as GCM output is) with a little noise, for time steps ``t``."""
    phi = np.deg2rad(lat)[None, :, None]
    season = np.cos(2 * np.pi * t / 12.0)[:, None, None]
    base = surface_temperature(run.surface_temp, run.pole_contrast, t, lat, lon)
    noise = rng.normal(0.0, 0.5, size=(t.size, lat.size, lon.size))
    ts = (base + noise).astype(np.float32)
    height = 7.0 * np.log(1000.0 / lev)[None, :, None, None]  # km, scale height 7 km
    temp = (ts[:, None] - 6.5 * height).astype(np.float32)
    q = (0.015 * np.exp(np.clip(temp - 300.0, -60.0, 20.0) / 15.0)).astype(np.float32)
    ps = (1000.0 + 8.0 * np.sin(2 * phi) * season + rng.normal(0.0, 1.0, size=ts.shape)).astype(np.float64)
    olr = (5.67e-8 * ts.astype(np.float64) ** 4 * 0.6)
    ocean = np.broadcast_to(ocean_fraction(run.ocean_centre, lat, lon).astype(np.float32), ts.shape)
    return {"TS": ts, "T": temp, "Q": q, "PS": ps, "OLR": olr, "OCNFRAC": ocean}


def _pack(values: np.ndarray, scale_factor: float, add_offset: float) -> np.ndarray:
    packed = np.round((values - add_offset) / scale_factor)
    return np.clip(packed, -32767, 32767).astype(np.int16)


def _grid(nlev: int, nlat: int, nlon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lev = np.asarray(LEVELS_HPA if nlev == len(LEVELS_HPA) else np.geomspace(1000.0, 10.0, nlev), dtype=np.float64)
    lat, lon = lat_lon(nlat, nlon)
    return lev, lat, lon


def write_cube(path: Path, run: Run, rng: np.random.Generator, ntime: int, fmt: str = "NETCDF4",
               calendar: str = "noleap", nlev: int = NLEV, nlat: int = NLAT, nlon: int = NLON,
               zlib_level: int | None = 1, time_block: int = 12) -> Path:
    """One run's CF cube; written ``time_block`` steps at a time so big cubes need little memory."""
    lev, lat, lon = _grid(nlev, nlat, nlon)
    nc4 = fmt == "NETCDF4"
    comp = {"zlib": True, "complevel": zlib_level, "shuffle": True} if nc4 and zlib_level else {}
    with netCDF4.Dataset(path, "w", format=fmt) as ds:
        ds.createDimension("time", None)
        ds.createDimension("lev", nlev)
        ds.createDimension("lat", nlat)
        ds.createDimension("lon", nlon)
        ds.setncatts({
            "Conventions": "CF-1.8",
            "title": f"astrobuild sample GCM run {run.run_name}",
            "source": "astrobuild sample generator (synthetic ExoCAM-like monthly means)",
            "planet": run.planet,
            "scenario": run.scenario,
            "co2_ppmv": np.float64(run.co2_ppmv),
        })
        tvar = ds.createVariable("time", "f8", ("time",))
        tvar.setncatts({"standard_name": "time", "long_name": "time", "units": "days since 2000-01-01 00:00:00",
                        "calendar": calendar, "axis": "T"})
        for name, values, attrs in (
            ("lev", lev, {"standard_name": "air_pressure", "long_name": "pressure level", "units": "hPa",
                          "axis": "Z", "positive": "down"}),
            ("lat", lat, {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north",
                          "axis": "Y"}),
            ("lon", lon, {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east",
                          "axis": "X"}),
        ):
            var = ds.createVariable(name, "f8", (name,))
            var.setncatts(attrs)
            var[:] = values
        ts = ds.createVariable("TS", "f4", ("time", "lat", "lon"), **comp)
        ts.setncatts({"standard_name": "surface_temperature", "long_name": "surface temperature", "units": "K"})
        temp = ds.createVariable("T", "f4", ("time", "lev", "lat", "lon"), **comp)
        temp.setncatts({"standard_name": "air_temperature", "long_name": "air temperature", "units": "K"})
        ocn = ds.createVariable("OCNFRAC", "f4", ("time", "lat", "lon"), **comp)
        ocn.setncatts({"standard_name": "sea_area_fraction", "long_name": "fraction of surface area covered by ocean",
                       "units": "1"})
        q = ds.createVariable("Q", "f4", ("time", "lev", "lat", "lon"), fill_value=FLOAT_FILL, **comp)
        q.setncatts({"standard_name": "specific_humidity", "long_name": "specific humidity", "units": "kg kg-1"})
        ps = ds.createVariable("PS", "i2", ("time", "lat", "lon"), fill_value=INT16_FILL, **comp)
        ps.setncatts({"standard_name": "surface_air_pressure", "long_name": "surface pressure", "units": "hPa",
                      "scale_factor": np.float32(PS_PACKING[0]), "add_offset": np.float32(PS_PACKING[1])})
        olr = ds.createVariable("OLR", "i2", ("time", "lat", "lon"), fill_value=INT16_FILL, **comp)
        olr.setncatts({"standard_name": "toa_outgoing_longwave_flux", "long_name": "outgoing longwave radiation",
                       "units": "W m-2", "scale_factor": np.float32(OLR_PACKING[0]),
                       "add_offset": np.float32(OLR_PACKING[1])})
        # Packed and fill values are written as computed here, byte for byte (per variable: the
        # Dataset-level switch only reaches variables that already exist).
        for var in ds.variables.values():
            var.set_auto_maskandscale(False)
        days = 360.0 if calendar == "360_day" else 365.0
        for start in range(0, ntime, time_block):
            t = np.arange(start, min(ntime, start + time_block), dtype=np.float64)
            fields = _fields(run, rng, t, lat, lon, lev)
            step = slice(start, start + t.size)
            tvar[step] = t * days / 12.0 + days / 24.0
            ts[step] = fields["TS"]
            temp[step] = fields["T"]
            ocn[step] = fields["OCNFRAC"]
            qv = fields["Q"]
            qv[:, -1, :2, :3] = FLOAT_FILL  # a patch missing at the top level, as after vertical interpolation
            q[step] = qv
            psv = _pack(fields["PS"], *PS_PACKING)
            psv[:, 0, :4] = INT16_FILL  # fill points over a polar cap
            ps[step] = psv
            olr[step] = _pack(fields["OLR"], *OLR_PACKING)
    return path


def write_big_cube(path: Path, nbytes: int, seed: int = 0, nlev: int = 30, nlat: int = 96, nlon: int = 144,
                   zlib_level: int | None = None) -> Path:
    """One NetCDF4 cube of at least ``nbytes`` (uncompressed by default, as GCM output often is), for benchmarks.

    The grid is fixed (ExoCAM-like 30 levels, 96 x 144); time grows to reach the size.
    """
    run = build_universe(1, seed).runs[0]
    per_step = 4 * nlat * nlon * (2 * nlev + 2) + 2 * 2 * nlat * nlon  # T, Q; TS, OCNFRAC; PS, OLR
    ntime = max(1, -(-int(nbytes) // per_step))
    rng = np.random.Generator(np.random.PCG64(seed))
    return write_cube(path, run, rng, ntime=ntime, fmt="NETCDF4", nlev=nlev, nlat=nlat, nlon=nlon,
                      zlib_level=zlib_level, time_block=4)
