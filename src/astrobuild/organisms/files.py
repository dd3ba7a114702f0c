"""The organisms source's file patterns, and opening a file gzipped or not.

Light imports only: the workflow reads the patterns while it builds the DAG.
"""

from __future__ import annotations

import gzip
import io
import os
from typing import TextIO

GENBANK_PATTERNS = ("*.gb", "*.gbk", "*.gbff", "*.gb.gz", "*.gbk.gz", "*.gbff.gz")
# GTDB release tables (bac120_taxonomy_r220.tsv, ar53_taxonomy_r220.tsv.gz) and GTDB-Tk summaries.
GTDB_PATTERNS = ("*_taxonomy*.tsv", "*_taxonomy*.tsv.gz", "gtdbtk.*.summary.tsv")
EMAPPER_PATTERNS = ("*.emapper.annotations", "*.emapper.annotations.tsv")
KO_TABLE_PATTERNS = ("*.ko", "*.ko.txt", "*.ko.tsv", "*_ko.txt", "*_ko.tsv", "*.kofam.txt", "*.kofam.tsv")
ANNOTATION_PATTERNS = EMAPPER_PATTERNS + KO_TABLE_PATTERNS
GZIP_MAGIC = b"\x1f\x8b"


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """The file as UTF-8 text, gunzipped when its first bytes are gzip's (whatever its name)."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline=None)
    return open(path, encoding="utf-8", newline=None)
