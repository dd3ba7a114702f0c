"""KEGG REST text outputs: ``list`` and ``link`` (tab-separated, no header).

``list/pathway`` gives ``map00010<TAB>Glycolysis / Gluconeogenesis`` (older
releases: ``path:map00010``); ``list/pathway/hsa`` gives
``hsa00010<TAB>Glycolysis / Gluconeogenesis - Homo sapiens (human)``;
``list/hsa`` gives genes, either in the current four-column form
``hsa:1<TAB>CDS<TAB>19:complement(58345178..58362751)<TAB>A1BG, ABG; alpha-1-B glycoprotein``
or the older two-column form ``hsa:1<TAB>A1BG, ABG; alpha-1-B glycoprotein``.
What a file holds is read from its lines, not its name.

``link`` gives pairs ``path:map00010<TAB>md:M00002``: the entries of one
database linked to entries of another.
"""

from __future__ import annotations

import os
import re

from astrobuild import ids
from astrobuild.quarantine import Quarantine

LINK_COLUMNS = ("source", "target")

PATHWAY_ID = re.compile(rf"^{ids.UPSTREAM_PATHWAY}$")
GENE_ID = re.compile(r"^([a-z]{3,5}|T\d{5}):(\S+)$")
LINK_ID = re.compile(r"^[a-z0-9_]+:\S+$")
_ORGANISM = re.compile(r"^(.*) - ([^-]+(?:\([^)]*\))?)$")


def _lines(path: str) -> list[tuple[int, str]]:
    with open(path, encoding="utf-8-sig", errors="replace") as handle:  # -sig: a byte-order mark is no id
        return [(n, line.rstrip("\r\n")) for n, line in enumerate(handle, start=1) if line.strip()]


def list_kind(path: str | os.PathLike[str]) -> str | None:
    """``pathway`` or ``gene`` (by the first line's id), or None when it is neither."""
    for _, line in _lines(os.fspath(path))[:1]:
        first = line.split("\t", 1)[0]
        if PATHWAY_ID.match(first):
            return "pathway"
        if GENE_ID.match(first):
            return "gene"
    return None


def parse_pathway_list(path: str | os.PathLike[str], quarantine: Quarantine) -> list[tuple]:
    """Rows (pathway, org, number, name, organism), the column order of contract KeggPathwayList;
    organism only in organism-specific lists."""
    path = os.fspath(path)
    rows = []
    for number, line in _lines(path):
        fields = line.split("\t")
        match = PATHWAY_ID.match(fields[0])
        if len(fields) != 2 or not match or not fields[1].strip():
            quarantine.add(path, number, "pathway list line is not <pathway id><TAB><name>", line)
            continue
        org, num = match.groups()
        name, organism = fields[1].strip(), None
        if org != "map" and org != "ko":
            split = _ORGANISM.match(name)
            if split:
                name, organism = split.group(1).strip(), split.group(2).strip()
        rows.append((f"{org}{num}", org, num, name, organism))
    return rows


def parse_gene_list(path: str | os.PathLike[str], quarantine: Quarantine) -> list[tuple]:
    """Rows (gene, org, type, position, symbols, description) of a 2- or 4-column gene list,
    the column order of contract KeggGeneList."""
    path = os.fspath(path)
    rows = []
    for number, line in _lines(path):
        fields = line.split("\t")
        match = GENE_ID.match(fields[0])
        if not match or len(fields) not in (2, 4):
            quarantine.add(path, number, "gene list line has neither 2 nor 4 tab-separated fields with an org:id",
                           line)
            continue
        gene_type = position = None
        if len(fields) == 4:
            gene_type, position = fields[1].strip() or None, fields[2].strip() or None
        text = fields[-1].strip()
        symbols, sep, description = text.partition("; ")
        if not sep:  # no symbol, only a description
            symbols, description = "", text
        rows.append((fields[0], match.group(1), gene_type, position, symbols or None, description or None))
    return rows


def parse_link(path: str | os.PathLike[str], quarantine: Quarantine) -> list[tuple[str, str]]:
    """(source, target) pairs of a KEGG REST ``link`` output, ids as given (``path:map00010``)."""
    path = os.fspath(path)
    pairs = []
    for number, line in _lines(path):
        fields = line.split("\t")
        if len(fields) != 2 or not all(LINK_ID.match(f.strip()) for f in fields):
            quarantine.add(path, number, "link line is not <db:id><TAB><db:id>", line)
            continue
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs
