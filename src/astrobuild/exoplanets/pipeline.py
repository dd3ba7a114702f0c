"""The exoplanet chain's steps: archive download -> processed planet table; its summary plot."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from astrobuild.exoplanets.archive import ArchiveError, ArchiveTable, read_archive_csv, select_default_rows
from astrobuild.exoplanets.columns import all_columns
from astrobuild.exoplanets.derive import BOUNDS, fill_derived, flag_outliers, missing_required
from astrobuild.io import atomic_path, read_parquet, write_json, write_parquet
from astrobuild.paths import SourceRoot, collect_files
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)
TABLE_KINDS = ("pscomppars", "ps")
DERIVED_COLUMNS = {
    "semi_major_axis_derived": "semi_major_axis_au was missing and is derived from Kepler's third law "
                               "(orbital period, stellar mass)",
    "eqt_derived": "eq_temp_k was missing and is derived: T_eff * sqrt(R_star / (2 a)) * (1 - A)^(1/4), "
                   "A = exoplanets.albedo",
    "outlier": "any <column>_outlier is true",
}


def _header(path: Path) -> list[str] | None:
    """The header fields of an archive CSV (first line after the '#' block), or None if it is not one."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("#") or not line.strip():
                    continue
                fields = [f.strip().strip('"') for f in line.rstrip("\r\n").split(",")]
                return fields if "pl_name" in fields else None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def choose_archive_file(files: list[Path], table_kind: str, quarantine: Quarantine) -> Path:
    """The one archive file of the configured kind (PS: has default_flag; PSCompPars: has not)."""
    if table_kind not in TABLE_KINDS:
        raise ValueError(f"exoplanets.table must be one of {TABLE_KINDS}, got {table_kind!r}")
    chosen = []
    for path in files:
        header = _header(path)
        if header is None:
            quarantine.add(path, None, "not a NASA Exoplanet Archive CSV (no header with pl_name)")
        elif ("default_flag" in header) == (table_kind == "ps"):
            chosen.append(path)
    if not chosen:
        raise ArchiveError(f"no {table_kind!r} exoplanet archive table among {[os.fspath(f) for f in files]} "
                           f"(a PS table has a default_flag column; set exoplanets.table)")
    if len(chosen) > 1:
        raise ArchiveError(f"several {table_kind!r} exoplanet archive tables, keep one: {[os.fspath(f) for f in chosen]}")
    return chosen[0]


def process_archive(table: ArchiveTable, albedo: float, sigma: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parsed archive -> one row per planet, derived values and outlier flags added, sorted by planet."""
    missing = missing_required(set(table.archive_names))
    if missing:
        raise ArchiveError(f"{table.path}: missing column(s) the planet-run model needs: {', '.join(missing)} "
                           f"(download them with the table, e.g. TAP select ... {', '.join(missing)})")
    frame = select_default_rows(table)
    frame = fill_derived(frame, albedo)
    frame, outliers = flag_outliers(frame, sigma)
    order = [c.name for c in all_columns() if c.name in frame and c.name != "default_flag"]
    flags = ["semi_major_axis_derived", "eqt_derived"] + [f"{n}_outlier" for n in BOUNDS if f"{n}_outlier" in frame]
    frame = frame[order + flags + ["outlier"]].sort_values("planet", kind="stable").reset_index(drop=True)
    report = {
        "rows": len(frame),
        "eqt_derived": int(frame["eqt_derived"].sum()),
        "semi_major_axis_derived": int(frame["semi_major_axis_derived"].sum()),
        "eqt_missing": int(frame["eq_temp_k"].isna().sum()),
        "eqt_missing_planets": sorted(frame.loc[frame["eq_temp_k"].isna(), "planet"].tolist())[:50],
        "outlier_rows": int(frame["outlier"].sum()),
        "outliers": outliers,
    }
    return frame, report


def to_arrow(frame: pd.DataFrame, table: ArchiveTable) -> pa.Table:
    """Arrow table whose fields carry the archive's column description, unit and name as metadata."""
    specs = {c.name: c for c in all_columns()}
    fields = []
    for name in frame.columns:
        series = frame[name]
        if name in specs:
            spec = specs[name]
            kind = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}[spec.kind]
            meta = {"archive_column": spec.archive, "unit": spec.unit,
                    "description": table.descriptions.get(spec.archive, spec.description)}
        else:
            kind = pa.bool_()
            column = name.removesuffix("_outlier")
            meta = {"description": DERIVED_COLUMNS.get(name, f"{column} is outside its physical bounds "
                                                              f"{BOUNDS.get(column)} or beyond outlier_sigma in log10")}
        fields.append(pa.field(name, kind, nullable=True, metadata=meta))
        del series
    schema = pa.schema(fields)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def exoplanet_archive_table(inputs: list[str], patterns: list[str], table_kind: str, albedo: float, sigma: float,
                            table_path: str, quarantine_path: str, report_path: str,
                            source: SourceRoot | None = None) -> dict[str, Any]:
    files = collect_files(inputs, patterns)
    if not files:
        raise ArchiveError(f"exoplanet_archive_table: no files matching {patterns} in {inputs}")
    quarantine = Quarantine(source=source)
    path = choose_archive_file(files, table_kind, quarantine)
    archive = read_archive_csv(path, quarantine)
    frame, report = process_archive(archive, albedo, sigma)
    arrow = to_arrow(frame, archive)
    write_parquet(arrow, table_path, metadata={"source_file": path.name, "table_kind": table_kind,
                                               "albedo": repr(albedo), "outlier_sigma": repr(sigma)})
    quarantine.write(quarantine_path)
    report = {"file": path.name, "table_kind": table_kind, "rows_read": archive.rows_read,
              "columns": len(frame.columns), "columns_not_kept": archive.not_kept, "albedo": albedo,
              "outlier_sigma": sigma, **report, "quarantine": quarantine.counts()}
    write_json(report, report_path)
    log.info("%s: %d row(s) -> %d planet(s); T_eq derived for %d, not computable for %d; %d outlier row(s)",
             path, archive.rows_read, report["rows"], report["eqt_derived"], report["eqt_missing"],
             report["outlier_rows"])
    return report


def plot_exoplanets(table_path: str, plot_path: str) -> None:
    """Planet radius against equilibrium temperature; archive, derived and outlier rows coloured apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = read_parquet(table_path, columns=["radius_earth", "eq_temp_k", "eqt_derived", "outlier"]).to_pandas()
    groups = [("archive T_eq", ~frame["eqt_derived"] & ~frame["outlier"], "#4C72B0", "o"),
              ("derived T_eq", frame["eqt_derived"] & ~frame["outlier"], "#55A868", "s"),
              ("outlier (flagged)", frame["outlier"], "#C44E52", "x")]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, mask, colour, marker in groups:
        rows = frame[mask & frame["radius_earth"].gt(0) & frame["eq_temp_k"].gt(0)]
        ax.scatter(rows["eq_temp_k"], rows["radius_earth"], s=10, c=colour, marker=marker,
                   label=f"{label} ({len(rows)})", alpha=0.7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("equilibrium temperature [K]")
    ax.set_ylabel("planet radius [Earth radius]")
    ax.set_title(f"Exoplanets: {len(frame)} planets")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(plot_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
