"""The catalogue of tables (astrobuild.contracts.catalogue): one declaration, every list derived from it."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from astrobuild.contracts.catalogue import CATALOGUE, CONTRACTS, STAGES, Table, contract_of
from astrobuild.contracts.kegg import KeggEdges
from tests.workflow import REPO


def test_a_tables_path_and_quarantine_follow_its_stage():
    for name, table in CATALOGUE.items():
        assert table.name == name and table.stage in STAGES
        assert table.path == f"data/{table.stage}/{name}.parquet"
        if table.quarantine is not None:
            assert table.quarantine.startswith(f"data/{table.stage}/") and table.quarantine.endswith(".quarantine.tsv")
    # The two REST lists share their rule's one quarantine file.
    assert CATALOGUE["kegg_pathway_list"].quarantine == CATALOGUE["kegg_gene_list"].quarantine


def test_contracts_and_keys_come_from_the_catalogue():
    assert CONTRACTS == {name: table.contract for name, table in CATALOGUE.items()}
    assert contract_of("kegg_edges") is KeggEdges
    with pytest.raises(KeyError, match=r"no contract named 'nope'; known: \['1000g_master'"):
        contract_of("nope")


def test_only_the_kegg_lists_and_the_organisms_pathways_are_optional():
    assert sorted(n for n, t in CATALOGUE.items() if t.optional) == ["kegg_gene_list", "kegg_pathway_list",
                                                                      "organism_pathways"]
    # organism_pathways is the organisms chain's, built where the kegg source has KO/EC -> pathway links
    assert CATALOGUE["organism_pathways"].files_source == "kegg" and CATALOGUE["kegg_gene_list"].files_source == "kegg"


def test_a_table_of_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="stage 'final' is not one of"):
        Table("toy", "final", "kegg", KeggEdges, ("pathway",))


def test_processed_is_what_the_learning_stage_or_a_user_reads_interim_the_rest():
    # processed: model inputs and reference tables; interim: made only to build other tables.
    processed = {n for n, t in CATALOGUE.items() if t.stage == "processed"}
    assert processed == {"1000g_master", "1000g_samples", "kegg_pathway_list", "kegg_gene_list", "exoplanets",
                         "spectra", "planet_runs", "organisms", "organism_pathways"}
    assert set(CATALOGUE) - processed == {"kegg_edges", "kegg_env_tags", "kegg_overview_members", "env_vectors",
                                          "climate_runs"}


def test_the_learning_stage_reads_only_processed_products():
    from dataclasses import asdict

    from astrobuild.climate.stems import STORE_PATTERN
    from astrobuild.learn.config import Inputs

    stage_of = {table.path: table.stage for table in CATALOGUE.values()}
    for path in [*asdict(Inputs()).values(), STORE_PATTERN]:
        assert path.startswith("data/processed/") and stage_of.get(path, "processed") == "processed", path


def test_stores_and_training_files_are_declared_once_and_the_rules_and_dvc_use_them():
    import yaml

    from astrobuild.contracts.catalogue import PRODUCTS, TRAIN_OUTPUTS
    from astrobuild.features.config import RawInputs
    from astrobuild.learn.config import Inputs
    from astrobuild.learn.outputs import TrainOutputs

    assert asdict(TrainOutputs()) == TRAIN_OUTPUTS
    assert RawInputs().graphs == PRODUCTS["kegg_graphs"].path and Inputs().features == PRODUCTS["features"].path
    train = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]["train"]
    declared = {next(iter(o)) if isinstance(o, dict) else o for kind in ("outs", "metrics", "plots")
                for o in train[kind]}
    assert declared == set(TRAIN_OUTPUTS.values())
    rules = "\n".join(line for p in (REPO / "rules").glob("*.smk") for line in p.read_text().splitlines()
                      if not line.lstrip().startswith("#"))  # code, not comments
    for path in (*TRAIN_OUTPUTS.values(), *(p.path for p in PRODUCTS.values())):
        assert path not in rules, f"{path} is written in rules/ too: take it from astrobuild.contracts.products"
