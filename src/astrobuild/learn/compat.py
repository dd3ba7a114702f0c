"""What ``model.pt`` needs to be used without its training run, and the check that it fits the data.

A checkpoint's weights only mean something against the inputs it was trained on:

* **the compound vocabulary**: the graph encoder's embedding row ``i`` is the
  compound with vocabulary index ``i`` in the KEGG graph store. A store rebuilt
  from other KEGG data (one compound more, one less) numbers its compounds
  anew, and every embedding would silently belong to another compound. The
  checkpoint keeps the ids in index order and their SHA-256 (reactions are not
  embedded, so their vocabulary is not kept);
* **the feature layout** (:func:`feature_layout`): the modalities in model order,
  the task (per checkpoint: kind, target and output, :meth:`astrobuild.learn.tasks.Task.layout`), the climate channels with their aliases and the model grid
  ``[vars, time, lat, lon, lev]`` with its time window, the spectrum's bins and
  edges and per-bin features, the planet parameter columns in order with their
  transforms, the graph features. Only the selected modalities are described:
  a setting of a modality the model does not read changes nothing it sees.

:func:`check_compatible` compares a checkpoint's with the current ones (a
graph store, or the ids and layout a features store records; a ``train``
config) and raises :class:`IncompatibleCheckpoint`, a ``ValueError`` naming both
sides: the vocabularies' sizes, SHA-256 and first differing index, or the layout
paths that differ (up to five) with both values;
:func:`astrobuild.learn.outputs.load_checkpoint` calls it with whatever it is given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from astrobuild.features.graphs import GRAPH_FEATURES, UnionGraphs, compound_vocabulary
from astrobuild.features.params import transform
from astrobuild.features.spectra import SPECTRUM_FEATURES, grid_edges

# one definition of the vocabulary's hash: the features store records the same one
from astrobuild.features.store import ids_sha256 as vocabulary_sha256
from astrobuild.kegg.graphs import GraphStore
from astrobuild.learn.config import TrainConfig
from astrobuild.learn.tasks import Task, task_of

# The default task's entry (a logit for the registry's binary ``label``; sigmoid: P(label)), which
# every model.pt from before ``train.task`` has. A checkpoint records its own (feature_layout).
TASK = Task().layout()


class IncompatibleCheckpoint(ValueError):
    """A checkpoint and the data it would be fed disagree; the message names both sides."""


def vocabulary_entry(compound_ids: Sequence[str] | None) -> dict[str, Any] | None:
    """The checkpoint's ``vocabulary`` (None for a model without the graph modality)."""
    if compound_ids is None:
        return None
    ids = [str(c) for c in compound_ids]
    return {"compounds": {"ids": ids, "size": len(ids), "sha256": vocabulary_sha256(ids)}}


def feature_layout(config: TrainConfig) -> dict[str, Any]:
    """What each input tensor holds, in plain values (see the module's docstring)."""
    layout: dict[str, Any] = {"modalities": list(config.modalities), "task": task_of(config).layout()}
    if config.uses("climate"):
        c = config.climate
        vars_, time, lat, lon, lev = c.shape
        layout["climate"] = {
            "channels": [{"name": v.name, "aliases": list(v.aliases)} for v in c.variables],
            "grid": {"vars": vars_, "time": time, "lat": lat, "lon": lon, "lev": lev},
            "dims": ["vars", "time", "lat", "lon", "lev"],
            "time_window": {"start": c.time_start, "stop": c.time_stop},
            "time": {"mode": c.time, "spinup": c.spinup, "time_steps": c.time_steps},
            # per variable and layer: the standardised value, then the share of the cell with data
            "inputs": ["value", "valid_share"],
            "levels": "equal parts of the column in pressure, surface first (index without pressure)",
            # equal-angle cells: lat bands over -90..90 (south first), lon cells over 0..360 (periodic)
            "lat_edges_deg": [-90.0, 90.0], "lon_edges_deg": [0.0, 360.0],
        }
    if config.uses("bio_graph"):
        layout["bio_graph"] = {"node": "compound vocabulary index", "features": list(GRAPH_FEATURES)}
    if config.uses("spectrum"):
        s = config.spectrum
        layout["spectrum"] = {
            "bins": s.bins, "min_um": s.min_um, "max_um": s.max_um,
            "edges_um": [float(e) for e in grid_edges(s)], "features": list(SPECTRUM_FEATURES),
            "min_coverage": s.min_coverage, "drop_flagged": s.drop_flagged,
        }
    if config.uses("planet_params"):
        layout["planet_params"] = {"columns": list(config.param_columns),
                                   "transforms": [transform(c) for c in config.planet_columns]
                                   + [c.transform for c in config.run_columns],
                                   "run_units": {c.channel: c.units for c in config.run_columns}}
    return layout


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves; a list of dicts by index, any other list as one value."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key in value:
            out.update(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {f"{prefix}.length": len(value)}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_ABSENT = object()


def layout_differences(trained: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, trained value, current value) where the layouts differ; an absent side is ``None``."""
    a, b = _flatten(trained), _flatten(current)
    keys = list(a) + [k for k in b if k not in a]
    out = []
    for k in keys:
        x, y = a.get(k, _ABSENT), b.get(k, _ABSENT)
        if x == y:
            continue
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):  # the elements that differ
            out += [(f"{k}[{i}]", u, v) for i, (u, v) in enumerate(zip(x, y, strict=True)) if u != v]
        else:
            out.append((k, None if x is _ABSENT else x, None if y is _ABSENT else y))
    return out


def _current_vocabulary(graphs: Any) -> tuple[list[str], str]:
    """(ids, where) from a UnionGraphs, a GraphStore, a store folder, or ids (a features store's)."""
    if isinstance(graphs, UnionGraphs):
        return graphs.compound_ids, f"the graph store {graphs.store_dir}"
    if isinstance(graphs, GraphStore):
        return compound_vocabulary(graphs), "the graph store"
    if isinstance(graphs, (str, os.PathLike)):
        union = UnionGraphs(Path(graphs))
        return union.compound_ids, f"the graph store {graphs}"
    return [str(c) for c in graphs], "the given vocabulary"


def check_vocabulary(checkpoint: dict[str, Any], graphs: Any, name: str = "model.pt",
                     where: str | None = None) -> None:
    entry = checkpoint.get("vocabulary")
    if entry is None:
        return  # the model embeds no compound
    trained = list(entry["compounds"]["ids"])
    ids, default_where = _current_vocabulary(graphs)
    where = where or default_where
    if ids == trained:
        return
    first = next((i for i, (x, y) in enumerate(zip(trained, ids, strict=False)) if x != y),
                 min(len(trained), len(ids)))

    def at(seq: list[str]) -> str:
        return repr(seq[first]) if first < len(seq) else "none"

    short = Path(name).name or name
    other = "the store" if where.startswith("the graph store") else where
    raise IncompatibleCheckpoint(
        f"{name} was trained with {len(trained)} compounds (sha256 of the vocabulary "
        f"{entry['compounds']['sha256'][:12]}), {where} has {len(ids)} ({vocabulary_sha256(ids)[:12]}): "
        f"from index {first} on they differ ({short}: {at(trained)}, {other}: {at(ids)}), so the graph "
        "embeddings would belong to other compounds; retrain on this store, or use the store it was trained on")


def check_layout(checkpoint: dict[str, Any], layout: TrainConfig | dict[str, Any], name: str = "model.pt",
                 where: str | None = None) -> None:
    if isinstance(layout, TrainConfig):
        current, where = feature_layout(layout), where or "the current train config"
    else:
        current, where = layout, where or "the given feature layout"
    differences = layout_differences(checkpoint["layout"], current)
    if differences:
        short = Path(name).name or name
        shown = "; ".join(f"{path}: {short} {_short(a)}, {where} {_short(b)}" for path, a, b in differences[:5])
        more = f" (and {len(differences) - 5} more)" if len(differences) > 5 else ""
        raise IncompatibleCheckpoint(f"{name} was trained with another feature layout than {where}: {shown}{more}")


def check_compatible(checkpoint: dict[str, Any], graphs: Any = None,
                     layout: TrainConfig | dict[str, Any] | None = None, name: str = "model.pt",
                     graphs_name: str | None = None, layout_name: str | None = None) -> None:
    """Refuse (:class:`IncompatibleCheckpoint`) data a checkpoint's weights do not fit.

    ``checkpoint``: the loaded payload. ``graphs``: the compound vocabulary that will be fed
    (a :class:`UnionGraphs`, a :class:`GraphStore`, a graph store folder, or the ids in index
    order); ``layout``: the ``train`` config the inputs are made with, or a layout dict as
    :func:`feature_layout` gives. Either may be None (not checked). ``name``, ``graphs_name``,
    ``layout_name``: how the messages call each side.
    """
    if layout is not None:
        check_layout(checkpoint, layout, name, layout_name)
    if graphs is not None:
        check_vocabulary(checkpoint, graphs, name, graphs_name)
