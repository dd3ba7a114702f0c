"""The organisms source's file patterns, and opening a file gzipped or not.

Light imports only: the workflow reads the patterns while it builds the DAG.
"""

from __future__ import annotations

import gzip
import io
import os
from typing import TextIO

from astrobuild.registry import SOURCES

# Declared in astrobuild.registry (the organisms source), named here for the chain's code.
GENBANK_PATTERNS = SOURCES["organisms"].patterns["genbank"]
GTDB_PATTERNS = SOURCES["organisms"].patterns["gtdb"]
EMAPPER_PATTERNS = SOURCES["organisms"].patterns["emapper"]
KO_TABLE_PATTERNS = SOURCES["organisms"].patterns["ko_tables"]
ANNOTATION_PATTERNS = EMAPPER_PATTERNS + KO_TABLE_PATTERNS
GZIP_MAGIC = b"\x1f\x8b"


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """The file as UTF-8 text, gunzipped when its first bytes are gzip's (whatever its name)."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline=None)
    return open(path, encoding="utf-8", newline=None)
