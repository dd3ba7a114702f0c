"""Contracts for the 1000 Genomes tables."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

SAMPLE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
POPULATION = r"^[A-Z]{2,4}$"
SUPER_POPULATIONS = ["AFR", "AMR", "EAS", "EUR", "SAS"]
MD5 = r"^[0-9a-f]{32}$"
NO_PARENT_SEGMENT = r"^(?!.*(?:^|/)\.\.(?:/|$))[^\x00-\x1f\x7f]+$"


class Genomes1000gMaster(pa.DataFrameModel):
    """Every file named by the 1000 Genomes directory listings (``data/processed/1000g_master.parquet``)."""

    sample_id: Series[str] = pa.Field(nullable=True, str_matches=SAMPLE_ID,
                                      description="sample read from the path; null for files of no sample")
    population: Series[str] = pa.Field(nullable=True, str_matches=POPULATION,
                                       description="population code read from the path, where it has one")
    data_type: Series[str] = pa.Field(
        isin=["sequence", "alignment", "alignment_index", "alignment_stats", "variants", "variants_index",
              "index", "checksum", "reference", "reference_index", "regions", "pedigree", "panel", "other"],
        description="kind of file, from its suffix",
    )
    ftp_path: Series[str] = pa.Field(str_matches=NO_PARENT_SEGMENT, description="path of the file in the listing")
    file_size: Series[pa.Int64] = pa.Field(nullable=True, ge=0,
                                           description="bytes; null where the listing gives none (md5 manifests, links)")
    md5: Series[str] = pa.Field(nullable=True, str_matches=MD5, description="md5 from a manifest, else null")
    listing: Series[str] = pa.Field(description="listing file the row came from")

    class Config:
        strict = True
        coerce = True
        unique = ["ftp_path", "listing"]


class Genomes1000gSamples(pa.DataFrameModel):
    """One row per indexed file with its sample's population (``data/processed/1000g_samples.parquet``)."""

    sample_id: Series[str] = pa.Field(str_matches=SAMPLE_ID)
    population: Series[str] = pa.Field(nullable=True, str_matches=POPULATION,
                                       description="population table first, index column second; null when neither")
    super_population: Series[str] = pa.Field(nullable=True, isin=SUPER_POPULATIONS)
    platform: Series[str] = pa.Field(nullable=True)
    file_path: Series[str] = pa.Field(
        nullable=True, str_matches=NO_PARENT_SEGMENT,
        description="the index's file column; DIRECTORY/RUN_NAME in the older index without one, null (and "
                    "counted in the report) where those are empty")
    md5: Series[str] = pa.Field(nullable=True, str_matches=MD5)
    index_file_path: Series[str] = pa.Field(nullable=True)
    read_count: Series[pa.Int64] = pa.Field(nullable=True, ge=0)
    base_count: Series[pa.Int64] = pa.Field(nullable=True, ge=0)
    withdrawn: Series[pa.BOOL] = pa.Field(nullable=True)
    analysis_group: Series[str] = pa.Field(nullable=True)
    data_type: Series[str] = pa.Field(isin=["sequence", "alignment"])
    index_file: Series[str] = pa.Field(description="index file the row came from")

    class Config:
        strict = True
        coerce = True
