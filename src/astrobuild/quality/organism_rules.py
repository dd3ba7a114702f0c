"""Consistency rules of the organisms chain's tables: ``organisms`` and ``organism_pathways``.

Each rule counts the rows it checked and those that passed; see
:class:`~astrobuild.quality.rule.Rule`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from astrobuild.quality.rule import Frames, Rule, majority_agrees, present

# Coverage is written as computed (hits / members, a float64): equal to rounding.
COVERAGE_RTOL = 1e-9


def _counts_its_list(list_column: str, count_column: str):
    def check(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
        counted = frame[list_column].map(lambda v: len(set(str(v).split())) if isinstance(v, str) else 0)
        return int((pd.to_numeric(frame[count_column]) == counted).sum()), len(frame)
    return check


def _one_organism_per_genome(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    return majority_agrees(frame, "genome", "organism")


def _gtdb_domain_matches_taxonomy(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    # GTDB's domain (d__Bacteria) is the first rank of GenBank's lineage too (Bacteria; ...).
    both = frame[present(frame["gtdb_taxonomy"]) & present(frame["taxonomy"])]
    gtdb = both["gtdb_taxonomy"].astype(str).str.split(";").str[0].str.removeprefix("d__")
    genbank = both["taxonomy"].astype(str).str.split(";").str[0].str.strip()
    return int((gtdb == genbank).sum()), len(both)


def _coverage_is_hits_over_members(frame: pd.DataFrame, _: Frames) -> tuple[int, int]:
    ratio = pd.to_numeric(frame["hits"]) / pd.to_numeric(frame["members"])
    ok = np.isclose(pd.to_numeric(frame["coverage"]).to_numpy(float), ratio.to_numpy(float), rtol=COVERAGE_RTOL,
                    atol=0.0)
    return int(ok.sum()), len(frame)


def _genome_in_organisms(frame: pd.DataFrame, others: Frames) -> tuple[int, int]:
    return int(frame["genome"].isin(set(others["organisms"]["genome"])).sum()), len(frame)


ORGANISM_RULES: dict[str, list[Rule]] = {
    "organisms": [
        Rule("n_ko_counts_ko_ids", "n_ko is the number of distinct ids in ko_ids", _counts_its_list("ko_ids", "n_ko")),
        Rule("n_ec_counts_ec_numbers", "n_ec is the number of distinct numbers in ec_numbers",
             _counts_its_list("ec_numbers", "n_ec")),
        Rule("one_organism_per_genome", "every record of a genome names the same organism",
             _one_organism_per_genome),
        Rule("gtdb_domain_matches_taxonomy",
             "the GTDB domain is the first rank of GenBank's lineage (records with both)",
             _gtdb_domain_matches_taxonomy),
    ],
    "organism_pathways": [
        Rule("coverage_is_hits_over_members", "coverage == hits / members", _coverage_is_hits_over_members),
        Rule("genome_in_organisms", "every genome is a genome of the organisms table", _genome_in_organisms,
             needs=("organisms",)),
    ],
}
