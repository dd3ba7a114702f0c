"""GenBank flat files, read with Biopython's ``SeqIO``, one summary per record.

A file may hold many records (an assembly's ``*_genomic.gbff`` holds every
chromosome, plasmid or contig), plain or gzipped (told by its first bytes, not
its name). What cannot be used is never passed over in silence:

* a file truncated in transit (it ends inside a record, without the record's
  ``//`` line, or the parser cannot get through its last record) stops the
  rule, naming the file and the record: DESIGN.md's rule for every source
  (a cut download is fetched again, not half-read);
* a record Biopython warns about otherwise (``BiopythonParserWarning``: a
  sequence shorter than its LOCUS line says, ...) is quarantined whole,
  naming file and record: its counts would be wrong;
* a record without any feature is quarantined (there is nothing to count);
* a qualifier outside :data:`~astrobuild.organisms.qualifiers.KNOWN` gives one
  quarantine row per record and qualifier (its values are not read; the
  record is kept), as does an EC number or KEGG cross-reference that is not
  one;
* a record the parser cannot get through before the last stops the rule
  naming the file, the record and the records after it, since the parser
  cannot resume inside a file;
* a file without any record is quarantined.

KO ids come from ``/db_xref="KEGG:K00001"`` (or ``KO:``), EC numbers from
``/EC_number`` (or ``/db_xref="EC:..."``), on any feature; the CDS's
``/protein_id`` and ``/locus_tag`` are kept so that annotation tables can be
joined to the record (:mod:`astrobuild.organisms.annotations`).
"""

from __future__ import annotations

import gzip
import os
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from Bio import BiopythonParserWarning, SeqIO
from Bio.Seq import UndefinedSequenceError

from astrobuild import ids
from astrobuild.organisms.files import open_text
from astrobuild.organisms.qualifiers import KNOWN
from astrobuild.quarantine import Quarantine

TRUNCATED = "the file ends inside the record (no '//' end line): truncated in transit? fetch it again"
PARSER_WARNING = "Biopython warns about the record: set aside"
NO_FEATURES = "record has no features"
UNKNOWN_QUALIFIER = "unknown qualifier (not in the INSDC feature table): its values are not read"
BAD_EC = "EC number is not n.n.n.n: not read"
BAD_KEGG_XREF = "KEGG db_xref is not a KO id (K00000): not read"
NO_RECORD = "no GenBank record in the file"
BAD_ACCESSION = "record accession is not letters, digits, '_' and '-' (with .version): set aside"
UNREADABLE_LAST = "the last record cannot be parsed: truncated in transit? fetch it again"
_COUNTED = {"CDS": "n_cds", "gene": "n_genes", "rRNA": "n_rrna", "tRNA": "n_trna"}
_READ_ERRORS = (ValueError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError)


class GenomeFileError(ValueError):
    """A GenBank file that cannot be read past a record; the message names the file and the record."""


@dataclass
class RecordSummary:
    """What the organisms table keeps of one record (and the keys annotation tables join on)."""

    accession: str
    version: int | None
    genome: str
    file: str
    organism: str | None
    taxon_id: int | None
    taxonomy: str | None
    molecule_type: str | None
    topology: str | None
    length: int
    gc_content: float | None
    n_cds: int = 0
    n_genes: int = 0
    n_rrna: int = 0
    n_trna: int = 0
    kos: set[str] = field(default_factory=set)
    ecs: set[str] = field(default_factory=set)
    proteins: set[str] = field(default_factory=set)  # /protein_id (with and without version), /locus_tag

    @property
    def record_id(self) -> str:
        return self.accession if self.version is None else f"{self.accession}.{self.version}"


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return None if text in ("", ".") else text


def _gc(record) -> float | None:
    try:
        seq = bytes(record.seq)
    except UndefinedSequenceError:  # a CONTIG/WGS record: the length is known, the bases are not
        return None
    gc = seq.count(b"g") + seq.count(b"c") + seq.count(b"G") + seq.count(b"C")
    at = seq.count(b"a") + seq.count(b"t") + seq.count(b"A") + seq.count(b"T")
    return gc / (gc + at) if gc + at else None


def _genome(record, record_id: str) -> str:
    for xref in record.dbxrefs:
        db, _, value = xref.partition(":")
        if db.strip() == "Assembly" and ids.ACCESSION_RE.match(value.strip()):
            return value.strip()
    return record_id


def summarise(record, label: str, quarantine: Quarantine, path: str) -> RecordSummary | None:
    """The record's row (see the module docstring), None when its accession is unusable; odd
    qualifiers go to ``quarantine``."""
    notes = record.annotations
    accession = (notes.get("accessions") or [record.name])[0]
    version = notes.get("sequence_version")
    version = int(version) if version not in (None, "") else None
    record_id = accession if version is None else f"{accession}.{version}"
    if not ids.ACCESSION_RE.match(record_id):
        quarantine.add(path, None, BAD_ACCESSION, record_id)
        return None
    taxonomy = [t for t in notes.get("taxonomy") or [] if _text(t)]
    summary = RecordSummary(
        accession=accession, version=version, genome=_genome(record, record_id), file=label,
        organism=_text(notes.get("organism")), taxon_id=None, taxonomy="; ".join(taxonomy) or None,
        molecule_type=_text(notes.get("molecule_type")), topology=_text(notes.get("topology")),
        length=len(record.seq), gc_content=_gc(record))
    unknown: dict[tuple[str, str], int] = {}
    counts = {name: 0 for name in _COUNTED.values()}
    for feature in record.features:
        kind = feature.type
        if kind in _COUNTED:
            counts[_COUNTED[kind]] += 1
        qualifiers = feature.qualifiers
        for key in qualifiers:
            if key not in KNOWN:
                unknown[(key, kind)] = unknown.get((key, kind), 0) + 1
        for ec in qualifiers.get("EC_number", ()):
            _add_ec(summary, ec, record_id, quarantine, path)
        for xref in qualifiers.get("db_xref", ()):
            _read_xref(summary, kind, xref, record_id, quarantine, path)
        if kind == "CDS":
            for pid in qualifiers.get("protein_id", ()):
                summary.proteins.update((pid, pid.split(".", 1)[0]))
            summary.proteins.update(qualifiers.get("locus_tag", ()))
    for name, value in counts.items():
        setattr(summary, name, value)
    for (key, kind), n in sorted(unknown.items()):
        quarantine.add(path, None, UNKNOWN_QUALIFIER, f"{record_id}: /{key} on {n} {kind} feature(s)")
    return summary


def _add_ec(summary: RecordSummary, value: str, record_id: str, quarantine: Quarantine, path: str) -> None:
    match = ids.EC_RE.match(value.strip())
    if match:
        summary.ecs.add(match.group(1))
    else:
        quarantine.add(path, None, BAD_EC, f"{record_id}: {value}")


def _read_xref(summary: RecordSummary, kind: str, xref: str, record_id: str, quarantine: Quarantine,
               path: str) -> None:
    db, _, value = xref.partition(":")
    if db == "taxon" and kind == "source" and summary.taxon_id is None and value.strip().isdigit():
        summary.taxon_id = int(value)
    elif db in ("KEGG", "KO"):
        match = ids.KO_RE.match(value.strip())
        if match:
            summary.kos.add(match.group(1))
        else:  # a KEGG gene id (eco:b0002) names no orthology group by itself
            quarantine.add(path, None, BAD_KEGG_XREF, f"{record_id}: {xref}")
    elif db == "EC":
        _add_ec(summary, value, record_id, quarantine, path)


def locus_names(path: str | os.PathLike[str]) -> list[str]:
    """The names on the file's LOCUS lines, in order (read again only when a record fails)."""
    names = []
    try:
        with open_text(path) as handle:
            for line in handle:
                if line.startswith("LOCUS"):
                    fields = line.split()
                    names.append(fields[1] if len(fields) > 1 else "?")
    except _READ_ERRORS:  # a cut gzip stream: the names read so far
        pass
    return names


def read_records(path: str | os.PathLike[str], label: str, quarantine: Quarantine) -> Iterator[RecordSummary]:
    """Summaries of the usable records of one GenBank file, in file order (see the module docstring)."""
    path = os.fspath(path)
    index = 0
    with open_text(path) as handle, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BiopythonParserWarning)
        records = SeqIO.parse(handle, "genbank")
        while True:
            caught.clear()
            try:
                record = next(records)
            except StopIteration:
                break
            except _READ_ERRORS as exc:
                _unreadable(path, label, index, exc)
                return
            index += 1
            notes = [str(w.message) for w in caught if issubclass(w.category, BiopythonParserWarning)]
            if any("Premature end of file" in n for n in notes):
                raise GenomeFileError(f"{label}: record {index} ({record.id}): {TRUNCATED} ({'; '.join(notes)})")
            if notes:
                quarantine.add(path, None, PARSER_WARNING, f"{record.id}: {'; '.join(notes)}")
                continue
            if not record.features:
                quarantine.add(path, None, NO_FEATURES, record.id)
                continue
            summary = summarise(record, label, quarantine, path)
            if summary is not None:
                yield summary
    if index == 0:
        quarantine.add(path, None, NO_RECORD)


def _unreadable(path: str, label: str, index: int, exc: Exception) -> None:
    names = locus_names(path)
    name = names[index] if index < len(names) else "?"
    message = " ".join(str(exc).split())
    after = len(names) - index - 1
    if after > 0:
        raise GenomeFileError(f"{label}: record {index + 1} (LOCUS {name}) cannot be parsed: {message}; the "
                              f"{after} record(s) after it could not be read either") from exc
    raise GenomeFileError(f"{label}: record {index + 1} (LOCUS {name}): {UNREADABLE_LAST}: {message}") from exc
