"""The climate chain's steps, one function per rule (files in, files out).

Conversion runs in batches (:func:`convert_batch`): one Snakemake job converts and validates
several cubes, because starting an interpreter that imports xarray and zarr costs more than
converting a small cube. Each cube still has its own store, conversion report, validation report
and log; its conversion report records what the store was built from (the cube's sha256, the
options, the converter). Snakemake reruns a batch whole (rules/climate.smk says why).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyarrow as pa

from astrobuild.climate.check import StoreContractError, check_store, failing
from astrobuild.climate.convert import nc_to_zarr
from astrobuild.climate.runs import climate_runs_frame, runs_schema
from astrobuild.climate.store import ZarrOptions
from astrobuild.io import sha256_file, write_json, write_parquet
from astrobuild.paths import SourceRoot, source_label
from astrobuild.pausepoints import pause_point
from astrobuild.quarantine import Quarantine
from astrobuild.rulelog import FORMAT

log = logging.getLogger(__name__)

TIMING_KEYS = ("seconds", "write_seconds", "mb_per_s")
# Libraries whose version can change a store's bytes (codecs, encoders, the NetCDF readers).
_LIBRARIES = ("numpy", "xarray", "zarr", "numcodecs", "google-crc32c", "netCDF4", "dask")


class ClimateBatchError(ValueError):
    """Cubes of a batch that could not be converted or broke their contract; names each one."""


def converter_version() -> str:
    """What decides a store's bytes besides its cube and the options: the climate package's code
    and the versions of the libraries it writes with (16 hex digits of their sha256)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for lib in _LIBRARIES:
        try:
            digest.update(f"{lib}={version(lib)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{lib}=absent\0".encode())
    return digest.hexdigest()[:16]


def provenance(cube: str | os.PathLike[str], opts: ZarrOptions, converter: str) -> dict[str, Any]:
    """What a store is built from: its cube's bytes, the options (threads change no byte; the
    conversion report holds them as ``options``) and the converter (``built_from`` in the report)."""
    return {"source_sha256": sha256_file(cube), "options": {k: v for k, v in asdict(opts).items() if k != "threads"},
            "converter": converter}


def convert(src: str, store: str, report_path: str, timing_path: str, opts: ZarrOptions,
            built_from: dict[str, Any], source: SourceRoot | None = None) -> dict[str, Any]:
    """One cube -> its verified store, plus the conversion report (with ``built_from``).

    The report (bytes in and out, files in the store, compression ratio, packing, warnings) is
    deterministic, like every output; the timings go to ``timing_path`` beside the rule's
    benchmark file, which is not a product. With ``source``, the cube is named relative to the
    source's root (see :class:`~astrobuild.paths.SourceRoot`).
    """
    src_path = Path(src)
    if src_path.is_dir():
        raise ValueError(f"nc_to_zarr: {src} is a directory, expected a NetCDF file")
    report = nc_to_zarr(src_path, store, opts)
    report["source"] = source_label(source, src_path)
    built_from = {k: v for k, v in built_from.items() if k != "options"}  # the report has them already
    write_json({**{k: v for k, v in report.items() if k not in TIMING_KEYS}, "built_from": built_from}, report_path)
    write_json({"store": report["store"], "bytes_in": report["bytes_in"], "dask": report["dask"],
                **{k: report[k] for k in TIMING_KEYS}}, timing_path)
    return report


def validate_store(store: str, cube: str, out: str, source: SourceRoot | None = None) -> dict[str, Any]:
    """The store's contract report, written to ``out``; raises naming store, variable and check."""
    report = check_store(store, cube)
    pause_point("nc_to_zarr.check")  # the store in place, its contract report not yet written
    report["source"] = source_label(source, cube)
    write_json(report, out)
    if not report["valid"]:
        raise StoreContractError("\n".join(failing(report)))
    log.info("store %s valid: %d checks passed", store, len(report["checks"]))
    return report


@contextlib.contextmanager
def _cube_log(path: str) -> Iterator[None]:
    """Also send the log records of one cube's work to its own log file (the batch log keeps them too)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))  # a cube's log holds what a rule's log would
    try:
        yield
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
        handler.close()


def convert_batch(cubes: list[str], stores: list[str], reports: list[str], validations: list[str],
                  timings: list[str], logs: list[str], options: dict[str, Any], threads: int,
                  source: SourceRoot | None = None) -> dict[str, Any]:
    """Rule nc_to_zarr_<batch>: each cube -> its verified store, conversion report and contract report.

    The lists are parallel (one entry per cube). Every cube is tried; then, if any failed,
    :class:`ClimateBatchError` names each one (its log has the traceback). Returns how many stores
    were converted.
    """
    opts = ZarrOptions.from_config(options, threads=threads)
    converter = converter_version()
    converted: list[str] = []
    failed: list[str] = []
    for cube, store, report, validation, timing, cube_log in zip(cubes, stores, reports, validations, timings,
                                                                 logs, strict=True):
        with _cube_log(cube_log):
            try:
                convert(cube, store, report, timing, opts, provenance(cube, opts, converter), source=source)
                validate_store(store, cube, validation, source=source)
                converted.append(store)
            except Exception as exc:  # noqa: BLE001  (every cube is tried; all failures are raised below)
                log.error("%s: %s: %s\n%s", cube, type(exc).__name__, exc, traceback.format_exc())
                failed.append(f"{cube} -> {store}: {type(exc).__name__}: {exc} (log: {cube_log})")
    log.info("batch: %d store(s) converted, %d failed", len(converted), len(failed))
    if failed:
        raise ClimateBatchError(f"{len(failed)} of {len(cubes)} cube(s) failed:\n  " + "\n  ".join(failed))
    return {"converted": len(converted)}


def index_climate_runs(cubes: dict[str, str], stores: dict[str, str], roots: list[str], table: str,
                       quarantine_path: str, report_path: str, source: SourceRoot | None = None,
                       run_columns: Sequence[str] = ()) -> dict[str, Any]:
    """Rule index_climate_runs: the table of cubes with their run (planet, scenario, label, biosphere,
    the ``run_columns`` forcings and any planet columns runs.csv or planets.csv give)."""
    quarantine = Quarantine(source=source)
    frame, report = climate_runs_frame(cubes, stores, [r for r in roots if os.path.isdir(r)], quarantine,
                                       run_columns)
    report["runs_csv_files"] = [source_label(source, p) for p in report["runs_csv_files"]]
    arrow = pa.Table.from_pandas(frame, preserve_index=False, schema=runs_schema(frame))
    write_parquet(arrow, table, dictionary=["planet", "scenario"])
    quarantine.write(quarantine_path)
    write_json(report, report_path)
    log.info("%d cube(s), %d without a runs.csv row, %d quarantined row(s)", report["cubes"],
             report["cubes_without_run"], report["quarantined_rows"])
    return report
