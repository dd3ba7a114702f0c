"""astrobuild.provenance on a tiny hand-made build: the jobs, checksums, facts, the crate (loaded back,
checked against the profiles' required properties, deterministic), the dataset card and the run times."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from rocrate.rocrate import ROCrate

from astrobuild.provenance.build import ProvenanceError, gather_facts, write_provenance
from astrobuild.provenance.card import quarantine_reasons
from astrobuild.provenance.check import REQUIRED, check_crate, data_problems, missing_required
from astrobuild.provenance.crate import build_crate, crate_json
from astrobuild.provenance.facts import (
    NO_DATE,
    build_config,
    config_parameters,
    git_state,
    packages,
    source_facts,
)
from astrobuild.provenance.files import describe, run_specific
from astrobuild.provenance.jobs import Job, plan_jobs, source_lineage
from astrobuild.provenance.times import benchmark_times, run_times
from tests.workflow import REPO

RULES = {  # rule -> (outputs, inputs); "{s}" is a wildcard
    "generate": (["data/raw/sample/{s}"], []),
    "parse": (["data/interim/edges.parquet", "data/interim/edges.quarantine.tsv"], ["data/raw/sample/kegg"]),
    "join": (["data/processed/runs.parquet"], ["data/interim/edges.parquet", "CLIMATE/cube.nc"]),
    "metrics": (["results/metrics/build.json", "results/benchmarks/metrics.timing.json"],
                ["data/processed/runs.parquet", "data/interim/edges.quarantine.tsv"]),
    "manifest": (["results/manifest.json"], ["results/metrics/build.json"]),
}


def _producer(path):
    for rule, (outs, _) in RULES.items():
        if path in outs:
            return rule, {}
    if path.startswith("data/raw/sample/"):
        return "generate", {"s": path.rsplit("/", 1)[1]}
    return None


def _expand(climate: str):
    def expand(rule, wildcards):
        outs, ins = RULES[rule]
        fill = [p.replace("{s}", wildcards.get("s", "")) for p in outs]
        return [p.replace("CLIMATE", climate) for p in ins], fill, f"results/benchmarks/{rule}.tsv"
    return expand


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


@pytest.fixture
def tiny(tmp_path) -> dict:
    """A finished build in ``tmp_path/checkout``: kegg from the sample, climate from a local folder outside."""
    root, mirror = tmp_path / "checkout", tmp_path / "mirror"
    _write(mirror, {"cube.nc": "netcdf bytes"})
    _write(root, {
        "Snakefile": "include: 'rules/a.smk'\n", "rules/a.smk": "rule parse: ...\n", "scripts/s.py": "print(1)\n",
        "envs/e.yaml": "dependencies: [python=3.11]\n", "constraints.txt": "rocrate==0.16.0\nzarr==3.1.6\n",
        "data/raw/sample/kegg/map00010.xml": "<pathway/>\n", "data/raw/sample/kegg/br08901.keg": "A\n",
        "data/interim/edges.parquet": "PAR1 edges", "data/processed/runs.parquet": "PAR1 runs",
        "data/interim/edges.quarantine.tsv": "file\tline\treason\ttext\nkegg:a.xml\t3\tbad XML\tx\n"
                                             "kegg:b.xml\t\tbad XML\ty\nkegg:c.xml\t9\tnot a pathway\tz\n",
        "results/metrics/build.json": json.dumps({"rows": {"kegg_edges": 2}, "grade": {"kegg_edges": "A+"},
                                                  "quarantined": {"kegg": 3}, "stores": {"count": 0},
                                                  "quality_passed": True}),
        "results/benchmarks/metrics.timing.json": "{\"seconds\": 0.1}",
        "results/benchmarks/parse.tsv": "s\th:m:s\tmax_rss\n2.5\t0:00:02\t10\n",
        "results/manifest.json": "{}\n",
    })
    config = {"sources": {"kegg": {"mode": "sample"}, "climate": {"mode": "local", "path": str(mirror)}},
              "sample": {"scale": 1, "seed": 0, "time_steps": 12}, "climate": {"level": 3},
              "resources": {"default": {"threads": 1}}, "fetch": {"retries": 3},
              "train": {"climate": {"grid": 8}, "lr": 0.1}}
    jobs = plan_jobs(["results/manifest.json"], _producer, _expand(str(mirror)))
    rules = {name: {"snakefile": "rules/a.smk", "script": "scripts/s.py", "conda_env": "envs/e.yaml"} for name in RULES}
    kwargs = dict(jobs=[j.as_dict() for j in jobs], rules=rules, config=config, pooling_keys=["climate"],
                  installed={"ROCrate": "0.16.0", "zarr": "3.1.5"}, python="3.11.7", snakemake_version="9.27.1",
                  workflow_files=["Snakefile", "rules/a.smk"], manifest="results/manifest.json",
                  run_specific_patterns=["/results/benchmarks/"], root=root)
    return {"root": root, "mirror": mirror, "config": config, "jobs": jobs, "kwargs": kwargs}


def test_plan_follows_the_rules_from_the_seeds(tiny):
    jobs = {j.key: j for j in tiny["jobs"]}
    assert list(jobs) == sorted(jobs) == ["generate[s=kegg]", "join", "manifest", "metrics", "parse"]
    assert jobs["join"].inputs == ("data/interim/edges.parquet", f"{tiny['mirror']}/cube.nc")
    assert jobs["parse"].benchmark == "results/benchmarks/parse.tsv"
    assert Job.from_dict(jobs["generate[s=kegg]"].as_dict()) == jobs["generate[s=kegg]"]
    sources = source_facts(tiny["config"])
    lineage = source_lineage(tiny["jobs"], lambda p: next((n for n, s in sources.items() if s.holds(p)), None))
    assert lineage["parse"] == ("kegg",) and lineage["join"] == lineage["manifest"] == ("climate", "kegg")


def test_a_folder_s_checksum_is_that_of_its_sha256sum_listing(tiny):
    root = tiny["root"]
    folder = describe("data/raw/sample/kegg", root)
    files = sorted(p for p in (root / "data/raw/sample/kegg").rglob("*") if p.is_file())
    listing = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files)
    assert folder.kind == "folder" and folder.files == 2 and folder.size == sum(p.stat().st_size for p in files)
    assert folder.sha256 == hashlib.sha256(listing.encode()).hexdigest()
    assert describe("nothing/here", root).kind == "missing"
    assert run_specific("results/benchmarks/x/y.tsv", ["/results/benchmarks/"])
    assert not run_specific("data/results/benchmarks/y.tsv", ["/results/benchmarks/"])


def test_facts_name_sources_by_mode_and_keep_machine_paths_out(tiny):
    sources = source_facts({**tiny["config"], "sources": {**tiny["config"]["sources"],
                                                          "exoplanets": {"mode": "remote", "url": "https://mirror.example"}}})
    assert "seed 0, scale 1" in sources["kegg"].origin and "astrobuild.sample.kegg" in sources["kegg"].origin
    assert sources["kegg"].redistribution == "allowed" and "MIT" in sources["kegg"].terms
    assert sources["climate"].mode == "local" and str(tiny["mirror"]) not in sources["climate"].origin
    assert sources["climate"].redistribution == "as given" and not sources["climate"].inside_checkout
    assert sources["exoplanets"].origin.startswith("fetched from https://mirror.example")
    params = dict(config_parameters(build_config(tiny["config"], ["climate"]), sources))
    assert params["sources.climate.path"] == "<the local folder of source climate>"
    assert params["train.climate.grid"] == 8 and "train.lr" not in params and "fetch.retries" not in params
    assert not any(k.startswith("resources.") for k in params)
    pkgs = packages("# pins\nrocrate==0.16.0\nzarr==3.1.6\nslurm-plugin==2.0\n", {"ROCrate": "0.16.0", "zarr": "3.1.5"})
    assert [(p.name, p.version) for p in pkgs] == [("rocrate", "0.16.0"), ("zarr", "3.1.5"), ("slurm-plugin", "2.0")]
    assert "3.1.5 installed" in pkgs[1].note and "not installed" in pkgs[2].note


def test_build_config_is_what_the_dvc_build_stage_takes_as_params():
    from astrobuild.features.config import POOLING_KEYS

    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    (params,) = spec["stages"]["build"]["params"]
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    kept = build_config({**config, "resources": {}, "fetch": {}, "predict": {}}, POOLING_KEYS)
    assert sorted([*[k for k in kept if k != "train"], *[f"train.{k}" for k in kept["train"]]]) == \
        sorted(params["config/config.yaml"])


def test_git_state_outside_and_inside_a_checkout(tmp_path):
    assert git_state(tmp_path, environ={}) .commit is None and git_state(tmp_path, environ={}).date == NO_DATE
    assert git_state(tmp_path, environ={"SOURCE_DATE_EPOCH": "86400"}).date.startswith("1970-01-02")
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00"}
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Snakefile").write_text("x\n")
    for args in (["init", "-q"], ["add", "Snakefile"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)
    state = git_state(repo)
    assert len(state.commit) == 40 and state.dirty is False and state.date == "2026-01-02T03:04:05+00:00"
    (repo / "new.txt").write_text("y\n")
    assert git_state(repo).dirty is True and "uncommitted" in git_state(repo).status
    (repo / "sub").mkdir()
    assert git_state(repo / "sub").commit is None  # a folder inside someone else's checkout


def _crate(tiny) -> dict:
    return json.loads(crate_json(build_crate(gather_facts(**tiny["kwargs"]))))


def test_the_crate_loads_back_meets_the_profiles_and_its_checksums_hold(tiny):
    metadata = _crate(tiny)
    assert missing_required(metadata) == []
    assert data_problems(metadata, tiny["root"]) == []
    crate = ROCrate(copy.deepcopy(metadata))
    ids = {e.id for e in crate.get_entities()}
    assert {"data/raw/sample/kegg/", "data/interim/edges.parquet", "results/manifest.json", "Snakefile"} <= ids
    # A local source's file outside the checkout: named by its source, never by the machine's path.
    assert "#input/climate/cube.nc" in ids and str(tiny["mirror"]) not in json.dumps(metadata)
    # A run's own timings are in no crate; the benchmark files neither.
    assert not any("benchmarks" in i for i in ids)
    graph = {e["@id"]: e for e in metadata["@graph"]}
    join = graph["#job-join"]
    assert join["instrument"] == {"@id": "#rule-join"}
    assert join["object"] == [{"@id": "data/interim/edges.parquet"}, {"@id": "#input/climate/cube.nc"}]
    assert graph["data/processed/runs.parquet"]["isBasedOn"] == [{"@id": "#source-climate"}, {"@id": "#source-kegg"}]
    assert graph["#value-sample.scale"]["value"] == 1 and graph["#build"]["instrument"] == {"@id": "Snakefile"}
    assert graph["https://pypi.org/project/zarr/3.1.5/"]["description"].startswith("pinned 3.1.6")
    assert "startTime" not in json.dumps(metadata) and metadata["@graph"][0]["datePublished"] == NO_DATE


def test_a_changed_file_and_a_missing_property_are_found(tiny):
    metadata = _crate(tiny)
    (tiny["root"] / "data/interim/edges.parquet").write_text("PAR1 changed", encoding="utf-8")
    (tiny["root"] / "data/raw/sample/kegg/br08901.keg").unlink()
    problems = data_problems(metadata, tiny["root"])
    assert any(p.startswith("data/interim/edges.parquet: sha256") for p in problems)
    assert any(p.startswith("data/raw/sample/kegg: sha256") for p in problems)
    for drop, requirement in ((("./", "license"), "RO-Crate: the root has name, description, license and datePublished"),
                              (("#orchestration", "result"), "Provenance Run Crate: an OrganizeAction"),
                              (("#control-job-join", "instrument"), "Provenance Run Crate: every ControlAction"),
                              (("Snakefile", "programmingLanguage"), "Workflow RO-Crate: the main workflow has a "
                                                                      "programmingLanguage")):
        broken = copy.deepcopy(metadata)
        entity = next(e for e in broken["@graph"] if e["@id"] == drop[0])
        del entity[drop[1]]
        missing = missing_required(broken)
        assert len(missing) == 1 and missing[0].startswith(requirement), (drop, missing)
    no_steps = copy.deepcopy(metadata)
    next(e for e in no_steps["@graph"] if e["@id"] == "Snakefile")["@type"].remove("HowTo")
    assert missing_required(no_steps) == ["Provenance Run Crate: a workflow with steps is also a HowTo"]
    assert len(REQUIRED) >= 19


def test_two_crates_of_one_build_are_byte_identical(tiny):
    first = crate_json(build_crate(gather_facts(**tiny["kwargs"])))
    os.utime(tiny["root"] / "data/interim/edges.parquet", (1, 1))  # times are no part of a crate
    assert crate_json(build_crate(gather_facts(**{**tiny["kwargs"], "threads": 4}))) == first


def test_write_provenance_writes_card_times_and_a_checked_crate(tiny):
    root = tiny["root"]
    out = {"crate_path": "results/provenance/ro-crate-metadata.json", "card_path": "results/provenance/DATASET.md",
           "card_html_path": "results/provenance/DATASET.html", "times_path": "results/provenance/run-times.json"}
    counts = write_provenance(gather_facts(**tiny["kwargs"]), **out, tables={}, metrics_path="results/metrics/build.json",
                              quarantine={"kegg": ["data/interim/edges.quarantine.tsv"]}, root=root)
    assert counts["jobs"] == 5 and check_crate(root / out["crate_path"], root) == []
    card = (root / out["card_path"]).read_text(encoding="utf-8")
    assert "| `kegg` | 3 | bad XML (2); not a pathway (1) |" in card
    assert "No versioned file derives from a source whose terms forbid redistribution" in card
    assert "derive from user files (`climate`)" in card and "outside a git checkout" in card
    assert "<table>" in (root / out["card_html_path"]).read_text(encoding="utf-8")
    times = json.loads((root / out["times_path"]).read_text(encoding="utf-8"))
    assert times["jobs"]["parse"]["seconds"] == 2.5 and times["jobs"]["join"]["startTime"] is None
    assert times["span"]["jobs_with_times"] == 1


def test_the_card_names_what_derives_from_a_source_that_forbids_redistribution(tiny):
    kwargs = copy.deepcopy(tiny["kwargs"])
    kwargs["config"]["sources"]["kegg"] = {"mode": "local", "path": "data/raw/sample/kegg"}  # KEGG's own files
    facts = gather_facts(**kwargs)
    assert facts.sources["kegg"].redistribution == "forbidden"
    write_provenance(facts, crate_path="c.json", card_path="card.md", card_html_path="card.html", times_path="t.json",
                     tables={}, metrics_path="results/metrics/build.json", quarantine={}, root=tiny["root"])
    card = (tiny["root"] / "card.md").read_text(encoding="utf-8")
    private = card.split("### What must stay private", 1)[1].split("##", 1)[0]
    assert "derive from `kegg`, whose terms forbid redistribution" in private
    for path in ("data/interim/edges.parquet", "data/processed/runs.parquet", "results/manifest.json"):
        assert f"- `{path}`" in private


def test_a_missing_product_is_refused_naming_it(tiny):
    (tiny["root"] / "data/processed/runs.parquet").unlink()
    with pytest.raises(ProvenanceError, match="data/processed/runs.parquet"):
        gather_facts(**tiny["kwargs"])


def test_run_times_come_from_the_benchmark_files(tmp_path):
    bench = tmp_path / "b.tsv"
    bench.write_text("s\th:m:s\n10.0\t0:00:10\n")
    os.utime(bench, (1_000_000, 1_000_000))
    assert benchmark_times(bench) == {"startTime": "1970-01-12T13:46:30.000+00:00",
                                      "endTime": "1970-01-12T13:46:40.000+00:00", "seconds": 10.0}
    assert benchmark_times(tmp_path / "none.tsv") is None
    (tmp_path / "bad.tsv").write_text("x\n1\n")
    with pytest.raises(ValueError, match="bad.tsv"):
        benchmark_times(tmp_path / "bad.tsv")
    times = run_times([Job("a", (), (), (), "b.tsv"), Job("c", (), (), ())], tmp_path)
    assert times["span"] == {"startTime": "1970-01-12T13:46:30.000+00:00", "endTime": "1970-01-12T13:46:40.000+00:00",
                             "jobs_with_times": 1, "jobs": 2}


def test_quarantine_reasons_count_rows_by_reason(tmp_path):
    path = tmp_path / "q.tsv"
    # The writer escapes tabs and newlines; a quote is text (no CSV quoting).
    path.write_text("file\tline\treason\ttext\na\t1\tbad\t\"quoted\nb\t2\tbad\tx\nc\t3\t\tz\n", encoding="utf-8")
    assert dict(quarantine_reasons([path])) == {"bad": 2, "(no reason given)": 1}


def test_after_a_pull_absent_raw_inputs_are_no_problem_unless_asked(tiny):
    metadata = _crate(tiny)
    import shutil

    shutil.rmtree(tiny["root"] / "data/raw")
    assert data_problems(metadata, tiny["root"], raw_required=False) == []
    assert data_problems(metadata, tiny["root"]) == ["data/raw/sample/kegg: missing under " + str(tiny["root"])]
