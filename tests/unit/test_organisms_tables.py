"""Annotation tables, GTDB taxonomy, KEGG link membership and pathway coverage, and the two rules' steps."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.organisms.annotations import TableFacts, protein_key, read_table
from astrobuild.organisms.pathways import coverage_rows, read_membership
from astrobuild.organisms.pipeline import OrganismsError, genomes_table, organisms_to_pathways
from astrobuild.organisms.taxonomy import lineage_of, read_gtdb, unversioned
from astrobuild.quarantine import Quarantine

LINEAGE = "d__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Enterobacterales;f__Enterobacteriaceae;" \
          "g__Escherichia;s__Escherichia coli"


def _table(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    q, facts = Quarantine(), TableFacts()
    return list(read_table(path, q, facts)), q, facts


def test_emapper_v2_and_v1_tables(tmp_path):
    v2 = ("## emapper-2.1.12\n#query\tseed_ortholog\tEC\tKEGG_ko\tPFAMs\n"
          "WP_1.1\t1.x\t1.1.1.1,2.2.2.2\tko:K00001,ko:K00002\tADH\n"
          "WP_2.1\t1.y\t-\t-\t-\n"
          "WP_3.1\t1.z\t-\tK0001\t-\n"
          "WP_4.1\t1.z\t-\n"
          "## 4 queries scanned\n")
    rows, q, facts = _table(tmp_path, "g.emapper.annotations", v2)
    assert [(r.line, r.protein, r.kos, r.ecs) for r in rows] == [
        (3, "WP_1.1", ("K00001", "K00002"), ("1.1.1.1", "2.2.2.2"))]
    assert facts.kind == "emapper" and facts.proteins_without_ko == 1
    assert [(r.line, r.reason.split()[0]) for r in q.records] == [(5, "eggNOG-mapper"), (6, "eggNOG-mapper")]
    v1 = ("# emapper version: emapper-1.0.3\n#query_name\tseed_eggNOG_ortholog\tEC\tKEGG_KOs\tKEGG_ko\n"
          "lcl|NC_000913.3_prot_NP_414542.1_1\tx\t-\t-\tko:K08278\n# 1 queries scanned\n")
    rows, q, _ = _table(tmp_path, "v1.emapper.annotations", v1)
    assert [(r.protein, r.kos) for r in rows] == [("NP_414542.1", ("K08278",))] and not q.records


def test_ko_mapper_and_kofam_detail_tables(tmp_path):
    rows, q, facts = _table(tmp_path, "g.ko.txt", "P1\tK00001\nP2\nP3\tK00002\tK00003\nP4\tnot_a_ko\n")
    assert [(r.protein, r.kos) for r in rows] == [("P1", ("K00001",)), ("P3", ("K00002", "K00003"))]
    assert facts.kind == "ko_mapper" and facts.proteins_without_ko == 1 and [r.line for r in q.records] == [4]
    detail = ('#  gene name  KO      thrshld  score   E-value  "KO definition"\n'
              "#----------- ------ ------- ------ --------- ------\n"
              '*  P1        K00001  100.0    250.3   1.2e-70  "alcohol dehydrogenase"\n'
              '   P1        K00002  300.0    12.0    0.5      "something weaker"\n')
    rows, q, facts = _table(tmp_path, "g.kofam.txt", detail)
    assert [(r.protein, r.kos) for r in rows] == [("P1", ("K00001",))] and not q.records
    assert facts.kind == "kofam_detail" and facts.below_threshold == 1
    assert protein_key("lcl|NZ_CP1.1_prot_WP_00001.1_12") == "WP_00001.1" and protein_key("P1") == "P1"


def test_gtdb_release_and_gtdbtk_summary(tmp_path):
    release = tmp_path / "bac120_taxonomy_r220.tsv"
    release.write_text(f"RS_GCF_000005845.2\t{LINEAGE}\nGB_GCA_1.1\td__Bacteria;p__X\nbroken line\n")
    summary = tmp_path / "gtdbtk.bac120.summary.tsv"
    summary.write_text(f"user_genome\tclassification\tfastani_reference\nmygenome\t{LINEAGE}\tx\n"
                       "other\tUnclassified Bacteria\tN/A\n")
    q, lineages, facts = Quarantine(), {}, {}
    read_gtdb(release, q, lineages, facts)
    read_gtdb(summary, q, lineages, facts)
    assert lineages == {"GCF_000005845.2": LINEAGE, "mygenome": LINEAGE}
    assert facts == {"rows": 2, "unclassified": 1} and [r.line for r in q.records] == [2, 3]
    by = unversioned(lineages)
    assert lineage_of(lineages, by, "GCF_000005845.2") == LINEAGE
    assert lineage_of(lineages, by, "GCF_000005845.3", "x") == LINEAGE  # another version of the assembly
    assert lineage_of(lineages, by, "NC_000913.3") is None


def test_link_membership_either_orientation_and_coverage(tmp_path):
    (tmp_path / "link_pathway_ko.txt").write_text(
        "ko:K00001\tpath:map00010\nko:K00001\tpath:ko00010\nko:K00002\tpath:map00010\nko:K00003\tpath:map00010\n"
        "ko:K00004\tpath:map00020\nko:K00001\tmd:M00001\nnot a link line\n")
    (tmp_path / "link_ec_pathway.tsv").write_text("path:ec00010\tec:1.1.1.1\npath:map00020\tec:2.2.2.2\n")
    q = Quarantine()
    membership = read_membership([tmp_path / "link_pathway_ko.txt", tmp_path / "link_ec_pathway.tsv"], q)
    assert dict(membership.members["ko"]) == {"map00010": {"K00001", "K00002", "K00003"}, "map00020": {"K00004"}}
    assert dict(membership.members["ec"]) == {"map00010": {"1.1.1.1"}, "map00020": {"2.2.2.2"}}
    assert dict(membership.other_links) == {"ko->md": 1} and [r.line for r in q.records] == [7]
    rows = coverage_rows({"G1": {"ko": {"K00001", "K00002"}, "ec": set()},
                          "G2": {"ko": {"K00001"}, "ec": {"1.1.1.1"}}}, membership, 0.5)
    got = {(r["genome"], r["pathway"]): (r["basis"], r["hits"], r["members"], r["present"]) for r in rows}
    # G2 has a third of the map's KOs but all of its EC numbers: EC is the better measure
    assert got == {("G1", "map00010"): ("ko", 2, 3, True), ("G2", "map00010"): ("ec", 1, 1, True)}


def _genome_files(tmp_path):
    """One GenBank genome (a CDS with a KEGG KO, one annotated by a table) and the KEGG links."""
    from tests.unit.test_organisms_genbank import _cds, _record, _text

    raw = tmp_path / "raw"
    raw.mkdir()
    features = [_cds(0, locus_tag="T_1", protein_id="WP_1.1", db_xref="KEGG:K00001"),
                _cds(30, locus_tag="T_2", protein_id="WP_2.1")]
    (raw / "g.gbff").write_text(_text(_record("AB000001", features, assembly="GCF_000000001.1")))
    (raw / "g.ko.txt").write_text("WP_2.1\tK00002\nWP_404.1\tK00003\n")
    (raw / "bac120_taxonomy.tsv").write_text(f"RS_GCF_000000001.1\t{LINEAGE}\n")
    kegg = tmp_path / "kegg"
    kegg.mkdir()
    (kegg / "link_pathway_ko.txt").write_text("ko:K00001\tpath:map00010\nko:K00002\tpath:map00010\n"
                                              "ko:K00009\tpath:map00010\nko:K00005\tpath:map00020\n")
    return raw, kegg


def test_genomes_table_and_organisms_to_pathways(tmp_path):
    raw, kegg = _genome_files(tmp_path)
    out = tmp_path / "out"
    report = genomes_table([str(raw)], [str(raw)], [str(raw)], str(out / "organisms.parquet"),
                           str(out / "o.tsv"), str(out / "o.json"))
    (row,) = pq.read_table(out / "organisms.parquet").to_pylist()
    assert row["ko_ids"] == "K00001 K00002" and row["n_ko"] == 2 and row["ko_from_tables"] == 1
    assert row["gtdb_taxonomy"] == LINEAGE and row["genome"] == "GCF_000000001.1" and row["version"] == 2
    assert report["annotations"]["unknown_proteins"] == 1
    quarantined = (out / "o.tsv").read_text().splitlines()[1].split("\t")
    assert quarantined[:3] == [str(raw / "g.ko.txt"), "2", "protein of the annotation table is in no GenBank "
                               "record (its KOs are not read)"]
    assert validate_table("organisms", out / "organisms.parquet")["valid"]
    organisms_to_pathways(str(out / "organisms.parquet"), [str(kegg)], 0.6, str(out / "p.parquet"),
                          str(out / "p.tsv"), str(out / "p.json"))
    rows = pq.read_table(out / "p.parquet").to_pylist()
    assert [(r["genome"], r["pathway"], r["hits"], r["members"], r["present"]) for r in rows] == [
        ("GCF_000000001.1", "map00010", 2, 3, True)]
    assert rows[0]["organism"] == "Testus example" and rows[0]["coverage"] == pytest.approx(2 / 3)
    assert validate_table("organism_pathways", out / "p.parquet")["valid"]
    assert json.loads((out / "p.json").read_text())["genomes_with_present_pathways"] == 1


def test_nothing_to_build_from_is_an_error_naming_the_files(tmp_path):
    raw, kegg = _genome_files(tmp_path)
    (raw / "g.gbff").write_text("<html>503</html>\n")
    with pytest.raises(OrganismsError, match=r"no usable GenBank record in 1 file\(s\).*no GenBank record in the file"):
        genomes_table([str(raw)], [], [], str(tmp_path / "o.parquet"), str(tmp_path / "o.tsv"), str(tmp_path / "o.j"))
    (kegg / "link_pathway_ko.txt").write_text("path:map00010\tmd:M00001\n")
    with pytest.raises(OrganismsError, match=r"no KO or EC -> pathway pair .*link_pathway_ko.txt.*path->md"):
        organisms_to_pathways(str(tmp_path / "none.parquet"), [str(kegg)], 0.3, str(tmp_path / "p.parquet"),
                              str(tmp_path / "p.tsv"), str(tmp_path / "p.json"))
