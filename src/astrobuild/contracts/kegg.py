"""Contracts for the KEGG tables.

Id patterns accept the variants of real KGML and REST files: pathway ids with
any organism or reference prefix (``map00010``, ``ko00010``, ``ec00010``,
``rn00010``, ``hsa00020``, ``eco00680``), reaction names holding several
space-separated ids (``rn:R00432 rn:R00727``), compounds, glycans and drugs
(``cpd:C00022``, ``gl:G00001``, ``dr:D00001``), also several to a name.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from astrobuild import ids

PATHWAY = ids.PATHWAY_ANCHORED
REACTION = r"^rn:R\d{5}(?: rn:R\d{5})*$"
COMPOUND = r"^(?:cpd:C|gl:G|dr:D)\d{5}(?: (?:cpd:C|gl:G|dr:D)\d{5})*$"
TAG = r"^[^/\s](?:[^/]*[^/\s])?(?:/[^/\s](?:[^/]*[^/\s])?)*$"
GENE = r"^(?:[a-z]{3,5}|T\d{5}):\S+$"


class KeggEdges(pa.DataFrameModel):
    """One row per substrate x product pair of every KGML reaction (``data/interim/kegg_edges.parquet``)."""

    pathway: Series[str] = pa.Field(str_matches=PATHWAY, description="pathway id without 'path:' (ko00010)")
    reaction: Series[str] = pa.Field(str_matches=REACTION, description="the reaction's name as given")
    substrate: Series[str] = pa.Field(str_matches=COMPOUND)
    product: Series[str] = pa.Field(str_matches=COMPOUND)
    reversible: Series[bool] = pa.Field(description="the reaction's type is 'reversible'")

    class Config:
        strict = True
        coerce = True
        unique = ["pathway", "reaction", "substrate", "product", "reversible"]


class KeggEnvTags(pa.DataFrameModel):
    """BRITE category path of each pathway (``data/interim/kegg_env_tags.parquet``)."""

    pathway: Series[str] = pa.Field(str_matches=PATHWAY)
    tag: Series[str] = pa.Field(str_matches=TAG, description="category path, levels joined by '/'")

    class Config:
        strict = True
        coerce = True
        unique = ["pathway", "tag"]


class KeggOverviewMembers(pa.DataFrameModel):
    """Member pathways of overview/global maps (``data/interim/kegg_overview_members.parquet``)."""

    overview: Series[str] = pa.Field(str_matches=PATHWAY, description="overview map id (map01100); which maps are overviews is config kegg.overview_pattern")
    pathway: Series[str] = pa.Field(str_matches=PATHWAY)
    source: Series[str] = pa.Field(description="file name the membership was read from (KGML or REST link)")

    class Config:
        strict = True
        coerce = True
        unique = ["overview", "pathway", "source"]


class KeggEnvVectors(pa.DataFrameModel):
    """Environment vector of every pathway with edges (``data/interim/env_vectors.parquet``)."""

    pathway: Series[str] = pa.Field(str_matches=PATHWAY, unique=True)
    pH: Series[float] = pa.Field(ge=0.0, le=14.0, nullable=False, description="pH units")
    temp: Series[float] = pa.Field(ge=173.15, le=423.15, nullable=False,
                                   description="temperature in kelvin (K), not degrees Celsius")
    O2: Series[float] = pa.Field(ge=0.0, le=1.0, nullable=False,
                                 description="O2 volume mixing ratio of the habitat's gas phase (Earth air 0.2095)")
    redox: Series[float] = pa.Field(ge=-1.0, le=1.3, nullable=False,
                                    description="redox potential Eh in volts vs the standard hydrogen electrode")

    class Config:
        strict = True
        coerce = True


class KeggPathwayList(pa.DataFrameModel):
    """KEGG ``list/pathway`` and ``list/pathway/<org>`` (``data/processed/kegg_pathway_list.parquet``)."""

    pathway: Series[str] = pa.Field(str_matches=PATHWAY)
    org: Series[str] = pa.Field(str_matches=rf"^{ids.PREFIX}$", description="map, ko or an organism code")
    number: Series[str] = pa.Field(str_matches=rf"^{ids.NUMBER}$")
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    organism: Series[str] = pa.Field(nullable=True, description="organism named in org-specific lists")

    class Config:
        strict = True
        coerce = True
        unique = ["pathway", "name"]


class KeggGeneList(pa.DataFrameModel):
    """KEGG ``list/<org>`` gene lists, 2- or 4-column (``data/processed/kegg_gene_list.parquet``)."""

    gene: Series[str] = pa.Field(str_matches=GENE, unique=True)
    org: Series[str] = pa.Field(str_matches=r"^(?:[a-z]{3,5}|T\d{5})$")
    type: Series[str] = pa.Field(nullable=True, description="CDS, tRNA, ... (4-column lists only)")
    position: Series[str] = pa.Field(nullable=True, description="chromosome position (4-column lists only)")
    symbols: Series[str] = pa.Field(nullable=True)
    description: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True
