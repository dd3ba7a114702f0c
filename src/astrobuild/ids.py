"""KEGG identifier patterns: the one place that says what a pathway id looks like.

A pathway id is a prefix (``map``, ``ko``, ``ec``, ``rn`` or an organism code
of 2-5 letters such as ``hsa``, ``eco``) followed by the five-digit map number
(``map00010``, ``hsa00020``); REST output and KGML ``name`` attributes may put
``path:`` in front. Parsers, contracts and the climate ``runs.csv`` reader all
build their expressions from these pieces, so a change of the id grammar is
made here once.

The organisms chain adds KEGG orthology (``K00001``) and EC numbers
(``1.1.1.1``, partial ``1.1.1.-``, preliminary ``1.1.1.n2``), and the
sequence accessions a ``runs.csv`` names organisms by: a GenBank/RefSeq
record (``NC_000932``, ``NC_000932.1``, ``AB070938``) or an assembly
(``GCF_000005845.2``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PREFIX = r"[a-z]{2,5}"
NUMBER = r"\d{5}"
# A bare pathway id, as stored in every table (no ``path:``).
PATHWAY = rf"{PREFIX}{NUMBER}"
PATHWAY_ANCHORED = rf"^{PATHWAY}$"
# Several pathway ids separated by single spaces (a run's biosphere).
PATHWAY_LIST_ANCHORED = rf"^{PATHWAY}(?: {PATHWAY})*$"
# As found in upstream files: optional ``path:``; prefix and number captured.
UPSTREAM_PATHWAY = rf"(?:path:)?({PREFIX})({NUMBER})"

PATHWAY_RE = re.compile(PATHWAY_ANCHORED)

# KEGG orthology id, bare (``K00001``); upstream files may write ``ko:K00001``.
KO = r"K\d{5}"
KO_RE = re.compile(rf"^(?:ko:)?({KO})$")
# EC number: four fields, the last ones may be ``-`` (partial) and the last ``n<digits>`` (preliminary).
EC = r"\d+\.(?:\d+|-)\.(?:\d+|-)\.(?:n?\d+|-)"
EC_RE = re.compile(rf"^(?:ec:)?({EC})$")
# A record or assembly accession, with or without ``.version`` (local annotation tools name records
# ``contig_1`` or ``k141-7``: letters, digits, ``_`` and ``-``).
BARE_ACCESSION = r"[A-Za-z0-9][A-Za-z0-9_-]*"
ACCESSION = rf"{BARE_ACCESSION}(?:\.\d+)?"
ACCESSION_RE = re.compile(rf"^{ACCESSION}$")
ACCESSION_LIST_ANCHORED = rf"^{ACCESSION}(?: {ACCESSION})*$"
# What the organisms source's remote mode asks NCBI for: an INSDC or RefSeq nucleotide accession,
# optionally versioned (U00096.3, AP012222, NC_000913.3, NZ_CP009072.1, NZ_JAAAAA010000001.1); the
# schema's pattern of sources.organisms.accessions is this one. Nothing else reaches efetch's query
# string (no comma, space or '&').
NUCCORE_ACCESSION_RE = re.compile(r"^(?:[A-Z]{2}_[A-Z]{0,6}|[A-Z]{1,6})[0-9]{5,12}(?:\.[0-9]{1,4})?$")


def check_accessions(items: Iterable[object], key: str = "sources.organisms.accessions") -> list[str]:
    """The accessions the organisms source's remote mode fetches, each checked
    (:data:`NUCCORE_ACCESSION_RE`); none at all, or the same accession twice (with and
    without a version: its record would be fetched twice), is refused naming the key."""
    accessions: list[str] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(items):
        text = str(item).strip()
        if not NUCCORE_ACCESSION_RE.match(text):
            raise ValueError(f"config: {key}[{i}]: {item!r} is not a GenBank/RefSeq accession "
                             "(letters, optional '_', digits, optional .version: NC_000913.3, U00096)")
        bare = text.split(".", 1)[0]
        if bare in seen:
            raise ValueError(f"config: {key}[{i}]: {text} and {seen[bare]} name the same sequence")
        seen[bare] = text
        accessions.append(text)
    if not accessions:
        raise ValueError(f"config: {key}: remote mode needs the accessions to fetch")
    return accessions
