"""What people look at after a sample build: the report's figures and the metrics DVC shows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import matplotlib.image as mpimg
import pytest
import yaml

from astrobuild.metrics import leaf_count

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIGURES = ("results/genomes/samples_per_population.png", "results/exoplanets/radius_vs_teq.png",
           "results/spectra/spectra_overlay.png", "results/climate/climate_map.png",
           "results/kegg/pathway_graph.png", "results/planet_runs/runs_per_planet.png")


def test_every_report_figure_is_built_with_its_log(sample_build):
    for figure in FIGURES:
        image = mpimg.imread(sample_build / figure)
        assert image.shape[0] > 200 and image.shape[1] > 300, figure
    for rule in ("plot_climate_map", "plot_pathway_graph", "plot_planet_runs", "write_build_metrics"):
        assert (sample_build / "logs" / f"{rule}.log").exists()
        assert (sample_build / "results" / "benchmarks" / f"{rule}.tsv").exists()
    log = (sample_build / "logs/plot_climate_map.log").read_text()
    assert "'variable': 'TS'" in log and "'time_dim': 'time'" in log  # surface temperature, first and last step


def test_build_metrics_are_short_and_complete(sample_build):
    metrics = json.loads((sample_build / "results/metrics/build.json").read_text())
    tables = {p.stem for p in (sample_build / "results/validation").glob("*.json") if not p.stem.startswith("climate_")}
    tables.add("climate_runs")
    assert set(metrics) == {"rows", "grade", "quarantined", "stores", "quality_passed"}
    assert set(metrics["rows"]) == set(metrics["grade"]) == tables
    assert metrics["rows"]["1000g_samples"] == 211 and metrics["grade"]["1000g_samples"] == "A"
    assert set(metrics["quarantined"]) == {"genomes_1000g", "kegg", "climate", "exoplanets", "spectra", "organisms",
                                           "planet_runs"}
    # The sample quarantines on purpose: 2 listing lines + 3 index lines, 2 KGML files, 1 spectrum file,
    # and 6 of the organisms (a record shorter than its LOCUS line, one without features, an odd qualifier, a KEGG gene xref,
    # an annotated protein no record has, a damaged GTDB line).
    assert metrics["quarantined"]["genomes_1000g"] == 5 and metrics["quarantined"]["spectra"] == 1
    assert metrics["quarantined"]["organisms"] == 6 and metrics["quarantined"]["planet_runs"] == 0  # every planet known
    assert metrics["stores"] == {"count": 13, "lowest_grade": "A+"} and metrics["quality_passed"] is True
    assert leaf_count(metrics) < 60, "dvc exp show prints one column per leaf: keep the metrics curated"


def test_dvc_yaml_declares_the_metrics_and_plots_it_can_draw(sample_build):
    dvc = yaml.safe_load((REPO / "dvc.yaml").read_text())
    assert dvc["metrics"] == ["results/metrics/build.json"]
    assert {"results/reports", "results/validation"}.isdisjoint(dvc["metrics"])
    assert len(dvc["plots"]) >= 3
    for entry in dvc["plots"]:
        (name, spec), = entry.items()
        (data, y_field), = spec["y"].items()
        with open(sample_build / data, newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows and {spec["x"], y_field} <= set(rows[0]), f"plot {name!r}: {data} lacks its axes"
        assert all(float(r[spec["x"]]) >= 0 for r in rows), name
