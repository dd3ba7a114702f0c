"""Climate chain: sample cubes, NetCDF -> Zarr conversion (messy files included), store contract, runs table."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import netCDF4
import numpy as np
import pyarrow as pa
import pytest
import xarray as xr
import zarr

from astrobuild.climate.check import StoreContractError, check_store
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.climate.pipeline import validate_store
from astrobuild.climate.reader import StepReader
from astrobuild.climate.runs import climate_runs_frame
from astrobuild.climate.shardio import ShardIO
from astrobuild.climate.shards import verify_store_checksums
from astrobuild.climate.source import read_header
from astrobuild.climate.stems import find_cubes, safe_stem
from astrobuild.climate.store import chunk_plan, open_store
from astrobuild.climate.verify import VerificationError, verify_store
from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.quarantine import Quarantine
from astrobuild.sample import generate
from astrobuild.sample.climate import write_big_cube
from astrobuild.sample.universe import build_universe
from tests.climate_options import zarr_options
from tests.workflow import write_files

MIB = 1024 * 1024


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _netcdf_decoded(path: Path, name: str) -> np.ndarray:
    """Decoded values straight from netCDF4 (masked -> NaN), independent of xarray."""
    with netCDF4.Dataset(path) as nc:
        values = nc[name][:]
    if np.ma.isMaskedArray(values):
        return values.astype(values.dtype if values.dtype.kind == "f" else np.float64).filled(np.nan)
    return np.asarray(values)


# --- the sample -------------------------------------------------------------------------------


def test_sample_is_one_cube_per_run_in_mixed_formats(climate_sample):
    universe = build_universe(1, 0)
    cubes = sorted(climate_sample.glob("*.nc"))
    assert [p.stem for p in cubes] == sorted(r.run_name for r in universe.runs)
    formats = set()
    for run in universe.runs:
        with netCDF4.Dataset(climate_sample / f"{run.run_name}.nc") as nc:
            formats.add(nc.file_format)
            assert nc.planet == run.planet and nc.scenario == run.scenario and nc.co2_ppmv == run.co2_ppmv
            assert nc["time"].calendar in ("noleap", "360_day") and nc["lev"].positive == "down"
            assert nc["OLR"].scale_factor < 0 and nc["PS"].dtype == np.int16 and "_FillValue" in nc["PS"].ncattrs()
            weights = np.cos(np.deg2rad(nc["lat"][:]))[:, None] * np.ones(len(nc["lon"]))
            ts = np.asarray(nc["TS"][:])
            ts_mean = float((ts.mean(axis=0) * weights).sum() / weights.sum())
            ocean = np.asarray(nc["OCNFRAC"][:])
            liquid = (((ts > 273.15) & (ts < 373.15)) * ocean).mean(axis=0)
            habitable = float((liquid * weights).sum() / weights.sum())
        assert abs(ts_mean - run.surface_temp) < 0.5, run.run_name
        # the cube carries the label's climate condition: its share of liquid ocean
        assert abs(habitable - run.habitable_fraction) < 0.03, run.run_name
    assert formats == {"NETCDF4", "NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET"}
    rows = (climate_sample / "runs.csv").read_text().splitlines()
    assert rows[0] == "file,planet,scenario,label,organisms,co2_ppm,instellation_earth,habitable_fraction,habitability" and len(rows) == 1 + len(universe.runs)
    assert sum(p.stat().st_size for p in cubes) < 5 * MIB


def test_sample_bytes_are_deterministic(climate_sample, tmp_path):
    generate("climate", tmp_path / "again", scale=1, seed=0)
    assert _digests(tmp_path / "again") == _digests(climate_sample)
    generate("climate", tmp_path / "other", scale=1, seed=1)
    assert _digests(tmp_path / "other") != _digests(climate_sample)


def test_big_cube_reaches_its_size(tmp_path):
    path = write_big_cube(tmp_path / "big.nc", 5 * MIB, nlev=4, nlat=16, nlon=32)
    assert path.stat().st_size >= 5 * MIB
    with netCDF4.Dataset(path) as nc:
        assert nc.file_format == "NETCDF4" and not nc["T"].filters().get("zlib")


# --- conversion --------------------------------------------------------------------------------


def test_every_sample_cube_round_trips_exactly(climate_sample, tmp_path):
    for cube in sorted(climate_sample.glob("*.nc")):
        store = tmp_path / f"{cube.stem}.zarr"
        report = nc_to_zarr(cube, store, zarr_options())
        assert report["verified_variables"] == ["OCNFRAC", "OLR", "PS", "Q", "T", "TS", "lat", "lev", "lon", "time"]
        assert report["packing"] == {"OLR": "decoded", "PS": "decoded"}  # float32 factors: decoded on purpose
        with open_store(store) as ds:
            assert ds.attrs["planet"] and json.loads(ds.attrs["astrobuild_packing"])["OLR"] == "decoded"
            assert ds["time"].attrs["calendar"] in ("noleap", "360_day") and ds["time"].attrs["units"].startswith(
                "days since")
            assert ds["OLR"].attrs["astrobuild_source_scale_factor"] < 0
            for name in ("TS", "T", "Q", "PS", "OLR"):
                expected = _netcdf_decoded(cube, name)
                got = ds[name].values
                assert np.array_equal(got.astype(np.float64), expected.astype(np.float64), equal_nan=True), name
            assert np.isnan(ds["Q"].values).any() and np.isnan(ds["PS"].values).any()  # fills became NaN
        assert not list(tmp_path.glob(".*.tmp"))  # atomic: no temp dir left
        assert verify_store_checksums(store) == []  # every chunk carries its crc32c


def test_store_layout_is_sharded_by_time(climate_sample, tmp_path):
    cube = sorted(climate_sample.glob("*.nc"))[0]
    nc_to_zarr(cube, tmp_path / "s.zarr", zarr_options(shard_mb=0.02))  # tiny shards: several per variable
    arr = zarr.open_array(tmp_path / "s.zarr" / "T")
    assert arr.chunks == (1, 4, 16, 32) and arr.shards[0] > 1 and arr.shards[1:] == (4, 16, 32)
    codec = arr.metadata.codecs[0].codecs[1]
    assert codec.cname.value == "zstd" and codec.shuffle.value == "bitshuffle"
    assert len(list((tmp_path / "s.zarr" / "T" / "c").iterdir())) == math.ceil(12 / arr.shards[0])


def test_chunk_plan_one_step_per_chunk_and_few_shards():
    opts = zarr_options()
    chunks, shards = chunk_plan(("time", "lev", "lat", "lon"), (1000, 30, 96, 144), 4, "time", opts)
    step = 30 * 96 * 144 * 4
    assert chunks == (1, 30, 96, 144)
    assert shards[1:] == (30, 96, 144) and shards[0] * step <= 128 * MIB < (shards[0] + 1) * step
    # Time need not be the first dimension, nor the longest: it is found by name.
    assert chunk_plan(("lat", "time"), (8, 8), 8, "time", opts) == ((8, 1), (8, 8))
    assert chunk_plan((), (), 8, "time", opts) == (None, None)
    assert chunk_plan(("x",), (10,), 4, None, opts) == ((10,), None)


def test_store_bytes_are_deterministic(climate_sample, tmp_path):
    cube = sorted(climate_sample.glob("*.nc"))[1]
    nc_to_zarr(cube, tmp_path / "a.zarr", zarr_options())
    nc_to_zarr(cube, tmp_path / "b.zarr", zarr_options())
    assert _digests(tmp_path / "a.zarr") == _digests(tmp_path / "b.zarr")


def test_dask_path_gives_the_same_store(climate_sample, tmp_path):
    cube = sorted(climate_sample.glob("*.nc"))[2]
    eager = nc_to_zarr(cube, tmp_path / "eager.zarr", zarr_options(shard_mb=0.05))
    lazy = nc_to_zarr(cube, tmp_path / "lazy.zarr", zarr_options(shard_mb=0.05, dask_threshold_mb=0))
    assert not eager["dask"] and lazy["dask"]
    assert _digests(tmp_path / "eager.zarr") == _digests(tmp_path / "lazy.zarr")


def test_verification_catches_a_tampered_store(climate_sample, tmp_path):
    cube = sorted(climate_sample.glob("*.nc"))[0]
    store = tmp_path / "t.zarr"
    nc_to_zarr(cube, store, zarr_options())
    arr = zarr.open_array(store / "T", mode="r+")
    arr[3, 1, 2, 3] = arr[3, 1, 2, 3] + 1.0
    with pytest.raises(VerificationError, match=r"variable 'T': decoded values differ .*first at index \(3, 1, 2, 3\)"):
        verify_store(cube, store)
    arr[3, 1, 2, 3] = arr[3, 1, 2, 3] - 1.0
    verify_store(cube, store)
    group = zarr.open_group(store, mode="r+")
    group["TS"].attrs["units"] = "degC"
    with pytest.raises(VerificationError, match=r"variable 'TS': attributes differ: units: 'K' != 'degC'"):
        verify_store(cube, store)


# --- messy files ------------------------------------------------------------------------------


def _messy(path: Path) -> Path:
    """xc/yc coordinates with swapped units/long_name, lat and lon of equal length, time not unlimited,
    a NaN missing_value on an int variable, float64 packing with a negative scale factor."""
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", 5)
        nc.createDimension("lat", 6)
        nc.createDimension("lon", 6)
        t = nc.createVariable("time", "f4", ("time",))
        t.setncatts({"units": "days since 0001-01-01 00:00:00", "calendar": "noleap", "long_name": "time"})
        t[:] = np.arange(5) * 30.0
        xc = nc.createVariable("xc", "f4", ("lon",))
        xc.setncatts({"long_name": "degrees east", "units": "longitude of grid cell center"})
        xc[:] = np.arange(6) * 60.0
        yc = nc.createVariable("yc", "f4", ("lat",))
        yc.setncatts({"long_name": "degrees north", "units": "latitude of grid cell center"})
        yc[:] = np.linspace(-75, 75, 6)
        sst = nc.createVariable("sst", "f4", ("time", "lat", "lon"), fill_value=np.float32(-999.0))
        sst.units = "degC"
        values = np.random.default_rng(0).normal(15, 5, (5, 6, 6)).astype(np.float32)
        values[0, 0, :] = -999.0
        sst[:] = values
        count = nc.createVariable("count", "i4", ("time", "lat", "lon"))
        count.setncattr("missing_value", np.float32(np.nan))
        count[:] = np.arange(180, dtype=np.int32).reshape(5, 6, 6)
        olr = nc.createVariable("olr", "i2", ("time", "lat", "lon"), fill_value=np.int16(32767))
        olr.setncatts({"scale_factor": np.float64(-0.25), "add_offset": np.float64(240.0), "units": "W m-2"})
        olr.set_auto_maskandscale(False)  # write the packed integers themselves
        packed = np.arange(180, dtype=np.int16).reshape(5, 6, 6)
        packed[1, 1, 1] = 32767
        olr[:] = packed
    return path


def test_messy_file_is_converted_and_warned_about(tmp_path, caplog):
    src = _messy(tmp_path / "messy.nc")
    info = read_header(src)
    assert info.time_dim == "time" and info.unlimited == []
    assert sorted(info.promoted) == ["xc", "yc"] and info.unmasked == ["count"]
    assert sum("look swapped" in w for w in info.warnings) == 2
    report = nc_to_zarr(src, tmp_path / "messy.zarr", zarr_options())
    assert "look swapped" in caplog.text and "cannot apply to an integer variable" in caplog.text
    assert report["packing"] == {"olr": "kept"}  # float64 factors decode identically from JSON attributes
    with open_store(tmp_path / "messy.zarr") as ds:
        assert set(ds.coords) >= {"xc", "yc"} and ds["xc"].dims == ("lon",)
        assert ds["xc"].attrs["units"] == "longitude of grid cell center"  # metadata kept as it was
        assert ds["count"].dtype == np.int32 and np.isnan(ds["count"].attrs["missing_value"])
        assert ds["olr"].encoding["dtype"] == np.int16 and ds["olr"].encoding["scale_factor"] == -0.25
        olr = ds["olr"].values
        assert np.isnan(olr[1, 1, 1]) and olr[0, 0, 2] == 240.0 - 0.25 * 2
        assert np.isnan(ds["sst"].values[0, 0]).all()
    chunks = zarr.open_array(tmp_path / "messy.zarr" / "sst").chunks
    assert chunks == (1, 6, 6)  # chunked along time, found by its units, not by its length
    assert check_store(tmp_path / "messy.zarr", src)["valid"]


def test_file_without_attributes_or_coordinates(tmp_path, caplog):
    src = tmp_path / "bare.nc"
    with netCDF4.Dataset(src, "w", format="NETCDF3_CLASSIC") as nc:
        nc.createDimension("a", 4)
        nc.createDimension("b", 4)
        nc.createVariable("v", "f8", ("a", "b"))[:] = np.eye(4)
        nc.createVariable("w", "i2", ("b",))[:] = np.arange(4)
    report = nc_to_zarr(src, tmp_path / "bare.zarr", zarr_options())
    assert report["time_dim"] is None and "no attributes at all" in caplog.text
    with open_store(tmp_path / "bare.zarr") as ds:
        assert np.array_equal(ds["v"].values, np.eye(4)) and ds["w"].dtype == np.int16
    checked = check_store(tmp_path / "bare.zarr", src)
    assert checked["valid"] and not any(c["name"].startswith("units:") for c in checked["checks"])


# --- store contract ---------------------------------------------------------------------------


def test_store_contract_report_and_failure(climate_sample, tmp_path):
    cube = sorted(climate_sample.glob("*.nc"))[0]
    store = tmp_path / "c.zarr"
    nc_to_zarr(cube, store, zarr_options())
    out = tmp_path / "climate_c.json"
    report = validate_store(str(store), str(cube), str(out))
    saved = json.loads(out.read_text())
    assert saved == report and saved["valid"] and saved["source"] == str(cube)
    assert saved["dims"] == {"lat": 16, "lev": 4, "lon": 32, "time": 12}
    assert saved["variables"]["T"] == {"dtype": "float32", "stored_dtype": "float32", "units": "K",
                                       "dims": ["time", "lev", "lat", "lon"], "nan_fraction": 0.0, "packing": None}
    assert 0 < saved["variables"]["Q"]["nan_fraction"] < 0.1
    assert {c["name"] for c in saved["checks"]} >= {"opens", "dims:time", "dtype:PS", "units:TS", "not_all_nan:Q"}
    with zarr.config.set({"array.write_empty_chunks": True}):  # every chunk written, as nc_to_zarr does
        zarr.open_array(store / "Q", mode="r+")[:] = np.nan
    with pytest.raises(StoreContractError, match=rf"store {store}: check not_all_nan:Q failed"):
        validate_store(str(store), str(cube), str(out))
    assert json.loads(out.read_text())["valid"] is False


def test_step_reader_matches_xarray(climate_sample, tmp_path):
    cube = sorted(climate_sample.glob("*.nc"))[0]
    nc_to_zarr(cube, tmp_path / "r.zarr", zarr_options(shard_mb=0.05))
    nc_to_zarr(cube, tmp_path / "r2.zarr", zarr_options(time_steps_per_chunk=2))  # not the fast layout
    for store in ("r.zarr", "r2.zarr"):
        reader = StepReader(tmp_path / store)
        with open_store(tmp_path / store) as ds:
            for name in ("TS", "T", "Q", "PS", "OLR"):
                for t in (0, 7, 11):
                    got, want = reader.read(name, t), ds[name].isel(time=t).values
                    assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True), (store, name, t)
                block, want = reader.read_block(name, 3, 11), ds[name].isel(time=slice(3, 11)).values
                assert block.dtype == want.dtype and np.array_equal(block, want, equal_nan=True), (store, name)
        assert (reader._get("T") is not None) == (store == "r.zarr")


# --- real files -------------------------------------------------------------------------------


def test_real_exocam_forcing_file(realdata, tmp_path):
    src = realdata / "climate" / "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc"
    report = nc_to_zarr(src, tmp_path / "pop.zarr", zarr_options())
    assert report["format"] == "NETCDF3_CLASSIC" and report["promoted_coordinates"] == ["xc", "yc"]
    assert report["time_dim"] == "time" and report["compression_ratio"] > 2
    with open_store(tmp_path / "pop.zarr") as ds, xr.open_dataset(src, decode_times=False) as raw:
        assert ds["time"].attrs["calendar"] == "noleap" and ds.sizes == {"time": 12, "lat": 46, "lon": 72}
        for name in raw.data_vars:
            assert np.array_equal(ds[name].values, raw[name].values, equal_nan=True), name
    checked = check_store(tmp_path / "pop.zarr", src)
    assert checked["valid"] and checked["variables"]["T"]["units"] == "degC"


def test_real_tiny_file(realdata, tmp_path):
    src = realdata / "climate" / "tiny.nc"
    report = nc_to_zarr(src, tmp_path / "tiny.zarr", zarr_options())
    assert report["time_dim"] is None and report["warnings"]
    with open_store(tmp_path / "tiny.zarr") as ds:
        assert ds["tiny"].dtype == np.int32 and list(ds["tiny"].values) == list(_netcdf_decoded(src, "tiny"))
    assert check_store(tmp_path / "tiny.zarr", src)["valid"]


# --- stems and the runs table ----------------------------------------------------------------


def test_stems_are_safe_and_unique(tmp_path):
    write_files(dict.fromkeys(("a b.nc", "sub/a b.nc", "a_b.nc4", "x.cdf", "notes.txt", ".hidden.nc"), ""), tmp_path)
    cubes = find_cubes(tmp_path)
    assert sorted(cubes) == ["a_b", "a_b-2", "a_b-3", "x"]
    assert cubes["a_b"].endswith("a b.nc") and cubes["a_b-2"].endswith("a_b.nc4")
    assert safe_stem("../../etc/passwd.nc") == "passwd"


def _cube_folder(climate_sample: Path, tmp_path: Path, n: int) -> tuple[Path, list[str]]:
    """A folder ``cubes`` holding the first ``n`` sample cubes, and their file names."""
    root = tmp_path / "cubes"
    root.mkdir()
    for cube in sorted(climate_sample.glob("*.nc"))[:n]:
        (root / cube.name).write_bytes(cube.read_bytes())
    return root, sorted(p.name for p in root.glob("*.nc"))


def test_runs_table_with_quarantine(climate_sample, tmp_path):
    root, names = _cube_folder(climate_sample, tmp_path, 3)
    (root / "runs.csv").write_text(
        "file,planet,scenario,label\n"
        f"{names[0]},ASB-0001 b,high_co2,1\n"
        f"{names[1]},ASB-0001 b,present_day,maybe\n"
        "missing.nc,ASB-0009 b,snowball,0\n"
        "../escape.nc,ASB-0009 b,snowball,0\n"
        "short.nc,ASB-0009 b\n"
        f"{names[0]},ASB-0001 b,high_co2,1\n", encoding="utf-8")
    (tmp_path / "escape.nc").write_bytes(b"")
    cubes = find_cubes(root)
    stores = {s: f"data/processed/climate/{s}.zarr" for s in cubes}
    quarantine = Quarantine()
    frame, report = climate_runs_frame(cubes, stores, [root], quarantine)
    assert list(frame["file"]) == names and frame["stem"].is_unique
    assert frame.loc[0, "planet"] == "ASB-0001 b" and bool(frame.loc[0, "label"]) is True
    assert frame["planet"].isna().sum() == 2 and frame["label"].isna().sum() == 2
    assert report["cubes_without_run"] == 2 and report["cubes_with_run"] == 1
    reasons = {r.line: r.reason for r in quarantine.records}
    assert reasons == {3: "label 'maybe' is not 0/1/true/false", 4: "no such cube file",
                       5: "file path escapes the folder of runs.csv", 6: "2 fields, header has 4",
                       7: "file listed twice (first row kept)"}
    assert frame.loc[0, "source_sha256"] == hashlib.sha256((root / names[0]).read_bytes()).hexdigest()
    CONTRACTS["climate_runs"].validate(frame)


def test_runs_csv_targets_are_carried_typed(climate_sample, tmp_path):
    """Extra runs.csv columns ride along: numbers as float64, class names as strings, empty as null;
    a cell that breaks a numeric column is quarantined naming file, line and column."""
    root, names = _cube_folder(climate_sample, tmp_path, 4)
    (root / "runs.csv").write_text(
        "file,planet,scenario,label,fraction,kind\n"
        f"{names[0]},P b,a,1,0.25,habitable\n"
        f"{names[1]},P b,b,0,1e-1,uninhabitable\n"
        f"{names[2]},P b,c,,,\n"
        f"{names[3]},P b,d,0,lots,habitable\n", encoding="utf-8")
    cubes = find_cubes(root)
    stores = {s: f"data/processed/climate/{s}.zarr" for s in cubes}
    quarantine = Quarantine()
    frame, report = climate_runs_frame(cubes, stores, [root], quarantine)
    assert list(frame.columns[-2:]) == ["fraction", "kind"] and frame["fraction"].dtype == "float64"
    assert frame["fraction"].tolist()[:2] == [0.25, 0.1] and np.isnan(frame["fraction"].tolist()[2:]).all()
    assert frame["kind"].fillna("-").tolist() == ["habitable", "uninhabitable", "-", "-"]
    assert report["extra_columns"] == {"fraction": "float64", "kind": "string"}
    [record] = quarantine.records
    assert (Path(record.file).name, record.line) == ("runs.csv", 5)
    assert record.reason == "column 'fraction': 'lots' is not a finite number (the column's other values are)"
    CONTRACTS["climate_runs"].validate(frame)
    from astrobuild.climate.runs import runs_schema

    assert runs_schema(frame).field("fraction").type == pa.float64()


def test_runs_csv_column_shadowing_the_registry_is_refused(tmp_path):
    (tmp_path / "runs.csv").write_text("file,planet,scenario,run_id\n", encoding="utf-8")
    quarantine = Quarantine()
    from astrobuild.climate.runs import read_runs_csv

    assert read_runs_csv(tmp_path / "runs.csv", quarantine) == {}
    assert "['run_id'] would shadow the registry's own" in quarantine.records[0].reason


def test_runs_table_without_runs_csv(climate_sample):
    cubes = {p.stem: str(p) for p in sorted(climate_sample.glob("*.nc"))[:2]}
    stores = {s: f"data/processed/climate/{s}.zarr" for s in cubes}
    frame, report = climate_runs_frame(cubes, stores, [], Quarantine())
    assert report["cubes_without_run"] == 2 and frame["planet"].isna().all()
    CONTRACTS["climate_runs"].validate(frame)


@pytest.mark.parametrize(("name", "stage", "block"), [("T", "written as read", "0:4"), ("PS", "xarray encoding", "0:12")])
def test_streamed_write_verifies_each_block(climate_sample, tmp_path, monkeypatch, name, stage, block):
    """A writer bug (one value of the first block off by one) is caught on both ways to a shard file:
    a float variable in the source's own encoding is written as read (T), a packed one goes through
    xarray's encoding (PS)."""
    from astrobuild.climate import convert

    cube = sorted(climate_sample.glob("*.nc"))[0]
    if stage == "xarray encoding":
        real_encode = convert.encode_zarr_variable

        def faulty(var, name=None):
            encoded = real_encode(var, name=name)
            if name == "PS" and not faulty.done:
                encoded = encoded.copy(deep=True)
                encoded.values.reshape(-1)[np.flatnonzero(np.isfinite(encoded.values))[0]] += 1.0
                faulty.done = True
            return encoded

        faulty.done = False
        monkeypatch.setattr(convert, "encode_zarr_variable", faulty)
    else:
        real_write = ShardIO.write

        def faulty_write(self, region, values):
            if self.layout.name == "T" and region.start == 0:
                values = values.copy()
                values[1, 0, 0, 0] += 1.0
            return real_write(self, region, values)

        monkeypatch.setattr(ShardIO, "write", faulty_write)
    opts = zarr_options(dask_threshold_mb=0, shard_mb=4 * 4 * 16 * 32 * 4 / MIB)  # shards of 4 time steps of T
    with pytest.raises(VerificationError, match=rf"variable '{name}': decoded values differ \(time\[{block}\]: 1 value"):
        nc_to_zarr(cube, tmp_path / "bad.zarr", opts)
    assert not (tmp_path / "bad.zarr").exists() and not list(tmp_path.glob(".*"))  # nothing half-written left


def test_other_valid_netcdf_shapes_do_not_crash(tmp_path):
    """Char arrays, variable-length strings, scalars, an empty unlimited dimension no variable uses, groups.
    (A variable on an empty dimension holds no values: refused, see test_climate_small_stores.py.)"""
    path = tmp_path / "odd.nc"
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", None)
        nc.createDimension("n", 3)
        nc.createDimension("s", 4)
        nc.createVariable("names", "S1", ("n", "s"))[:] = netCDF4.stringtochar(np.array(["ab", "cde", "f"], "S4"))
        labels = nc.createVariable("labels", str, ("n",))
        for i, text in enumerate(("x", "yy", "zzz")):
            labels[i] = text
        nc.createVariable("c", "f8", ())[...] = 3.5
        nc.createGroup("sub").createVariable("b", "f4", ())
    report = nc_to_zarr(path, tmp_path / "odd.zarr", zarr_options())
    assert any("groups ['sub'] are not converted" in w for w in report["warnings"])
    with open_store(tmp_path / "odd.zarr") as ds:
        assert list(ds["names"].values) == [b"ab", b"cde", b"f"] and list(ds["labels"].values) == ["x", "yy", "zzz"]
        assert float(ds["c"]) == 3.5 and "time" not in ds.dims
    assert check_store(tmp_path / "odd.zarr", path)["valid"]
    assert verify_store_checksums(tmp_path / "odd.zarr") == []  # text and scalars carry a crc32c too


@pytest.mark.parametrize("threshold", [0, 1e9], ids=["streamed", "in-memory"])
def test_flipped_byte_in_a_shard_file_is_caught(climate_sample, tmp_path, monkeypatch, threshold):
    cube = sorted(climate_sample.glob("*.nc"))[0]
    real_check_back = ShardIO.check_back
    flipped = []

    def corrupt_then_read(self, region, source):  # the disk (or a writer bug) changes one byte of T's first shard
        if self.layout.path.name == "T" and not flipped:
            path = self._key(region.start)
            data = bytearray(path.read_bytes())
            data[len(data) // 3] ^= 0x10
            path.write_bytes(bytes(data))
            flipped.append(path)
        return real_check_back(self, region, source)

    monkeypatch.setattr(ShardIO, "check_back", corrupt_then_read)
    store = tmp_path / "flip.zarr"
    opts = zarr_options(dask_threshold_mb=threshold, shard_mb=4 * 4 * 16 * 32 * 4 / MIB)
    with pytest.raises(VerificationError, match=r"(?s)flip\.zarr.*variable 'T': (decoded values differ|shard)"):
        nc_to_zarr(cube, store, opts)
    assert flipped and not store.exists() and not list(tmp_path.glob(".*"))
