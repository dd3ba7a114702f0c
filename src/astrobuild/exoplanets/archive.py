"""NASA Exoplanet Archive CSV downloads (PSCompPars, PS) -> a typed frame with documented names.

An archive CSV starts with a ``#`` block: a banner, then one line per column,
``# COLUMN <name>: <description> [<unit>]`` (in some columns the unit sits in
the middle: ``Planet Mass or Mass*sin(i) [Earth Mass] Upper Unc.``). Then a
header line and comma-separated rows; missing values are empty strings.

Any subset of the archive's columns is accepted. Known columns are renamed
(:mod:`astrobuild.contracts.exoplanet_columns`); unknown ones are not kept and are
named in the report (never dropped without a word). A row with the wrong
number of fields, or a value that is not a number in a numeric column, goes
to the quarantine with its file and line; in the second case the row stays
with that value missing.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from astrobuild.contracts.exoplanet_columns import Column, resolve
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)
_COLUMN_LINE = re.compile(r"^#\s*COLUMN\s+([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$")
_UNIT = re.compile(r"\[([^\]]+)\]")


class ArchiveError(ValueError):
    """An archive file cannot be used; the message names the file (and column or planet)."""


@dataclass
class ArchiveTable:
    path: Path
    frame: pd.DataFrame  # documented column names, typed (str/Int64/float64), archive row order
    columns: dict[str, Column]  # documented name -> column spec
    descriptions: dict[str, str]  # archive name -> "# COLUMN" description (unit included)
    archive_names: list[str]  # header of the file
    not_kept: list[str] = field(default_factory=list)
    rows_read: int = 0
    is_ps_table: bool = False


def parse_column_block(lines: list[str]) -> dict[str, str]:
    """``# COLUMN name: description [unit]`` lines -> {name: description}."""
    found = {}
    for line in lines:
        match = _COLUMN_LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def unit_of(description: str) -> str:
    """The unit in brackets of a column description ('' when there is none)."""
    match = _UNIT.search(description)
    return match.group(1).strip() if match else ""


def _to_number(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Strings -> numbers; returns (numbers, mask of non-empty values that are not numbers)."""
    stripped = values.str.strip()
    numbers = pd.to_numeric(stripped.where(stripped != ""), errors="coerce")
    bad = numbers.isna() & (stripped != "")
    if kind == "int":
        fractional = numbers.notna() & (numbers != np.round(numbers))
        bad |= fractional
        numbers = numbers.where(~fractional).astype("Int64")
    else:
        numbers = numbers.astype("float64")
    return numbers, bad


def read_archive_csv(path: str | os.PathLike[str], quarantine: Quarantine) -> ArchiveTable:
    """Parse one archive CSV download (the ``#`` block, header, rows) into documented, typed columns."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is no part of the first line
    except (OSError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: cannot read the exoplanet archive file: {exc}") from exc
    lines = text.splitlines()
    n_comment = 0
    while n_comment < len(lines) and (lines[n_comment].startswith("#") or not lines[n_comment].strip()):
        n_comment += 1
    if n_comment >= len(lines):
        raise ArchiveError(f"{path}: no header line after the '#' block (not an exoplanet archive CSV?)")
    descriptions = parse_column_block(lines[:n_comment])
    reader = csv.reader(io.StringIO("\n".join(lines[n_comment:]) + "\n"))
    header = next(reader)
    if "pl_name" not in header:
        raise ArchiveError(f"{path}: line {n_comment + 1}: the header has no pl_name column "
                           f"(not an exoplanet archive table?): {','.join(header[:8])}...")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ArchiveError(f"{path}: line {n_comment + 1}: duplicated column(s) {duplicated}")
    rows, line_numbers = [], []
    for record in reader:
        line_no = n_comment + reader.line_num
        if not record or all(not v.strip() for v in record):
            continue
        if len(record) != len(header):
            quarantine.add(path, line_no, f"{len(record)} fields, header has {len(header)}", ",".join(record))
            continue
        rows.append(record)
        line_numbers.append(line_no)
    raw = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    frame, specs, not_kept = {}, {}, []
    for name in header:
        spec = resolve(name)
        if spec is None:
            not_kept.append(name)
            continue
        values = raw[name].astype(str)
        if spec.kind == "str":
            stripped = values.str.strip()
            frame[spec.name] = stripped.where(stripped != "").astype("string")
        else:
            numbers, bad = _to_number(values, spec.kind)
            for i in np.flatnonzero(bad.to_numpy()):
                quarantine.add(path, line_numbers[i], f"not a {'whole ' if spec.kind == 'int' else ''}number "
                               f"in column {name}; kept as missing", values.iloc[i])
            frame[spec.name] = numbers
        specs[spec.name] = spec
    if not_kept:
        log.warning("%s: %d archive column(s) without a documented name, not kept: %s", path, len(not_kept), not_kept)
    out = pd.DataFrame(frame, index=pd.RangeIndex(len(raw)))
    out.attrs["lines"] = line_numbers
    return ArchiveTable(path=path, frame=out, columns=specs, descriptions=descriptions, archive_names=header,
                        not_kept=not_kept, rows_read=len(raw), is_ps_table="default_flag" in header)


def select_default_rows(table: ArchiveTable) -> pd.DataFrame:
    """PS table: the one ``default_flag == 1`` row of each planet. PSCompPars: every row (one per planet).

    A planet with no default row, several default rows, or (PSCompPars) several
    rows is an error naming the planets: picking one silently would hide it.
    """
    frame = table.frame
    if frame["planet"].isna().any():
        lines = [table.frame.attrs["lines"][i] for i in np.flatnonzero(frame["planet"].isna().to_numpy())]
        raise ArchiveError(f"{table.path}: empty pl_name on line(s) {lines[:10]}")
    if table.is_ps_table:
        flag = frame["default_flag"]
        defaults = frame[flag.fillna(0) == 1]
        counts = defaults["planet"].value_counts()
        several = sorted(counts[counts > 1].index)
        none = sorted(set(frame["planet"]) - set(defaults["planet"]))
        problems = []
        if several:
            problems.append(f"{len(several)} planet(s) with several default_flag=1 rows: {several[:10]}")
        if none:
            problems.append(f"{len(none)} planet(s) without a default_flag=1 row: {none[:10]}")
        if problems:
            raise ArchiveError(f"{table.path}: PS table: " + "; ".join(problems))
        frame = defaults.drop(columns=["default_flag"])
    else:
        counts = frame["planet"].value_counts()
        several = sorted(counts[counts > 1].index)
        if several:
            raise ArchiveError(f"{table.path}: {len(several)} planet(s) on several rows (a PSCompPars table has "
                               f"one row per planet; a PS table needs a default_flag column): {several[:10]}")
    return frame.reset_index(drop=True)
