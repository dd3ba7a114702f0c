"""The catalogue of the build's tables: each declared once, every list of tables derived from it.

A :class:`Table` holds what the rest of the project needs to know about one table: its name
(the ``{table}`` of ``results/validation/{table}.json``), its stage (which gives its path), the
chain that builds it, its Pandera contract, its key (what one row stands for) and its
quarantine file. The workflow reads it (``rules/common.smk``): rule outputs, the tables this
config builds, the contracts ``validate_table`` checks, the quality report's inputs, the
quarantine files counted in the metrics; the package reads it for the contract of a table
(:mod:`~astrobuild.contracts.validate`, :mod:`~astrobuild.contracts.export`, the quality
report) and for its key (:func:`astrobuild.quality.tables.table_key`).

Stages: **processed** is what the learning stage or a user of the datasets reads (model
inputs and reference tables); **interim** is a table made only to build others. The stage says
who reads a table, not where it stands in the DAG.

It lives with the contracts it names, so that ``contracts.validate`` and ``contracts.export``
can read it without an import running back up out of this folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandera.pandas as pa

from astrobuild.contracts.climate import ClimateRuns
from astrobuild.contracts.exoplanets import Exoplanets
from astrobuild.contracts.genomes import Genomes1000gMaster, Genomes1000gSamples
from astrobuild.contracts.kegg import (
    KeggEdges,
    KeggEnvTags,
    KeggEnvVectors,
    KeggGeneList,
    KeggOverviewMembers,
    KeggPathwayList,
)
from astrobuild.contracts.organisms import OrganismPathways, Organisms
from astrobuild.contracts.planet_runs import PlanetRuns

# The products that are not tables (the climate and graph stores, the training's files), listed beside them.
from astrobuild.contracts.products import PRODUCTS, TRAIN_OUTPUTS  # noqa: F401
from astrobuild.contracts.spectra import Spectra
from astrobuild.registry import SOURCES

STAGES = ("interim", "processed")
# The files an optional table is parsed from (its source's kinds in astrobuild.registry).
KEGG_LIST_FILES = SOURCES["kegg"].patterns["lists"]
PATHWAY_LINK_FILES = SOURCES["kegg"].patterns["pathway_links"]


@dataclass(frozen=True)
class Table:
    name: str
    stage: str  # "processed": read by the learning stage or a user; "interim": made only to build others
    chain: str  # the source whose chain builds it (config `sources.<chain>`), or "planet_runs"
    contract: type[pa.DataFrameModel]
    key: tuple[str, ...]  # what one row stands for: the quality report's uniqueness is measured on it
    # Stem of the quarantine file its rule writes beside it (None: the rule quarantines nothing).
    quarantine_stem: str | None = None
    # The quality report counts against its validity: the lines of its quarantine file that name a line
    # number (each a refused row of this table alone; not where the file holds lines that are no rows or
    # rows of another table), and the rows where one of these boolean flag columns is true (kept, doubtful).
    counts_quarantine: bool = False
    flags: tuple[str, ...] = ()
    # Source files it is parsed from when they are optional: the table is built only where the
    # source has such files (sample mode always does). Empty: always built.
    only_with_files: tuple[str, ...] = ()
    # The source those files are looked for in, when not the chain's own (None: the chain).
    files_of: str | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"table {self.name!r}: stage {self.stage!r} is not one of {STAGES}")
        if self.counts_quarantine and self.quarantine_stem is None:
            raise ValueError(f"table {self.name!r}: counts_quarantine without a quarantine file")
        unknown = [f for f in self.flags if f not in self.contract.to_schema().columns]
        if unknown:
            raise ValueError(f"table {self.name!r}: flags {unknown} are not columns of its contract")

    @property
    def folder(self) -> str:
        return f"data/{self.stage}"

    @property
    def path(self) -> str:
        """The table's Parquet file, relative to the working directory."""
        return f"{self.folder}/{self.name}.parquet"

    @property
    def quarantine(self) -> str | None:
        """Its quarantine TSV, beside it (same stage), or None."""
        return None if self.quarantine_stem is None else f"{self.folder}/{self.quarantine_stem}.quarantine.tsv"

    @property
    def optional(self) -> bool:
        return bool(self.only_with_files)

    @property
    def files_source(self) -> str:
        """The source whose files decide whether an optional table is built."""
        return self.files_of or self.chain


_TABLES = (
    # A file may be named by two listings (an ls-lR and an md5 manifest): one row per file and listing.
    Table("1000g_master", "processed", "genomes_1000g", Genomes1000gMaster, ("ftp_path", "listing"),
          quarantine_stem="1000g_master"),
    # One row per indexed file and index; the same run can be listed by two indices.
    Table("1000g_samples", "processed", "genomes_1000g", Genomes1000gSamples, ("file_path", "index_file"),
          quarantine_stem="1000g_samples"),
    # Not the reversibility: a reaction given both ways is two rows for one edge.
    Table("kegg_edges", "interim", "kegg", KeggEdges, ("pathway", "reaction", "substrate", "product"),
          quarantine_stem="kegg_edges"),
    Table("kegg_env_tags", "interim", "kegg", KeggEnvTags, ("pathway", "tag"), quarantine_stem="kegg_env_tags"),
    # The same membership read from a KGML and a REST link file is two rows, one per source.
    Table("kegg_overview_members", "interim", "kegg", KeggOverviewMembers, ("overview", "pathway", "source"),
          quarantine_stem="kegg_overview_members"),
    Table("env_vectors", "interim", "kegg", KeggEnvVectors, ("pathway",)),
    # One name per pathway id. Both lists come from one rule, which writes one quarantine file.
    Table("kegg_pathway_list", "processed", "kegg", KeggPathwayList, ("pathway",), quarantine_stem="kegg_lists",
          only_with_files=KEGG_LIST_FILES),
    Table("kegg_gene_list", "processed", "kegg", KeggGeneList, ("gene",), quarantine_stem="kegg_lists",
          only_with_files=KEGG_LIST_FILES),
    Table("climate_runs", "interim", "climate", ClimateRuns, ("store",), quarantine_stem="climate_runs"),
    Table("exoplanets", "processed", "exoplanets", Exoplanets, ("planet",), quarantine_stem="exoplanets"),
    # A spectrum file's refused lines are its points; a negative depth within its errors is kept, flagged.
    Table("spectra", "processed", "spectra", Spectra, ("spectrum", "order", "wavelength_um"),
          quarantine_stem="spectra", counts_quarantine=True, flags=("depth_negative",)),
    # One row per GenBank record; a genome (assembly) may have several (chromosome, plasmids).
    Table("organisms", "processed", "organisms", Organisms, ("accession", "version"), quarantine_stem="organisms"),
    # Built from the organisms and the kegg source's KO/EC -> pathway links, where it has them.
    Table("organism_pathways", "processed", "organisms", OrganismPathways, ("genome", "pathway"),
          quarantine_stem="organism_pathways", only_with_files=PATHWAY_LINK_FILES, files_of="kegg"),
    # Its quarantine: runs whose planet is in neither the exoplanet table nor their runs.csv/planets.csv.
    Table("planet_runs", "processed", "planet_runs", PlanetRuns, ("run_id",), quarantine_stem="planet_runs"),
)

CATALOGUE: dict[str, Table] = {table.name: table for table in _TABLES}
"""Every table of the build by name, in the order of the chains."""

CONTRACTS: dict[str, type[pa.DataFrameModel]] = {table.name: table.contract for table in _TABLES}
"""Table name -> its contract (derived from :data:`CATALOGUE`)."""


def contract_of(name: str) -> type[pa.DataFrameModel]:
    """The contract of table ``name``; a KeyError naming the known tables otherwise."""
    if name not in CONTRACTS:
        raise KeyError(f"no contract named {name!r}; known: {sorted(CONTRACTS)}")
    return CONTRACTS[name]


def counted_quarantines(names: Iterable[str]) -> dict[str, str]:
    """Table name -> its quarantine file, for the tables of ``names`` whose refused lines the quality report
    counts against their validity (``counts_quarantine``)."""
    return {name: str(CATALOGUE[name].quarantine) for name in sorted(names)
            if CATALOGUE[name].counts_quarantine}
