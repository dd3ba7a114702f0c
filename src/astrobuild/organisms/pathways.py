"""Which KEGG pathways an organism has: its KO ids and EC numbers against KEGG's ``link`` output.

KEGG REST ``link/pathway/ko`` gives ``ko:K00001<TAB>path:map00010`` (and the same
pair with ``path:ko00010``); ``link/pathway/ec`` gives ``ec:1.1.1.1<TAB>path:map00010``
(and ``path:ec00010``); ``link/ko/pathway`` gives the columns the other way round.
All of these are read; a pathway is named by its reference map (``map`` + the
five-digit number), whichever prefix a line uses. Pairs of other kinds (modules,
organism genes, overview members) are counted in the report, not read.

A genome's **coverage** of a pathway is the share of the pathway's KOs it has,
or the share of its EC numbers, whichever is larger (a genome annotated with
EC numbers only is measured by them): ``coverage = hits / members`` of that
basis. The pathway is **present** when the coverage is at least
``organisms.min_coverage``. Only pathways with at least one hit get a row.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from astrobuild import ids
from astrobuild.kegg.lists import PATHWAY_ID, parse_link
from astrobuild.quarantine import Quarantine

BASES = ("ko", "ec")


@dataclass
class Membership:
    """Reference map -> its KOs, and -> its EC numbers."""

    members: dict[str, dict[str, set[str]]] = field(default_factory=lambda: {b: defaultdict(set) for b in BASES})
    other_links: Counter = field(default_factory=Counter)

    def pairs(self) -> int:
        return sum(len(m) for basis in BASES for m in self.members[basis].values())


def _side(entry: str) -> tuple[str, str] | None:
    """(basis, id) of a ``ko:`` / ``ec:`` entry, ("path", map id) of a pathway, else None."""
    if entry.startswith("ko:"):
        match = ids.KO_RE.match(entry)
        return ("ko", match.group(1)) if match else None
    if entry.startswith("ec:"):
        match = ids.EC_RE.match(entry)
        return ("ec", match.group(1)) if match else None
    match = PATHWAY_ID.match(entry)
    return ("path", f"map{match.group(2)}") if match and entry.startswith("path:") else None


def read_membership(files: Iterable[str | os.PathLike[str]], quarantine: Quarantine) -> Membership:
    """The KO and EC members of every pathway the link files name."""
    membership = Membership()
    for path in files:
        for source, target in parse_link(path, quarantine):
            a, b = _side(source), _side(target)
            if a and b and b[0] == "path" and a[0] in BASES:
                membership.members[a[0]][b[1]].add(a[1])
            elif a and b and a[0] == "path" and b[0] in BASES:
                membership.members[b[0]][a[1]].add(b[1])
            else:
                membership.other_links[f"{source.split(':', 1)[0]}->{target.split(':', 1)[0]}"] += 1
    return membership


def _inverted(members: Mapping[str, set[str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for pathway in sorted(members):
        for member in members[pathway]:
            index[member].append(pathway)
    return index


def coverage_rows(genomes: Mapping[str, dict[str, set[str]]], membership: Membership,
                  min_coverage: float) -> list[dict]:
    """One row per genome and pathway with a hit: basis, hits, members, coverage, present.

    ``genomes``: genome id -> {"ko": its KO ids, "ec": its EC numbers}.
    """
    index = {basis: _inverted(membership.members[basis]) for basis in BASES}
    rows = []
    for genome in sorted(genomes):
        hits = {basis: Counter(p for member in genomes[genome].get(basis, ()) for p in index[basis].get(member, ()))
                for basis in BASES}
        for pathway in sorted(set(hits["ko"]) | set(hits["ec"])):
            best = None
            for basis in BASES:
                size = len(membership.members[basis].get(pathway, ()))
                if size:
                    share = hits[basis][pathway] / size
                    if best is None or share > best[3]:
                        best = (basis, hits[basis][pathway], size, share)
            basis, n, size, share = best
            rows.append({"genome": genome, "pathway": pathway, "basis": basis, "hits": n, "members": size,
                         "coverage": share, "present": share >= min_coverage})
    return rows
