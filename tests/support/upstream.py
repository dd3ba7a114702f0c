"""The built-in sample laid out as its upstreams serve it, for the loopback servers (:mod:`tests.support.loopback`) of the fetch tests and benchmarks.

:func:`write_upstream` generates each source's sample and arranges it under upstream's paths:

* 1000 Genomes, an FTP tree: the sample's ``ls -lR`` made real (its directories, and its files as
  sparse files of the listed sizes: no disk is used), and the index and population files under
  ``vol1/ftp/indices/``;
* KEGG REST routes: ``list/pathway``, ``list/pathway/<org>``, ``list/<org>``, ``get/<id>/kgml``,
  ``get/br:<id>``, ``link/pathway/ko`` and ``link/pathway/ec``;
* NCBI E-utilities' ``efetch.fcgi``, answering with the organisms sample's GenBank records;
* the archive's ``TAP/sync`` (the PSCompPars CSV);
* the GCM cubes and the spectra, each with a ``manifest.csv`` (path, md5, bytes).

It returns the HTTP routes, the FTP folder and the config of a remote-mode build against them
(:meth:`Upstream.remote_config`), so a test serves the tree and points the build at it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from astrobuild.fetch.files import Expected
from astrobuild.fetch.manifest import Entry, manifest_text
from astrobuild.organisms.files import GENBANK_PATTERNS, open_text
from astrobuild.sample import generate
from tests.support.loopback import Route, efetch_route, genbank_records

LISTING_ROOT = "vol1/ftp/phase3/data"
INDEX_DIR = "vol1/ftp/indices"
_SECTION = re.compile(r"^\./(?P<dir>.+):$")
_FILE = re.compile(r"^-\S{9}\s+\d+\s+\S+\s+\S+\s+(?P<size>\d+)\s+\w{3}\s+\d+\s+[\d:]+\s(?P<name>\S+)$")
_KGML = re.compile(r"^(?P<id>[a-z]{2,4}\d{5})\.xml$")


@dataclass
class Upstream:
    """Routes (URL path -> file) of the HTTP server, the FTP server's folder, and what a remote build
    asks for (the config lists it is given)."""

    routes: dict[str, Route] = field(default_factory=dict)
    ftp_root: Path = Path()
    indices: list[dict[str, object]] = field(default_factory=list)
    organisms: list[str] = field(default_factory=list)
    kgml_prefixes: list[str] = field(default_factory=list)
    accessions: list[str] = field(default_factory=list)

    def remote_config(self, http_url: str, ftp_url: str) -> dict:
        """The ``sources`` section of a remote-mode build against the two loopback servers."""
        return {"sources": {
            "genomes_1000g": {"mode": "remote", "url": ftp_url, "rate_limit": 200,
                              "dirlists": [LISTING_ROOT], "indices": self.indices},
            "kegg": {"mode": "remote", "url": f"{http_url}/kegg", "rate_limit": 200, "organisms": self.organisms,
                     "brite": ["br08901"], "kgml_prefixes": self.kgml_prefixes},
            "climate": {"mode": "remote", "url": f"{http_url}/climate", "rate_limit": 200},
            "exoplanets": {"mode": "remote", "url": f"{http_url}/archive", "rate_limit": 200},
            "spectra": {"mode": "remote", "url": f"{http_url}/spectra", "rate_limit": 200},
            # NCBI's pace (3 requests/s without a key) even here: a few batches of 10 take a second.
            "organisms": {"mode": "remote", "url": f"{http_url}/eutils", "accessions": self.accessions,
                          "batch_size": 10},
        }}


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _ftp_tree(sample: Path, ftp_root: Path) -> list[dict[str, object]]:
    """The 1000 Genomes FTP folder; returns the config entries of its index files (with md5, bytes)."""
    directory = None
    for line in (sample / "ls-lR").read_text(encoding="utf-8").splitlines():
        section = _SECTION.match(line)
        if section:
            directory = ftp_root / section.group("dir")
            directory.mkdir(parents=True, exist_ok=True)
            continue
        entry = _FILE.match(line)
        if entry and directory is not None:
            with open(directory / entry.group("name"), "wb") as handle:
                handle.truncate(int(entry.group("size")))  # sparse: the size is listed, no disk used
    indices = []
    (ftp_root / INDEX_DIR).mkdir(parents=True, exist_ok=True)
    for path in sorted(sample.iterdir()):
        if path.name in ("ls-lR",) or path.suffix == ".md5":
            continue
        target = ftp_root / INDEX_DIR / path.name
        target.write_bytes(path.read_bytes())
        indices.append({"path": f"{INDEX_DIR}/{path.name}", "md5": _md5(path), "bytes": path.stat().st_size})
    return indices


def _listed(prefix: str, folder: Path, routes: dict[str, Path]) -> None:
    """Every file of ``folder`` under ``prefix``, and a manifest of them with md5 and size."""
    entries = []
    for path in sorted(folder.iterdir()):
        routes[f"{prefix}/{path.name}"] = path
        entries.append(Entry(PurePosixPath(path.name), Expected(size=path.stat().st_size, md5=_md5(path))))
    manifest = folder.parent / f"{folder.name}.manifest.csv"
    manifest.write_text(manifest_text(entries), encoding="utf-8")
    routes[f"{prefix}/manifest.csv"] = manifest


def write_upstream(outdir: str | os.PathLike[str], scale: int = 1, seed: int = 0) -> Upstream:
    """Generate the sample under ``outdir`` and lay it out as its upstreams serve it."""
    outdir = Path(outdir)
    samples = {source: outdir / "sample" / source
               for source in ("genomes_1000g", "kegg", "climate", "exoplanets", "spectra", "organisms")}
    for source, folder in samples.items():
        generate(source, folder, scale=scale, seed=seed)
    upstream = Upstream(ftp_root=outdir / "ftp")
    upstream.indices = _ftp_tree(samples["genomes_1000g"], upstream.ftp_root)

    kegg, routes = samples["kegg"], upstream.routes
    prefixes = set()
    for path in sorted(kegg.iterdir()):
        kgml = _KGML.match(path.name)
        if kgml:
            routes[f"/kegg/get/{kgml.group('id')}/kgml"] = path
            prefixes.add(re.sub(r"\d+$", "", kgml.group("id")))
        elif path.suffix == ".keg":
            routes[f"/kegg/get/br:{path.stem}"] = path
        elif path.name == "list_pathway.txt":
            routes["/kegg/list/pathway"] = path
        elif path.name.startswith("list_pathway_"):
            org = path.stem.removeprefix("list_pathway_")
            routes[f"/kegg/list/pathway/{org}"] = path
            upstream.organisms.append(org)
    for org in upstream.organisms:
        routes[f"/kegg/list/{org}"] = kegg / f"list_{org}.txt"
    for kind in ("ko", "ec"):
        routes[f"/kegg/link/pathway/{kind}"] = kegg / f"link_pathway_{kind}.txt"
    upstream.kgml_prefixes = sorted(prefixes)
    routes["/archive/TAP/sync"] = next(samples["exoplanets"].glob("PSCompPars_*.csv"))
    _listed("/climate", samples["climate"], routes)
    _listed("/spectra", samples["spectra"], routes)
    records = {}
    for path in sorted({p for pattern in GENBANK_PATTERNS for p in samples["organisms"].rglob(pattern)}):
        with open_text(path) as handle:
            records.update(genbank_records(handle.read().encode("utf-8")))
    routes["/eutils/efetch.fcgi"] = efetch_route(records)
    upstream.accessions = sorted(records)
    return upstream
