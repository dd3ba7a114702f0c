"""The organisms chain's steps, one function per rule (files in, files out)."""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.catalogue import PATHWAY_LINK_FILES
from astrobuild.contracts.organisms import OrganismPathways, Organisms
from astrobuild.io import read_parquet, write_json, write_parquet
from astrobuild.organisms.annotations import TableFacts, read_table
from astrobuild.organisms.files import ANNOTATION_PATTERNS, GENBANK_PATTERNS, GTDB_PATTERNS
from astrobuild.organisms.genbank import RecordSummary, read_records
from astrobuild.organisms.pathways import coverage_rows, read_membership
from astrobuild.organisms.taxonomy import lineage_of, read_gtdb, unversioned
from astrobuild.paths import SourceRoot, collect_files, source_label
from astrobuild.progress import progress
from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)
ORGANISMS = arrow_schema(Organisms)
ORGANISM_PATHWAYS = arrow_schema(OrganismPathways)
UNKNOWN_PROTEIN = "protein of the annotation table is in no GenBank record (its KOs are not read)"
DUPLICATE_RECORD = "record already read from another file (first kept)"


class OrganismsError(ValueError):
    """The organisms chain has nothing it can build from; the message names the files."""


def read_genbank_files(files: list, quarantine: Quarantine, source: SourceRoot | None = None,
                       show_progress: bool = True) -> tuple[dict[tuple[str, int | None], RecordSummary], list[str]]:
    """Every usable record of ``files`` by (accession, version), and the files that gave none."""
    records: dict[tuple[str, int | None], RecordSummary] = {}
    empty = []
    items = progress(files, desc="GenBank files", unit="file") if show_progress else files
    for path in items:
        label = source_label(source, path)
        n = 0
        for summary in read_records(path, label, quarantine):
            key = (summary.accession, summary.version)
            if key in records:
                quarantine.add(path, None, DUPLICATE_RECORD, f"{summary.record_id}: first in {records[key].file}")
                continue
            records[key] = summary
            n += 1
        if not n:
            empty.append(label)
    return records, empty


def _protein_index(records: dict) -> dict[str, list[tuple[str, int | None]]]:
    index: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for key in sorted(records, key=lambda k: (k[0], -1 if k[1] is None else k[1])):
        for protein in records[key].proteins:
            index[protein].append(key)
    return index


def apply_annotations(files: list, records: dict, quarantine: Quarantine) -> tuple[dict, dict[str, Any]]:
    """Add the tables' KOs and ECs to the records whose CDS has the protein; returns the KOs each record
    got from tables only, and the facts for the report."""
    index = _protein_index(records)
    from_tables: dict[tuple, set[str]] = defaultdict(set)
    facts: dict[str, Any] = {"tables": {}, "assignments": 0, "matched": 0, "unknown_proteins": 0}
    for path in files:
        table = TableFacts()
        for item in read_table(path, quarantine, table):
            facts["assignments"] += 1
            keys = index.get(item.protein) or index.get(item.protein.split(".", 1)[0])
            if not keys:
                facts["unknown_proteins"] += 1
                quarantine.add(path, item.line, UNKNOWN_PROTEIN, item.text)
                continue
            facts["matched"] += 1
            for key in keys:
                summary = records[key]
                from_tables[key].update(k for k in item.kos if k not in summary.kos)
                summary.ecs.update(item.ecs)
        facts["tables"][os.path.basename(path)] = {"kind": table.kind, "lines": table.lines,
                                                   "proteins_without_ko": table.proteins_without_ko,
                                                   "below_threshold": table.below_threshold}
    return from_tables, facts


def _joined(values: set[str]) -> str | None:
    return " ".join(sorted(values)) if values else None


def organisms_rows(records: dict, from_tables: dict, lineages: dict[str, str]) -> pa.Table:
    by_unversioned = unversioned(lineages)
    rows = []
    for key in sorted(records, key=lambda k: (k[0], -1 if k[1] is None else k[1])):
        s = records[key]
        table_kos = from_tables.get(key, set())
        kos = s.kos | table_kos
        rows.append({
            "accession": s.accession, "version": s.version, "genome": s.genome, "file": s.file,
            "organism": s.organism, "taxon_id": s.taxon_id, "taxonomy": s.taxonomy,
            "gtdb_taxonomy": lineage_of(lineages, by_unversioned, s.genome, s.record_id),
            "molecule_type": s.molecule_type, "topology": s.topology, "length": s.length,
            "gc_content": s.gc_content, "n_cds": s.n_cds, "n_genes": s.n_genes, "n_rrna": s.n_rrna,
            "n_trna": s.n_trna, "ko_ids": _joined(kos), "n_ko": len(kos), "ko_from_tables": len(table_kos),
            "ec_numbers": _joined(s.ecs), "n_ec": len(s.ecs)})
    return pa.Table.from_pylist(rows, schema=ORGANISMS)


def genomes_table(genbank_inputs: list[str], gtdb_inputs: list[str], annotation_inputs: list[str], table: str,
                  quarantine_path: str, report_path: str, source: SourceRoot | None = None) -> dict[str, Any]:
    """Rule genomes_table: GenBank files (+ GTDB taxonomy, + annotation tables) -> the organisms table."""
    quarantine = Quarantine(source=source)
    files = collect_files(genbank_inputs, GENBANK_PATTERNS)
    if not files:
        raise OrganismsError(f"no GenBank files ({', '.join(GENBANK_PATTERNS)}) among {genbank_inputs}")
    records, empty = read_genbank_files(files, quarantine, source)
    if not records:
        raise OrganismsError(f"no usable GenBank record in {len(files)} file(s) ({', '.join(map(str, files[:5]))}"
                             f"{' ...' if len(files) > 5 else ''}); reasons: {quarantine.counts()}")
    gtdb_files = collect_files(gtdb_inputs, GTDB_PATTERNS) if gtdb_inputs else []
    lineages: dict[str, str] = {}
    gtdb_facts: dict[str, int] = {}
    for path in gtdb_files:
        read_gtdb(path, quarantine, lineages, gtdb_facts)
    annotation_files = collect_files(annotation_inputs, ANNOTATION_PATTERNS) if annotation_inputs else []
    from_tables, annotation_facts = apply_annotations(annotation_files, records, quarantine)
    out = organisms_rows(records, from_tables, lineages)
    write_parquet(out, table, dictionary=["genome", "file", "organism", "taxonomy", "gtdb_taxonomy",
                                          "molecule_type", "topology"])
    quarantine.write(quarantine_path)
    genomes = set(out.column("genome").to_pylist())
    report = {
        "genbank_files": len(files), "files_without_records": empty, "records": out.num_rows,
        "genomes": len(genomes), "with_gtdb": out.num_rows - out.column("gtdb_taxonomy").null_count,
        "gtdb": {"files": len(gtdb_files), **gtdb_facts}, "annotations": annotation_facts,
        "records_with_ko": out.num_rows - out.column("ko_ids").null_count,
        "records_with_ec": out.num_rows - out.column("ec_numbers").null_count,
        "quarantine": quarantine.counts(),
    }
    write_json(report, report_path)
    log.info("%d record(s) of %d genome(s) from %d file(s); %d with KO ids; quarantined: %s", out.num_rows,
             len(genomes), len(files), report["records_with_ko"], quarantine.counts())
    return report


def genome_functions(organisms: pa.Table) -> tuple[dict[str, dict[str, set[str]]], dict[str, str | None]]:
    """Per genome, the union of its records' KO ids and EC numbers; and its organism name."""
    functions: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"ko": set(), "ec": set()})
    names: dict[str, str | None] = {}
    for row in organisms.select(["genome", "organism", "ko_ids", "ec_numbers"]).to_pylist():
        genome = row["genome"]
        functions[genome]["ko"].update((row["ko_ids"] or "").split())
        functions[genome]["ec"].update((row["ec_numbers"] or "").split())
        if names.get(genome) is None:
            names[genome] = row["organism"]
    return dict(functions), names


def organisms_to_pathways(organisms_path: str, link_inputs: list[str], min_coverage: float, table: str,
                          quarantine_path: str, report_path: str, source: SourceRoot | None = None) -> dict[str, Any]:
    """Rule organisms_to_pathways: the organisms table x KEGG's KO/EC -> pathway links -> organism_pathways."""
    quarantine = Quarantine(source=source)
    links = collect_files(link_inputs, PATHWAY_LINK_FILES) if link_inputs else []
    membership = read_membership(links, quarantine)
    if not membership.pairs():
        raise OrganismsError(f"no KO or EC -> pathway pair (KEGG link/pathway/ko, link/pathway/ec) in the kegg "
                             f"source's link files {[source_label(source, p) for p in links]}; other links: "
                             f"{dict(membership.other_links)}")
    functions, names = genome_functions(read_parquet(organisms_path))
    rows = coverage_rows(functions, membership, min_coverage)
    for row in rows:
        row["organism"] = names.get(row["genome"])
    out = pa.Table.from_pylist(rows, schema=ORGANISM_PATHWAYS)
    write_parquet(out, table, dictionary=["genome", "organism", "pathway", "basis"])
    quarantine.write(quarantine_path)
    present = Counter(r["genome"] for r in rows if r["present"])
    report = {
        "link_files": [source_label(source, p) for p in links], "min_coverage": min_coverage,
        "pathways_with_members": {b: len(membership.members[b]) for b in ("ko", "ec")},
        "links_not_read": dict(sorted(membership.other_links.items())),
        "genomes": len(functions), "genomes_with_present_pathways": len(present),
        "genomes_without_pathways": sorted(set(functions) - set(present)),
        "rows": out.num_rows, "present": sum(present.values()), "quarantine": quarantine.counts(),
    }
    write_json(report, report_path)
    log.info("%d genome(s): %d with a pathway at coverage >= %s (%d genome x pathway pairs present)",
             len(functions), len(present), min_coverage, report["present"])
    return report
