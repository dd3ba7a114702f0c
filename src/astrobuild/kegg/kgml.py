"""KGML (KEGG Markup Language) pathway files -> reaction edges.

A KGML file is one ``<pathway>`` with ``<entry>``, ``<relation>`` and
``<reaction>`` children. Each reaction lists ``<substrate>`` and ``<product>``
elements; the edge table has one row per substrate x product pair.

Versions in use, all read by :func:`parse_kgml`:

* v0.7.x (2010-): ``<reaction id="37" name="rn:R00710" type="reversible">``
  with ``<substrate id="100" name="cpd:C00084"/>`` (ids point at entries).
* v0.6.x (2008): reactions carry no ``id`` and substrates/products carry only
  a ``name``. Only ``name`` and ``type`` are used, so both read the same way.
* files with entries but no reactions (signalling, secretion maps, global
  maps): parsed, no edges, reported.

Edges are built from the substrate/product ``name`` attributes, as in v0.6.x. In
v0.7.x their ``id`` should also name an ``<entry>`` of the pathway; one that names
none is a broken cross-reference whose ``name`` is still used: it is recorded
(:attr:`KgmlFile.unresolved_ids`) for the report rather than passed over.

``name`` attributes are kept as given, so a reaction named
``"rn:R00432 rn:R00727"`` stays one reaction (KEGG merges equivalent
reactions that way). The parser is lxml's C tree builder with DTD loading,
entity resolution and network access switched off: about as fast as a loop
that only counts elements (see ``benchmarks/bench_kegg_to_edges.py``).

Entities: an external one is never loaded (libxml2 refuses it inside an
attribute, and leaves it unexpanded in text), and libxml2's amplification
limit stops a "billion laughs". But libxml2 expands an entity defined in the
document's internal DTD subset inside attribute values whatever the options,
so a file could rename its reactions and compounds (``name="&x;"``). KGML
files define no entities, so a document whose internal subset defines any is
quarantined, naming the file and the entities.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from lxml import etree

from astrobuild import ids
from astrobuild.quarantine import Quarantine

REACTION_TYPES = {"reversible": True, "irreversible": False}
_VERSION = re.compile(rb"KGML_v(\d+(?:\.\d+)*)_?\.dtd")
_ORG_NUMBER = re.compile(rf"^{ids.PREFIX}$|^{ids.NUMBER}$")


def xml_parser() -> etree.XMLParser:
    """A parser that never reads a DTD, resolves an entity or touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


@dataclass
class KgmlFile:
    """What one KGML file gave: its pathway id, its edges and facts for the report."""

    path: str
    pathway: str | None = None
    version: str | None = None
    reactions: int = 0
    # (pathway, reaction, substrate, product, reversible): the column order of contract KeggEdges
    edges: list[tuple[str, str, str, str, bool]] = field(default_factory=list)
    map_entries: list[str] = field(default_factory=list)  # ids of entries of type="map" (other pathways)
    # (reaction's line, reaction, "substrate" | "product", id, name used) of every substrate/product
    # of an edge-giving reaction whose id names no <entry>; one without an id (v0.6.x) has none to resolve.
    unresolved_ids: list[tuple[int | None, str, str, str, str]] = field(default_factory=list)


def kgml_version(head: bytes) -> str:
    """The KGML version named in the DOCTYPE (``0.7.2``), or ``unknown``."""
    match = _VERSION.search(head)
    return match.group(1).decode() if match else "unknown"


def defined_entities(doc: etree._ElementTree) -> list[str]:
    """Names of the entities (general or parameter) the document's internal DTD subset defines."""
    dtd = doc.docinfo.internalDTD
    return sorted(entity.name for entity in dtd.iterentities()) if dtd is not None else []


def pathway_id(root: etree._Element) -> str | None:
    """``ko00010`` from ``<pathway name="path:ko00010">``; falls back on ``org`` + ``number``."""
    name = (root.get("name") or "").strip()
    if name:
        return name.split(":", 1)[1] if name.startswith("path:") else name
    org, number = (root.get("org") or "").strip(), (root.get("number") or "").strip()
    if org and number and _ORG_NUMBER.match(org) and _ORG_NUMBER.match(number):
        return f"{org}{number}"
    return None


def parse_kgml(path: str | os.PathLike[str], quarantine: Quarantine, parser: etree.XMLParser | None = None,
               data: bytes | None = None, map_entries: bool = False) -> KgmlFile | None:
    """Parse one KGML file; None (and a quarantine record) when it is not a usable KGML file.

    Reactions that cannot give edges (no name, unknown type, no substrate or
    no product) are quarantined one by one with their line; the file goes on.
    A substrate/product id naming no entry is recorded in ``unresolved_ids`` (its name gives the edge).
    ``map_entries`` also collects the ids of ``type="map"`` entries (for overview maps).
    """
    path = os.fspath(path)
    parser = parser or xml_parser()
    try:
        # lxml reads the file itself (no Python-level read); bytes are parsed when given.
        doc = etree.fromstring(data, parser).getroottree() if data is not None else etree.parse(path, parser)
        root = doc.getroot()
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        quarantine.add(path, line, f"not well-formed XML: {exc.msg}")
        return None
    entities = defined_entities(doc)
    if entities:
        quarantine.add(path, None, f"the internal DTD subset defines entities ({', '.join(entities)}), which would be "
                                   f"expanded inside attribute values; KGML defines none: refused")
        return None
    if root is None or root.tag != "pathway":
        tag = None if root is None else root.tag
        quarantine.add(path, None if root is None else root.sourceline, f"root element is <{tag}>, not <pathway>")
        return None
    pid = pathway_id(root)
    if pid is None:
        quarantine.add(path, root.sourceline, "<pathway> has no name (nor org + number)")
        return None
    result = KgmlFile(path=path, pathway=pid, version=kgml_version((doc.docinfo.system_url or "").encode()))
    entry_ids = set()
    for entry in root.iterchildren("entry"):
        entry_ids.add(entry.get("id"))
        if map_entries and entry.get("type") == "map":
            result.map_entries.extend((entry.get("name") or "").split())
    edges = result.edges
    for reaction in root.iterchildren("reaction"):
        result.reactions += 1
        name = reaction.get("name") or ""
        if "  " in name or name != name.strip():
            name = " ".join(name.split())
        kind = reaction.get("type")
        if not name:
            quarantine.add(path, reaction.sourceline, "reaction without a name")
            continue
        if kind not in REACTION_TYPES:
            quarantine.add(path, reaction.sourceline, f"reaction type {kind!r} is neither reversible nor irreversible",
                           name)
            continue
        reversible = REACTION_TYPES[kind]
        substrates = [c.get("name") for c in reaction.iterchildren("substrate")]
        products = [c.get("name") for c in reaction.iterchildren("product")]
        if None in substrates or None in products:
            quarantine.add(path, reaction.sourceline, "substrate or product without a name", name)
            continue
        if not substrates or not products:
            quarantine.add(path, reaction.sourceline,
                           f"reaction with {len(substrates)} substrate(s) and {len(products)} product(s)", name)
            continue
        for child in reaction.iterchildren("substrate", "product"):
            ref = child.get("id")
            if ref is not None and ref not in entry_ids:
                result.unresolved_ids.append((reaction.sourceline, name, child.tag, ref, child.get("name")))
        for substrate in substrates:
            for product in products:
                edges.append((pid, name, substrate, product, reversible))
    return result
