"""Quality scores of one table (see the package docstring for the definitions)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from astrobuild.contracts.catalogue import CATALOGUE
from astrobuild.quality.grades import GRADES, grade, overall_of, pulled_down_by, score
from astrobuild.quality.table_rules import RULES, Frames, Rule

MAX_LISTED = 10  # failing checks / columns named per dimension in pulled_down_by


def required_columns(contract: type[pa.DataFrameModel] | None, columns: list[str]) -> list[str]:
    if contract is None:
        return []
    schema = contract.to_schema()
    return [c for c in columns if c in schema.columns and not schema.columns[c].nullable]


def completeness(frame: pd.DataFrame, required: list[str]) -> dict[str, Any]:
    n = len(frame)
    # No rows or no columns: nothing to measure, so no score (null), not a perfect one.
    per_column = {c: score(1.0 - frame[c].isna().mean()) if n else None for c in frame.columns}
    scored = required or list(frame.columns)
    value = score(sum(per_column[c] for c in scored) / len(scored)) if scored and n else None
    return {
        "score": value,
        "scored_on": "required columns" if required else "all columns (none required by the contract)",
        "columns": {c: {"non_null": per_column[c], "required": c in required} for c in frame.columns},
    }


def validity(frame: pd.DataFrame, contract: type[pa.DataFrameModel] | None, flags: tuple[str, ...] = (),
             quarantined: int | None = None) -> dict[str, Any]:
    """Share of valid rows: those passing the contract and not marked by one of ``flags`` (rows kept but
    doubtful, e.g. a negative spectral depth within its errors), among the rows of the table and the
    ``quarantined`` ones (lines its rule refused, for a table whose catalogue entry counts them,
    :class:`~astrobuild.contracts.catalogue.Table`). The flagged and quarantined counts are in the result
    only for a table that has them, so the other tables' entries read as before."""
    n = len(frame)
    if contract is None:
        return {"score": None, "contract": None, "failing_rows": 0, "failures": []}  # nothing to hold it to
    failures: list[dict[str, Any]] = []
    failing: set[int] = set()
    whole_table = False
    try:
        contract.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        for (column, check), group in cases.groupby([cases["column"].fillna("<table>").astype(str),
                                                     cases["check"].astype(str)], sort=True):
            rows = group["index"].dropna()
            if len(rows) < len(group):
                whole_table = True  # a failure naming no row (missing column, bad dtype): every row is suspect
            failing.update(int(r) for r in rows)
            failures.append({"column": column, "check": check, "count": len(group)})
    bad = n if whole_table else len(failing)
    invalid, total, extra = bad, n, {}
    if flags:
        marked = {f: _true_rows(frame, f) for f in flags}
        extra["flagged_rows"] = {f: len(rows) for f, rows in marked.items()}
        if not whole_table:  # a row both flagged and breaking the contract counts once
            invalid += len(set().union(*marked.values()) - failing)
    if quarantined is not None:
        extra["quarantined_rows"] = quarantined
        invalid, total = invalid + quarantined, total + quarantined
    return {
        "score": score(1.0 - invalid / total) if total else (0.0 if whole_table else None),
        "contract": f"{contract.__module__}.{contract.__name__}",
        "failing_rows": bad,
        "failures": failures,
        **extra,
    }


def _true_rows(frame: pd.DataFrame, column: str) -> set[int]:
    """The rows where a boolean flag column is true (a missing column is a contract failure, not a flag)."""
    if column not in frame.columns:
        return set()
    return {int(i) for i in frame.index[frame[column].isin([True]).to_numpy()]}  # labels, as Pandera's cases


def table_key(name: str, contract: type[pa.DataFrameModel] | None, columns: list[str]) -> tuple[list[str], str]:
    if name in CATALOGUE:
        return list(CATALOGUE[name].key), "catalogue"
    unique = getattr(getattr(contract, "Config", None), "unique", None) if contract is not None else None
    if unique:
        return ([unique] if isinstance(unique, str) else list(unique)), "contract"
    return list(columns), "whole row"


def uniqueness(frame: pd.DataFrame, key: list[str], source: str) -> dict[str, Any]:
    n = len(frame)
    missing = [c for c in key if c not in frame.columns]
    if missing:
        raise KeyError(f"quality key of the table names columns it lacks: {missing}")
    distinct = len(frame.drop_duplicates(key)) if n else 0
    return {"score": score(distinct / n) if n else None, "key": key, "key_source": source,
            "duplicate_rows": n - distinct}


def _skip_reason(rule: Rule, frame: pd.DataFrame, others: Frames, settings: dict[str, Any]) -> str | None:
    absent = [t for t in rule.needs if t not in others]
    if absent:
        return f"needs table(s) not in this build: {absent}"
    columns = [c for c in rule.columns if c not in frame.columns]
    if columns:
        return f"needs column(s) the table lacks: {columns}"
    unset = [s for s in rule.settings if settings.get(s) is None]
    if unset:
        return f"needs setting(s) not given: {unset}"
    return None


def consistency(name: str, frame: pd.DataFrame, others: Frames, rules: list[Rule] | None = None,
                settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The lowest score of the table's rules; null ("not assessed") when no rule checked anything."""
    rules = RULES.get(name, []) if rules is None else rules
    settings = settings or {}
    checks, skipped = [], []
    for rule in rules:
        reason = _skip_reason(rule, frame, others, settings)
        if reason:
            skipped.append({"name": rule.name, "reason": reason})
            continue
        passed, checked = rule.check(frame, others, **{s: settings[s] for s in rule.settings})
        checks.append({"name": rule.name, "description": rule.description, "passed": int(passed),
                       "checked": int(checked), "score": score(passed / checked) if checked else None})
    assessed = [c["score"] for c in checks if c["score"] is not None]
    return {"score": min(assessed) if assessed else None, "rules": len(checks), "assessed": len(assessed),
            "checks": checks, "skipped": skipped}


def score_table(name: str, frame: pd.DataFrame, contract: type[pa.DataFrameModel] | None,
                others: Frames | None = None, rules: list[Rule] | None = None,
                settings: dict[str, Any] | None = None, quarantined: int | None = None) -> dict[str, Any]:
    """Score one table; ``others`` are the build's other tables (for cross-table rules), ``settings``
    what some rules need besides tables (``albedo``, ``teq_tolerance``, ``stores``), ``quarantined`` the
    rows its rule refused (for a table whose catalogue entry counts them; None: not counted)."""
    columns = [str(c) for c in frame.columns]
    flags = CATALOGUE[name].flags if name in CATALOGUE else ()
    dims = {
        "completeness": completeness(frame, required_columns(contract, columns)),
        "validity": validity(frame, contract, flags, quarantined),
        "uniqueness": uniqueness(frame, *table_key(name, contract, columns)),
        "consistency": consistency(name, frame, others or {}, rules, settings),
    }
    scores = {d: v["score"] for d, v in dims.items()}
    reasons = pulled_down_by(scores, _reasons(dims))
    if len(frame):
        overall = overall_of(scores)
    else:
        # An empty table is no data, not perfect data: graded F, so the default bar stops the build
        # naming it; a mode where the table may be empty says so with quality.min_grade.<name>: F.
        overall = None
        reasons.insert(0, {"dimension": "rows", "score": None, "because": ["the table has no rows: nothing to grade"]})
    return {
        "kind": "table",
        "rows": len(frame),
        "scores": scores,
        "not_assessed": sorted(d for d, v in scores.items() if v is None),
        "overall": overall,
        "grade": grade(overall),
        "pulled_down_by": reasons,
        **dims,
    }


def _reasons(dims: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    bar = GRADES["A+"]
    comp = dims["completeness"]
    low_cols = sorted(((v["non_null"], c) for c, v in comp["columns"].items()
                       if v["non_null"] is not None and v["non_null"] < bar and (v["required"] or comp["scored_on"].startswith("all"))))
    uniq = dims["uniqueness"]
    return {
        "completeness": [f"column {c!r}: {v:.1%} non-null" for v, c in low_cols[:MAX_LISTED]],
        "validity": _validity_reasons(dims["validity"])[:MAX_LISTED],
        "uniqueness": [f"{uniq['duplicate_rows']} duplicate row(s) on key {uniq['key']} ({uniq['key_source']})"],
        "consistency": [f"rule {c['name']}: {c['passed']}/{c['checked']} ({c['description']})"
                        for c in dims["consistency"]["checks"]
                        if c["score"] is not None and c["score"] < bar][:MAX_LISTED],
    }


def _validity_reasons(validity: dict[str, Any]) -> list[str]:
    reasons = [f"column {f['column']!r} fails {f['check']} ({f['count']} case(s))"
               for f in sorted(validity["failures"], key=lambda f: (-f["count"], f["column"]))]
    reasons += [f"{count} row(s) flagged {flag} (kept)" for flag, count in validity.get("flagged_rows", {}).items()
                if count]
    if validity.get("quarantined_rows"):
        reasons.append(f"{validity['quarantined_rows']} line(s) quarantined")
    return reasons
