"""Per-pathway graphs in a portable, tensor-ready store (no pickle, no networkx).

Layout of ``data/processed/kegg_graphs/`` (a handful of files, whatever the
number of pathways)::

    graphs.parquet   one row per graph: graph, pathway, node_offset, num_nodes,
                     edge_offset, num_edges, pH, temp, O2, redox
    nodes.parquet    one row per node, grouped by graph in graph order:
                     graph, node (index within its graph), compound (cpd:C00022),
                     compound_index (index in the store's sorted compound vocabulary)
    edges.parquet    one row per edge, grouped by graph: graph, src, dst (node indices
                     within the graph), reaction (rn:R00200 ...), reaction_index
                     (vocabulary index), reversible
    manifest.json    format version, counts, vocabulary sizes, column units

Why columnar Parquet tables with offsets rather than one file per graph or a
pickle: thousands of tiny files make DVC slow (one object and one hash each)
and file systems unhappy; pickle runs code on load. Three Parquet tables are
read by any Arrow implementation (Python, R, Julia, Rust, Spark), compress well
(zstd, dictionary-encoded ids), are byte-deterministic (see
:mod:`astrobuild.io`), and load straight into contiguous numpy arrays. Graph
``i`` is the slice ``[node_offset, node_offset + num_nodes)`` of the node
arrays and ``[edge_offset, edge_offset + num_edges)`` of the edge arrays: the
same CSR-like layout PyTorch Geometric uses for batches, so a batch is a
concatenation. Zarr would serve equally for numbers, but strings (compound and
reaction ids) are first-class in Parquet.

Nodes are a pathway's distinct compounds (sorted); edges go substrate ->
product, one per row of the edge table (a reversible reaction is one edge with
``reversible`` true; :func:`to_torch` can add the reverse edges).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from lxml import etree

from astrobuild.contracts.products import GRAPH_STORE
from astrobuild.io import atomic_path, read_parquet, write_json, write_parquet

log = logging.getLogger(__name__)
# The store's files (the layout above), each an output of rule edges_to_graphs, so that a missing one is
# rebuilt (Snakemake looks at a directory() output's folder, never at the files inside it).
STORE_FILES = GRAPH_STORE.files

FORMAT = "astrobuild-kegg-graphs"
FORMAT_VERSION = 1
ENV_COLUMNS = ("pH", "temp", "O2", "redox")
UNITS = {"pH": "pH units (0-14)", "temp": "K", "O2": "O2 volume mixing ratio (0-1)",
         "redox": "Eh in V vs standard hydrogen electrode"}


def build_graph_tables(edges: pd.DataFrame, env: pd.DataFrame) -> tuple[pa.Table, pa.Table, pa.Table, dict]:
    """(graphs, nodes, edges) Arrow tables and manifest facts from the edge table and env vectors."""
    edges = edges.sort_values(["pathway", "reaction", "substrate", "product", "reversible"], kind="stable")
    edges = edges.reset_index(drop=True)
    pathways = np.array(sorted(edges["pathway"].unique()), dtype=object)
    env = env.set_index("pathway")
    missing = sorted(set(pathways) - set(env.index))
    if missing:
        raise ValueError(f"{len(missing)} pathway(s) with edges have no env vector, e.g. {missing[:5]}")
    graph_of = pd.Series(np.arange(len(pathways), dtype=np.int64), index=pathways)

    compounds = np.array(sorted(set(edges["substrate"]) | set(edges["product"])), dtype=object)
    reactions = np.array(sorted(edges["reaction"].unique()), dtype=object)
    compound_index = pd.Series(np.arange(len(compounds), dtype=np.int64), index=compounds)
    reaction_index = pd.Series(np.arange(len(reactions), dtype=np.int64), index=reactions)

    # nodes: distinct (pathway, compound), sorted, numbered within each pathway
    nodes = pd.concat([edges[["pathway", "substrate"]].set_axis(["pathway", "compound"], axis=1),
                       edges[["pathway", "product"]].set_axis(["pathway", "compound"], axis=1)])
    nodes = nodes.drop_duplicates().sort_values(["pathway", "compound"], kind="stable").reset_index(drop=True)
    nodes["graph"] = graph_of.loc[nodes["pathway"]].to_numpy()
    nodes["node"] = nodes.groupby("graph", sort=False).cumcount().astype(np.int64)
    nodes["compound_index"] = compound_index.loc[nodes["compound"]].to_numpy()
    local = pd.Series(nodes["node"].to_numpy(), index=pd.MultiIndex.from_arrays([nodes["pathway"], nodes["compound"]]))

    graph = graph_of.loc[edges["pathway"]].to_numpy()
    src = local.loc[pd.MultiIndex.from_arrays([edges["pathway"], edges["substrate"]])].to_numpy()
    dst = local.loc[pd.MultiIndex.from_arrays([edges["pathway"], edges["product"]])].to_numpy()

    num_nodes = np.bincount(nodes["graph"].to_numpy(), minlength=len(pathways)).astype(np.int64)
    num_edges = np.bincount(graph, minlength=len(pathways)).astype(np.int64)
    node_offset = np.concatenate([[0], np.cumsum(num_nodes)[:-1]]).astype(np.int64)
    edge_offset = np.concatenate([[0], np.cumsum(num_edges)[:-1]]).astype(np.int64)
    env_rows = env.loc[pathways, list(ENV_COLUMNS)].to_numpy(dtype=np.float64)
    if not np.isfinite(env_rows).all():
        raise ValueError("env vectors hold NaN or infinite values")

    graphs_table = pa.table({
        "graph": pa.array(np.arange(len(pathways), dtype=np.int64)),
        "pathway": pa.array(pathways.tolist(), pa.string()),
        "node_offset": node_offset, "num_nodes": num_nodes,
        "edge_offset": edge_offset, "num_edges": num_edges,
        **{col: pa.array(env_rows[:, i].astype(np.float32)) for i, col in enumerate(ENV_COLUMNS)},
    })
    nodes_table = pa.table({
        "graph": pa.array(nodes["graph"].to_numpy(np.int64)),
        "node": pa.array(nodes["node"].to_numpy(np.int64)),
        "compound": pa.array(nodes["compound"].tolist(), pa.string()),
        "compound_index": pa.array(nodes["compound_index"].to_numpy(np.int64)),
    })
    edges_table = pa.table({
        "graph": pa.array(graph.astype(np.int64)),
        "src": pa.array(src.astype(np.int64)),
        "dst": pa.array(dst.astype(np.int64)),
        "reaction": pa.array(edges["reaction"].tolist(), pa.string()),
        "reaction_index": pa.array(reaction_index.loc[edges["reaction"]].to_numpy(np.int64)),
        "reversible": pa.array(edges["reversible"].to_numpy(bool)),
    })
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "graphs": len(pathways), "nodes": int(num_nodes.sum()), "edges": int(num_edges.sum()),
        "compound_vocabulary": len(compounds), "reaction_vocabulary": len(reactions),
        "graph_features": list(ENV_COLUMNS), "units": UNITS,
        "files": ["graphs.parquet", "nodes.parquet", "edges.parquet"],
    }
    return graphs_table, nodes_table, edges_table, manifest


def write_graph_store(edges: pd.DataFrame, env: pd.DataFrame, outdir: str | os.PathLike[str]) -> dict:
    """Write the store into ``outdir`` (created); returns the manifest."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    graphs_table, nodes_table, edges_table, manifest = build_graph_tables(edges, env)
    write_parquet(graphs_table, outdir / "graphs.parquet")
    write_parquet(nodes_table, outdir / "nodes.parquet")
    write_parquet(edges_table, outdir / "edges.parquet")
    write_json(manifest, outdir / "manifest.json")
    log.info("graph store %s: %d graphs, %d nodes, %d edges", outdir, manifest["graphs"], manifest["nodes"],
             manifest["edges"])
    return manifest


@dataclass(frozen=True)
class GraphStore:
    """A loaded store: numpy arrays, one graph a pair of slices."""

    pathways: np.ndarray  # str, one per graph
    node_offset: np.ndarray
    num_nodes: np.ndarray
    edge_offset: np.ndarray
    num_edges: np.ndarray
    env: np.ndarray  # float32 [graphs, 4] in ENV_COLUMNS order
    compound: np.ndarray  # str, per node
    compound_index: np.ndarray  # int64, per node
    src: np.ndarray  # int64, per edge (index within the graph)
    dst: np.ndarray
    reaction: np.ndarray  # str, per edge
    reaction_index: np.ndarray
    reversible: np.ndarray  # bool, per edge
    manifest: dict

    def __len__(self) -> int:
        return len(self.pathways)

    def index(self, pathway: str) -> int:
        hits = np.flatnonzero(self.pathways == pathway)
        if not len(hits):
            raise KeyError(f"no graph for pathway {pathway!r}")
        return int(hits[0])

    def graph(self, key: int | str) -> dict[str, Any]:
        """One graph as numpy arrays: node_ids, compound_index, edge_index [2, E], reaction_index,
        reversible, env [4] (and pathway)."""
        i = self.index(key) if isinstance(key, str) else int(key)
        n0, n = int(self.node_offset[i]), int(self.num_nodes[i])
        e0, e = int(self.edge_offset[i]), int(self.num_edges[i])
        return {
            "pathway": str(self.pathways[i]),
            "node_ids": self.compound[n0:n0 + n],
            "compound_index": self.compound_index[n0:n0 + n],
            "edge_index": np.stack([self.src[e0:e0 + e], self.dst[e0:e0 + e]]),
            "reaction": self.reaction[e0:e0 + e],
            "reaction_index": self.reaction_index[e0:e0 + e],
            "reversible": self.reversible[e0:e0 + e],
            "env": self.env[i],
        }


def load_graph_store(path: str | os.PathLike[str]) -> GraphStore:
    """Load a store written by :func:`write_graph_store` into numpy arrays."""
    import json

    path = Path(path)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} store: {manifest.get('format')!r} "
                         f"v{manifest.get('format_version')!r}")
    g = read_parquet(path / "graphs.parquet")
    n = read_parquet(path / "nodes.parquet")
    e = read_parquet(path / "edges.parquet")

    def col(table: pa.Table, name: str, dtype: Any = None) -> np.ndarray:
        values = table.column(name).to_numpy()
        return values.astype(dtype, copy=False) if dtype is not None else values

    return GraphStore(
        pathways=col(g, "pathway", str), node_offset=col(g, "node_offset"), num_nodes=col(g, "num_nodes"),
        edge_offset=col(g, "edge_offset"), num_edges=col(g, "num_edges"),
        env=np.stack([col(g, c) for c in ENV_COLUMNS], axis=1).astype(np.float32)
        if len(g) else np.zeros((0, len(ENV_COLUMNS)), np.float32),
        compound=col(n, "compound", str), compound_index=col(n, "compound_index"),
        src=col(e, "src"), dst=col(e, "dst"), reaction=col(e, "reaction", str),
        reaction_index=col(e, "reaction_index"), reversible=col(e, "reversible", bool), manifest=manifest,
    )


def to_torch(graph: dict[str, Any], add_reverse_edges: bool = False) -> dict[str, Any]:
    """A graph from :meth:`GraphStore.graph` as torch tensors (torch is imported here, only when used).

    Keys: ``x`` (compound_index, int64 [N]), ``edge_index`` (int64 [2, E]),
    ``edge_attr`` (float32 [E, 1]: reversible), ``reaction_index`` (int64 [E]),
    ``env`` (float32 [4]), ``num_nodes`` and ``pathway``. With
    ``add_reverse_edges`` every reversible edge also appears reversed.
    """
    import torch

    edge_index = graph["edge_index"]
    reversible = graph["reversible"]
    reaction_index = graph["reaction_index"]
    if add_reverse_edges and reversible.any():
        back = edge_index[::-1, reversible]
        edge_index = np.concatenate([edge_index, back], axis=1)
        reaction_index = np.concatenate([reaction_index, reaction_index[reversible]])
        reversible = np.concatenate([reversible, reversible[reversible]])
    return {
        "pathway": graph["pathway"],
        "num_nodes": len(graph["node_ids"]),
        "x": torch.from_numpy(np.array(graph["compound_index"], dtype=np.int64)),
        "edge_index": torch.from_numpy(np.array(edge_index, dtype=np.int64)),
        "edge_attr": torch.from_numpy(np.array(reversible, dtype=np.float32)[:, None]),
        "reaction_index": torch.from_numpy(np.array(reaction_index, dtype=np.int64)),
        "env": torch.from_numpy(np.array(graph["env"], dtype=np.float32)),
    }


def write_graphml(graph: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """One graph as GraphML (for Cytoscape, Gephi, igraph, networkx), written with lxml."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = etree.Element("graphml", nsmap={None: ns})
    keys = [("d0", "node", "compound", "string"), ("d1", "edge", "reaction", "string"),
            ("d2", "edge", "reversible", "boolean")]
    keys += [(f"g{i}", "graph", name, "double") for i, name in enumerate(ENV_COLUMNS)]
    for key, target, name, kind in keys:
        etree.SubElement(root, "key", id=key, attrib={"for": target, "attr.name": name, "attr.type": kind})
    g = etree.SubElement(root, "graph", id=graph["pathway"], edgedefault="directed")
    for i in range(len(ENV_COLUMNS)):
        etree.SubElement(g, "data", key=f"g{i}").text = repr(float(graph["env"][i]))
    for i, compound in enumerate(graph["node_ids"]):
        node = etree.SubElement(g, "node", id=f"n{i}")
        etree.SubElement(node, "data", key="d0").text = str(compound)
    edge_index = graph["edge_index"]
    for j in range(edge_index.shape[1]):
        edge = etree.SubElement(g, "edge", source=f"n{edge_index[0, j]}", target=f"n{edge_index[1, j]}")
        etree.SubElement(edge, "data", key="d1").text = str(graph["reaction"][j])
        etree.SubElement(edge, "data", key="d2").text = "true" if graph["reversible"][j] else "false"
    with atomic_path(path) as tmp:
        tmp.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def check_graph_store(store_dir: str | os.PathLike[str], edges: pd.DataFrame, env: pd.DataFrame) -> dict[str, Any]:
    """Every pathway with edges has a graph whose node count equals its distinct compounds, whose
    edge count equals its edge rows, whose edge_index is in range and whose env equals its vector."""
    store = load_graph_store(store_dir)
    problems: list[str] = []
    expected_nodes = pd.concat([edges[["pathway", "substrate"]].set_axis(["p", "c"], axis=1),
                                edges[["pathway", "product"]].set_axis(["p", "c"], axis=1)]
                               ).drop_duplicates().groupby("p").size()
    expected_edges = edges.groupby("pathway").size()
    env = env.set_index("pathway")
    position = {str(p): i for i, p in enumerate(store.pathways)}
    for pathway in sorted(expected_edges.index):
        i = position.get(pathway)
        if i is None:
            problems.append(f"{pathway}: has edges but no graph")
            continue
        graph = store.graph(i)
        if len(graph["node_ids"]) != expected_nodes[pathway]:
            problems.append(f"{pathway}: {len(graph['node_ids'])} nodes, {expected_nodes[pathway]} distinct compounds")
        if graph["edge_index"].shape[1] != expected_edges[pathway]:
            problems.append(f"{pathway}: {graph['edge_index'].shape[1]} edges, {expected_edges[pathway]} edge rows")
        if graph["edge_index"].size and (graph["edge_index"].min() < 0
                                         or graph["edge_index"].max() >= len(graph["node_ids"])):
            problems.append(f"{pathway}: edge_index out of range")
        want = env.loc[pathway, list(ENV_COLUMNS)].to_numpy(np.float32) if pathway in env.index else None
        if want is None or not np.allclose(graph["env"], want, rtol=0, atol=1e-5):
            problems.append(f"{pathway}: env {graph['env'].tolist()} differs from env vector "
                            f"{None if want is None else want.tolist()}")
    extra = sorted(set(position) - set(expected_edges.index))
    if extra:
        problems.append(f"{len(extra)} graph(s) of pathways without edges, e.g. {extra[:5]}")
    return {
        "table": "kegg_graphs", "file": os.fspath(store_dir), "graphs": len(store),
        "pathways_with_edges": int(len(expected_edges)), "nodes": int(store.num_nodes.sum()),
        "edges": int(store.num_edges.sum()), "valid": not problems, "failures": problems[:100],
        "failure_count": len(problems),
    }
