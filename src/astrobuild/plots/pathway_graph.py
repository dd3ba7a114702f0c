"""A drawing of one pathway graph of the KEGG graph store (matplotlib only, no graph library).

Compounds are nodes and reactions substrate -> product edges, as
:mod:`astrobuild.kegg.graphs` stores them. The layout is layered, which suits
metabolic pathways (they read as flows): a compound's column is its
breadth-first distance from the compounds nothing produces, and each column is
ordered by the mean row of its predecessors to keep arrows short. Everything
is ordered by node index, so the same graph gives the same picture.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from typing import Any

import numpy as np

from astrobuild.plots.png import pyplot, save_png

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]


def choose_pathway(pathways: np.ndarray, num_nodes: np.ndarray, num_edges: np.ndarray,
                   pathway: str | None = None, max_nodes: int = 40) -> int:
    """Index of the graph to draw: ``pathway`` when given, else the one with the most edges among
    graphs of at most ``max_nodes`` nodes (a bigger one is unreadable on a page); ties go to
    KEGG reference maps (``map…``), then to the lowest id."""
    names = [str(p) for p in pathways]
    if pathway is not None:
        if pathway not in names:
            raise ValueError(f"report.pathway: {pathway!r} has no graph in the store "
                             f"({len(names)} graphs, e.g. {sorted(names)[:5]})")
        return names.index(pathway)
    drawable = [i for i in range(len(names)) if num_edges[i] > 0]
    if not drawable:
        raise ValueError("the graph store holds no graph with edges: nothing to draw")
    small = [i for i in drawable if num_nodes[i] <= max_nodes]
    if not small:  # every graph is big: the smallest one is the most readable
        return min(drawable, key=lambda i: (int(num_nodes[i]), names[i]))
    return min(small, key=lambda i: (-int(num_edges[i]), not names[i].startswith("map"), names[i]))


def layered_layout(num_nodes: int, src: np.ndarray, dst: np.ndarray, sweeps: int = 2) -> np.ndarray:
    """(x, y) per node: x the layer (breadth-first distance from source compounds), y the row."""
    succ: list[list[int]] = [[] for _ in range(num_nodes)]
    pred: list[list[int]] = [[] for _ in range(num_nodes)]
    indegree = np.zeros(num_nodes, dtype=int)
    for s, d in zip(src.tolist(), dst.tolist(), strict=True):
        if s != d:
            succ[s].append(d)
            pred[d].append(s)
            indegree[d] += 1
    layer = np.full(num_nodes, -1, dtype=int)
    # Start from compounds nothing produces; what they do not reach (cycles) starts from its
    # least-produced compound. Each start is a new breadth-first search from column 0.
    starts = [i for i in range(num_nodes) if indegree[i] == 0]
    starts += sorted(range(num_nodes), key=lambda i: (indegree[i], i))
    for start in starts:
        if layer[start] >= 0:
            continue
        layer[start] = 0
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(succ[node]):
                if layer[nxt] < 0:
                    layer[nxt] = layer[node] + 1
                    queue.append(nxt)
    columns: dict[int, list[int]] = {}
    for node in range(num_nodes):
        columns.setdefault(int(layer[node]), []).append(node)
    row = np.zeros(num_nodes, dtype=float)
    for nodes in columns.values():
        row[nodes] = np.arange(len(nodes))
    for _ in range(sweeps):
        for col in sorted(columns):
            nodes = columns[col]

            def barycentre(node: int, nodes: list[int] = nodes) -> tuple[float, int]:
                around = pred[node] or succ[node]
                return (float(np.mean(row[around])) if around else float(row[node]), node)

            nodes.sort(key=barycentre)
            row[nodes] = np.arange(len(nodes))
    tallest = max(len(n) for n in columns.values()) if columns else 1
    xy = np.zeros((num_nodes, 2), dtype=float)
    for col, nodes in columns.items():
        offset = (tallest - len(nodes)) / 2.0  # centre each column
        for node in nodes:
            xy[node] = (col, -(row[node] + offset))
    return xy


def plot_pathway_graph(graph_store: PathLike, plot_path: PathLike, pathway: str | None = None,
                       max_nodes: int = 40) -> dict[str, Any]:
    """Draw one graph of the store written by ``edges_to_graphs`` (see :func:`choose_pathway`)."""
    from astrobuild.kegg.graphs import ENV_COLUMNS, UNITS, load_graph_store

    store = load_graph_store(graph_store)
    index = choose_pathway(store.pathways, store.num_nodes, store.num_edges, pathway, max_nodes)
    graph = store.graph(index)
    names = [str(c).removeprefix("cpd:") for c in graph["node_ids"]]
    src, dst = graph["edge_index"]
    xy = layered_layout(len(names), src, dst)

    plt = pyplot()
    # choose_pathway only picks graphs with edges: there is at least one node.
    width = 2.0 + 1.5 * (xy[:, 0].max() + 1)
    height = 1.5 + 0.55 * (-xy[:, 1].min() + 1)
    fig, ax = plt.subplots(figsize=(min(max(width, 6.0), 18.0), min(max(height, 4.0), 14.0)))
    for s, d, reversible in zip(src.tolist(), dst.tolist(), graph["reversible"].tolist(), strict=True):
        same_column = xy[s, 0] == xy[d, 0]
        ax.annotate("", xy=xy[d], xytext=xy[s],
                    arrowprops={"arrowstyle": "<|-|>" if reversible else "-|>", "color": "#8c8c8c",
                                "lw": 0.7, "shrinkA": 16, "shrinkB": 16, "mutation_scale": 8,
                                # Arrows within a column would run through the nodes between: bend them.
                                "connectionstyle": f"arc3,rad={0.4 if same_column else 0.08}"})
    for (x, y), label in zip(xy, names, strict=True):
        ax.text(x, y, label, ha="center", va="center", fontsize=7, zorder=4,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "#dbe9f6", "edgecolor": "#4C72B0", "linewidth": 0.8})
    ax.set_xlim(xy[:, 0].min() - 0.5, xy[:, 0].max() + 0.5)
    ax.set_ylim(xy[:, 1].min() - 0.6, xy[:, 1].max() + 0.6)
    env = ", ".join(f"{c} {float(v):g}" + (" K" if UNITS[c] == "K" else "") for c, v in zip(ENV_COLUMNS, graph["env"],
                                                                                              strict=True))
    reversible = int(np.count_nonzero(graph["reversible"]))
    ax.set_title(f"{graph['pathway']}: {len(names)} compounds, {len(src)} substrate → product edges "
                 f"({reversible} reversible)\nenvironment vector: {env}", fontsize=9)
    ax.set_axis_off()
    fig.tight_layout()
    save_png(fig, plot_path)
    drawn = {"pathway": graph["pathway"], "nodes": len(names), "edges": int(len(src)), "reversible": reversible,
             "columns": int(xy[:, 0].max() + 1)}
    log.info("pathway graph: %s", drawn)
    return drawn
