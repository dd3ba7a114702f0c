"""What each fetch rule does (rules/fetch.smk), one function per rule.

Each downloads into its staging folder (:mod:`astrobuild.fetch.files`) and publishes into its
outputs only once everything is there and verified, then logs a per-source summary (files fetched,
kept from an interrupted run, resumed; bytes; requests; time spent waiting for the rate limit).
Paths under a source's URL keep upstream's layout, so a mirror or a loopback test server works
unchanged (the config contract in schemas/config.schema.yaml). Each function takes its source's
typed options (:mod:`astrobuild.fetch.options`), built once by the rule's script from its config.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode

from astrobuild.fetch.files import NOTHING_EXPECTED, Expected, Staging
from astrobuild.fetch.ftp import FtpClient
from astrobuild.fetch.http import FetchError, HttpClient, Outcome
from astrobuild.fetch.listing import TreeStats, http_lister, listed_sizes, walk_tree
from astrobuild.fetch.manifest import Entry, parse_manifest
from astrobuild.fetch.options import (
    LISTING_SUFFIX,
    ExoplanetsOptions,
    Genomes1000gOptions,
    KeggOptions,
    ListedFilesOptions,
    RemoteOptions,
)
from astrobuild.fetch.ratelimit import HostLimiter
from astrobuild.fetch.safety import SecretMask, check_url, is_loopback, join_url, safe_relpath
from astrobuild.ids import UPSTREAM_PATHWAY

log = logging.getLogger(__name__)

Client = HttpClient | FtpClient
_LIST_ID = re.compile(rf"^{UPSTREAM_PATHWAY}\t")


@dataclass
class Summary:
    """Counts of one job, logged at its end."""

    source: str
    started: float = field(default_factory=time.monotonic)
    actions: Counter = field(default_factory=Counter)
    bytes: int = 0
    missing: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.actions[outcome.action] += 1
        self.bytes += outcome.bytes
        log.info("%s %s (%d bytes, md5 %s)", outcome.action, outcome.rel, outcome.bytes, outcome.md5)

    def log(self, client: Client, extra: str = "") -> None:
        files = sum(self.actions.values())
        detail = ", ".join(f"{n} {a}" for a, n in sorted(self.actions.items())) or "none"
        log.info("summary %s: %d file(s) (%s), %.1f MiB, %d request(s), %.1f s (%.1f s waiting for the rate "
                 "limit)%s%s", self.source, files, detail, self.bytes / 2**20, client.requests,
                 time.monotonic() - self.started, client.limiter.waited,
                 f"; {len(self.missing)} not available upstream: {', '.join(self.missing)}" if self.missing else "",
                 f"; {extra}" if extra else "")


@contextlib.contextmanager
def connect(opts: RemoteOptions) -> Iterator[tuple[str, Client]]:
    """(base URL, client) of a source's ``url``: FTP or HTTP(S), rate-limited per host at the source's
    ``rate_limit``; a token from the environment variable named by ``token_env`` (never from a file
    of the repository), masked in the log like any password."""
    source = opts.source
    base = check_url(opts.url, f"sources.{source}.url")
    if base.startswith("http://") and not is_loopback(base):
        log.warning("sources.%s.url is plain http: nothing certifies the server; prefer https", source)
    mask = SecretMask()
    mask.install()
    limiter = HostLimiter(opts.rate_limit)
    token = None
    if opts.token_env:
        token = opts.token()
        log.info("token from $%s: %s", opts.token_env, "set (masked in this log)" if token else "not set; anonymous")
    client: Client
    if base.startswith("ftp://"):
        client = FtpClient(base, opts.policy, limiter, mask)
    else:
        client = HttpClient(opts.policy, limiter, mask, token, opts.token_scheme)
    try:
        yield base, client
    finally:
        client.close()


def fetch_file(client: Client, base: str, path: str, rel: PurePosixPath, staging: Staging,
               expected: Expected = NOTHING_EXPECTED) -> Outcome:
    """One file ``path`` under ``base`` into staging file ``rel``, over the client's protocol."""
    if isinstance(client, FtpClient):
        return client.download(path, rel, staging, expected)
    return client.download(join_url(base, path), rel, staging, expected)


def _get_text(client: Client, base: str, path: str, staging: Staging, name: str) -> str:
    outcome = fetch_file(client, base, path, PurePosixPath(name), staging)
    return staging.path(outcome.rel).read_text(encoding="utf-8")


# ---- 1000 Genomes -----------------------------------------------------------------------------

def fetch_1000g_dirlists(opts: Genomes1000gOptions, out_dir: str, staging_dir: str) -> list[Path]:
    """``ls -lR`` listings of the trees ``opts.dirlists`` (paths under the URL), one file each,
    named after the tree's last folder (``<folder>`` + :data:`LISTING_SUFFIX`); listing only, never
    a data file. A tree inside another listed tree is left out of the outer one (each file is listed
    once)."""
    roots, names = list(opts.dirlists), opts.listing_names
    staging, summary = Staging(staging_dir), Summary("genomes_1000g dirlists")
    with connect(opts) as (base, client):
        lister = client.list_lines if isinstance(client, FtpClient) else http_lister(client.get_text, client.head, base)
        stats = TreeStats()
        for root, name in zip(roots, names, strict=True):
            if staging.path(name).is_file():
                log.info("listing of %s kept from an interrupted run", root)
                summary.actions["kept"] += 1
                continue
            text = walk_tree(lister, root, skip=frozenset(r for r in roots if r != root), stats=stats)
            part = staging.part(name)
            part.parent.mkdir(parents=True, exist_ok=True)
            part.write_text(text, encoding="utf-8")
            staging.complete(part, name)
            summary.actions["listed"] += 1
            summary.bytes += len(text.encode())
        summary.log(client, f"tree: {stats.as_dict()}")
    return staging.publish(names, out_dir)


def fetch_1000g_indices(opts: Genomes1000gOptions, out_dir: str, staging_dir: str,
                        listings_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The index files and population tables of ``opts.indices`` (paths under the URL, each
    optionally with md5 and bytes), streamed to the same relative paths under ``out_dir``.

    A file without configured bytes that lies in a tree listed in ``listings_dir`` (the output of
    fetch_1000g_dirlists) is checked against the size the listing gives it: upstream publishes no
    md5 of its index files, but its listing says how big each is."""
    entries = list(opts.indices)
    sizes: dict[str, int] = {}
    for listing in sorted(Path(listings_dir).glob(f"*{LISTING_SUFFIX}")) if listings_dir else ():
        sizes.update(listed_sizes(Path(listing).read_text(encoding="utf-8")))
    checked = []
    for i, entry in enumerate(entries):
        if entry.expected.size is None and entry.path in sizes:
            entries[i] = Entry(entry.rel, Expected(size=sizes[entry.path], md5=entry.expected.md5))
            checked.append(entry.path)
    log.info("%d of %d index file(s) checked against the size their listing gives: %s", len(checked),
             len(entries), checked)
    return _fetch_entries(opts, entries, out_dir, staging_dir)


def _fetch_entries(opts: RemoteOptions, entries: Sequence[Entry], out_dir: str, staging_dir: str,
                   base_client: tuple[str, Client] | None = None) -> list[Path]:
    staging, summary = Staging(staging_dir), Summary(opts.source)
    with contextlib.ExitStack() as stack:
        base, client = base_client or stack.enter_context(connect(opts))
        for entry in entries:
            summary.add(fetch_file(client, base, entry.path, entry.rel, staging, entry.expected))
        summary.log(client)
    return staging.publish([e.rel for e in entries], out_dir)


# ---- KEGG -------------------------------------------------------------------------------------

def kegg_list_files(opts: KeggOptions) -> dict[str, str]:
    """REST path -> file name of every list (and BRITE hierarchy) fetch_kegg_lists writes; with the
    KO and EC -> pathway links (``link/pathway/ko``, ``link/pathway/ec``), the organisms chain's
    pathway membership."""
    files = {"list/pathway": "list_pathway.txt", "link/pathway/ko": "link_pathway_ko.txt",
             "link/pathway/ec": "link_pathway_ec.txt"}
    for org in opts.organisms:
        files[f"list/pathway/{org}"] = f"list_pathway_{org}.txt"
        files[f"list/{org}"] = f"list_{org}.txt"
    for brite in opts.brite:
        files[f"get/br:{brite}"] = f"{brite}.keg"
    return files


def fetch_kegg_lists(opts: KeggOptions, out_dir: str, staging_dir: str) -> list[Path]:
    """KEGG REST ``list/pathway``, ``link/pathway/ko``, ``link/pathway/ec``, ``list/pathway/<org>`` and
    ``list/<org>`` for each configured organism, and ``get/br:<id>`` for each BRITE hierarchy, at the
    source's rate limit."""
    files = kegg_list_files(opts)
    entries = [Entry(safe_relpath(name)) for name in files.values()]
    staging, summary = Staging(staging_dir), Summary("kegg lists")
    with connect(opts) as (base, client):
        for path, entry in zip(files, entries, strict=True):
            summary.add(fetch_file(client, base, path, entry.rel, staging))
        summary.log(client)
    return staging.publish([e.rel for e in entries], out_dir)


def pathway_numbers(list_file: str | os.PathLike[str]) -> list[str]:
    """The five-digit numbers of a ``list/pathway`` file, in file order, without repeats."""
    numbers: dict[str, None] = {}
    with open(list_file, encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            match = _LIST_ID.match(line)
            if match:
                numbers[match.group(2)] = None
    return list(numbers)


def kgml_ids(opts: KeggOptions, list_file: str | os.PathLike[str]) -> list[str]:
    """Pathway ids to fetch as KGML: each prefix of ``kgml_prefixes`` with each number of
    ``pathways`` (the configured ids' numbers), or of the ``list/pathway`` file when ``pathways`` is None."""
    numbers = pathway_numbers(list_file) if opts.pathways is None else opts.pathways
    return list(dict.fromkeys(f"{prefix}{number}" for number in numbers for prefix in opts.kgml_prefixes))


def fetch_kegg_pathways(opts: KeggOptions, list_file: str, out_dir: str, staging_dir: str) -> list[Path]:
    """One KGML file per pathway id (``get/<id>/kgml`` -> ``<id>.xml``), at the source's rate limit
    (KEGG asks for at most 3 requests/s). An id KEGG has no KGML for (HTTP 404: many reference maps)
    is listed in the summary, not an error; every other failure is."""
    ids = kgml_ids(opts, list_file)
    staging, summary = Staging(staging_dir), Summary("kegg pathways")
    fetched = []
    from astrobuild.progress import progress

    with connect(opts) as (base, client):
        for pathway in progress(ids, desc="KGML", unit="pathway"):
            rel = safe_relpath(f"{pathway}.xml")
            try:
                summary.add(fetch_file(client, base, f"get/{pathway}/kgml", rel, staging))
            except FetchError as exc:
                if exc.status != 404:
                    raise
                summary.missing.append(pathway)
                continue
            fetched.append(rel)
        summary.log(client)
    if not fetched:
        raise FetchError(f"{opts.url}: none of the {len(ids)} KGML files requested exists upstream "
                         f"(prefixes {list(opts.kgml_prefixes)}; KEGG serves KGML for ko and organism maps)")
    return staging.publish(fetched, out_dir)


# ---- files listed in a manifest (GCM cubes, spectra) ------------------------------------------

def manifest_entries(opts: ListedFilesOptions, manifest_file: str | os.PathLike[str] | None) -> list[Entry]:
    """The files of a source: the config list ``files``, else the manifest file."""
    if opts.files is not None:
        return list(opts.files)
    if manifest_file is None:
        raise ValueError(f"config: sources.{opts.source}: no `files` list and no manifest")
    return parse_manifest(Path(manifest_file).read_text(encoding="utf-8"), os.fspath(manifest_file))


def fetch_manifest(opts: ListedFilesOptions, out_file: str, staging_dir: str) -> Path:
    """``<url>/<manifest>`` (path,md5,bytes CSV), checked (safe paths, no duplicates), saved."""
    staging = Staging(staging_dir)
    with connect(opts) as (base, client):
        text = _get_text(client, base, opts.manifest, staging, "manifest.csv")
    entries = parse_manifest(text, join_url(base, opts.manifest))
    log.info("manifest of %s: %d file(s), %d with md5, %d with a size", opts.source, len(entries),
             sum(e.expected.md5 is not None for e in entries), sum(e.expected.size is not None for e in entries))
    return staging.publish_file(PurePosixPath("manifest.csv"), out_file)


def fetch_listed_files(opts: ListedFilesOptions, manifest_file: str | None, out_dir: str,
                       staging_dir: str) -> list[Path]:
    """Every file of the source's ``files`` list, else of its manifest (the file ``manifest_file``
    when a rule fetched it already, else ``<url>/<manifest>``, fetched here), into ``out_dir`` with
    the same relative paths, verified against the md5 and bytes listed."""
    with connect(opts) as (base, client):
        if opts.files is None and manifest_file is None:
            origin = join_url(base, opts.manifest)
            entries = parse_manifest(_get_text(client, base, opts.manifest, Staging(staging_dir),
                                               ".manifest.csv"), origin)
        else:
            entries = manifest_entries(opts, manifest_file)
        return _fetch_entries(opts, entries, out_dir, staging_dir, (base, client))


# ---- NASA Exoplanet Archive -------------------------------------------------------------------

def archive_query(opts: ExoplanetsOptions, table: str) -> str:
    """The configured ADQL query, else every row of ``table`` (config ``exoplanets.table``)."""
    return opts.query or f"select * from {table}"


def fetch_exoplanet_archive(opts: ExoplanetsOptions, table: str, out_file: str, staging_dir: str) -> Path:
    """The archive's TAP sync answer to the configured ADQL query, as CSV (``<url>/TAP/sync``)."""
    query = archive_query(opts, table)
    staging, summary = Staging(staging_dir), Summary("exoplanets")
    rel = PurePosixPath("archive.csv")
    with connect(opts) as (base, client):
        summary.add(fetch_file(client, base, "TAP/sync?" + urlencode({"query": query, "format": "csv"}), rel, staging))
        summary.log(client, f"query: {query}")
    with open(staging.path(rel), "rb") as handle:
        head = handle.read(200).lstrip()
    if head.startswith(b"<"):
        # TAP reports a bad query as a VOTable (sometimes with status 200): no CSV to parse.
        staging.path(rel).unlink()
        raise FetchError(f"{join_url(base, 'TAP/sync')}: the archive answered XML, not CSV, to {query!r}: "
                         f"{head[:200].decode('utf-8', 'replace')}")
    return staging.publish_file(rel, out_file)
