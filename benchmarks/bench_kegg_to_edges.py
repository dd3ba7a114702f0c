"""Benchmark: kegg_to_edges throughput against a bare lxml loop, and graph-store writing time.

On >= 2,000 generated KGML files (sample scale 100) it measures, in the same run,

* ours: ``astrobuild.kegg.pipeline.kegg_to_edges`` end to end (parse, quarantine,
  deduplicate, sort, write Parquet + report);
* baseline: a minimal lxml loop that parses each file and only counts its
  ``<substrate>`` and ``<product>`` elements;

and prints files/s, MiB/s and the ratio ours/baseline (target >= 0.5). Each is
the best of ``--repeat`` runs, alternating, so the page cache serves both alike.

Then ``edges_to_graphs`` (the graph store for every pathway with edges; target
< 30 s for 2,000 pathways) against a naive baseline writing one ``.npz`` per
graph.

    .venv/bin/python benchmarks/bench_kegg_to_edges.py            # full run
    .venv/bin/python benchmarks/bench_kegg_to_edges.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from lxml import etree

from astrobuild.kegg.pipeline import brite_to_env_tags, edges_to_graphs, kegg_to_edges, make_env_vectors
from astrobuild.kegg.pipeline import overview_map_members as members
from astrobuild.paths import collect_files
from astrobuild.sample import generate

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def baseline_count(files: list[Path]) -> int:
    """The bare loop: parse, count substrate and product elements, nothing else."""
    count = 0
    for path in files:
        try:
            root = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError:
            continue
        for _ in root.iter("substrate", "product"):
            count += 1
    return count


def naive_graph_files(edges_path: Path, env_path: Path, outdir: Path) -> int:
    """Baseline store: one npz per pathway (node ids, edge_index, env), written in a Python loop."""
    edges = pq.read_table(edges_path).to_pandas()
    env = pq.read_table(env_path).to_pandas().set_index("pathway")
    outdir.mkdir(parents=True, exist_ok=True)
    for pathway, group in edges.groupby("pathway", sort=True):
        nodes = np.array(sorted(set(group["substrate"]) | set(group["product"])))
        index = {c: i for i, c in enumerate(nodes)}
        edge_index = np.array([[index[s] for s in group["substrate"]], [index[p] for p in group["product"]]])
        np.savez(outdir / f"{pathway}.npz", nodes=nodes, edge_index=edge_index,
                 reversible=group["reversible"].to_numpy(bool), reaction=group["reaction"].to_numpy(str),
                 env=env.loc[pathway, ["pH", "temp", "O2", "redox"]].to_numpy(np.float32))
    return len(list(outdir.iterdir()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (scale 3, one repeat)")
    parser.add_argument("--scale", type=int, default=100, help="sample scale (100 gives > 2,000 KGML files)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the best counts")
    args = parser.parse_args()
    scale, repeat = (3, 1) if args.quick else (args.scale, args.repeat)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")

    with tempfile.TemporaryDirectory(prefix="bench_kegg_") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        generate("kegg", tmp / "raw", scale=scale, seed=0)
        files = collect_files([tmp / "raw"], ["*.xml"])
        n_bytes = sum(p.stat().st_size for p in files)
        print(f"sample: scale {scale}, {len(files)} KGML files, {n_bytes / MIB:.1f} MiB "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        if not args.quick and len(files) < 2000:
            print(f"need >= 2000 KGML files, got {len(files)}: raise --scale", file=sys.stderr)
            return 1
        baseline_count(files)  # warm the page cache for both

        ours_t, base_t = [], []
        out = tmp / "out"
        for _ in range(repeat):
            t = time.perf_counter()
            counted = baseline_count(files)
            base_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            report = kegg_to_edges([str(tmp / "raw")], ["*.xml"], str(out / "edges.parquet"),
                                   str(out / "edges.quarantine.tsv"), str(out / "report.json"))
            ours_t.append(time.perf_counter() - t)
        ours, base = min(ours_t), min(base_t)
        print(f"baseline lxml count loop: {len(files) / base:8.1f} files/s {n_bytes / MIB / base:7.1f} MiB/s "
              f"({counted} substrate+product elements, best of {repeat}: {base:.2f} s)")
        print(f"ours kegg_to_edges:       {len(files) / ours:8.1f} files/s {n_bytes / MIB / ours:7.1f} MiB/s "
              f"({report['edges']} edges of {report['pathways']} pathways, best of {repeat}: {ours:.2f} s)")
        ratio = base / ours
        print(f"ratio ours/baseline throughput: {ratio:.2f} (target >= 0.5) {'OK' if ratio >= 0.5 else 'BELOW TARGET'}")

        brite_to_env_tags([str(tmp / "raw")], ["*.keg"], str(out / "tags.parquet"), str(out / "tags.tsv"),
                          str(out / "tags.json"))
        members([str(tmp / "raw")], ["*.xml"], ["link_*"], r"^01[1-9]\d\d$", str(out / "ov.parquet"),
                str(out / "ov.tsv"), str(out / "ov.json"))
        make_env_vectors(str(out / "edges.parquet"), str(out / "tags.parquet"), str(out / "ov.parquet"),
                         str(ROOT / "config" / "kegg_env.yaml"), str(out / "env.parquet"), str(out / "env.json"))
        t = time.perf_counter()
        manifest = edges_to_graphs(str(out / "edges.parquet"), str(out / "env.parquet"), str(out / "graphs"))
        store_t = time.perf_counter() - t
        t = time.perf_counter()
        naive = naive_graph_files(out / "edges.parquet", out / "env.parquet", out / "naive")
        naive_t = time.perf_counter() - t
        store_bytes = sum(p.stat().st_size for p in (out / "graphs").iterdir())
        print(f"edges_to_graphs: {manifest['graphs']} graphs ({manifest['nodes']} nodes, {manifest['edges']} edges) "
              f"in {store_t:.2f} s, {len(list((out / 'graphs').iterdir()))} files, {store_bytes / MIB:.2f} MiB "
              f"(target < 30 s for 2,000 pathways) {'OK' if store_t < 30 else 'BELOW TARGET'}")
        print(f"baseline one npz per graph: {naive} files in {naive_t:.2f} s; ratio baseline/ours time: "
              f"{naive_t / store_t:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
