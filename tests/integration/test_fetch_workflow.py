"""Remote mode end to end against real servers on 127.0.0.1 (issues 13, 14): the sample laid out as its
upstreams serve it, an HTTP server (KEGG REST, the archive's TAP, cube and spectrum manifests, NCBI's
efetch) and an FTP server (the 1000 Genomes tree); the fetch rules feed the same parsing rules as local mode. No test
reaches beyond the loopback interface."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from astrobuild.contracts.catalogue import CATALOGUE
from tests.support.loopback import Fault, LoopbackHTTP, loopback_ftp, query_of
from tests.support.upstream import LISTING_ROOT, write_upstream
from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration
FAST = {"retries": 3, "backoff": 0.05, "backoff_max": 1.0, "jitter": 0.01, "retry_after_max": 5,
        "connect_timeout": 5, "read_timeout": 10}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    tree = write_upstream(tmp_path_factory.mktemp("upstream"))
    with LoopbackHTTP(tree.routes) as http, loopback_ftp(tree.ftp_root) as ftp:
        yield tree, http, ftp


def _configure(work: Path, config: dict) -> None:
    (work / "remote.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_remote_build_of_the_sample_from_loopback_servers(upstream, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    tree, http, ftp = upstream
    secret = "integration-ncbi-key-0123456789"
    monkeypatch.setenv("NCBI_API_KEY", secret)  # inherited by Snakemake and its jobs
    work = copy_workflow(tmp_path / "work")
    _configure(work, {**tree.remote_config(http.url, ftp), "fetch": FAST})
    # What a real upstream does now and then, survived inside the build: 503 twice, a 429 with
    # Retry-After, a cube cut off half way.
    http.fail("/archive/TAP/sync", Fault(503), Fault(503))
    http.fail("/kegg/list/pathway", Fault(429, (("Retry-After", "1"),)))
    cube = "/climate/asb0001_b__present_day.nc"
    http.fail(cube, Fault(cut=tree.routes[cube].stat().st_size // 2))
    # The cube manifest first (the DAG needs the cube names), then the build.
    snakemake(work, "--configfile", "remote.yaml", "fetch_gcm_manifest")
    targets = ("results/validation/planet_runs.json", "results/genomes/1000g_summary.json",
               "results/validation/kegg_pathway_list.json", "results/validation/kegg_env_tags.json")
    snakemake(work, "--configfile", "remote.yaml", *targets)

    remote = work / "data" / "raw" / "remote"
    assert len(http.hits("/archive/TAP/sync")) == 3
    assert len(http.hits(cube)) == 2  # cut, then fetched again (resuming is the third test's)
    assert (remote / "climate" / Path(cube).name).read_bytes() == tree.routes[cube].read_bytes()
    # Staging folders are empty once their jobs succeeded: outputs hold the complete files only.
    assert not [p for p in (remote / ".staging").rglob("*") if p.is_file()]

    # The same parsing rules as local mode, fed by the fetched files.
    master = pq.read_table(work / CATALOGUE["1000g_master"].path).to_pydict()
    assert master["ftp_path"] and all(p.startswith(LISTING_ROOT + "/") for p in master["ftp_path"])
    samples = pq.read_table(work / CATALOGUE["1000g_samples"].path)
    assert samples.num_rows > 0
    planets = tree.routes["/archive/TAP/sync"].read_text().count("\n") - 1 - sum(
        line.startswith("#") for line in tree.routes["/archive/TAP/sync"].read_text().splitlines())
    assert pq.read_table(work / CATALOGUE["exoplanets"].path).num_rows == planets
    assert pq.read_table(work / CATALOGUE["kegg_edges"].path).num_rows > 0
    assert pq.read_table(work / CATALOGUE["kegg_env_tags"].path).num_rows > 0
    assert pq.read_table(work / CATALOGUE["spectra"].path).num_rows > 0
    runs = pq.read_table(work / CATALOGUE["planet_runs"].path)
    assert runs.num_rows == sum(1 for name in tree.routes if name.startswith("/climate/") and name.endswith(".nc"))
    assert "summary kegg pathways" in (work / "logs/fetch_kegg_pathways.log").read_text()

    # Organisms from efetch, 10 accessions a request, the API key sent and never written down; the
    # registry's biospheres come from them (an organism of runs.csv missing would stop it).
    efetch = http.hits("/eutils/efetch.fcgi")
    assert len(efetch) == -(-len(tree.accessions) // 10) and all(query_of(r, "api_key") == secret for r in efetch)
    fetched = sorted(p.name for p in (remote / "organisms" / "genbank").glob("*.gbff"))
    assert fetched == sorted(f"{a}.gbff" for a in tree.accessions)
    organisms = pq.read_table(work / CATALOGUE["organisms"].path).to_pydict()
    quarantined = (work / CATALOGUE["organisms"].quarantine).read_text()
    for accession in tree.accessions:
        bare = accession.split(".")[0]
        assert bare in organisms["accession"] or bare in quarantined, accession
    assert set(runs.column("biosphere_source").to_pylist()) <= {"organisms", "both"}
    for log in [*(work / "logs").rglob("*.log"), *(work / ".snakemake" / "log").glob("*.log")]:
        assert secret not in log.read_text(errors="replace"), log

    # A re-run has nothing to do: the rules' outputs are complete.
    dry = snakemake(work, "--configfile", "remote.yaml", "-n", *targets)
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_a_listing_with_dotdot_fails_naming_the_entry(upstream, tmp_path: Path) -> None:
    tree, http, ftp = upstream
    good = next(p for p in tree.routes if p.startswith("/spectra/") and p.endswith(".csv") and "manifest" not in p)
    http.routes["/evil/ok.csv"] = tree.routes[good]
    http.routes["/evil/manifest.csv"] = b"path,md5,bytes\nok.csv,,\n../../outside.csv,,\n"
    work = copy_workflow(tmp_path / "work")
    _configure(work, {"sources": {"spectra": {"mode": "remote", "url": f"{http.url}/evil"}}, "fetch": FAST})
    proc = snakemake(work, "--configfile", "remote.yaml", "fetch_spectra", check=False)
    assert proc.returncode != 0
    log = (work / "logs/fetch_spectra.log").read_text()
    assert "line 3: path '../../outside.csv' refused: '..' segment" in log
    assert not (work / "data/raw/remote/spectra/files").exists() and not (tmp_path / "outside.csv").exists()
    assert not http.hits("/outside.csv")


def test_md5_mismatch_fails_with_both_values_and_a_cut_download_resumes_next_run(upstream, tmp_path: Path) -> None:
    tree, http, ftp = upstream
    big = tmp_path / "big.index"
    big.write_bytes(os.urandom(10 * 2**20 + 321))  # more than two 4 MiB read blocks
    good_md5 = hashlib.md5(big.read_bytes()).hexdigest()
    http.routes["/igsr/vol1/big.index"] = big
    work = copy_workflow(tmp_path / "work")
    source = {"mode": "remote", "url": f"{http.url}/igsr", "dirlists": ["vol1"]}
    wrong = {**source, "indices": [{"path": "vol1/big.index", "md5": "f" * 32}]}
    _configure(work, {"sources": {"genomes_1000g": wrong}, "fetch": FAST})
    proc = snakemake(work, "--configfile", "remote.yaml", "fetch_1000g_indices", check=False)
    assert proc.returncode != 0
    log = (work / "logs/fetch_1000g_indices.log").read_text()
    assert f"md5 mismatch: expected {'f' * 32}, got {good_md5}" in log
    assert not [p for p in (work / "data/raw/remote").rglob("big.index*")]  # deleted, nothing looks complete

    # Now the right md5, and a transfer cut at 9 MiB with no retry left: the job fails, Snakemake
    # removes its outputs, but the staging folder keeps the partial file ...
    right = {**source, "indices": [{"path": "vol1/big.index", "md5": good_md5}]}
    _configure(work, {"sources": {"genomes_1000g": right}, "fetch": {**FAST, "retries": 0}})
    http.fail("/igsr/vol1/big.index", Fault(cut=9 * 2**20 + 5))
    assert snakemake(work, "--configfile", "remote.yaml", "fetch_1000g_indices", check=False).returncode != 0
    parts = list((work / "data/raw/remote/.staging").rglob("*.part"))
    assert len(parts) == 1 and 0 < parts[0].stat().st_size < big.stat().st_size
    kept = parts[0].stat().st_size
    # ... and the next run asks for the rest only.
    snakemake(work, "--configfile", "remote.yaml", "fetch_1000g_indices")
    assert http.hits("/igsr/vol1/big.index")[-1].range == f"bytes={kept}-"
    assert (work / "data/raw/remote/genomes_1000g/indices/vol1/big.index").read_bytes() == big.read_bytes()
