"""Data contracts (Pandera) for every table that leaves a rule, and their checker.

``CONTRACTS`` maps a table name (the ``{table}`` of
``results/validation/{table}.json``) to its DataFrameModel. Models are
``strict`` (no unexpected column) and ``coerce`` (types are enforced, not
guessed); validation is lazy, so a report lists every failure at once.
"""

from __future__ import annotations

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
from astrobuild.contracts.planet_runs import PlanetRuns
from astrobuild.contracts.spectra import Spectra

CONTRACTS: dict[str, type[pa.DataFrameModel]] = {
    "1000g_master": Genomes1000gMaster,
    "1000g_samples": Genomes1000gSamples,
    "kegg_edges": KeggEdges,
    "kegg_env_tags": KeggEnvTags,
    "kegg_overview_members": KeggOverviewMembers,
    "env_vectors": KeggEnvVectors,
    "kegg_pathway_list": KeggPathwayList,
    "kegg_gene_list": KeggGeneList,
    "climate_runs": ClimateRuns,
    "planet_runs": PlanetRuns,
    "exoplanets": Exoplanets,
    "spectra": Spectra,
}
