"""GenBank records by accession from NCBI E-utilities (efetch), for the organisms source's remote mode.

One ``efetch.fcgi?db=nuccore&id=A,B,...&rettype=gbwithparts&retmode=text`` request per batch of
accessions (``batch_size``), through the fetch library's HTTP client: retries with backoff and
Retry-After (NCBI answers 429 past its limit), a token bucket at NCBI's limit (3 requests/s
without an API key, 10 with one: https://www.ncbi.nlm.nih.gov/books/NBK25497/), the key read from
the environment variable ``token_env`` (``NCBI_API_KEY``) and masked in the log and in every error.

Each batch's answer is staged, then split into one file per requested accession
(``<accession>.gbff``), each written as ``.part`` and renamed once its ``//`` end line is there. A
record cut without it stops the job as the GenBank reader stops on a file cut so
(:class:`~astrobuild.organisms.genbank.GenomeFileError`), and an accession that did not come back
stops it naming the accession, once every batch has been asked for. Records already split survive a
failed run in the staging folder: the next run asks only for the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode

from astrobuild.fetch.files import Staging
from astrobuild.fetch.http import FetchError, HttpClient
from astrobuild.fetch.jobs import Summary
from astrobuild.fetch.options import NcbiOptions
from astrobuild.fetch.ratelimit import HostLimiter
from astrobuild.fetch.safety import SecretMask, check_url, join_url, safe_relpath
from astrobuild.ids import NUCCORE_ACCESSION_RE
from astrobuild.organisms.genbank import TRUNCATED, GenomeFileError

log = logging.getLogger(__name__)

EFETCH = "efetch.fcgi"
TOOL = "astrobuild"  # NCBI asks every client to name itself (the `tool` parameter)
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
RECORD_SUFFIX = ".gbff"  # a pattern of organisms.files.GENBANK_PATTERNS: genomes_table reads them as local files
# Statuses efetch answers when it cannot make sense of an id: the batch is then asked for one by one.
NOT_UNDERSTOOD = frozenset({400, 404})


def rate_of(opts: NcbiOptions, has_key: bool) -> float:
    """Requests per second: the configured ``rate_limit``, else NCBI's limit (3/s, 10/s with a key);
    never above that limit (a higher one is lowered, with a warning)."""
    ceiling = RATE_WITH_KEY if has_key else RATE_WITHOUT_KEY
    wanted = opts.rate_limit
    if wanted is None:
        return ceiling
    if float(wanted) > ceiling:
        log.warning("sources.organisms.rate_limit %s is above NCBI's limit %s requests/s %s: %s used", wanted,
                    ceiling, "with an API key" if has_key else "without an API key", ceiling)
        return ceiling
    return float(wanted)


def batches(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def efetch_path(ids: Sequence[str], opts: NcbiOptions, key: str | None) -> str:
    """The efetch path and query for ``ids`` (with the API key when given: only for the request)."""
    query = {"db": "nuccore", "id": ",".join(ids), "rettype": "gbwithparts", "retmode": "text", "tool": TOOL}
    if opts.email:
        query["email"] = opts.email
    if key:
        query["api_key"] = key
    return f"{EFETCH}?{urlencode(query)}"


@dataclass
class RecordHead:
    """What identifies a record: its LOCUS name, ACCESSION line (primary first) and VERSION."""

    locus: str = "?"
    accessions: list[str] = field(default_factory=list)
    version: str | None = None

    def read(self, line: str) -> None:
        words = line.split()
        if not words:
            return
        if words[0] == "LOCUS" and len(words) > 1:
            self.locus = words[1]
        elif words[0] == "ACCESSION":
            self.accessions += [w for w in words[1:] if NUCCORE_ACCESSION_RE.match(w)]
        elif words[0] == "VERSION" and len(words) > 1 and self.version is None:
            self.version = words[1]

    def answers(self, requested: str) -> bool:
        """Whether this record is the one asked for: the same version when one was asked for, else
        the same accession (primary or secondary)."""
        if "." in requested:
            return self.version == requested
        return requested in self.accessions or (self.version or "").split(".", 1)[0] == requested

    @property
    def name(self) -> str:
        return self.version or (self.accessions[0] if self.accessions else f"LOCUS {self.locus}")


def split_answer(path: Path, requested: Sequence[str], staging: Staging, origin: str) -> tuple[dict[str, Path], list[str]]:
    """Split a staged efetch answer into one staged ``<accession>.gbff`` per record asked for.

    Returns the files by accession and the answer's text outside records (efetch's error lines).
    Raises GenomeFileError naming ``origin`` and the record when the answer ends inside a record
    (no ``//``); a record asked for by none of ``requested`` is logged and left out.
    """
    found: dict[str, Path] = {}
    stray: list[str] = []
    head: RecordHead | None = None
    out = None
    temp = staging.part(PurePosixPath(f"record-{hashlib.sha1(origin.encode()).hexdigest()[:12]}"))
    index = 0
    try:
        with open(path, "rb") as answer:
            for raw in answer:
                if head is None:
                    if raw.startswith(b"LOCUS"):
                        index += 1
                        head, out = RecordHead(), open(temp, "wb")
                    else:
                        if raw.strip():
                            stray.append(raw.decode("utf-8", "replace").strip())
                        continue
                elif raw.startswith(b"LOCUS"):  # a new record before this one's end line
                    raise GenomeFileError(f"{origin}: record {index} ({head.name}): {TRUNCATED}")
                out.write(raw)
                if len(raw) > 2 and not raw[:1].isspace() and not raw.startswith((b"ORIGIN", b"FEATURES")):
                    head.read(raw.decode("ascii", "replace"))
                if raw.rstrip() == b"//":
                    out.close()
                    _place(head, temp, requested, found, staging, origin)
                    head, out = None, None
        if head is not None:
            raise GenomeFileError(f"{origin}: record {index} ({head.name}): {TRUNCATED}")
    finally:
        if out is not None:
            out.close()
        temp.unlink(missing_ok=True)
    return found, stray


def _place(head: RecordHead, temp: Path, requested: Sequence[str], found: dict[str, Path], staging: Staging,
           origin: str) -> None:
    match = next((r for r in requested if r not in found and head.answers(r)), None)
    if match is None:
        log.warning("%s: record %s (LOCUS %s) answers none of the accessions asked for: left out", origin,
                    head.name, head.locus)
        return
    found[match] = staging.complete(temp, record_rel(match))


def record_rel(accession: str) -> PurePosixPath:
    return safe_relpath(accession + RECORD_SUFFIX, "accession")


class _Job:
    """One run of fetch_genbank_records: the client, the staging folder, the counts."""

    def __init__(self, opts: NcbiOptions, client: HttpClient, base: str, key: str | None, staging: Staging) -> None:
        self.opts, self.client, self.base, self.key, self.staging = opts, client, base, key, staging
        self.summary = Summary("organisms genbank")
        self.missing: dict[str, str] = {}

    def fetch(self, ids: list[str]) -> None:
        """Ask efetch for ``ids``; split its answer; note the ids that did not come back."""
        shown = join_url(self.base, efetch_path(ids, self.opts, None))  # what messages name: never the key
        rel = PurePosixPath("batches") / f"{hashlib.sha1(','.join(ids).encode()).hexdigest()[:16]}.gb"
        try:
            outcome = self.client.download(join_url(self.base, efetch_path(ids, self.opts, self.key)), rel,
                                           self.staging)
        except FetchError as exc:
            if exc.status not in NOT_UNDERSTOOD:
                raise
            if len(ids) > 1:
                log.warning("efetch answered HTTP %d to a batch of %d accessions: asking for each alone", exc.status,
                            len(ids))
                for one in ids:
                    self.fetch([one])
            else:
                self.missing[ids[0]] = f"HTTP {exc.status}"
            return
        self.summary.bytes += outcome.bytes
        try:
            found, stray = split_answer(self.staging.path(rel), ids, self.staging, shown)
        except GenomeFileError:
            self.staging.path(rel).unlink()  # fetched again by the next run
            raise
        self.staging.path(rel).unlink()
        self.summary.actions["fetched"] += len(found)
        said = f"; efetch said: {' | '.join(stray)[:300]}" if stray else ""
        for accession in ids:
            if accession not in found:
                self.missing[accession] = f"not in efetch's answer{said}"
        log.info("batch of %d: %d record(s)%s", len(ids), len(found), said)


def fetch_genbank_records(opts: NcbiOptions, out_dir: str, staging_dir: str) -> list[Path]:
    """Every accession of ``opts.accessions`` as ``<out_dir>/<accession>.gbff`` (see the module
    docstring). Raises FetchError naming every accession that did not come back."""
    accessions = list(opts.accessions)
    base = check_url(opts.url, "sources.organisms.url")  # an http(s) URL: checked by NcbiOptions
    env = opts.token_env
    key = opts.token()
    mask = SecretMask()
    mask.add(key)
    mask.install()
    rate = rate_of(opts, bool(key))
    log.info("API key from $%s: %s; %s requests/s", env, "set (masked in this log)" if key else "not set", rate)
    staging = Staging(staging_dir)
    client = HttpClient(opts.policy, HostLimiter(rate), mask)
    job = _Job(opts, client, base, key, staging)
    try:
        todo = [a for a in accessions if not staging.path(record_rel(a)).is_file()]
        if len(todo) < len(accessions):
            job.summary.actions["kept"] += len(accessions) - len(todo)  # split by a run that failed later
        for batch in batches(todo, opts.batch_size):
            job.fetch(batch)
        job.summary.missing = sorted(job.missing)
        job.summary.log(client, f"{len(accessions) - len(job.missing)} of {len(accessions)} record(s)")
    finally:
        client.close()
    if job.missing:
        raise FetchError(mask.mask(
            f"{join_url(base, EFETCH)}: {len(job.missing)} of {len(accessions)} accession(s) did not come back: "
            + "; ".join(f"{a} ({why})" for a, why in sorted(job.missing.items()))
            + " (check sources.organisms.accessions; the records fetched are kept for the next run)"))
    return staging.publish([record_rel(a) for a in accessions], out_dir)
