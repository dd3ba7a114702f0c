"""The build's quality report: score every table and store, write JSON + HTML, hold the bars."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from astrobuild.configschema import defaults
from astrobuild.io import dumps_json, read_parquet, write_json, write_text
from astrobuild.quality.grades import DEFAULT_MIN_GRADE, GRADES, min_grade_for, passes
from astrobuild.quality.stores import score_store
from astrobuild.quality.tables import score_table
from astrobuild.quarantine import quarantined_lines

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]


class QualityError(RuntimeError):
    """A table or store is graded below its bar; the message names it, its grade and why."""


def _read_json(path: PathLike) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_tables(tables: dict[str, PathLike]) -> dict[str, pd.DataFrame]:
    return {name: read_parquet(path).to_pandas() for name, path in sorted(tables.items())}


def with_defaults(config: dict[str, Any] | None) -> dict[str, Any]:
    """The ``quality`` config over the schema's defaults (the workflow's config already has them;
    direct calls, tests and benchmarks get the same values, with no second copy here)."""
    return {**defaults("quality"), **(config or {})}


def rule_settings(config: dict[str, Any], stores: dict[str, PathLike], albedo: float | None) -> dict[str, Any]:
    """What rules need besides the tables: the build's albedo, the T_eq tolerance, the stores graded."""
    return {"albedo": albedo, "teq_tolerance": config["teq_tolerance"],
            "stores": sorted(os.fspath(p) for p in stores.values())}


def build_report(tables: dict[str, PathLike], stores: dict[str, PathLike], validations: dict[str, PathLike],
                 config: dict[str, Any] | None = None, frames: dict[str, pd.DataFrame] | None = None,
                 contracts: dict[str, Any] | None = None, albedo: float | None = None,
                 quarantines: dict[str, PathLike] | None = None) -> dict[str, Any]:
    """Score every table (name -> Parquet) and store (name -> Zarr); ``validations`` maps each
    name to its ``results/validation/<name>.json``; ``albedo`` is config ``exoplanets.albedo``
    (without it the rules comparing T_eq are skipped); ``quarantines`` maps a table to its quarantine
    file when its refused lines count against its validity
    (:func:`~astrobuild.contracts.catalogue.counted_quarantines`). Returns the report (JSON-ready, deterministic)."""
    quarantines = quarantines or {}
    if contracts is None:
        from astrobuild.contracts.catalogue import CONTRACTS as contracts
    config = with_defaults(config)
    frames = load_tables(tables) if frames is None else frames
    settings = rule_settings(config, stores, albedo)
    report: dict[str, Any] = {"tables": {}, "stores": {}}
    for name in sorted(tables):
        quarantined = quarantined_lines(quarantines[name]) if name in quarantines else None
        entry = score_table(name, frames[name], contracts.get(name), {k: v for k, v in frames.items() if k != name},
                            settings=settings, quarantined=quarantined)
        entry["path"] = os.fspath(tables[name])
        if name in quarantines:
            entry["quarantine"] = os.fspath(quarantines[name])
        if name in validations:
            contract_report = _read_json(validations[name])
            entry["validation_report"] = {"path": os.fspath(validations[name]),
                                          "valid": bool(contract_report.get("valid")),
                                          "rows": contract_report.get("rows")}
        report["tables"][name] = entry
    for name in sorted(stores):
        validation = _read_json(validations[name]) if name in validations else {}
        entry = score_store(name, stores[name], validation)
        entry["path"] = os.fspath(stores[name])
        entry["validation_report"] = {"path": os.fspath(validations[name]) if name in validations else None,
                                      "valid": bool(validation.get("valid")),
                                      "source": validation.get("source")}
        report["stores"][name] = entry
    for section in ("tables", "stores"):
        for name, entry in report[section].items():
            bar = min_grade_for(name, config)
            entry["min_grade"] = bar
            entry["passed"] = passes(entry["grade"], bar)
    known = set(tables) | set(stores)
    below = sorted(n for s in ("tables", "stores") for n, e in report[s].items() if not e["passed"])
    report["summary"] = {
        "grades": {n: e["grade"] for s in ("tables", "stores") for n, e in sorted(report[s].items())},
        "below_bar": below,
        "passed": not below,
        # Dimensions with nothing to score (null, "not assessed"), per table/store that has any.
        "not_assessed": {n: e["not_assessed"] for s in ("tables", "stores") for n, e in sorted(report[s].items())
                         if e["not_assessed"]},
        # Overrides naming nothing built are kept visible, not an error: a table may only
        # exist in some modes (e.g. KEGG lists in local mode).
        "unused_overrides": sorted(set(config.get("min_grade") or {}) - known),
    }
    report["grading"] = {"grades": dict(GRADES), "default_min_grade": config.get("default_min_grade", DEFAULT_MIN_GRADE),
                         "min_grade": dict(sorted((config.get("min_grade") or {}).items())),
                         "overall": "minimum of the assessed scores of completeness, validity, uniqueness, "
                                    "consistency (not assessed: null, left out); a table without rows is F",
                         "teq_tolerance": settings["teq_tolerance"], "albedo": albedo}
    return report


def describe_failure(name: str, entry: dict[str, Any]) -> str:
    why = "; ".join(p["dimension"] + ("" if p["score"] is None else f" {p['score']:.4f}")
                    + (f" ({', '.join(p['because'])})" if p["because"] else "")
                    for p in entry["pulled_down_by"]) or "nothing below A+"
    overall = "none assessed" if entry["overall"] is None else f"{entry['overall']:.4f}"
    return (f"{entry['kind']} {name!r} is graded {entry['grade']} (overall {overall}), "
            f"below its bar {entry['min_grade']} (quality.min_grade.{name}); pulled down by: {why}")


def check_bars(report: dict[str, Any]) -> None:
    """Raise :class:`QualityError` naming every table/store below its bar."""
    failing = [describe_failure(name, entry) for section in ("tables", "stores")
               for name, entry in sorted(report[section].items()) if not entry["passed"]]
    if failing:
        raise QualityError("quality report: " + str(len(failing)) + " below the bar:\n  " + "\n  ".join(failing))


def quality_report(tables: dict[str, PathLike], stores: dict[str, PathLike], validations: dict[str, PathLike],
                   config: dict[str, Any] | None, json_path: PathLike, html_path: PathLike,
                   albedo: float | None = None, quarantines: dict[str, PathLike] | None = None) -> dict[str, Any]:
    """Rule quality_report: score, write the JSON and the HTML page, log it, then hold the bars."""
    from astrobuild.quality.html import render_html

    config = with_defaults(config)
    frames = load_tables(tables)
    report = build_report(tables, stores, validations, config, frames=frames, albedo=albedo, quarantines=quarantines)
    write_json(report, json_path)
    write_text(render_html(report, frames, stores, max_histograms=config["max_histograms"],
                           max_store_figures=config["max_store_figures"]), html_path)
    for name, grade in report["summary"]["grades"].items():
        log.info("%s: %s", name, grade)
    # The whole report goes to the log first: when a bar stops the build, Snakemake
    # removes the outputs, and the log is where the user reads why.
    log.info("quality report:\n%s", dumps_json(report))
    check_bars(report)
    return report
