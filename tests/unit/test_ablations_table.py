"""benchmarks/ablations.py: variants, aggregation over seeds, the verdict and the printed table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import ablations  # noqa: E402


def _records(aurocs: dict[str, list[float]], baselines: list[dict[str, float]]) -> list[dict]:
    return [{"variant": name, "seed": seed, "auroc": value, "baselines": baselines[seed]}
            for name, values in aurocs.items() for seed, value in enumerate(values)]


def test_variants_are_all_and_each_modality_left_out_once():
    v = ablations.variants()
    assert v["all"] == list(ablations.MODALITIES) and len(v) == 5
    for m in ablations.MODALITIES:
        assert v[f"-{m}"] == [x for x in ablations.MODALITIES if x != m]


def test_aggregate_means_sample_sd_paired_drops_and_verdict():
    baselines = [{"majority": 0.5, "logistic_planet_params": 0.6}, {"majority": 0.5, "logistic_planet_params": 0.7},
                 {"majority": 0.5, "logistic_planet_params": 0.65}]
    aurocs = {"all": [0.80, 0.90, 0.85], "-climate": [0.60, 0.70, 0.65], "-spectrum": [0.79, 0.91, 0.84]}
    summary = ablations.aggregate(_records(aurocs, baselines))
    all_row, climate, spectrum = (summary["variants"][k] for k in ("all", "-climate", "-spectrum"))
    assert all_row["mean"] == pytest.approx(0.85) and all_row["sd"] == pytest.approx(0.05)  # n - 1
    assert climate["drop"] == pytest.approx(0.20) and climate["paired_sd"] == pytest.approx(0.0, abs=1e-12)
    assert spectrum["drop"] == pytest.approx(0.01 / 3) and spectrum["paired_drop"] == pytest.approx(0.01 / 3)
    assert summary["baselines"]["logistic_planet_params"]["mean"] == pytest.approx(0.65)
    assert summary["baselines"]["majority"]["sd"] == 0.0
    ok = {c["what"].split(":")[0]: c["ok"] for c in summary["checks"]}
    assert ok["-climate"] is True and ok["-spectrum"] is False
    assert summary["goal_met"] is False


def test_validation_auroc_is_averaged_beside_the_test_figure():
    records = _records({"all": [0.8, 0.9]}, [{"majority": 0.5, "logistic_planet_params": 0.6}] * 2)
    for record, val in zip(records, (0.7, 0.76), strict=True):
        record["val_auroc"] = val
    summary = ablations.aggregate(records)
    assert summary["variants"]["all"]["val_mean"] == pytest.approx(0.73)
    assert "| all | 0.850 ± 0.071 |  |  | 0.800, 0.900 | 0.730 |" in ablations.format_table(summary).splitlines()


def test_missing_auroc_is_left_out_and_the_table_prints_every_row():
    baselines = [{"majority": 0.5, "logistic_planet_params": None}] * 2
    summary = ablations.aggregate(_records({"all": [0.9, None], "-bio_graph": [0.7, 0.8]}, baselines))
    assert summary["variants"]["all"]["mean"] == pytest.approx(0.9) and summary["variants"]["all"]["sd"] == 0.0
    table = ablations.format_table(summary)
    lines = table.splitlines()
    assert lines[0].startswith("| variant | test AUROC (mean ± sd)")
    assert "| all | 0.900 ± 0.000 |  |  | 0.900, n/a | n/a |" in lines
    assert "| -bio_graph | 0.750 ± 0.071 | 0.150 | 0.200 ± 0.000 | 0.700, 0.800 | n/a |" in lines
    assert "| baseline: logistic_planet_params | n/a ± n/a | | | | |" in lines
    assert lines[-1] == "goal met: no"  # a baseline without AUROC cannot be beaten


def test_a_perfect_reader_loses_by_each_modality_left_out_on_the_trainings_splits():
    summary = ablations.perfect_score(25, [0, 1, 2])
    rows = summary["variants"]
    assert set(rows) == set(ablations.variants()) and all(row["n"] == 3 for row in rows.values())
    assert 0.8 < rows["all"]["mean"] < 1.0  # label noise and a hidden band keep it below 1
    for name, row in rows.items():
        if name != "all":  # every fact is worth something on every split (sample docstring)
            assert row["paired_drop"] > 0 and min(rows["all"]["values"][i] - v for i, v in enumerate(row["values"])) > 0
    table = ablations.format_perfect(summary)
    assert table.splitlines()[0].startswith("| perfect score |") and len(table.splitlines()) == 7
