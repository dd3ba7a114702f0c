"""The climate chain's steps, one function per rule (files in, files out)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from astrobuild.climate.check import StoreContractError, check_store, failing
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.climate.runs import climate_runs_frame
from astrobuild.climate.store import ZarrOptions
from astrobuild.io import write_json, write_parquet
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)


TIMING_KEYS = ("seconds", "write_seconds", "mb_per_s")


def convert(src: str, store: str, report_path: str, timing_path: str, options: dict[str, Any] | None,
            threads: int) -> dict[str, Any]:
    """Rule nc_to_zarr: one cube -> its verified store, plus the conversion report.

    The report (bytes in and out, files in the store, compression ratio, packing, warnings) is
    deterministic, like every output; the timings go to ``timing_path`` beside the rule's
    benchmark file, which is not a product.
    """
    src_path = Path(src)
    if src_path.is_dir():
        raise ValueError(f"nc_to_zarr: {src} is a directory, expected a NetCDF file")
    report = nc_to_zarr(src_path, store, ZarrOptions.from_config(options, threads=threads))
    write_json({k: v for k, v in report.items() if k not in TIMING_KEYS}, report_path)
    write_json({"store": report["store"], "bytes_in": report["bytes_in"], "dask": report["dask"],
                **{k: report[k] for k in TIMING_KEYS}}, timing_path)
    return report


def validate_store(store: str, source: str, out: str) -> dict[str, Any]:
    """Rule validate_climate_store: the store's contract report; raises naming store, variable and check."""
    report = check_store(store, source)
    write_json(report, out)
    if not report["valid"]:
        raise StoreContractError("\n".join(failing(report)))
    log.info("store %s valid: %d checks passed", store, len(report["checks"]))
    return report


def index_climate_runs(cubes: dict[str, str], stores: dict[str, str], roots: list[str], table: str,
                       quarantine_path: str, report_path: str) -> dict[str, Any]:
    """Rule index_climate_runs: the table of cubes with their run (planet, scenario, label, biosphere)."""
    quarantine = Quarantine()
    frame, report = climate_runs_frame(cubes, stores, [r for r in roots if os.path.isdir(r)], quarantine)
    arrow = pa.Table.from_pandas(frame, preserve_index=False, schema=pa.schema([
        ("file", pa.string()), ("stem", pa.string()), ("source_sha256", pa.string()), ("store", pa.string()),
        ("planet", pa.string()), ("scenario", pa.string()), ("label", pa.bool_()), ("biosphere", pa.string()),
    ]))
    write_parquet(arrow, table, dictionary=["planet", "scenario"])
    quarantine.write(quarantine_path)
    write_json(report, report_path)
    log.info("%d cube(s), %d without a runs.csv row, %d quarantined row(s)", report["cubes"],
             report["cubes_without_run"], report["quarantined_rows"])
    return report
