"""The organisms sample: real GenBank files that the chain reads back into the universe's biospheres."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.organisms.pipeline import genomes_table, organisms_to_pathways
from astrobuild.paths import SourceRoot
from astrobuild.planet_runs import OrganismIndex, resolve_organisms
from astrobuild.quality.tables import consistency
from astrobuild.sample import generate
from astrobuild.sample.community import CORE, GUILDS, MIN_OWN_COVERAGE, guilds, run_organisms
from astrobuild.sample.universe import PATHWAY_CATALOGUE, build_universe


@pytest.fixture(scope="module")
def chain(organisms_sample, kegg_sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("organisms_chain")
    source = SourceRoot("organisms", organisms_sample)
    raw = [str(organisms_sample)]
    report = genomes_table(raw, raw, raw, str(out / "organisms.parquet"), str(out / "o.tsv"), str(out / "o.json"),
                           source=source)
    organisms_to_pathways(str(out / "organisms.parquet"), [str(kegg_sample)], 0.3, str(out / "p.parquet"),
                          str(out / "p.tsv"), str(out / "p.json"), source=SourceRoot("kegg", kegg_sample))
    return out, report


def test_a_guild_for_every_map_beyond_the_core():
    assert sorted(g[0] for g in GUILDS) == sorted(p for p, _, _ in PATHWAY_CATALOGUE if p not in CORE)
    assert len({g.accession for g in guilds()}) == len(GUILDS)


def test_the_chain_gives_back_every_runs_biosphere(chain):
    out, _ = chain
    index = OrganismIndex(pq.read_table(out / "organisms.parquet").to_pandas(),
                          pq.read_table(out / "p.parquet").to_pandas())
    for run in build_universe(1, 0).runs:
        errors = []
        genomes, derived = resolve_organisms(run.run_name, run_organisms(run), index, errors)
        assert not errors and sorted(derived) == sorted(run.biosphere), run.run_name
    # own maps well covered, other maps barely: the threshold is far from both
    pathways = pq.read_table(out / "p.parquet").to_pandas()
    assert pathways[pathways["present"]]["coverage"].min() >= MIN_OWN_COVERAGE
    assert pathways[~pathways["present"]]["coverage"].max() <= 0.1


def test_every_kind_of_input_and_each_edge_case_reaches_the_tables(chain):
    out, report = chain
    organisms = pq.read_table(out / "organisms.parquet").to_pandas()
    assert report["records"] == len(guilds()) + 1  # the methanogen's plasmid is a record of its own
    assert organisms["gtdb_taxonomy"].notna().all() and organisms["ko_ids"].notna().all()
    assert {k["kind"] for k in report["annotations"]["tables"].values()} == {"emapper", "ko_mapper"}
    assert 0 < organisms["ko_from_tables"].astype(bool).sum() < len(organisms)  # some from GenBank, some from tables
    archaea = organisms[organisms["gtdb_taxonomy"].str.startswith("d__Archaea")]
    assert set(archaea["accession"]) == {"ZZ000003", "ZZ500003"} and archaea["genome"].nunique() == 1
    quarantine = pd.read_csv(out / "o.tsv", sep="\t")
    assert quarantine["file"].str.startswith("organisms:").all()
    assert set(quarantine["reason"].str.split().str[:2].str.join(" ")) == {
        "Biopython warns", "record has", "unknown qualifier", "protein of", "GTDB line", "KEGG db_xref"}
    for table, path in (("organisms", "organisms.parquet"), ("organism_pathways", "p.parquet")):
        assert validate_table(table, out / path)["valid"], table


def test_the_new_tables_pass_their_consistency_rules_and_fall_when_broken(chain):
    out, _ = chain
    frames = {"organisms": pq.read_table(out / "organisms.parquet").to_pandas(),
              "organism_pathways": pq.read_table(out / "p.parquet").to_pandas()}
    breaks = {
        ("organisms", "n_ko_counts_ko_ids"): ("n_ko", 1),
        ("organisms", "n_ec_counts_ec_numbers"): ("n_ec", 999),
        ("organisms", "one_organism_per_genome"): ("organism", "Somebody else"),
        ("organisms", "gtdb_domain_matches_taxonomy"): ("taxonomy", "Bacteria; Nobody"),
        ("organism_pathways", "coverage_is_hits_over_members"): ("coverage", 0.01),
        ("organism_pathways", "genome_in_organisms"): ("genome", "GCF_404.1"),
    }
    for (table, rule), (column, value) in breaks.items():
        others = {k: v for k, v in frames.items() if k != table}
        clean = {c["name"]: c for c in consistency(table, frames[table], others, settings={})["checks"]}[rule]
        assert clean["checked"] > 0 and clean["passed"] == clean["checked"], (rule, clean)
        broken_frame = frames[table].copy()
        broken_frame.loc[broken_frame.index[-1], column] = value  # organisms: the archaeon's plasmid, its 2nd record
        broken = {c["name"]: c for c in consistency(table, broken_frame, others, settings={})["checks"]}[rule]
        assert broken["passed"] < broken["checked"], rule


def test_same_seed_same_bytes_and_the_scale_adds_genomes(organisms_sample, tmp_path):
    again = generate("organisms", tmp_path / "again", scale=1, seed=0)
    digest = lambda root, files: {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
                                  for p in files}
    first = sorted(p for p in organisms_sample.rglob("*") if p.is_file())
    assert digest(organisms_sample, first) == digest(tmp_path / "again", again)
    bigger = generate("organisms", tmp_path / "bigger", scale=3, seed=0)
    assert "genomes/bystanders.gbk" in {p.relative_to(tmp_path / "bigger").as_posix() for p in bigger}
    assert sum(p.stat().st_size for p in bigger) > sum(p.stat().st_size for p in first)
