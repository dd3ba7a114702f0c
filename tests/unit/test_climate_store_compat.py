"""Our shard files against the libraries: zarr-python (its own codec pipeline and zarrs') and xarray
read them back bit for bit; float variables written as read give the bytes xarray's encoding gives."""

from __future__ import annotations

import hashlib
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import zarr

from astrobuild.climate import passthrough
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.climate.shards import read_layout, verify_store_checksums
from astrobuild.climate.source import open_source, read_header
from astrobuild.climate.store import open_store
from astrobuild.climate.verify import verify_store
from tests.climate_options import zarr_options

PIPELINES = {"zarr-python": "zarr.core.codec_pipeline.BatchedCodecPipeline", "zarrs": "zarrs.ZarrsCodecPipeline"}


def _bits(values: np.ndarray) -> np.ndarray:
    values = np.ascontiguousarray(values)
    return values.view(f"u{values.dtype.itemsize}") if values.dtype.kind in "iuf" else values


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def stores(climate_sample, tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """A sample cube written both ways (in memory through xarray, streamed through our shard files)."""
    cube = sorted(climate_sample.glob("*.nc"))[0]
    out = tmp_path_factory.mktemp("compat")
    paths = {"in-memory": out / "eager.zarr", "streamed": out / "lazy.zarr"}
    nc_to_zarr(cube, paths["in-memory"], zarr_options(shard_mb=0.05))
    assert nc_to_zarr(cube, paths["streamed"], zarr_options(shard_mb=0.05, dask_threshold_mb=0))["dask"]
    return cube, paths


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
@pytest.mark.parametrize("way", ["in-memory", "streamed"])
def test_zarr_python_reads_our_shards_bit_for_bit(stores, pipeline, way):
    """zarr-python's raw arrays (every chunk's crc32c checked by it) hold the source's stored values
    (a float variable kept as is) or its decoded ones (packing with float32 factors: decoded on purpose)."""
    cube, paths = stores
    store = paths[way]
    src, info = open_source(cube)
    with zarr.config.set({"codec_pipeline.path": PIPELINES[pipeline]}), netCDF4.Dataset(cube) as nc:
        nc.set_auto_maskandscale(False)
        group = zarr.open_group(store, mode="r", zarr_format=3)
        for name in ("T", "Q", "TS", "PS", "OLR", "time", "lat"):
            array = group[name]
            assert array.metadata.codecs[0].__class__.__name__ in ("ShardingCodec", "BytesCodec")
            packing = array.attrs.get("astrobuild_packing")
            expected = src[name].values if packing == "decoded" else nc[name][:]
            assert np.array_equal(_bits(array[...]), _bits(expected)), (way, pipeline, name)
    src.close()


@pytest.mark.parametrize("way", ["in-memory", "streamed"])
def test_xarray_reads_our_stores_as_the_source_decodes(stores, way):
    cube, paths = stores
    src, _ = open_source(cube)
    with open_store(paths[way]) as dst:
        assert sorted(dst.variables) == sorted(src.variables)
        for name in src.variables:
            assert dst[name].dtype == src[name].dtype, name
            assert np.array_equal(_bits(dst[name].values), _bits(src[name].values)), (way, name)
    src.close()


def _awkward(path: Path) -> Path:
    """Float variables kept as stored: a numeric fill with a raw NaN in one time step (that block takes
    xarray's way), equal _FillValue and missing_value, a big-endian variable, a zero fill (never
    written as read), no fill at all."""
    rng = np.random.default_rng(3)
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", 8)
        nc.createDimension("x", 64)
        time = nc.createVariable("time", "f8", ("time",))
        time.units, time.calendar = "days since 2000-01-01", "noleap"
        time[:] = np.arange(8)
        values = rng.normal(250, 20, (8, 64)).astype("f4")
        values[1, 3] = values[5, 7] = 1e20
        specs = {"fill_nan": dict(fill_value=np.float32(1e20)), "fill_miss": dict(fill_value=np.float32(-999)),
                 "big": dict(fill_value=np.float32(-1), endian="big"), "zero": dict(fill_value=np.float32(0)),
                 "plain": dict(fill_value=False)}
        for name, kw in specs.items():
            var = nc.createVariable(name, ">f4" if name == "big" else "f4", ("time", "x"), **kw)
            var.set_auto_maskandscale(False)
            var[:] = values
        nc["fill_miss"].missing_value = np.float32(-999)
        nc["fill_nan"][6, 2] = np.float32(np.nan)  # a NaN the fill value would replace in xarray's encoding
    return path


def test_written_as_read_gives_the_bytes_of_xarrays_encoding(tmp_path, monkeypatch):
    cube = _awkward(tmp_path / "awkward.nc")
    written_as_read: dict[str, int] = {}
    real_decode = passthrough.Passthrough.decode

    def counted(self, block):  # called once per block written as read, after writing it
        written_as_read[self.name] = written_as_read.get(self.name, 0) + 1
        return real_decode(self, block)

    monkeypatch.setattr(passthrough.Passthrough, "decode", counted)
    opts = zarr_options(shard_mb=2 * 64 * 4 / 1024 / 1024)  # shards of 2 time steps: 4 blocks a variable
    nc_to_zarr(cube, tmp_path / "eager.zarr", opts)
    lazy = nc_to_zarr(cube, tmp_path / "lazy.zarr", zarr_options(shard_mb=opts.shard_mb, dask_threshold_mb=0))
    assert lazy["dask"] and lazy["verified_variables"]
    assert written_as_read == {"fill_nan": 3, "fill_miss": 4, "big": 4, "plain": 4}  # blocks; the NaN one not
    assert _digests(tmp_path / "eager.zarr") == _digests(tmp_path / "lazy.zarr")
    assert verify_store_checksums(tmp_path / "lazy.zarr") == []
    verify_store(cube, tmp_path / "lazy.zarr")
    info = read_header(cube)
    plans = {name: passthrough.plan(name, info, read_layout(tmp_path / "lazy.zarr", name))
             for name in ("fill_nan", "fill_miss", "big", "zero", "plain")}
    assert {name for name, plan in plans.items() if plan is not None} == {"fill_nan", "fill_miss", "big", "plain"}
    block = np.array([[1.0, np.nan]], dtype="f4")
    assert plans["fill_nan"].raw_block(block) is None  # a NaN under a numeric fill: xarray's way
    assert plans["plain"].raw_block(block) is not None  # no fill: NaN stays NaN either way
