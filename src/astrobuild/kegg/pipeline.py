"""The KEGG chain's steps, one function per rule (files in, files out)."""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from astrobuild import ids
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.kegg import (
    KeggEdges,
    KeggEnvTags,
    KeggEnvVectors,
    KeggGeneList,
    KeggOverviewMembers,
    KeggPathwayList,
)
from astrobuild.io import read_parquet, write_json, write_parquet
from astrobuild.kegg.brite import parse_brite
from astrobuild.kegg.env import VARIABLES, env_vectors, load_mapping, map_number
from astrobuild.kegg.graphs import check_graph_store, load_graph_store, write_graph_store, write_graphml
from astrobuild.kegg.kgml import parse_kgml, xml_parser
from astrobuild.kegg.lists import (
    PATHWAY_ID,
    list_kind,
    parse_gene_list,
    parse_link,
    parse_pathway_list,
)
from astrobuild.paths import SourceRoot, collect_files, source_label
from astrobuild.progress import progress
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)
# Each table's columns, from its contract; the parsers give rows as tuples in this column order.
EDGES = arrow_schema(KeggEdges)
ENV_TAGS = arrow_schema(KeggEnvTags)
OVERVIEW_MEMBERS = arrow_schema(KeggOverviewMembers)
PATHWAY_LIST = arrow_schema(KeggPathwayList)
GENE_LIST = arrow_schema(KeggGeneList)
ENV_VECTORS = arrow_schema(KeggEnvVectors)
MAX_EXAMPLES = 20  # unresolved substrate/product ids listed in the report; the counts are complete
_HEAD_PATHWAY = re.compile(rf"<pathway\b[^>]*?\bname=\"{ids.UPSTREAM_PATHWAY}\"".encode())


def rows_table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    """Rows (tuples in the schema's column order) -> an Arrow table of that schema."""
    columns = list(zip(*rows, strict=True)) if rows else [[]] * len(schema)
    return pa.table({f.name: pa.array(columns[i], f.type) for i, f in enumerate(schema)}, schema=schema)


def edges_table(rows: list[tuple[str, str, str, str, bool]]) -> pa.Table:
    """Edge rows -> Arrow table without exact duplicates, sorted by every column (deterministic).

    Deduplication and sorting run in Arrow's C++ kernels, not in Python.
    """
    table = rows_table(rows, EDGES).group_by(EDGES.names, use_threads=False).aggregate([])
    return table.select(EDGES.names).sort_by([(c, "ascending") for c in EDGES.names])


def edges_frame(files: Iterable[os.PathLike[str] | str], quarantine: Quarantine, show_progress: bool = True
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parse KGML files into the edge table (deduplicated, sorted) and facts for the report."""
    table, report = _parse_edges(files, quarantine, show_progress)
    return table.to_pandas(), report


def _parse_edges(files: Iterable[os.PathLike[str] | str], quarantine: Quarantine, show_progress: bool
                 ) -> tuple[pa.Table, dict[str, Any]]:
    # Paths in the report are named like the quarantine's (relative to the source when it has one).
    files = list(files)
    parser = xml_parser()
    rows: list[tuple[str, str, str, str, bool]] = []
    versions: Counter[str] = Counter()
    no_reactions, pathway_files = [], Counter()
    unresolved = UnresolvedIds()
    n_bytes = parsed = 0
    items = progress(files, desc="kegg_to_edges", unit="file") if show_progress else files
    for path in items:
        n_bytes += os.stat(path).st_size
        result = parse_kgml(path, quarantine, parser=parser)
        if result is None:
            continue
        parsed += 1
        versions[result.version] += 1
        pathway_files[result.pathway] += 1
        if result.reactions == 0:
            no_reactions.append(source_label(quarantine.source, path))
        if result.unresolved_ids:
            unresolved.add(source_label(quarantine.source, path), result.unresolved_ids)
        rows.extend(result.edges)
    table = edges_table(rows)
    pathways = table.column("pathway")
    report = {
        "files": len(files), "bytes": n_bytes, "parsed": parsed, "quarantined_files": len(files) - parsed,
        "kgml_versions": dict(sorted(versions.items())),
        "files_without_reactions": len(no_reactions), "files_without_reactions_list": sorted(no_reactions),
        "pathways": len(pathways.unique()), "edges": table.num_rows, "duplicate_edges_removed": len(rows) - table.num_rows,
        "pathways_in_several_files": sorted(p for p, n in pathway_files.items() if n > 1),
        "reversible_edges": int(pa.compute.sum(table.column("reversible")).as_py() or 0),
        "unresolved_reaction_ids": unresolved.report(),
    }
    return table, report


class UnresolvedIds:
    """Substrate/product ids that name no <entry> of their pathway, over every KGML file.

    The edges still come from the ``name`` attributes (the 0.6.x way), so the table
    is unchanged; but a broken cross-reference in the upstream file is a fact the
    report owes its reader, as counts per file and a bounded list of examples.
    """

    def __init__(self) -> None:
        self.per_file: dict[str, int] = {}
        self.reactions = 0
        self.examples: list[dict[str, Any]] = []

    def add(self, label: str, found: list[tuple[int | None, str, str, str, str]]) -> None:
        reactions = len({(line, reaction) for line, reaction, *_ in found})  # its line tells a reaction apart
        self.per_file[label] = self.per_file.get(label, 0) + len(found)
        self.reactions += reactions
        for line, reaction, role, ref, name in found[:max(0, MAX_EXAMPLES - len(self.examples))]:
            self.examples.append({"file": label, "line": line, "reaction": reaction, "role": role, "id": ref,
                                  "name_used": name})
        log.warning("%s: %d substrate/product id(s) in %d reaction(s) name no <entry> of the pathway: "
                    "their name attribute gives the edge (e.g. line %s, reaction %s, %s id %r)",
                    label, len(found), reactions, *found[0][:4])

    def report(self) -> dict[str, Any]:
        return {"total": sum(self.per_file.values()), "reactions": self.reactions,
                "files": len(self.per_file), "per_file": dict(sorted(self.per_file.items())),
                "examples": self.examples}


def kegg_to_edges(inputs: list[str], patterns: list[str], table: str, quarantine_path: str, report_path: str,
                  source: SourceRoot | None = None) -> dict:
    files = collect_files(inputs, patterns)
    if not files:
        raise ValueError(f"kegg_to_edges: no KGML files matching {patterns} in {inputs}")
    quarantine = Quarantine(source=source)
    arrow, report = _parse_edges(files, quarantine, show_progress=True)
    write_parquet(arrow, table)
    quarantine.write(quarantine_path)
    report["quarantine"] = quarantine.counts()
    write_json(report, report_path)
    log.info("%d file(s) -> %d edges of %d pathways; %d without reactions; quarantined: %s", report["files"],
             report["edges"], report["pathways"], report["files_without_reactions"], quarantine.counts())
    return report


def brite_to_env_tags(inputs: list[str], patterns: list[str], table: str, quarantine_path: str,
                      report_path: str, source: SourceRoot | None = None) -> dict:
    """Every BRITE file (htext or JSON) among the inputs -> (pathway, tag); none is fine (empty table)."""
    files = collect_files(inputs, patterns) if inputs else []
    quarantine = Quarantine(source=source)
    pairs: set[tuple[str, str]] = set()
    per_file = {}
    for path in files:
        found = parse_brite(path, quarantine)
        per_file[source_label(source, path)] = len(found)
        pairs.update(found)
    rows = sorted(pairs)
    write_parquet(rows_table(rows, ENV_TAGS), table)
    quarantine.write(quarantine_path)
    report = {"files": per_file, "pairs": len(rows), "pathways": len({p for p, _ in rows}),
              "tags": len({t for _, t in rows}), "quarantine": quarantine.counts()}
    write_json(report, report_path)
    log.info("%d BRITE file(s) -> %d (pathway, tag) pairs", len(files), len(rows))
    return report


def _head_pathway(path: Path) -> tuple[str, str] | None:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    match = _HEAD_PATHWAY.search(head)
    return (match.group(1).decode(), match.group(2).decode()) if match else None


def overview_map_members(inputs: list[str], kgml_patterns: list[str], link_patterns: list[str],
                         overview_pattern: str, table: str, quarantine_path: str, report_path: str,
                         source: SourceRoot | None = None) -> dict:
    """Members of overview maps: ``type="map"`` entries of overview KGML files, and pathway-to-pathway
    pairs of REST ``link`` outputs whose first column is an overview map."""
    overview_re = re.compile(overview_pattern)
    quarantine = Quarantine(source=source)
    rows: set[tuple[str, str, str]] = set()
    kgml = collect_files(inputs, kgml_patterns) if inputs else []
    links = collect_files(inputs, link_patterns) if inputs else []
    parser = xml_parser()
    overviews_seen, other_links = [], Counter()
    for path in progress(kgml, desc="overview maps", unit="file"):
        head = _head_pathway(path)
        if head is not None and not overview_re.search(head[1]):
            continue  # the head names a pathway that is not an overview map: skip the full parse
        result = parse_kgml(path, Quarantine(), parser=parser, map_entries=True)  # unusable files are kegg_to_edges' quarantine
        if result is None or not overview_re.search(map_number(result.pathway) or ""):
            continue
        overviews_seen.append(result.pathway)
        for member in result.map_entries:
            match = PATHWAY_ID.match(member)
            if not match:
                quarantine.add(path, None, "map entry is not a pathway id", member)
            elif f"{match.group(1)}{match.group(2)}" != result.pathway:
                rows.add((result.pathway, f"{match.group(1)}{match.group(2)}", Path(path).name))
    for path in links:
        for source, target in parse_link(path, quarantine):
            s, t = PATHWAY_ID.match(source), PATHWAY_ID.match(target)
            if s and t and overview_re.search(s.group(2)) and source != target:
                rows.add((f"{s.group(1)}{s.group(2)}", f"{t.group(1)}{t.group(2)}", Path(path).name))
            else:
                # a valid link, but not overview -> pathway membership (e.g. pathway -> module)
                other_links[f"{source.split(':', 1)[0]}->{target.split(':', 1)[0]}"] += 1
    ordered = sorted(rows)
    write_parquet(rows_table(ordered, OVERVIEW_MEMBERS), table)
    quarantine.write(quarantine_path)
    report = {"kgml_files": len(kgml), "overview_maps": sorted(set(overviews_seen)), "link_files": len(links),
              "members": len(ordered), "links_not_membership": dict(sorted(other_links.items())),
              "overview_pattern": overview_pattern, "quarantine": quarantine.counts()}
    write_json(report, report_path)
    log.info("%d overview map(s), %d link file(s) -> %d members; links that are not membership: %s",
             len(set(overviews_seen)), len(links), len(ordered), dict(other_links))
    return report


def parse_kegg_lists(inputs: list[str], patterns: list[str], pathway_table: str, gene_table: str,
                     quarantine_path: str, report_path: str, source: SourceRoot | None = None) -> dict:
    """KEGG ``list`` outputs -> a pathway list and a gene list (either may be empty)."""
    files = collect_files(inputs, patterns) if inputs else []
    quarantine = Quarantine(source=source)
    pathways: set[tuple] = set()
    genes: set[tuple] = set()
    kinds = {}
    for path in files:
        kind = list_kind(path)
        kinds[source_label(source, path)] = kind
        if kind == "pathway":
            pathways.update(parse_pathway_list(path, quarantine))
        elif kind == "gene":
            genes.update(parse_gene_list(path, quarantine))
        else:
            quarantine.add(path, 1, "neither a pathway list nor a gene list (first id not recognised)")
    key = lambda row: tuple("" if v is None else v for v in row)  # noqa: E731
    write_parquet(rows_table(sorted(pathways, key=key), PATHWAY_LIST), pathway_table)
    write_parquet(rows_table(sorted(genes, key=key), GENE_LIST), gene_table)
    quarantine.write(quarantine_path)
    report = {"files": kinds, "pathways": len(pathways), "genes": len(genes), "quarantine": quarantine.counts()}
    write_json(report, report_path)
    return report


def make_env_vectors(edges_path: str, tags_path: str, overview_path: str, mapping_path: str, table: str,
                     report_path: str) -> dict:
    """One env vector per pathway with edges; every value resolved (no NaN), sources counted."""
    mapping = load_mapping(mapping_path)
    pathways = sorted(read_parquet(edges_path, columns=["pathway"]).column("pathway").unique().to_pylist())
    tags: dict[str, list[str]] = {}
    for pathway, tag in read_parquet(tags_path).to_pandas().itertuples(index=False):
        tags.setdefault(map_number(pathway) or "", []).append(tag)
    overviews: dict[str, list[str]] = {}
    for overview, pathway, _source in read_parquet(overview_path).to_pandas().itertuples(index=False):
        overviews.setdefault(map_number(pathway) or "", []).append(map_number(overview) or "")
    rows, report = env_vectors(pathways, tags, overviews, mapping)
    values = np.array([r[1:] for r in rows], dtype=np.float64).reshape(len(rows), len(VARIABLES))
    if not np.isfinite(values).all():
        raise ValueError("make_env_vectors: a value is not finite; check the mapping file")
    arrow = pa.table({"pathway": [r[0] for r in rows], **{v: values[:, i] for i, v in enumerate(VARIABLES)}},
                     schema=ENV_VECTORS)
    write_parquet(arrow, table)
    report["mapping"] = os.fspath(mapping_path)
    write_json(report, report_path)
    log.info("%d env vectors; %d pathway(s) took the default for every variable; sources: %s",
             report["pathways"], report["took_default"], report["source_per_variable"])
    return report


def edges_to_graphs(edges_path: str, env_path: str, outdir: str, graphml: bool = False) -> dict:
    edges = read_parquet(edges_path).to_pandas()
    env = read_parquet(env_path).to_pandas()
    manifest = write_graph_store(edges, env, outdir)
    if graphml:
        store = load_graph_store(outdir)
        for i in progress(range(len(store)), desc="graphml", unit="graph"):
            graph = store.graph(i)
            write_graphml(graph, Path(outdir) / "graphml" / f"{graph['pathway']}.graphml")
        log.info("wrote %d GraphML file(s) under %s/graphml", len(store), outdir)
    return manifest


def check_kegg_graphs(store_dir: str, edges_path: str, env_path: str, report_path: str) -> dict:
    """The graph store check; the report is written only when the store passes (like validate_table)."""
    report = check_graph_store(store_dir, read_parquet(edges_path).to_pandas(), read_parquet(env_path).to_pandas())
    if not report["valid"]:
        log.error("graph store check failed: %s", report["failures"])
        raise ValueError(f"{store_dir}: graph store check failed ({report['failure_count']} problem(s)): "
                         + "; ".join(report["failures"][:5]))
    write_json(report, report_path)
    log.info("graph store %s: %d graphs consistent with %s", store_dir, report["graphs"], edges_path)
    return report
