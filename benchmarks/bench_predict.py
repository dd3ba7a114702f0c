"""Benchmark: rule predict's scoring, from the features store to one score per run, on the CPU.

Reads a built features store and a trained ``model.pt`` (default: the workspace's,
``make run`` first), and tiles the store's runs to ``--runs`` rows (default
20,000: each run's arrays repeated, the graph arrays with them, as a store of
that many runs would hold them; the scoring reads rows, not their ids). Then, in
one run, taking turns (best of ``--repeat``):

* **ours**: :func:`astrobuild.learn.predict.score_rows`, every row, batches of
  ``--batch-size``: each batch's tensors made from the store's arrays
  (:func:`model_batch`: standardised, masked, the graphs batched) and the
  model's forward pass and sigmoid. Target: >= 10,000 runs/s;
* **baseline**: the model's bare scoring pass (:meth:`MultiModalNet.score`, what
  ``score_rows`` calls) and sigmoid over the very same batches, made beforehand and
  held in memory. Target: ours / baseline >= 0.5 (making the tensors costs at most
  as much as the model);
* the training's ``forward`` over the same batches, the path predict took before
  the encoders' ``infer``: how much the scoring arrangement gains;
* for scale, the training's per-run path on a slice of the runs: its dataset
  (:class:`PlanetRunDataset`, one dict of tensors per run) and ``collate``.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_predict.py
    PYTHONPATH=src .venv/bin/python benchmarks/bench_predict.py --runs 5000 --threads 1
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, best_interleaved, row  # noqa: E402

from astrobuild.features.store import FeatureStore, load_store  # noqa: E402
from astrobuild.learn.predict import load_scorer, model_batch, score_rows  # noqa: E402

GRAPH_ARRAYS = ("graph_nodes", "graph_edges")


def tiled(store: FeatureStore, runs: int) -> FeatureStore:
    """A store of ``runs`` rows: the store's rows repeated in order (graph arrays with them)."""
    reps = -(-runs // len(store))
    arrays = {}
    for name, values in store.arrays.items():
        if name == "graph_nodes":
            arrays[name] = np.tile(values, reps)
        elif name == "graph_edges":
            arrays[name] = np.tile(values, (1, reps))
        else:
            arrays[name] = np.concatenate([values] * reps)[:runs] if values.ndim else values
    arrays["run_id"] = np.asarray([f"run-{i:08d}" for i in range(runs)], dtype=object)
    return FeatureStore(store.path, arrays, store.compound_ids, store.pathway_ids, store.attrs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path, default=REPO / "data/processed/features")
    parser.add_argument("--model", type=Path, default=REPO / "results/train/model.pt")
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=128, help="as config predict.batch_size")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (config resources.predict: 2)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for path in (args.features, args.model):
        if not path.exists():
            sys.exit(f"bench_predict: {path} not found: build and train first (make run)")
    torch.set_num_threads(args.threads)
    source = load_store(args.features)
    scorer = load_scorer(args.model, source)
    store = tiled(source, args.runs)
    rows = np.arange(args.runs, dtype=np.int64)
    batches = [model_batch(store, rows[s:s + args.batch_size], scorer.modalities, scorer.norm)
               for s in range(0, args.runs, args.batch_size)]

    def bare() -> None:
        for batch in batches:
            torch.sigmoid(scorer.model.score(batch).float()).numpy()

    @torch.inference_mode()
    def forward() -> None:
        for batch in batches:
            torch.sigmoid(scorer.model(batch).float()).numpy()

    def ours() -> None:
        score_rows(scorer, store, rows, args.batch_size)

    np.testing.assert_allclose(score_rows(scorer, store, rows[:2048], args.batch_size),
                               np.concatenate([torch.sigmoid(scorer.model(b)).detach().numpy()
                                               for b in batches])[:2048], atol=1e-6)
    t_ours, t_bare, t_forward = best_interleaved([ours, bare, forward], args.repeat)

    # the training's per-run path, for scale: dataset items and collate (no forward pass)
    import pandas as pd

    from astrobuild.learn.config import train_config
    from astrobuild.learn.dataset import PlanetRunDataset, collate
    from tests.learn_products import train_section

    sample = min(2048, args.runs)
    ids = [str(r) for r in store.arrays["run_id"][:sample]]
    config = train_config(train_section(modalities=list(scorer.modalities)))
    store.row = {r: i for i, r in enumerate(ids)}
    cache = {r: store.raw(r, scorer.modalities) for r in ids}
    frame = pd.DataFrame({"run_id": ids, "planet": None, "scenario": None, "label": False})

    def per_run() -> None:
        dataset = PlanetRunDataset(frame, config, scorer.norm, cache)
        for s in range(0, sample, args.batch_size):
            collate([dataset[i] for i in range(s, min(sample, s + args.batch_size))])

    (t_items,) = best_interleaved([per_run], max(1, args.repeat // 2))

    print(f"predict: {args.runs} runs ({len(source)} distinct, tiled), modalities {list(scorer.modalities)}, "
          f"batch {args.batch_size}, {args.threads} torch thread(s), best of {args.repeat} in turns")
    row("ours: store arrays -> tensors -> scores", f"{args.runs / t_ours:,.0f} runs/s ({t_ours:.3f} s)")
    row("baseline: bare scoring pass over the same tensors", f"{args.runs / t_bare:,.0f} runs/s ({t_bare:.3f} s)")
    row("ratio ours / baseline (target >= 0.5)", f"{t_bare / t_ours:.2f}")
    row("the training's forward over the same tensors", f"{args.runs / t_forward:,.0f} runs/s ({t_forward:.3f} s)")
    row("scoring pass / forward", f"{t_forward / t_bare:.2f}x")
    row("target >= 10,000 runs/s", "met" if args.runs / t_ours >= 10_000 else "NOT met")
    row("for scale: training's dataset + collate, no model", f"{sample / t_items:,.0f} runs/s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
