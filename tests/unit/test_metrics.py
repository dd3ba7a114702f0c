"""The curated metrics DVC shows: a few leaves per table, whatever the number of stores."""

from __future__ import annotations

import csv
import json

from astrobuild.metrics import build_metrics, count_quarantined, leaf_count, write_build_metrics
from astrobuild.quarantine import Quarantine


def _quality(stores: int) -> dict:
    tables = {"1000g_samples": {"rows": 211, "grade": "A", "overall": 0.971564},
              "kegg_edges": {"rows": 2460, "grade": "A+", "overall": 1.0}}
    return {
        "tables": {name: {**entry, "scores": {"completeness": 1.0}, "columns": {"x": {}}} for name, entry in tables.items()},
        "stores": {f"climate_run{i:03d}": {"grade": "B" if i == 1 else "A+", "overall": 0.93 if i == 1 else 0.99}
                   for i in range(stores)},
        "summary": {"passed": True, "grades": {}},
    }


def test_count_quarantined_reads_the_written_file(tmp_path):
    quarantine = Quarantine()
    quarantine.write(tmp_path / "empty.tsv")
    assert count_quarantined(tmp_path / "empty.tsv") == 0
    quarantine.add("a.index", 3, "truncated last line", "HG0\t1")
    quarantine.add("a.index", 9, "not UTF-8 text", b"\xff\n")
    quarantine.write(tmp_path / "two.tsv")
    assert count_quarantined(tmp_path / "two.tsv") == 2


def test_metrics_are_curated_and_do_not_grow_with_the_stores():
    metrics = build_metrics(_quality(stores=3), {"kegg": 2, "genomes_1000g": 5})
    assert metrics == {
        "rows": {"1000g_samples": 211, "kegg_edges": 2460},
        "grade": {"1000g_samples": "A", "kegg_edges": "A+"},
        "quarantined": {"genomes_1000g": 5, "kegg": 2},
        "stores": {"count": 3, "lowest_grade": "B"},
        "quality_passed": True,
    }
    many = build_metrics(_quality(stores=500), {"kegg": 2, "genomes_1000g": 5})
    assert leaf_count(many) == leaf_count(metrics) == 9
    assert build_metrics({"tables": {}, "stores": {}}, {})["stores"] == {"count": 0, "lowest_grade": None}


def test_write_build_metrics_and_plot_tables(tmp_path):
    (tmp_path / "quality.json").write_text(json.dumps(_quality(stores=2)))
    Quarantine().write(tmp_path / "q0.tsv")
    bad = Quarantine()
    bad.add("x.csv", 1, "bad row")
    bad.write(tmp_path / "q1.tsv")
    out = {name: tmp_path / "metrics" / name for name in ("build.json", "rows.csv", "quality.csv", "quarantine.csv")}
    write_build_metrics(tmp_path / "quality.json", {"spectra": [tmp_path / "q1.tsv"], "climate": [tmp_path / "q0.tsv"]},
                        out["build.json"], out["rows.csv"], out["quality.csv"], out["quarantine.csv"])
    assert json.loads(out["build.json"].read_text())["quarantined"] == {"climate": 0, "spectra": 1}

    def rows(name: str) -> list[dict[str, str]]:
        with open(out[name], newline="") as handle:
            return list(csv.DictReader(handle))

    assert rows("rows.csv") == [{"table": "1000g_samples", "rows": "211"}, {"table": "kegg_edges", "rows": "2460"}]
    assert [(r["name"], r["kind"], r["grade"]) for r in rows("quality.csv")] == [
        ("1000g_samples", "table", "A"), ("kegg_edges", "table", "A+"),
        ("climate_run000", "store", "A+"), ("climate_run001", "store", "B")]
    assert rows("quarantine.csv") == [{"source": "climate", "quarantined": "0"}, {"source": "spectra", "quarantined": "1"}]
