"""KEGG identifier patterns: the one place that says what a pathway id looks like.

A pathway id is a prefix (``map``, ``ko``, ``ec``, ``rn`` or an organism code
of 2-5 letters such as ``hsa``, ``eco``) followed by the five-digit map number
(``map00010``, ``hsa00020``); REST output and KGML ``name`` attributes may put
``path:`` in front. Parsers, contracts and the climate ``runs.csv`` reader all
build their expressions from these pieces, so a change of the id grammar is
made here once.
"""

from __future__ import annotations

import re

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
