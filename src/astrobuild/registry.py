"""The registry of data sources: each source declared once, everything else derived from it.

A :class:`Source` holds what the workflow and the package need to know about one upstream: its
modes, the module that writes its built-in sample, the file patterns its rules look for in a local
folder (by kind), where remote mode's fetch rules put each part of it, whether a manifest lists its
remote files, its default URL, and its terms of use. ``rules/common.smk`` takes the source names,
the remote parts and the remote folders from here, the chains' ``.smk`` files their patterns, the
sample its generators, the docs their table of sources. The config schema
(``schemas/config.schema.yaml``, ``sources``) holds each source's settings and their defaults;
tests/unit/test_registry.py checks that its sources, modes and default URLs are these.

Adding a source: one entry here, its keys in the schema, and the chain's own code
(docs/adding-a-source.md).

Light imports only: Snakemake reads it while it builds the DAG.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

MODES = ("sample", "local", "remote")
# Where remote mode's downloads land (data/raw/remote/<source>/...), and the staging folders of the
# fetch rules (astrobuild.fetch.files): partial and not yet published downloads, kept across runs.
REMOTE_ROOT = "data/raw/remote"
STAGING_ROOT = f"{REMOTE_ROOT}/.staging"
# Remote mode's manifests of files to fetch (sources with ``manifest``: one <source>.csv each).
MANIFEST_ROOT = f"{REMOTE_ROOT}/manifests"
SAMPLE_ROOT = "data/raw/sample"


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    # The module of astrobuild.sample whose ``write(outdir, scale, seed)`` writes the built-in sample
    # (its last name only: a module path written out here would read, to the conda env test's import
    # scanner, as an import by every module that imports the registry).
    generator: str
    patterns: Mapping[str, tuple[str, ...]]  # kind of file -> file-name patterns in a local folder
    # Remote mode: part -> its path under data/raw/remote/<name> (a folder, or the file the parsing
    # rule reads); ``{table}`` in a path is the archive's download name of ``exoplanets.table``.
    remote_parts: Mapping[str, str]
    default_url: str | None  # None: there is no single upstream (sources.<name>.url is required)
    terms: str  # terms of use of the upstream data
    manifest: bool = False  # remote mode fetches the files a manifest (or sources.<name>.files) lists
    modes: tuple[str, ...] = MODES

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", MappingProxyType({k: tuple(v) for k, v in self.patterns.items()}))
        object.__setattr__(self, "remote_parts", MappingProxyType(dict(self.remote_parts)))
        unknown = set(self.modes) - set(MODES)
        if unknown:
            raise ValueError(f"source {self.name!r}: modes {sorted(unknown)} are not among {MODES}")

    @property
    def remote_dir(self) -> str:
        return f"{REMOTE_ROOT}/{self.name}"

    @property
    def manifest_path(self) -> str:
        """Where remote mode's manifest of this source's files is fetched to."""
        if not self.manifest:
            raise ValueError(f"source {self.name!r} has no remote manifest")
        return f"{MANIFEST_ROOT}/{self.name}.csv"

    def pattern_list(self, *kinds: str) -> list[str]:
        """The patterns of ``kinds`` (in that order), for a rule's input function or params."""
        missing = [k for k in kinds if k not in self.patterns]
        if missing:
            raise KeyError(f"source {self.name!r} has no file kind {missing}; it has {list(self.patterns)}")
        return [p for kind in kinds for p in self.patterns[kind]]

    def remote_paths(self, config: Mapping[str, Any]) -> dict[str, str]:
        """Part -> path of what the fetch rules write for this source under ``config`` (the workflow's)."""
        table = ARCHIVE_DOWNLOAD_NAMES.get(config.get("exoplanets", {}).get("table"), "PS")
        return {part: f"{self.remote_dir}/{path.format(table=table)}" for part, path in self.remote_parts.items()}


# The NASA Exoplanet Archive's name for its downloads of a table (PSCompPars_<date>.csv, PS_<date>.csv):
# the remote file is named so that the local patterns find it.
ARCHIVE_DOWNLOAD_NAMES = {"pscomppars": "PSCompPars", "ps": "PS"}

# KEGG REST list files: many KEGG mirrors have none, so their tables are built only where they are.
KEGG_LIST_FILES = ("list_*", "*_list.txt", "*-list.txt")
# KEGG REST link/pathway/ko and link/pathway/ec output (either column order) and KEGG FTP's
# ko_pathway.list: organism_pathways is built only where the kegg source has some. Not every link
# file: link/pathway/eco (genes) or module links map no KO to a pathway.
PATHWAY_LINK_FILES = ("*link*pathway[_.-]ko", "*link*pathway[_.-]ko.*", "*link*pathway[_.-]ec",
                      "*link*pathway[_.-]ec.*", "*link*ko[_.-]pathway*", "*link*ec[_.-]pathway*",
                      "ko_pathway.list", "ec_pathway.list")

_SOURCES = (
    Source(
        "genomes_1000g", "1000 Genomes / IGSR: FTP listings of the sample trees, sequence and alignment "
        "indices, population tables", "genomes",
        patterns={"listings": ("ls-lR", "ls-lR.gz", "*.ls-lR", "*.ls-lR.gz", "*.listing", "*.md5"),
                  "indices": ("*.index",), "populations": ("*.panel", "*.ped", "*ped_population.txt")},
        remote_parts={"dirlists": "dirlists", "indices": "indices"},
        default_url="ftp://ftp.1000genomes.ebi.ac.uk",
        terms="open: IGSR data are free to use without restriction (Fort Lauderdale principles); cite the "
              "1000 Genomes Project"),
    Source(
        "kegg", "KEGG: KGML pathway maps, BRITE hierarchies, REST lists and links", "kegg",
        patterns={"kgml": ("*.xml", "*.kgml"), "brite": ("*.keg", "br[0-9]*.json", "ko[0-9]*.json"),
                  "links": ("link_*", "*link*.txt", "*link*.tsv"), "lists": KEGG_LIST_FILES,
                  "pathway_links": PATHWAY_LINK_FILES},
        remote_parts={"lists": "lists", "pathways": "pathways"},
        default_url="https://rest.kegg.jp",
        terms="academic use only, no redistribution (KEGG API terms): keep derived files on a private remote"),
    Source(
        "climate", "exoplanet GCM output (ROCKE-3D, ExoCAM style): CF NetCDF cubes and a runs.csv",
        "climate",
        patterns={"cubes": ("*.nc", "*.nc4", "*.cdf"), "runs": ("runs.csv",)},
        remote_parts={}, default_url=None, manifest=True,
        terms="as given by the model output's authors (user files)"),
    Source(
        "exoplanets", "the NASA Exoplanet Archive (PSCompPars or PS, TAP CSV)", "exoplanets",
        patterns={"archive": ("PSCompPars*.csv", "PS_*.csv", "*pscomppars*.csv", "*exoplanet*archive*.csv")},
        remote_parts={"archive": "{table}_tap.csv"},
        default_url="https://exoplanetarchive.ipac.caltech.edu",
        terms="public: NASA Exoplanet Archive data are free to use; acknowledge the archive"),
    Source(
        "spectra", "transmission and emission spectra (wavelength, depth, error) in CSV or text tables",
        "spectra",
        patterns={"spectra": ("*.csv", "*.txt", "*.dat", "*.tsv", "*.ecsv", "*.tbl")},
        remote_parts={"files": "files"}, default_url=None, manifest=True,
        terms="as given by the spectra's archive or authors (user files; JWST data: public after their "
              "proprietary period)"),
    Source(
        "organisms", "microbial genomes: GenBank records (NCBI), GTDB taxonomy, KO/EC annotation tables",
        "organisms",
        patterns={"genbank": ("*.gb", "*.gbk", "*.gbff", "*.gb.gz", "*.gbk.gz", "*.gbff.gz"),
                  # GTDB release tables (bac120_taxonomy_r220.tsv, ar53_taxonomy_r220.tsv.gz), GTDB-Tk summaries
                  "gtdb": ("*_taxonomy*.tsv", "*_taxonomy*.tsv.gz", "gtdbtk.*.summary.tsv"),
                  "emapper": ("*.emapper.annotations", "*.emapper.annotations.tsv"),
                  "ko_tables": ("*.ko", "*.ko.txt", "*.ko.tsv", "*_ko.txt", "*_ko.tsv", "*.kofam.txt", "*.kofam.tsv")},
        remote_parts={"genbank": "genbank"},
        default_url="https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
        terms="open: NCBI sequence records carry no use restriction (NCBI's policies); GTDB: CC BY-SA 4.0"),
)

SOURCES: dict[str, Source] = {source.name: source for source in _SOURCES}
"""Every source by name, in the order of the chains."""


def source(name: str) -> Source:
    """The source ``name``; a KeyError naming the known ones otherwise."""
    if name not in SOURCES:
        raise KeyError(f"unknown source {name!r}; known: {list(SOURCES)}")
    return SOURCES[name]
