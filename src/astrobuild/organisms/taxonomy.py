"""GTDB taxonomy tables: genome accession -> GTDB lineage.

GTDB releases ship ``bac120_taxonomy_r<NNN>.tsv`` and ``ar53_taxonomy_r<NNN>.tsv``
(gzipped or not): no header, ``RS_GCF_000005845.2<TAB>d__Bacteria;p__...;s__Escherichia coli``.
GTDB-Tk's ``gtdbtk.<bac120|ar53>.summary.tsv`` gives the same for a user's genomes
under a header (``user_genome``, ``classification``, ...). Accessions are read
without GTDB's ``RS_``/``GB_`` database prefix, so that they meet the assembly
accession of a GenBank record's ``DBLINK`` line. A lineage must have the seven
ranks ``d__ p__ c__ o__ f__ g__ s__`` in order (names may be empty, as GTDB
writes ``s__`` for an unnamed species); anything else is quarantined, and GTDB-Tk's
``Unclassified`` rows are counted, not read.
"""

from __future__ import annotations

import os

from astrobuild.organisms.files import open_text
from astrobuild.quarantine import Quarantine

RANKS = ("d__", "p__", "c__", "o__", "f__", "g__", "s__")
_DB_PREFIXES = ("RS_", "GB_")


def bare_accession(accession: str) -> str:
    """GTDB's accession without its database prefix (``RS_GCF_000005845.2`` -> ``GCF_000005845.2``)."""
    return accession[3:] if accession.startswith(_DB_PREFIXES) else accession


def valid_lineage(text: str) -> bool:
    parts = text.split(";")
    return len(parts) == len(RANKS) and all(p.strip().startswith(r) for p, r in zip(parts, RANKS, strict=True))


def read_gtdb(path: str | os.PathLike[str], quarantine: Quarantine, lineages: dict[str, str],
              facts: dict[str, int]) -> None:
    """Add the lineages of one GTDB table to ``lineages`` (first table wins for an accession given twice)."""
    path = os.fspath(path)
    at_accession, at_lineage, width = 0, 1, 2
    with open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n").lstrip("\ufeff")
            if not line.strip():
                continue
            fields = line.split("\t")
            if number == 1 and fields[0] == "user_genome" and "classification" in fields:
                at_lineage, width = fields.index("classification"), len(fields)
                continue
            if len(fields) != width:
                quarantine.add(path, number, f"GTDB line has {len(fields)} fields, expected {width}", line)
                continue
            accession, lineage = bare_accession(fields[at_accession].strip()), fields[at_lineage].strip()
            if lineage.startswith("Unclassified"):
                facts["unclassified"] = facts.get("unclassified", 0) + 1
                continue
            if not accession or not valid_lineage(lineage):
                quarantine.add(path, number, "GTDB line is not <accession><TAB>d__;p__;c__;o__;f__;g__;s__", line)
                continue
            if accession in lineages and lineages[accession] != lineage:
                quarantine.add(path, number, "accession already has another GTDB lineage (first kept)", line)
                continue
            lineages.setdefault(accession, lineage)
            facts["rows"] = facts.get("rows", 0) + 1


def unversioned(lineages: dict[str, str]) -> dict[str, str]:
    """The lineages by accession without its version (a record may name an assembly without one)."""
    return {accession.split(".", 1)[0]: lineage for accession, lineage in sorted(lineages.items())}


def lineage_of(lineages: dict[str, str], by_unversioned: dict[str, str], *accessions: str) -> str | None:
    """The lineage of the first of ``accessions`` GTDB has: as written, else without versions."""
    for accession in accessions:
        if accession in lineages:
            return lineages[accession]
    for accession in accessions:
        if accession.split(".", 1)[0] in by_unversioned:
            return by_unversioned[accession.split(".", 1)[0]]
    return None
