"""Climate chain integrity: truncated sources refused, chunk checksums on every read, NaN fills on
packed integers, the sample's size knobs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr
import zarr

from astrobuild.climate import filesize
from astrobuild.climate.check import check_store
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.climate.filesize import TruncatedFileError, check_file_size
from astrobuild.climate.reader import StepReader
from astrobuild.climate.shards import ChunkChecksumError, verify_store_checksums
from astrobuild.climate.source import read_header
from astrobuild.climate.store import open_store
from astrobuild.climate.verify import verify_store
from astrobuild.sample import generate
from astrobuild.sample.universe import build_universe
from tests.climate_options import zarr_options

MIB = 1024 * 1024


def _cut(src: Path, dest: Path, nbytes: int) -> Path:
    """``head -c nbytes src > dest``, as a user's interrupted copy would leave it."""
    with open(dest, "wb") as out:
        subprocess.run(["head", "-c", str(nbytes), str(src)], stdout=out, check=True)
    return dest


def _cube_of_format(climate_sample: Path, fmt: str) -> Path:
    for cube in sorted(climate_sample.glob("*.nc")):
        with netCDF4.Dataset(cube) as nc:
            if nc.file_format == fmt:
                return cube
    raise AssertionError(fmt)


# --- truncated sources ------------------------------------------------------------------------


def test_real_netcdf3_cut_in_half_is_refused_naming_sizes(realdata, tmp_path):
    src = realdata / "climate" / "pop_frc.4x5d.090130_aquaplanet_0OHT_Earth.nc"
    size = src.stat().st_size
    cut = _cut(src, tmp_path / "cut.nc", size // 2)
    with pytest.raises(TruncatedFileError, match=rf"{cut}: truncated NetCDF3 file: its header implies at least "
                                                 rf"{size} bytes, the file has {size // 2}"):
        nc_to_zarr(cut, tmp_path / "cut.zarr", zarr_options())
    assert not (tmp_path / "cut.zarr").exists() and not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(TruncatedFileError, match="1 missing"):  # one byte short is short
        read_header(_cut(src, tmp_path / "cut1.nc", size - 1))
    with pytest.raises(TruncatedFileError, match="inside its own header"):
        read_header(_cut(src, tmp_path / "cut2.nc", 200))
    check_file_size(src)  # the whole file passes


@pytest.mark.parametrize("fmt", ["NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET"])
def test_generated_netcdf3_with_records_cut_is_refused(climate_sample, tmp_path, fmt):
    cube = _cube_of_format(climate_sample, fmt)  # time is the record dimension: 12 records of 5 variables
    size = cube.stat().st_size
    check_file_size(cube)
    for keep in (size - 2000, size - 1):
        with pytest.raises(TruncatedFileError, match=rf"the file has {keep} "):
            nc_to_zarr(_cut(cube, tmp_path / f"{keep}.nc", keep), tmp_path / f"{keep}.zarr", zarr_options())


def _records_file(path: Path, fmt: str, nrec: int = 4) -> Path:
    with netCDF4.Dataset(path, "w", format=fmt) as nc:
        nc.createDimension("t", None)
        nc.createDimension("x", 3)
        nc.setncattr("title", "odd-length title")
        nc.createVariable("fixed", "f8", ("x",))[:] = 50.0
        rec = nc.createVariable("b", "i1", ("t", "x"))  # 3 bytes per record: padded unless alone
        rec[:nrec] = np.arange(3 * nrec, dtype=np.int8).reshape(nrec, 3)
        nc.createVariable("s", "i2", ("t",))[:nrec] = np.arange(nrec, dtype=np.int16)
    return path


@pytest.mark.parametrize("fmt", ["NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET", "NETCDF3_64BIT_DATA"])
def test_header_sizes_match_files_of_every_netcdf3_format(tmp_path, fmt):
    whole = _records_file(tmp_path / "whole.nc", fmt)
    needed, actual = filesize.expected_size(whole)
    assert needed <= actual and actual - needed < 4  # at most the padding of the last record's last slab
    cut = _cut(whole, tmp_path / "cut.nc", needed - 1)
    with pytest.raises(TruncatedFileError, match=rf"{cut}: truncated NetCDF3 file"):
        check_file_size(cut)


def test_streaming_record_count_is_taken_from_the_size(tmp_path):
    whole = _records_file(tmp_path / "whole.nc", "NETCDF3_CLASSIC")
    data = bytearray(whole.read_bytes())
    data[4:8] = b"\xff\xff\xff\xff"  # numrecs = STREAMING: as many records as the file holds
    streaming = tmp_path / "streaming.nc"
    streaming.write_bytes(bytes(data))
    check_file_size(streaming)
    layout = filesize.read_layout(streaming)
    assert layout.numrecs is None and layout.recsize == 8  # 3 bytes padded to 4, then 2 padded to 4
    with pytest.raises(TruncatedFileError, match="truncated NetCDF3 file"):  # a last record cut in two
        check_file_size(_cut(streaming, tmp_path / "cut.nc", len(data) - 5))


def test_truncated_netcdf4_file_is_refused(climate_sample, tmp_path, monkeypatch):
    cube = _cube_of_format(climate_sample, "NETCDF4")
    size = cube.stat().st_size
    cut = _cut(cube, tmp_path / "cut4.nc", size // 2)
    with pytest.raises(TruncatedFileError, match=rf"{cut}: truncated NetCDF4/HDF5 file: .* at least {size} bytes, "
                                                 rf"the file has {size // 2}"):
        nc_to_zarr(cut, tmp_path / "cut4.zarr", zarr_options())
    # Without our superblock check, the HDF5 library refuses the file too, naming it.
    monkeypatch.setattr(filesize, "hdf5_expected_size", lambda path: None)
    with pytest.raises(OSError, match=str(cut)):
        nc_to_zarr(cut, tmp_path / "cut4.zarr", zarr_options())


# --- chunk checksums --------------------------------------------------------------------------


def _flip_in_chunk(store: Path, name: str, shard_key: str, slot: int, slots: int) -> None:
    """Flip one byte in the middle of inner chunk ``slot`` of a shard file (not in its index)."""
    path = store / name / shard_key
    data = bytearray(path.read_bytes())
    index = np.frombuffer(bytes(data[-(16 * slots + 4):-4]), dtype="<u8").reshape(-1, 2)
    offset, nbytes = (int(v) for v in index[slot])
    data[offset + nbytes // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def built(climate_sample, tmp_path) -> tuple[Path, Path]:
    cube = _cube_of_format(climate_sample, "NETCDF4")
    store = tmp_path / "store.zarr"
    nc_to_zarr(cube, store, zarr_options(shard_mb=4 * 4 * 16 * 32 * 4 / MIB))  # T: 3 shards of 4 steps
    return cube, store


def test_stores_declare_crc32c_and_zarr_python_reads_them(built):
    cube, store = built
    assert verify_store_checksums(store) == []
    meta = json.loads((store / "T" / "zarr.json").read_text())
    inner = meta["codecs"][0]["configuration"]["codecs"]
    assert [c["name"] for c in inner] == ["bytes", "blosc", "crc32c"]
    for name in ("lat", "lev"):  # unsharded arrays end with the checksum too
        assert json.loads((store / name / "zarr.json").read_text())["codecs"][-1]["name"] == "crc32c"
    reader = StepReader(store)
    with xr.open_zarr(store, zarr_format=3, consolidated=False, decode_times=False) as plain_xr, \
            xr.open_dataset(cube, decode_times=False) as source:
        for name in ("T", "TS", "Q", "PS", "OLR"):
            assert np.array_equal(plain_xr[name].values, source[name].values, equal_nan=True), name
            assert np.array_equal(reader.read(name, 5), source[name].values[5], equal_nan=True), name
    assert np.array_equal(zarr.open_array(store / "T", mode="r")[:], plain_xr["T"].values)


def test_flipped_byte_in_a_chunk_is_caught_by_every_reader(built):
    cube, store = built
    _flip_in_chunk(store, "T", "c/1/0/0/0", slot=2, slots=4)  # T's chunk of time step 6
    chunk = rf"store {store}: variable 'T': chunk \(6, 0, 0, 0\) in file T/c/1/0/0/0: crc32c mismatch"
    reader = StepReader(store)
    with pytest.raises(ChunkChecksumError, match=chunk):
        reader.read("T", 6)
    assert reader.read("T", 5).shape == (4, 16, 32)  # the other chunks still read
    with pytest.raises(ChunkChecksumError, match=chunk):
        reader.read_block("T", 4, 8)
    problems = verify_store_checksums(store)
    assert len(problems) == 1 and "variable 'T': chunk (6, 0, 0, 0)" in problems[0]
    with pytest.raises(ValueError, match="checksum"):  # zarr-python checks the declared codec too
        zarr.open_array(store / "T", mode="r")[6]
    report = check_store(store, cube)
    assert not report["valid"] and any(c["name"] == "checksums" and "chunk (6, 0, 0, 0)" in c["detail"]
                                       for c in report["checks"])
    with pytest.raises(ValueError, match="checksum"):
        verify_store(cube, store)


def test_damaged_shard_index_and_unsharded_chunk_are_reported(built):
    _, store = built
    path = store / "T" / "c" / "2" / "0" / "0" / "0"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x40  # inside the index: offsets would point elsewhere
    path.write_bytes(bytes(data))
    lat = store / "lat" / "c" / "0"
    raw = bytearray(lat.read_bytes())
    raw[3] ^= 0x02
    lat.write_bytes(bytes(raw))
    problems = verify_store_checksums(store)
    assert len(problems) == 2
    assert "variable 'T': shard T/c/2/0/0/0: shard index: crc32c mismatch" in problems[0]
    assert "variable 'lat': chunk (0,) in file lat/c/0: crc32c mismatch" in problems[1]
    with pytest.raises(ChunkChecksumError, match="shard T/c/2/0/0/0: shard index"):
        StepReader(store).read("T", 9)
    (store / "TS" / "c" / "0" / "0" / "0").unlink()
    assert any("variable 'TS': chunk (0, 0, 0)" in p and "file missing" in p for p in verify_store_checksums(store))


def test_streamed_write_has_the_same_checksummed_bytes(climate_sample, tmp_path):
    cube = _cube_of_format(climate_sample, "NETCDF3_CLASSIC")
    opts = zarr_options(shard_mb=0.05)
    nc_to_zarr(cube, tmp_path / "eager.zarr", opts)
    nc_to_zarr(cube, tmp_path / "lazy.zarr", zarr_options(shard_mb=0.05, dask_threshold_mb=0))
    for name in ("T", "Q"):
        files = sorted(p.relative_to(tmp_path / "eager.zarr") for p in (tmp_path / "eager.zarr" / name).rglob("*"))
        for rel in files:
            if (tmp_path / "eager.zarr" / rel).is_file():
                assert (tmp_path / "lazy.zarr" / rel).read_bytes() == (tmp_path / "eager.zarr" / rel).read_bytes()
    assert verify_store_checksums(tmp_path / "lazy.zarr") == []


# --- packed integers with a NaN fill value ----------------------------------------------------


def _reanalysis_like(path: Path) -> Path:
    """Packed int16 with a NaN _FillValue and missing_value, a negative scale_factor, an add_offset,
    and an integer ``month`` axis without units, in NetCDF3 classic."""
    with netCDF4.Dataset(path, "w", format="NETCDF3_CLASSIC") as nc:
        nc.createDimension("month", 12)
        nc.createDimension("lat", 5)
        nc.createDimension("lon", 6)
        month = nc.createVariable("month", "i4", ("month",))
        lat = nc.createVariable("lat", "f4", ("lat",))
        lat.units = "degrees_north"
        lon = nc.createVariable("lon", "f4", ("lon",))
        lon.units = "degrees_east"
        sst = nc.createVariable("sst", "i2", ("month", "lat", "lon"))
        sst.setncatts({"missing_value": np.float32(np.nan), "scale_factor": np.float32(-0.01),
                       "add_offset": np.float32(280.0), "units": "K", "long_name": "sea surface temperature"})
        for var in (month, lat, lon, sst):
            var.set_auto_maskandscale(False)
        month[:] = np.arange(1, 13)
        lat[:] = np.linspace(-60, 60, 5)
        lon[:] = np.arange(6) * 60.0
        sst[:] = (np.arange(360) - 180).astype(np.int16).reshape(12, 5, 6)
        # netCDF4-python sets _FillValue only at creation, in the variable's type, and netCDF-C refuses
        # to write data under a fill value of another type: a NaN one is renamed in after the data.
        sst.setncattr("fill_tmp", np.float32(np.nan))
        nc._redef()
        sst.renameAttribute("fill_tmp", "_FillValue")
        nc._enddef()
    return path


def test_packed_int16_with_nan_fill_value_converts_packing_kept(tmp_path, caplog):
    src = _reanalysis_like(tmp_path / "sst.mon.ltm.nc")
    with netCDF4.Dataset(src) as nc:
        assert np.isnan(nc["sst"].getncattr("_FillValue")) and nc.file_format == "NETCDF3_CLASSIC"
    report = nc_to_zarr(src, tmp_path / "sst.zarr", zarr_options())
    assert "sst" in report["verified_variables"] and report["packing"] == {"sst": "kept"}
    nan_fill = [w for w in report["warnings"] if "'sst'" in w and "_FillValue is NaN" in w]
    assert nan_fill and "cannot apply to an integer variable" in nan_fill[0]
    assert "cannot apply to an integer variable" in caplog.text
    with open_store(tmp_path / "sst.zarr") as ds, netCDF4.Dataset(src) as nc:
        nc.set_auto_maskandscale(False)
        assert ds["sst"].dtype == np.int16 and np.array_equal(ds["sst"].values, nc["sst"][:])  # packed as stored
        assert ds["sst"].attrs["scale_factor"] == np.float32(-0.01) and ds["sst"].attrs["add_offset"] == 280.0
        assert np.isnan(ds["sst"].attrs["_FillValue"]) and ds["sst"].attrs["_FillValue"].dtype == np.float32
        assert ds["month"].dtype == np.int32 and list(ds["month"].values) == list(range(1, 13))
        raw = nc["sst"][:]
    assert np.array_equal(StepReader(tmp_path / "sst.zarr").read_block("sst", 0, 12, dim="month"), raw)
    verify_store(src, tmp_path / "sst.zarr")
    assert check_store(tmp_path / "sst.zarr", src)["valid"] and verify_store_checksums(tmp_path / "sst.zarr") == []


# --- the sample's size knobs ------------------------------------------------------------------


def test_time_steps_is_separate_from_scale(tmp_path):
    def lengths(out: Path) -> list[int]:
        cubes = sorted(out.glob("*.nc"))
        result = []
        for cube in cubes:
            with netCDF4.Dataset(cube) as nc:
                result.append(len(nc.dimensions["time"]))
        return result

    short = generate("climate", tmp_path / "short", scale=1, time_steps=5)
    # 4 planets x 3 scenarios + the first planet's unlabelled run; + runs.csv
    assert lengths(tmp_path / "short") == [5] * 13 and len(short) == 14
    assert lengths(generate("climate", tmp_path / "s2", scale=2) and tmp_path / "s2") == [12] * 25
    assert len(build_universe(2, 0).runs) == 25  # twice the labelled runs, each as long as at scale 1: linear
    with pytest.raises(ValueError, match="time_steps is a knob of the climate sample only"):
        generate("spectra", tmp_path / "x", time_steps=5)
    with pytest.raises(ValueError, match="sample.time_steps must be >= 1"):
        generate("climate", tmp_path / "y", time_steps=0)


def test_verify_target_names_the_damaged_chunk_even_when_the_manifest_was_rewritten(built, tmp_path, monkeypatch):
    from astrobuild.versioning.products import write_build_manifest
    from astrobuild.versioning.verify import BuildVerificationError, verify_build_and_stores

    _, store = built
    monkeypatch.chdir(tmp_path)
    processed = Path("data/processed/climate")
    processed.mkdir(parents=True)
    store.rename(processed / "run.zarr")
    write_build_manifest(["data/processed"], ["data/processed"], [], "results/manifest.json")
    assert verify_build_and_stores("results/manifest.json", roots=["data/processed"])["extra_checks"] == 1
    _flip_in_chunk(processed / "run.zarr", "T", "c/1/0/0/0", slot=2, slots=4)
    # A manifest written after the damage agrees with the files: only the chunk checksum can tell.
    write_build_manifest(["data/processed"], ["data/processed"], [], "results/manifest.json")
    with pytest.raises(BuildVerificationError, match=r"variable 'T': chunk \(6, 0, 0, 0\)"):
        verify_build_and_stores("results/manifest.json", roots=["data/processed"])
