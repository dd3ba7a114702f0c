"""Per-table consistency rules used by the quality report.

Every table has rules in :data:`RULES` (its key, what one row stands for, is in the
catalogue, :mod:`astrobuild.contracts.catalogue`); a table without
any is shown as "not assessed" for consistency (null in the JSON), never as 1.0.

A rule returns ``(passed, checked)`` row counts (see
:class:`~astrobuild.quality.rule.Rule`); rules naming another table in ``needs``
are skipped (and reported as skipped) when that table is not part of the build.
The rules of the planet-run tables are in :mod:`astrobuild.quality.run_rules`, those of
the organisms chain in :mod:`astrobuild.quality.organism_rules`.
"""

from __future__ import annotations

import pandas as pd

from astrobuild.genomes.populations import SUPER_POPULATION
from astrobuild.quality.organism_rules import ORGANISM_RULES
from astrobuild.quality.rule import Frames, Rule
from astrobuild.quality.rule import majority_agrees as _majority_agrees
from astrobuild.quality.run_rules import RUN_RULES

__all__ = ["RULES", "Frames", "Rule"]


def _super_population(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    rows = frame[["population", "super_population"]].dropna()
    known = rows["population"].map(SUPER_POPULATION)
    # Populations outside the 26 of phase 3 are held to their own majority instead.
    passed_known = int((rows["super_population"][known.notna()] == known[known.notna()]).sum())
    unknown = rows[known.isna()]
    passed_unknown, _checked = _majority_agrees(unknown, "population", "super_population")
    return passed_known + passed_unknown, len(rows)


def _one_population_per_sample(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return _majority_agrees(frame, "sample_id", "population")


def _samples_in_master(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    listed = set(others["1000g_master"]["sample_id"].dropna())
    return int(frame["sample_id"].isin(listed).sum()), len(frame)


def _vectors_have_edges(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    with_edges = set(others["kegg_edges"]["pathway"])
    return int(frame["pathway"].isin(with_edges).sum()), len(frame)


def _edges_have_vectors(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    pathways = pd.Series(others["kegg_edges"]["pathway"].unique())
    return int(pathways.isin(set(frame["pathway"])).sum()), len(pathways)


def _one_reversibility(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return _majority_agrees(frame.assign(_key=frame["pathway"] + " " + frame["reaction"]), "_key", "reversible")


def _not_own_member(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return int((frame["overview"] != frame["pathway"]).sum()), len(frame)


def _pathway_id_parts(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return int((frame["org"] + frame["number"] == frame["pathway"]).sum()), len(frame)


def _gene_prefix(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return int((frame["gene"].str.split(":", n=1).str[0] == frame["org"]).sum()), len(frame)


RULES: dict[str, list[Rule]] = {
    "1000g_samples": [
        Rule("super_population_matches_population",
             "super_population is the IGSR group of population (or, for other populations, their majority one)",
             _super_population),
        Rule("one_population_per_sample", "every row of a sample gives the same population",
             _one_population_per_sample),
        Rule("samples_in_master", "every indexed sample has files in the directory listings (1000g_master)",
             _samples_in_master, needs=("1000g_master",)),
    ],
    "1000g_master": [
        Rule("one_population_per_sample", "every file of a sample is under the same population",
             _one_population_per_sample),
    ],
    "env_vectors": [
        Rule("pathways_have_edges", "every env vector's pathway is a pathway of kegg_edges", _vectors_have_edges,
             needs=("kegg_edges",)),
        Rule("edges_have_vectors", "every pathway of kegg_edges has an env vector (counted per pathway)",
             _edges_have_vectors, needs=("kegg_edges",)),
    ],
    "kegg_edges": [
        Rule("one_reversibility_per_reaction", "a reaction of a pathway is either reversible or not, on every edge",
             _one_reversibility),
    ],
    "kegg_overview_members": [
        Rule("not_own_member", "an overview map is not listed as its own member", _not_own_member),
    ],
    "kegg_pathway_list": [
        Rule("id_is_org_and_number", "pathway == org + number", _pathway_id_parts),
    ],
    "kegg_gene_list": [
        Rule("gene_prefix_is_org", "the gene id's prefix is its org", _gene_prefix),
    ],
    **RUN_RULES,
    **ORGANISM_RULES,
}
