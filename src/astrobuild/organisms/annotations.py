"""Functional annotation tables: which KO ids (and EC numbers) a protein has.

Real genomes rarely carry KO ids in their GenBank qualifiers; a separate step
assigns them. Two kinds of output are read, told apart by their lines:

* eggNOG-mapper ``*.emapper.annotations``: ``##`` comment lines, a header
  line starting ``#query`` (v2) or ``#query_name`` (v1), tab-separated
  columns; the KOs are in ``KEGG_ko`` (``ko:K00001,ko:K00002``), the EC
  numbers in ``EC``; ``-`` is none.
* KofamScan and KAAS: the two-column ``mapper`` output ``protein<TAB>K00001``
  (a protein alone on its line has no KO), or KofamScan's ``detail`` output
  (``#`` header, then ``*``-marked rows above the KO's threshold: only those
  assign a KO; the others are counted).

A line that is neither (wrong number of fields, a KO that is not ``K`` + 5
digits) goes to quarantine. The protein names are matched to the GenBank
records by the caller (:func:`astrobuild.organisms.pipeline.genomes_table`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from astrobuild import ids
from astrobuild.organisms.files import open_text
from astrobuild.quarantine import Quarantine

_NONE = {"", "-"}
# NCBI's cds_from_genomic / translated_cds FASTA names a protein lcl|<record>_prot_<protein_id>_<n>.
_NCBI_CDS = re.compile(r"^lcl\|.+?_prot_(.+)_\d+$")


@dataclass(frozen=True)
class Assignment:
    """KO ids and EC numbers a table gives one protein, with where it says so."""

    line: int
    protein: str
    kos: tuple[str, ...]
    ecs: tuple[str, ...]
    text: str


@dataclass
class TableFacts:
    """What a table held besides assignments, for the report."""

    kind: str = "empty"
    lines: int = 0
    proteins_without_ko: int = 0
    below_threshold: int = 0


def protein_key(name: str) -> str:
    """The protein id in a query name (NCBI CDS FASTA names hold it inside a longer name)."""
    match = _NCBI_CDS.match(name)
    return match.group(1) if match else name


def read_table(path: str | os.PathLike[str], quarantine: Quarantine, facts: TableFacts) -> Iterator[Assignment]:
    """Assignments of one annotation table, in file order."""
    path = os.fspath(path)
    with open_text(path) as handle:
        lines = [(n, line.rstrip("\r\n")) for n, line in enumerate(handle, start=1)]
    lines = [(n, line.lstrip("\ufeff") if n == 1 else line) for n, line in lines if line.strip()]
    facts.lines = len(lines)
    header = next((line for _, line in lines if line.startswith("#query")), None)
    if header is not None:
        facts.kind = "emapper"
        yield from _emapper(path, lines, header, quarantine, facts)
    elif any(line.startswith("#") and "KO" in line for _, line in lines[:3]) or any(
            line.startswith("* ") for _, line in lines[:50]):
        facts.kind = "kofam_detail"
        yield from _kofam_detail(path, lines, quarantine, facts)
    elif lines:
        facts.kind = "ko_mapper"
        yield from _ko_mapper(path, lines, quarantine, facts)


def _kos(values: list[str]) -> tuple[str, ...] | None:
    out = []
    for value in values:
        match = ids.KO_RE.match(value.strip())
        if not match:
            return None
        out.append(match.group(1))
    return tuple(out)


def _emapper(path: str, lines: list[tuple[int, str]], header: str, quarantine: Quarantine,
             facts: TableFacts) -> Iterator[Assignment]:
    columns = header.lstrip("#").split("\t")
    if "KEGG_ko" not in columns:
        quarantine.add(path, None, "eggNOG-mapper header has no KEGG_ko column: table not read", header)
        return
    at_ko, at_ec = columns.index("KEGG_ko"), columns.index("EC") if "EC" in columns else None
    seen_header = False
    for number, line in lines:
        if line.startswith("#"):  # v2's ## lines, v1's "# emapper version" and "# N queries scanned"
            seen_header = seen_header or line.startswith("#query")
            continue
        fields = line.split("\t")
        if not seen_header or len(fields) != len(columns):
            quarantine.add(path, number, f"eggNOG-mapper line has {len(fields)} fields, header has {len(columns)}"
                           if seen_header else "eggNOG-mapper line before the header", line)
            continue
        ko_text = fields[at_ko].strip()
        kos = () if ko_text in _NONE else _kos(ko_text.split(","))
        ec_text = fields[at_ec].strip() if at_ec is not None else "-"
        ecs = () if ec_text in _NONE else tuple(ec_text.split(","))
        if kos is None or not all(ids.EC_RE.match(e) for e in ecs):
            quarantine.add(path, number, "eggNOG-mapper KEGG_ko or EC value is not K00000 / n.n.n.n", line)
            continue
        if not kos and not ecs:
            facts.proteins_without_ko += 1
            continue
        yield Assignment(number, protein_key(fields[0].strip()), kos, ecs, line)


def _ko_mapper(path: str, lines: list[tuple[int, str]], quarantine: Quarantine,
               facts: TableFacts) -> Iterator[Assignment]:
    for number, line in lines:
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) == 1 and fields[0] and " " not in fields[0]:
            facts.proteins_without_ko += 1  # KAAS/KofamScan list a protein without a KO alone
            continue
        kos = _kos(fields[1:]) if len(fields) >= 2 and fields[0] else None
        if not kos:
            quarantine.add(path, number, "KO table line is not <protein><TAB>K00000", line)
            continue
        yield Assignment(number, protein_key(fields[0]), kos, (), line)


def _kofam_detail(path: str, lines: list[tuple[int, str]], quarantine: Quarantine,
                  facts: TableFacts) -> Iterator[Assignment]:
    for number, line in lines:
        if line.startswith("#"):
            continue
        significant = line.startswith("*")
        fields = line.lstrip("*").split()
        kos = _kos(fields[1:2]) if len(fields) >= 2 else None
        if not kos:
            quarantine.add(path, number, "KofamScan line has no gene name and KO", line)
            continue
        if not significant:
            facts.below_threshold += 1  # a hit under the KO's adaptive threshold assigns nothing
            continue
        yield Assignment(number, protein_key(fields[0]), kos, (), line)
