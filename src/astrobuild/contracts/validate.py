"""Check a table against its contract and report every failure as JSON."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import Any

import pandas as pd
import pandera.errors

from astrobuild.contracts.catalogue import contract_of
from astrobuild.io import read_parquet

log = logging.getLogger(__name__)
MAX_CASES = 20  # failing values listed per (column, check); the count is always complete


class ContractError(ValueError):
    """A table broke its contract; the message names file, columns and rows."""


def validate_table(name: str, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Validate the Parquet file at ``path`` against contract ``name`` (lazily: all failures)."""
    model = contract_of(name)
    frame = read_parquet(path).to_pandas()
    report: dict[str, Any] = {
        "table": name,
        "file": os.fspath(path),
        "contract": f"{model.__module__}.{model.__name__}",
        "rows": len(frame),
        "columns": list(frame.columns),
    }
    try:
        model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        report.update(valid=False, failures=_failures(err.failure_cases))
    else:
        report.update(valid=True, failures=[])
    return report


def _failures(cases: pd.DataFrame) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    rows: dict[tuple[str, str], list] = defaultdict(list)
    for case in cases.itertuples(index=False):
        column = "<table>" if pd.isna(case.column) else str(case.column)
        key = (column, str(case.check))
        entry = grouped.setdefault(key, {"column": column, "check": str(case.check),
                                         "schema_context": str(case.schema_context), "count": 0, "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < MAX_CASES:
            value = case.failure_case
            entry["examples"].append(None if _isna(value) else str(value))
            rows[key].append(None if _isna(case.index) else int(case.index))
    for key, entry in grouped.items():
        entry["rows"] = rows[key]
    return [grouped[k] for k in sorted(grouped)]


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def summarise_failures(report: dict[str, Any]) -> str:
    """One readable paragraph for the console: file, column, check, failing rows."""
    lines = [f"{report['file']}: {report['rows']} rows break contract {report['table']!r}:"]
    for f in report["failures"]:
        rows = ", ".join(str(r) for r in f["rows"][:10] if r is not None) or "whole column"
        examples = ", ".join(repr(e) for e in f["examples"][:3])
        lines.append(f"  column {f['column']!r} fails {f['check']} in {f['count']} row(s) (rows {rows}; e.g. {examples})")
    return "\n".join(lines)


def check_and_report(name: str, path: str | os.PathLike[str], report_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Validate, log the full report, write it when valid, raise with a summary when not.

    The JSON is only written for valid tables: downstream rules depend on it,
    so its existence means "this table passed". The failing report is in the
    rule's log.
    """
    from astrobuild.io import dumps_json, write_json

    report = validate_table(name, path)
    if not report["valid"]:
        log.error("contract report:\n%s", dumps_json(report))
        raise ContractError(summarise_failures(report))
    write_json(report, report_path)
    log.info("%s: %d rows satisfy contract %s", path, report["rows"], name)
    return report
