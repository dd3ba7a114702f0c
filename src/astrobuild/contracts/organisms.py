"""Contracts of the organisms chain: GenBank records, and the pathways each genome has."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from astrobuild import ids

KO_SET = rf"^{ids.KO}(?: {ids.KO})*$"
EC_SET = rf"^{ids.EC}(?: {ids.EC})*$"
ACCESSION = rf"^{ids.ACCESSION}$"
GTDB_LINEAGE = r"^d__[^;]*;p__[^;]*;c__[^;]*;o__[^;]*;f__[^;]*;g__[^;]*;s__[^;]*$"
MAP_ID = rf"^map{ids.NUMBER}$"


class Organisms(pa.DataFrameModel):
    """One row per GenBank record (``data/processed/organisms.parquet``)."""

    accession: Series[str] = pa.Field(str_matches=rf"^{ids.BARE_ACCESSION}$",
                                      description="the record's accession, without version")
    version: Series[pa.Int32] = pa.Field(nullable=True, ge=1, description="the VERSION line's version; null without one")
    genome: Series[str] = pa.Field(str_matches=ACCESSION,
                                   description="the assembly of the DBLINK line (GCF_/GCA_), else accession.version: "
                                               "the organism a runs.csv names, and the key of organism_pathways")
    file: Series[str] = pa.Field(description="source file, as organisms:<path under the source folder>")
    organism: Series[str] = pa.Field(nullable=True, description="the ORGANISM line")
    taxon_id: Series[pa.Int64] = pa.Field(nullable=True, ge=1, description="NCBI taxon of the source feature")
    taxonomy: Series[str] = pa.Field(nullable=True, description="GenBank's lineage, '; '-separated")
    gtdb_taxonomy: Series[str] = pa.Field(nullable=True, str_matches=GTDB_LINEAGE,
                                          description="GTDB lineage of the genome (or record), when a GTDB table has it")
    molecule_type: Series[str] = pa.Field(nullable=True, description="LOCUS molecule type (DNA, RNA, mRNA, ...)")
    topology: Series[str] = pa.Field(nullable=True, isin=["linear", "circular"])
    length: Series[pa.Int64] = pa.Field(ge=0, metadata={"unit": "bp"})
    gc_content: Series[float] = pa.Field(nullable=True, ge=0.0, le=1.0,
                                         description="(G+C)/(A+C+G+T); null when the record has no bases (CONTIG)")
    n_cds: Series[pa.Int32] = pa.Field(ge=0)
    n_genes: Series[pa.Int32] = pa.Field(ge=0)
    n_rrna: Series[pa.Int32] = pa.Field(ge=0)
    n_trna: Series[pa.Int32] = pa.Field(ge=0)
    ko_ids: Series[str] = pa.Field(nullable=True, str_matches=KO_SET,
                                   description="KO ids of the record (db_xref KEGG: and annotation tables), sorted")
    n_ko: Series[pa.Int32] = pa.Field(ge=0)
    ko_from_tables: Series[pa.Int32] = pa.Field(ge=0, description="how many of ko_ids only annotation tables gave")
    ec_numbers: Series[str] = pa.Field(nullable=True, str_matches=EC_SET,
                                       description="EC numbers of the record (/EC_number and annotation tables), sorted")
    n_ec: Series[pa.Int32] = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = True
        unique = ["accession", "version"]


class OrganismPathways(pa.DataFrameModel):
    """KEGG pathways of each genome with a hit (``data/processed/organism_pathways.parquet``)."""

    genome: Series[str] = pa.Field(str_matches=ACCESSION, description="genome of the organisms table")
    organism: Series[str] = pa.Field(nullable=True, description="its organism name")
    pathway: Series[str] = pa.Field(str_matches=MAP_ID, description="KEGG reference map")
    basis: Series[str] = pa.Field(isin=["ko", "ec"], description="what coverage counts: KO ids or EC numbers")
    hits: Series[pa.Int32] = pa.Field(ge=1, description="the pathway's KOs (or ECs) the genome has")
    members: Series[pa.Int32] = pa.Field(ge=1, description="the pathway's KOs (or ECs) in KEGG's link output")
    coverage: Series[float] = pa.Field(gt=0.0, le=1.0, description="hits / members")
    present: Series[bool] = pa.Field(description="coverage >= organisms.min_coverage")

    class Config:
        strict = True
        coerce = True
        unique = ["genome", "pathway"]
