"""The exoplanet chain's steps: archive download -> processed planet table; its summary plot."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.exoplanets import Exoplanets
from astrobuild.exoplanets.archive import ArchiveError, ArchiveTable, read_archive_csv, select_default_rows
from astrobuild.exoplanets.derive import (
    KEY,
    MODEL_COLUMNS,
    absent_model_columns,
    fill_derived,
    flag_outliers,
    missing_reasons,
)
from astrobuild.io import atomic_path, read_parquet, read_parquet_metadata, write_json, write_parquet
from astrobuild.paths import SourceRoot, collect_files
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)
TABLE_KINDS = ("pscomppars", "ps")
# Every column the table may hold, in order, with type, nullability, description, archive name and unit.
SCHEMA = arrow_schema(Exoplanets)
# Parquet metadata key: model columns that are null because the download had nothing to fill them with.
ABSENT_KEY = "absent_columns"


def _header(path: Path) -> tuple[list[str] | None, str]:
    """The header fields of an archive CSV (first line after the '#' block), or None and why it is not one."""
    try:
        # utf-8-sig: a byte-order mark would otherwise hide the first '#' and make the banner the header
        with open(path, encoding="utf-8-sig") as handle:
            for line in handle:
                if line.startswith("#") or not line.strip():
                    continue
                fields = [f.strip().strip('"') for f in line.rstrip("\r\n").split(",")]
                if KEY in fields:
                    return fields, ""
                shown = ",".join(fields[:8]) + (",..." if len(fields) > 8 else "")
                return None, f"the header has no {KEY} column (not a NASA Exoplanet Archive table?): {shown}"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text: {exc}"
    except OSError as exc:
        return None, f"cannot read the file: {exc}"
    return None, "no header line after the '#' block (not a NASA Exoplanet Archive table?)"


def choose_archive_file(files: list[Path], table_kind: str, quarantine: Quarantine) -> Path:
    """The one archive file of the configured kind (PS: has default_flag; PSCompPars: has not)."""
    if table_kind not in TABLE_KINDS:
        raise ValueError(f"exoplanets.table must be one of {TABLE_KINDS}, got {table_kind!r}")
    chosen, other_kind, rejected = [], [], []
    for path in files:
        header, reason = _header(path)
        if header is None:
            quarantine.add(path, None, reason)
            rejected.append(f"{os.fspath(path)}: {reason}")
        elif ("default_flag" in header) == (table_kind == "ps"):
            chosen.append(path)
        else:
            other_kind.append(os.fspath(path))
    if not chosen:
        why = [f"not a NASA Exoplanet Archive table: {'; '.join(rejected)}"] if rejected else []
        if other_kind:
            other = "pscomppars" if table_kind == "ps" else "ps"
            why.append(f"{other!r} table(s) {other_kind} (a PS table has a default_flag column; "
                       f"set exoplanets.table: {other} to use it)")
        raise ArchiveError(f"no {table_kind!r} exoplanet archive table among {len(files)} file(s): " + "; ".join(why))
    if len(chosen) > 1:
        raise ArchiveError(f"several {table_kind!r} exoplanet archive tables, keep one: {[os.fspath(f) for f in chosen]}")
    return chosen[0]


def process_archive(table: ArchiveTable, albedo: float, sigma: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parsed archive -> one row per planet, derived values and outlier flags added, sorted by planet.

    Columns the model reads that the download cannot fill are added, null, and named in the report's
    ``columns_absent``; each derived value left null is counted by what its row lacks.
    """
    absent = absent_model_columns(set(table.archive_names))
    frame = select_default_rows(table)
    for name in MODEL_COLUMNS:
        if name not in frame:
            frame[name] = pd.Series(np.nan, index=frame.index, dtype="float64")
    frame = fill_derived(frame, albedo)
    frame, outliers = flag_outliers(frame, sigma)
    # The contract's columns the download gave (default_flag, used to pick the rows, is not one of them).
    frame = frame[[name for name in SCHEMA.names if name in frame]]
    frame = frame.sort_values("planet", kind="stable").reset_index(drop=True)
    report = {
        "rows": len(frame),
        "eqt_derived": int(frame["eqt_derived"].sum()),
        "semi_major_axis_derived": int(frame["semi_major_axis_derived"].sum()),
        "eqt_missing": int(frame["eq_temp_k"].isna().sum()),
        "eqt_missing_planets": sorted(frame.loc[frame["eq_temp_k"].isna(), "planet"].tolist())[:50],
        "missing_reasons": missing_reasons(frame),
        "columns_absent": absent,
        "outlier_rows": int(frame["outlier"].sum()),
        "outliers": outliers,
    }
    return frame, report


def to_arrow(frame: pd.DataFrame, table: ArchiveTable) -> pa.Table:
    """The frame's columns with their contract fields (type, archive name, unit); a column's description is
    the download's own where its header block gave one (it names the archive's unit), else the contract's."""
    fields = []
    for name in frame.columns:
        field = SCHEMA.field(name)
        metadata = field.metadata or {}
        archive = metadata.get(b"archive_column", b"").decode()
        if archive and archive in table.descriptions:
            field = field.with_metadata({**metadata, b"description": table.descriptions[archive].encode()})
        fields.append(field)
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


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
                                               "albedo": repr(albedo), "outlier_sigma": repr(sigma),
                                               ABSENT_KEY: json.dumps(report["columns_absent"], sort_keys=True)})
    quarantine.write(quarantine_path)
    report = {"file": path.name, "table_kind": table_kind, "rows_read": archive.rows_read,
              "columns": len(frame.columns), "columns_not_kept": archive.not_kept, "albedo": albedo,
              "outlier_sigma": sigma, **report, "quarantine": quarantine.counts()}
    write_json(report, report_path)
    log.info("%s: %d row(s) -> %d planet(s); T_eq derived for %d, not computable for %d; %d outlier row(s)",
             path, archive.rows_read, report["rows"], report["eqt_derived"], report["eqt_missing"],
             report["outlier_rows"])
    for name, why in report["columns_absent"].items():
        log.warning("%s: column %s is null on every row: %s", path, name, why)
    return report


def require_columns(table_path: str | os.PathLike[str], columns: list[str], consumer: str) -> None:
    """Stop ``consumer`` with the column named when one it needs was absent from the archive download.

    The table always has the model's columns (fixed schema); this tells a consumer that needs their
    values apart from one that only carries them.
    """
    meta = read_parquet_metadata(table_path)
    absent = json.loads(meta.get(ABSENT_KEY.encode(), b"{}"))
    missing = [f"{name} ({absent[name]})" for name in columns if name in absent]
    if missing:
        raise ArchiveError(f"{consumer} needs {', '.join(missing)}; {os.fspath(table_path)} has the column(s) null "
                           f"on every row. Download them with the archive table.")


def plot_exoplanets(table_path: str, plot_path: str) -> None:
    """Planet radius against equilibrium temperature; archive, derived and outlier rows coloured apart."""
    import matplotlib

    require_columns(table_path, ["radius_earth", "eq_temp_k"], "plot_exoplanets (radius against T_eq)")
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
