"""Environment vectors from the documented mapping, and the graph store (write, load, torch, check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from astrobuild.contracts.kegg import KeggEnvVectors
from astrobuild.kegg.env import env_vector, env_vectors, load_mapping
from astrobuild.kegg.graphs import (
    check_graph_store,
    load_graph_store,
    to_torch,
    write_graph_store,
    write_graphml,
)

ROOT = Path(__file__).resolve().parents[2]
MAPPING = """
defaults: {pH: 7.0, temp: 298.15, O2: 0.2095, redox: 0.4}   # reference
pathways:
  "00680": {O2: 0.0, redox: -0.3}     # methanogens
overviews:
  "01120": {temp: 303.15}             # microbes
  "01220": {temp: 293.15, O2: 0.1}    # aromatic
tags:
  "Metabolism": {pH: 6.0}             # everything metabolic
  "Metabolism/Energy metabolism": {pH: 6.5}   # deeper wins
"""


@pytest.fixture()
def mapping(tmp_path):
    path = tmp_path / "env.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


def test_most_specific_level_wins_per_variable(mapping):
    values, sources = env_vector("hsa00680", ["Metabolism/Energy metabolism"], ["01120", "01220"], mapping)
    assert values == {"pH": 6.5, "temp": 298.15, "O2": 0.0, "redox": -0.3}
    assert sources == {"pH": "tag", "temp": "overview", "O2": "pathway", "redox": "pathway"}
    assert values["temp"] != 298.15 or sources["temp"] == "overview"
    # mean over the overview maps at the same level
    assert env_vector("ko00680", [], ["01120", "01220"], mapping)[0]["temp"] == pytest.approx(298.15)
    values, sources = env_vector("map00010", ["Metabolism/Carbohydrate metabolism"], [], mapping)
    assert values["pH"] == 6.0 and sources["pH"] == "tag" and sources["temp"] == "default"


def test_report_counts_pathways_that_took_the_default(mapping):
    rows, report = env_vectors(["map00010", "map00680", "map09999"], {"00010": ["Metabolism/X"]}, {}, mapping)
    assert [r[0] for r in rows] == ["map00010", "map00680", "map09999"]
    assert report["took_default"] == 1 and report["took_default_examples"] == ["map09999"]
    assert report["source_per_variable"]["pH"] == {"pathway": 0, "overview": 0, "tag": 1, "default": 2}
    frame = pd.DataFrame(rows, columns=["pathway", "pH", "temp", "O2", "redox"])
    KeggEnvVectors.validate(frame)
    assert not frame.isna().any().any()


@pytest.mark.parametrize("text, message", [
    ("pathways: {}\n", "needs a 'defaults'"),
    ("defaults: {pH: 7.0, temp: 298.15, O2: 0.2}\n", "must give every variable"),
    ("defaults: {pH: 7.0, temp: 298.15, O2: 0.2, redox: 0.4}\npathways: {\"00680\": {pH: 15}}\n", "outside"),
    ("defaults: {pH: 7.0, temp: 298.15, O2: 0.2, redox: 0.4}\npathways: {680: {pH: 7}}\n", "five-digit"),
    ("defaults: {pH: 7.0, temp: .nan, O2: 0.2, redox: 0.4}\n", "finite"),
])
def test_bad_mapping_files_are_refused_with_the_row(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_mapping(path)


def test_shipped_mapping_has_a_comment_on_every_row():
    path = ROOT / "config" / "kegg_env.yaml"
    load_mapping(path)
    section, rows = None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            section = line.split(":")[0]
        elif section in ("defaults", "pathways", "overviews", "tags") and line.strip() and \
                not line.strip().startswith("#"):
            rows.append(line)
    assert len(rows) >= 10
    assert all("#" in r and r.split("#", 1)[1].strip() for r in rows), [r for r in rows if "#" not in r]


EDGES = pd.DataFrame([
    ("map00680", "rn:R04541", "cpd:C03920", "cpd:C01438", False),
    ("map00680", "rn:R04541", "cpd:C04628", "cpd:C01438", False),
    ("map00680", "rn:R03464", "cpd:C03390", "cpd:C04330", True),
    ("hsa00010", "rn:R01061 rn:R01063", "cpd:C00118", "cpd:C00236", True),
], columns=["pathway", "reaction", "substrate", "product", "reversible"])
ENV = pd.DataFrame([("hsa00010", 7.4, 310.15, 0.05, 0.4), ("map00680", 7.0, 310.15, 0.0, -0.3)],
                   columns=["pathway", "pH", "temp", "O2", "redox"])


def test_graph_store_round_trip_and_determinism(tmp_path):
    manifest = write_graph_store(EDGES, ENV, tmp_path / "a")
    write_graph_store(EDGES.iloc[::-1], ENV.iloc[::-1], tmp_path / "b")
    for name in ("graphs.parquet", "nodes.parquet", "edges.parquet", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["edges.parquet", "graphs.parquet",
                                                                 "manifest.json", "nodes.parquet"]
    assert (manifest["graphs"], manifest["nodes"], manifest["edges"]) == (2, 7, 4)
    store = load_graph_store(tmp_path / "a")
    g = store.graph("map00680")
    assert list(g["node_ids"]) == ["cpd:C01438", "cpd:C03390", "cpd:C03920", "cpd:C04330", "cpd:C04628"]
    pairs = {(g["node_ids"][s], g["node_ids"][d]) for s, d in g["edge_index"].T}
    assert pairs == {("cpd:C03920", "cpd:C01438"), ("cpd:C04628", "cpd:C01438"), ("cpd:C03390", "cpd:C04330")}
    assert g["env"].tolist() == pytest.approx([7.0, 310.15, 0.0, -0.3])
    assert store.graph(0)["pathway"] == "hsa00010"  # graphs sorted by pathway
    assert check_graph_store(tmp_path / "a", EDGES, ENV)["valid"]


def test_graph_loads_into_torch_tensors_without_networkx(tmp_path):
    torch = pytest.importorskip("torch")
    write_graph_store(EDGES, ENV, tmp_path)
    g = load_graph_store(tmp_path).graph("map00680")
    t = to_torch(g)
    assert t["edge_index"].dtype == torch.int64 and tuple(t["edge_index"].shape) == (2, 3)
    assert t["x"].shape == (5,) and t["env"].dtype == torch.float32 and t["edge_attr"].shape == (3, 1)
    assert int(t["edge_index"].max()) < t["num_nodes"]
    both = to_torch(g, add_reverse_edges=True)
    assert tuple(both["edge_index"].shape) == (2, 4)
    assert both["edge_index"][:, 3].tolist() == t["edge_index"][:, g["reversible"].argmax()].flip(0).tolist()


def test_graph_check_catches_a_store_that_disagrees(tmp_path):
    write_graph_store(EDGES, ENV, tmp_path)
    more = pd.concat([EDGES, pd.DataFrame([("map00680", "rn:R04541", "cpd:C04628", "cpd:C04832", False)],
                                          columns=EDGES.columns)])
    report = check_graph_store(tmp_path, more, ENV)
    assert not report["valid"] and any("5 nodes, 6 distinct compounds" in f for f in report["failures"])
    env = ENV.assign(pH=[7.4, 8.0])
    assert not check_graph_store(tmp_path, EDGES, env)["valid"]


def test_missing_env_vector_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no env vector"):
        write_graph_store(EDGES, ENV.iloc[:1], tmp_path)


def test_graphml_export_is_valid_xml_with_the_graph(tmp_path):
    write_graph_store(EDGES, ENV, tmp_path / "store")
    g = load_graph_store(tmp_path / "store").graph("map00680")
    write_graphml(g, tmp_path / "g.graphml")
    root = etree.parse(str(tmp_path / "g.graphml")).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == 5 and len(root.findall(".//g:edge", ns)) == 3
    assert np.isclose(float(root.find(".//g:graph/g:data[@key='g3']", ns).text), -0.3)
