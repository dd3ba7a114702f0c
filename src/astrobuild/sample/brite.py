"""The pathway hierarchy br08901 of the KEGG sample, in both forms KEGG serves it (htext, JSON).

The hierarchy itself (which maps, in which categories) is the KEGG sample's
(:mod:`astrobuild.sample.kegg`); this module only writes it out.
"""

from __future__ import annotations

import json

# (A category, B category, [(map number, title)]) in hierarchy order
Hierarchy = list[tuple[str, str, list[tuple[str, str]]]]


def brite_htext(hierarchy: Hierarchy) -> str:
    """br08901 as KEGG's htext download (``.keg``): the page's HTML comment lines, A/B/C levels."""
    lines = ["+C\tMap number",
             '#<h2><a href="/kegg/kegg2.html"><img src="/Fig/bget/kegg3.gif" align="middle" border=0></a>'
             "&nbsp; KEGG Pathway Maps</h2>", "#<!---", "#ENTRY       br08901", "#NAME        Pathway",
             "#DEFINITION  KEGG pathway maps", "#--->", "!"]
    last_a = None
    for a, b, items in hierarchy:
        if a != last_a:
            lines.append(f"A<b>{a}</b>")
            last_a = a
        lines.append(f"B  {b}")
        lines += [f"C    {n}  {t.replace('&', '&amp;')}" for n, t in items]
    lines += ["!", "#<hr>", '#<b>[ <a href="/kegg/brite.html">BRITE</a> | <a href="/kegg/">KEGG</a> ]</b><br>',
              "#Last updated: October 7, 2013"]
    return "\n".join(lines) + "\n"


def brite_json(hierarchy: Hierarchy) -> str:
    """br08901 as KEGG's JSON download: nested name/children, leaves ``<number>  <title>``."""
    tree: list[dict] = []
    for a, b, items in hierarchy:
        if not tree or tree[-1]["name"] != a:
            tree.append({"name": a, "children": []})
        tree[-1]["children"].append({"name": b, "children": [{"name": f"{n}  {t}"} for n, t in items]})
    return json.dumps({"name": "br08901", "children": tree}, indent="\t") + "\n"
