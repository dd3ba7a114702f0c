"""The KEGG targets of the workflow, run by Snakemake in a temporary copy of the repository."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.kegg.graphs import load_graph_store
from tests.workflow import copy_workflow, snakemake

pytestmark = pytest.mark.integration
TARGETS = ["results/validation/graphs/kegg_graphs.json", "results/validation/kegg_pathway_list.json",
           "results/validation/kegg_gene_list.json"]


def test_kegg_targets_on_the_sample(sample_build):
    repo = sample_build
    for table in ("kegg_edges", "kegg_env_tags", "kegg_overview_members", "env_vectors", "kegg_pathway_list",
                  "kegg_gene_list"):
        report = json.loads((repo / "results" / "validation" / f"{table}.json").read_text())
        assert report["valid"] and report["rows"] > 0, table
        assert validate_table(table, repo / report["file"])["valid"], table  # re-checked here, not trusted
    graphs = json.loads((repo / TARGETS[0]).read_text())
    edges = pq.read_table(repo / "data/interim/kegg_edges.parquet").to_pandas()
    env = pq.read_table(repo / "data/interim/env_vectors.parquet").to_pandas()
    assert graphs["valid"] and graphs["graphs"] == edges["pathway"].nunique() == len(env)
    assert not env.isna().any().any()
    assert env.set_index("pathway").loc["map00680", "O2"] == 0.0  # the methanogenesis row of the mapping
    store = load_graph_store(repo / "data/processed/kegg_graphs")
    assert "cpd:C01438" in set(store.graph("map00680")["node_ids"])
    quarantine = (repo / "data/interim/kegg_edges.quarantine.tsv").read_text().splitlines()
    # Named by source and path under its root (the sample directory), the same on every machine.
    assert {line.split("\t")[0] for line in quarantine[1:]} == {"kegg:map00590.xml", "kegg:map00591.xml"}
    env_report = json.loads((repo / "results/reports/make_env_vectors.json").read_text())
    assert env_report["pathways"] == len(env) and 0 <= env_report["took_default"] < len(env)


def test_kegg_targets_on_real_files_in_local_mode(realdata, tmp_path):
    repo = copy_workflow(tmp_path / "repo")
    (repo / "local.yaml").write_text(f"sources:\n  kegg: {{mode: local, path: '{realdata / 'kegg'}'}}\n", encoding="utf-8")
    snakemake(repo, TARGETS[0], "--configfile", "local.yaml")
    edges = pq.read_table(repo / "data/interim/kegg_edges.parquet").to_pandas()
    assert set(edges["pathway"]) == {"ko00010", "ko00253", "hsa00020"}  # ko03070 has no reactions
    report = json.loads((repo / "results/reports/kegg_to_edges.json").read_text())
    assert report["files_without_reactions"] == 1 and report["quarantined_files"] == 0
    tags = pq.read_table(repo / "data/interim/kegg_env_tags.parquet").to_pandas()
    assert len(tags) >= 542
    assert json.loads((repo / TARGETS[0]).read_text())["graphs"] == 3
