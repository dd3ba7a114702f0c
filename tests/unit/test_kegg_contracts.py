"""The KEGG contracts accept the real id variants and refuse what is wrong."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.contracts.kegg import KeggEdges, KeggEnvVectors, KeggGeneList, KeggOverviewMembers


def edges(**change):
    row = {"pathway": "hsa00020", "reaction": "rn:R00432 rn:R00727", "substrate": "cpd:C00042",
           "product": "gl:G00001 cpd:C00091", "reversible": True}
    row.update(change)
    return pd.DataFrame([row])


def test_kegg_tables_are_registered():
    assert {"kegg_edges", "kegg_env_tags", "kegg_overview_members", "env_vectors", "kegg_pathway_list",
            "kegg_gene_list"} <= set(CONTRACTS)


@pytest.mark.parametrize("pathway", ["map00010", "ko00010", "ec00010", "rn00010", "hsa00020", "ecoc00680"])
def test_edges_accept_real_variants(pathway):
    KeggEdges.validate(edges(pathway=pathway))


@pytest.mark.parametrize("change", [{"pathway": "path:ko00010"}, {"pathway": "ko0010"}, {"reaction": "R00200"},
                                    {"reaction": "rn:R00200  rn:R00201"}, {"substrate": "C00022"},
                                    {"product": "ko:K00001"}])
def test_edges_refuse_wrong_ids(change):
    with pytest.raises(pandera.errors.SchemaError):
        KeggEdges.validate(edges(**change))


def test_env_vector_ranges_and_no_nan():
    good = pd.DataFrame([{"pathway": "map00680", "pH": 7.0, "temp": 310.15, "O2": 0.0, "redox": -0.3}])
    KeggEnvVectors.validate(good)
    for change in ({"pH": 14.5}, {"temp": 37.0}, {"O2": 21.0}, {"redox": 1.5}, {"pH": float("nan")}):
        with pytest.raises(pandera.errors.SchemaError):
            KeggEnvVectors.validate(good.assign(**change))
    with pytest.raises(pandera.errors.SchemaError):
        KeggEnvVectors.validate(pd.concat([good, good]))  # one vector per pathway
    assert "kelvin" in KeggEnvVectors.to_schema().columns["temp"].description


def test_overview_and_gene_lists():
    KeggOverviewMembers.validate(pd.DataFrame([{"overview": "map01100", "pathway": "map00010", "source": "x.xml"}]))
    KeggGeneList.validate(pd.DataFrame([{"gene": "hsa:1", "org": "hsa", "type": None, "position": None,
                                         "symbols": "A1BG", "description": "alpha-1-B glycoprotein"}]))
    with pytest.raises(pandera.errors.SchemaError):
        KeggGeneList.validate(pd.DataFrame([{"gene": "1", "org": "hsa", "type": None, "position": None,
                                             "symbols": None, "description": None}]))
