"""One run's biosphere as one graph: the union of its pathways' graphs from the KEGG graph store.

A biosphere is a set of KEGG maps (the registry's ``pathways``). Their graphs
(:mod:`astrobuild.kegg.graphs`) share compounds: pyruvate is a node of
glycolysis and of the citrate cycle. The run's graph merges them: one node per
distinct compound (its index in the store's compound vocabulary is the node
feature, so a compound is the same learned embedding in every run), one edge per
distinct substrate -> product pair of any of its pathways, reversible reactions
also reversed (metabolites flow both ways). Graph features are the mean
environment vector of its pathways (pH, temp, O2, redox) and log(1 + number of
pathways).

The store is loaded once, on first use (a run set that does not use the graph
modality never opens it).

The vocabulary index is what the graph encoder's embedding rows are: a store
rebuilt from other KEGG data numbers its compounds anew, so ``model.pt`` keeps
the ids in index order (:attr:`UnionGraphs.compound_ids`) and is refused
against a store whose ids differ (:func:`astrobuild.learn.compat.check_compatible`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from astrobuild.kegg.graphs import ENV_COLUMNS, GraphStore, load_graph_store

GRAPH_FEATURES = (*ENV_COLUMNS, "log1p_pathways")


class GraphError(ValueError):
    pass


def compound_vocabulary(store: GraphStore, where: str | os.PathLike[str] = "the KEGG graph store") -> list[str]:
    """Compound ids by vocabulary index, read back from the nodes (every compound of the store is a node)."""
    size = int(store.manifest["compound_vocabulary"])
    index = np.asarray(store.compound_index, dtype=np.int64)
    if index.size and (index.min() < 0 or index.max() >= size):
        raise GraphError(f"{where}: compound_index outside its vocabulary of {size}")
    ids = np.full(size, None, dtype=object)
    ids[index] = np.asarray(store.compound, dtype=object)
    if not (ids[index] == np.asarray(store.compound, dtype=object)).all():
        raise GraphError(f"{where}: one compound_index names two compounds")
    absent = np.flatnonzero(np.equal(ids, None))
    if absent.size:
        raise GraphError(f"{where}: {absent.size} vocabulary index(es) have no compound, e.g. {absent[:5].tolist()}")
    return [str(c) for c in ids]


class UnionGraphs:
    """``union(pathways)`` -> dict(x [N] int64, edge_index [2, E] int64, features [5] float32)."""

    def __init__(self, store_dir: str | os.PathLike[str]):
        self.store_dir = Path(store_dir)
        self._store = None
        self._position: dict[str, int] = {}
        self._compound_ids: list[str] | None = None

    @property
    def store(self):
        if self._store is None:
            self._store = load_graph_store(self.store_dir)
            self._position = {str(p): i for i, p in enumerate(self._store.pathways)}
        return self._store

    @property
    def vocabulary_size(self) -> int:
        return int(self.store.manifest["compound_vocabulary"])

    @property
    def pathway_ids(self) -> list[str]:
        """The store's pathways, sorted (the columns of the features store's pathway multi-hot)."""
        return sorted(str(p) for p in self.store.pathways)

    @property
    def compound_ids(self) -> list[str]:
        """The store's compound ids in vocabulary-index order (index ``i`` is embedding row ``i``)."""
        if self._compound_ids is None:
            self._compound_ids = compound_vocabulary(self.store, self.store_dir)
        return self._compound_ids

    def union(self, pathways: list[str]) -> dict[str, np.ndarray]:
        store = self.store
        missing = [p for p in pathways if p not in self._position]
        if missing:
            raise GraphError(f"pathway(s) {missing} have no graph in the KEGG graph store {self.store_dir}")
        if not pathways:
            raise GraphError("a biosphere graph needs at least one pathway")
        compounds, src, dst, envs = [], [], [], []
        for pathway in sorted(set(pathways)):
            g = store.graph(self._position[pathway])
            ids = np.asarray(g["compound_index"], dtype=np.int64)
            e = np.asarray(g["edge_index"], dtype=np.int64)
            rev = np.asarray(g["reversible"], dtype=bool)
            compounds.append(ids)
            # edges by compound vocabulary index, so shared compounds join the pathways
            src += [ids[e[0]], ids[e[1][rev]]]
            dst += [ids[e[1]], ids[e[0][rev]]]
            envs.append(np.asarray(g["env"], dtype=np.float64))
        nodes = np.unique(np.concatenate(compounds))  # sorted vocabulary indices
        pairs = np.stack([np.concatenate(src), np.concatenate(dst)])
        pairs = np.unique(pairs, axis=1) if pairs.size else pairs.reshape(2, 0)
        edge_index = np.searchsorted(nodes, pairs).astype(np.int64)
        features = np.concatenate([np.mean(envs, axis=0), [np.log1p(len(envs))]]).astype(np.float32)
        return {"x": nodes.astype(np.int64), "edge_index": edge_index, "features": features}
