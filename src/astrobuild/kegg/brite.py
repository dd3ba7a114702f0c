"""KEGG BRITE hierarchies (htext ``.keg`` and JSON) -> ``pathway, tag``.

htext, as KEGG documents it: one node per line, the first character is the
level (``A`` top, then ``B``, ``C``, ``D`` ...), the text follows (indented
for readability, sometimes with HTML such as ``A<b>Metabolism</b>``).
``+`` lines are column headers, ``#`` lines comments (often HTML), ``!``
lines open and close a section; blank lines mean nothing.

The JSON form is ``{"name": "br08901", "children": [{"name": ..., "children": [...]}, ...]}``.

A node names a pathway when its text starts with a five-digit map number
(``00010  Glycolysis / Gluconeogenesis``) or carries a ``[PATH:ko00010]``
reference (as in ``ko00001``). Its tag is the path of its ancestors' texts
joined with ``/`` (``Metabolism/Carbohydrate metabolism``). Bare numbers
become ``map`` ids (the reference pathway).
"""

from __future__ import annotations

import codecs
import html
import json
import os
import re
from pathlib import Path

from astrobuild import ids
from astrobuild.quarantine import Quarantine

_TAGS = re.compile(r"<[^>]*>")
_NUMBER = re.compile(rf"^(?:(?:path:)?({ids.PREFIX}))?({ids.NUMBER})(?:\s+|$)")
_PATH_REF = re.compile(rf"\[PATH:({ids.PATHWAY})\]")


def clean_text(text: str) -> str:
    """HTML tags removed, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAGS.sub("", text)).split())


def pathway_of(text: str) -> str | None:
    """The pathway a node's text names (``map00010``), or None."""
    ref = _PATH_REF.search(text)
    if ref:
        return ref.group(1)
    match = _NUMBER.match(text)
    if match:
        return f"{match.group(1) or 'map'}{match.group(2)}"
    return None


def _category(text: str) -> str:
    # A category's own code (ko00001's "09101 Carbohydrate metabolism") is not part of the tag,
    # and "/" inside a name would read as a level separator.
    return _NUMBER.sub("", text, count=1).replace("/", "-") or text


def hierarchy_pairs(nodes: list[tuple[int, str, int | None]], path: str,
                    quarantine: Quarantine) -> list[tuple[str, str]]:
    """(pathway, tag) pairs from a hierarchy given in pre-order as (depth, text, line).

    A node naming a pathway is a pathway unless a node below it names one too
    (then it is a numbered category, like ko00001's ``09100 Metabolism``).
    """
    category = [False] * len(nodes)
    parents: list[int] = [-1] * len(nodes)
    stack: list[int] = []
    ids = [pathway_of(text) for _, text, _ in nodes]
    for i, (depth, _text, _line) in enumerate(nodes):
        while stack and nodes[stack[-1]][0] >= depth:
            stack.pop()
        parents[i] = stack[-1] if stack else -1
        if ids[i] is not None:
            for j in stack:
                if ids[j] is not None:
                    category[j] = True
        stack.append(i)
    pairs: list[tuple[str, str]] = []
    for i, (_depth, text, line) in enumerate(nodes):
        if ids[i] is None or category[i]:
            continue
        ancestors = []
        j = parents[i]
        while j >= 0:
            if nodes[j][1]:
                ancestors.append(_category(nodes[j][1]))
            j = parents[j]
        if not ancestors:
            quarantine.add(path, line, "pathway at the top level of the hierarchy: no category", text)
            continue
        pairs.append((ids[i], "/".join(reversed(ancestors))))
    return pairs


def parse_htext(path: str | os.PathLike[str], quarantine: Quarantine) -> list[tuple[str, str]]:
    """(pathway, tag) pairs of a BRITE htext file, in file order."""
    path = os.fspath(path)
    nodes: list[tuple[int, str, int | None]] = []
    with open(path, encoding="utf-8-sig", errors="replace") as handle:  # -sig: a byte-order mark is no level
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line[0] in "+#!":
                continue
            letter = line[0]
            if not ("A" <= letter <= "Z"):
                quarantine.add(path, number, "htext line does not start with a level letter, +, # or !", line)
                continue
            nodes.append((ord(letter) - ord("A"), clean_text(line[1:]), number))
    return hierarchy_pairs(nodes, path, quarantine)


def _walk(node: dict, depth: int, out: list[tuple[int, str, int | None]], path: str, quarantine: Quarantine) -> None:
    out.append((depth, clean_text(str(node.get("name", ""))), None))
    for child in node.get("children") or []:
        if isinstance(child, dict):
            _walk(child, depth + 1, out, path, quarantine)
        else:
            quarantine.add(path, None, "hierarchy node is not an object", repr(child))


def parse_brite_json(path: str | os.PathLike[str], quarantine: Quarantine) -> list[tuple[str, str]]:
    """(pathway, tag) pairs of a BRITE JSON file; the root (the hierarchy's own name) is not a category."""
    path = os.fspath(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))  # json refuses a byte-order mark
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a BRITE JSON file: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("children"), list):
        raise ValueError(f"{path}: not a BRITE JSON file: no top-level 'children' list")
    nodes: list[tuple[int, str, int | None]] = []
    for child in doc["children"]:
        if isinstance(child, dict):
            _walk(child, 0, nodes, path, quarantine)
        else:
            quarantine.add(path, None, "hierarchy node is not an object", repr(child))
    return hierarchy_pairs(nodes, path, quarantine)


def parse_brite(path: str | os.PathLike[str], quarantine: Quarantine) -> list[tuple[str, str]]:
    """Either form, by content: JSON starts with ``{``."""
    with open(path, "rb") as handle:
        head = handle.read(64).removeprefix(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"{"):
        return parse_brite_json(path, quarantine)
    return parse_htext(path, quarantine)
