"""The quality_report target on the built-in sample, run by Snakemake in a temporary copy of the repository."""

from __future__ import annotations

import json

import pytest

from tests.workflow import clone_build, snakemake

pytestmark = pytest.mark.integration
TARGET = "results/quality/report.json"


def test_quality_report_on_the_sample(sample_build, tmp_path):
    repo = clone_build(sample_build, tmp_path / "repo")  # this test reruns the rule with other bars
    report = json.loads((repo / TARGET).read_text())
    tables = report["tables"]
    assert {"1000g_master", "1000g_samples", "kegg_edges", "env_vectors"} <= set(tables)
    for name, entry in tables.items():
        validation = json.loads((repo / "results" / "validation" / f"{name}.json").read_text())
        assert entry["rows"] == validation["rows"] > 0, name
        # validate_table let them through; the lines a rule refused count where the table counts them
        refused = entry["validity"].get("quarantined_rows", 0)
        assert entry["scores"]["validity"] == round(1.0 - refused / (entry["rows"] + refused), 6), name
    # spectra: the sample's one broken line (a row of 2 fields) is quarantined and counted; no depth is negative
    assert tables["spectra"]["validity"]["quarantined_rows"] == 1
    assert tables["spectra"]["validity"]["flagged_rows"] == {"depth_negative": 0}
    # A few indexed samples of the sample universe have no files in the listings: a real,
    # cross-table finding, which makes 1000g_samples an A and not an A+.
    samples = tables["1000g_samples"]
    assert samples["grade"] == "A" and samples["passed"]
    assert [p["dimension"] for p in samples["pulled_down_by"]] == ["consistency"]
    assert "samples_in_master" in samples["pulled_down_by"][0]["because"][0]
    assert tables["env_vectors"]["grade"] == "A+" and tables["env_vectors"]["consistency"]["rules"] == 2
    # Every table has its key and its rules: nothing is scored 1.0 by construction, nothing is "not
    # assessed", and the tables of the planet-run registry hold on the sample as everything else does.
    keys = {"exoplanets": ["planet"], "planet_runs": ["run_id"], "climate_runs": ["store"],
            "spectra": ["spectrum", "order", "wavelength_um"], "kegg_env_tags": ["pathway", "tag"]}
    for name, key in keys.items():
        assert tables[name]["uniqueness"]["key"] == key, name
        assert tables[name]["grade"] == "A+", name
    for name, entry in tables.items():
        consistency = entry["consistency"]
        assert consistency["score"] is not None and consistency["assessed"] >= 1 and not consistency["skipped"], name
    assert report["summary"]["not_assessed"] == {}
    assert all(grade == "A+" for name, grade in report["summary"]["grades"].items() if name != "1000g_samples")
    assert report["summary"]["passed"]
    assert set(report["summary"]["grades"]) == set(tables) | set(report["stores"])  # stores: once the climate chain is in
    html = (repo / "results/quality/report.html").read_text()
    assert "1000g_samples" in html and "Completeness per column" in html

    # Raising the bar of a table below A+ stops the build, naming it and why (and the log has the report).
    (repo / "raise.yaml").write_text("quality:\n  min_grade: {1000g_samples: A+}\n", encoding="utf-8")
    failed = snakemake(repo, TARGET, "--configfile", "raise.yaml", "--forcerun", "quality_report", check=False)
    assert failed.returncode != 0
    message = failed.stdout + failed.stderr
    assert "table '1000g_samples' is graded A" in message and "samples_in_master" in message
    assert not (repo / TARGET).exists()
    assert '"grade": "A"' in (repo / "logs/quality_report.log").read_text()

    # A strict default with this one table's bar lowered passes again.
    (repo / "lower.yaml").write_text("quality:\n  default_min_grade: A+\n  min_grade: {1000g_samples: A}\n",
                                     encoding="utf-8")
    snakemake(repo, TARGET, "--configfile", "lower.yaml")
    assert json.loads((repo / TARGET).read_text())["summary"]["passed"]

    # One command gives the browsable report of the build, the quality page included.
    snakemake(repo, TARGET, "--report", "report.html")
    page = (repo / "report.html").read_text()
    assert "Quality" in page and "report.html" in page
