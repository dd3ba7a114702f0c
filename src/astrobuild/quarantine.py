"""Quarantine: where input that cannot be used goes, with the reason.

Nothing is dropped silently. Parsers add one record per rejected line or
file; the rule writes them next to its output as a TSV (file, line, reason,
text) and logs the counts. With the rule's source given, ``file`` is written
as ``<source>:<path under the source's root>`` (:class:`~astrobuild.paths.SourceRoot`),
the same on every machine. The file is always written, header only when
nothing was rejected, so its absence never has to be interpreted.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from astrobuild.io import atomic_path
from astrobuild.paths import SourceRoot, source_label

log = logging.getLogger(__name__)

COLUMNS = ("file", "line", "reason", "text")
# A quarantined line is kept for a human to look at, not in full: a binary
# blob of megabytes would make the TSV unreadable.
MAX_TEXT = 500


@dataclass(frozen=True, order=True)
class Rejected:
    file: str
    line: int | None
    reason: str
    text: str = ""


@dataclass
class Quarantine:
    records: list[Rejected] = field(default_factory=list)
    source: SourceRoot | None = None

    def add(self, file: str | os.PathLike[str], line: int | None, reason: str, text: str | bytes = "") -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="backslashreplace")
        self.records.append(Rejected(source_label(self.source, file), line, reason, _printable(text)))

    def extend(self, other: Quarantine) -> None:
        self.records.extend(other.records)

    def __len__(self) -> int:
        return len(self.records)

    def counts(self) -> dict[str, int]:
        """Rejections per reason, for logs and reports."""
        return dict(sorted(Counter(r.reason for r in self.records).items()))

    def write(self, path: str | os.PathLike[str]) -> None:
        rows = sorted(self.records, key=lambda r: (r.file, -1 if r.line is None else r.line, r.reason, r.text))
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as out:
            out.write("\t".join(COLUMNS) + "\n")
            for r in rows:
                out.write(f"{r.file}\t{'' if r.line is None else r.line}\t{r.reason}\t{r.text}\n")
        if rows:
            log.warning("quarantined %d record(s) in %s: %s", len(rows), path, self.counts())
        else:
            log.info("nothing quarantined (%s)", path)


def quarantined_lines(path: str | os.PathLike[str]) -> int:
    """Records of a quarantine file that name a line: the refused lines (a whole file refused is not one)."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        if tuple(header) != COLUMNS:
            raise ValueError(f"{path}: not a quarantine file (header {header}, expected {list(COLUMNS)})")
        # file, line, reason, text: a refused line has its number in the second field
        return sum(1 for row in handle if len(fields := row.split("\t", 2)) > 1 and fields[1] != "")


def _printable(text: str) -> str:
    # Tabs and newlines would break the TSV; control bytes are shown escaped.
    text = text[:MAX_TEXT]
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
