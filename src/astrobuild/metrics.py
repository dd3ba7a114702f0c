"""The build's metrics for DVC: a few numbers per table, not every key of every report.

``dvc metrics show`` and ``dvc exp show`` print one column per leaf value of
every metrics file, so the file DVC reads is curated to fit a screen (a few
dozen leaves whatever the size of the data):

* ``rows.<table>``: rows of each validated table;
* ``grade.<table>``: its overall quality grade (``results/quality/report.json``);
* ``quarantined.<source>``: records quarantined while reading each source;
* ``stores.count``, ``stores.lowest_grade``: the Zarr stores, summed up (one
  per climate run: listing each would grow with the data);
* ``quality_passed``: every table and store at or above its bar.

The detailed reports (``results/reports``, ``results/validation``, the quality
report) stay ordinary outputs. Numbers worth drawing across versions are
also written as small CSV tables for ``dvc plots diff`` (see ``dvc.yaml``): rows per
table, the overall quality score of every table and store, quarantined records per source.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from astrobuild.io import write_json, write_text
from astrobuild.quality.grades import ORDER

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]


def count_quarantined(path: PathLike) -> int:
    """Records of one ``*.quarantine.tsv`` (its header excepted; the writer escapes tabs and newlines)."""
    with open(path, encoding="utf-8") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(lines - 1, 0)


def quarantined_by_source(quarantine: Mapping[str, Iterable[PathLike]]) -> dict[str, int]:
    """Quarantined records per source, from each source's quarantine files."""
    return {source: sum(count_quarantined(p) for p in paths) for source, paths in sorted(quarantine.items())}


def build_metrics(quality: Mapping[str, Any], quarantined: Mapping[str, int]) -> dict[str, Any]:
    """The curated metrics (module docstring) from the quality report and the quarantine counts."""
    tables, stores = quality.get("tables", {}), quality.get("stores", {})
    store_grades = [entry["grade"] for entry in stores.values()]
    return {
        "rows": {name: int(entry["rows"]) for name, entry in sorted(tables.items())},
        "grade": {name: entry["grade"] for name, entry in sorted(tables.items())},
        "quarantined": {source: int(n) for source, n in sorted(quarantined.items())},
        "stores": {"count": len(stores),
                   "lowest_grade": min(store_grades, key=ORDER.index) if store_grades else None},
        "quality_passed": bool(quality.get("summary", {}).get("passed")),
    }


def leaf_count(obj: Any) -> int:
    """Leaf values of a JSON document: the columns ``dvc exp show`` prints for it."""
    if isinstance(obj, dict):
        return sum(leaf_count(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(leaf_count(v) for v in obj)
    return 1


def _csv(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_build_metrics(quality_report: PathLike, quarantine: Mapping[str, Iterable[PathLike]],
                        metrics_path: PathLike, rows_csv: PathLike, quality_csv: PathLike,
                        quarantine_csv: PathLike) -> dict[str, Any]:
    """Write ``results/metrics/build.json`` and the plot tables beside it.

    ``quarantine`` maps each source to its rules' ``*.quarantine.tsv`` files. The tables:
    ``rows_csv`` (table, rows), ``quality_csv`` (name, kind: table or store, overall score,
    grade) and ``quarantine_csv`` (source, quarantined).
    """
    quality = json.loads(Path(quality_report).read_text(encoding="utf-8"))
    quarantined = quarantined_by_source(quarantine)
    metrics = build_metrics(quality, quarantined)
    write_json(metrics, metrics_path)
    write_text(_csv(["table", "rows"], sorted(metrics["rows"].items())), rows_csv)
    graded = [(name, kind, entry["overall"], entry["grade"]) for section, kind in (("tables", "table"), ("stores", "store"))
              for name, entry in sorted(quality.get(section, {}).items())]
    write_text(_csv(["name", "kind", "overall", "grade"], graded), quality_csv)
    write_text(_csv(["source", "quarantined"], sorted(quarantined.items())), quarantine_csv)
    log.info("metrics: %d leaf values in %s (rows and grades of %d tables, %d stores); quarantined %s",
             leaf_count(metrics), metrics_path, len(metrics["rows"]), metrics["stores"]["count"], quarantined)
    return metrics
