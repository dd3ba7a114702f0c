"""KGML, BRITE, list and link parsers on generated files and on real KEGG files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from astrobuild.contracts.kegg import KeggEdges, KeggEnvTags
from astrobuild.kegg.brite import parse_brite, parse_brite_json, parse_htext
from astrobuild.kegg.kgml import parse_kgml
from astrobuild.kegg.lists import list_kind, parse_gene_list, parse_link, parse_pathway_list
from astrobuild.kegg.pipeline import edges_frame, overview_map_members
from astrobuild.paths import collect_files
from astrobuild.quarantine import Quarantine
from astrobuild.sample import generate
from tests.conftest import REALDATA

REAL = REALDATA / "kegg"


def real(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real KEGG file {path} absent (../shared/realdata is not part of a fresh clone)")
    return path


OLD_KGML = b"""<?xml version="1.0"?>
<!DOCTYPE pathway SYSTEM "http://www.genome.jp/kegg/xml/KGML_v0.6.1_.dtd">
<pathway name="path:eco00680" org="eco" number="00680" title="Methane metabolism">
    <entry id="1" name="eco:b0001" type="gene" reaction="rn:R04541"/>
    <reaction name="rn:R04541" type="irreversible">
        <substrate name="cpd:C03920"/>
        <substrate name="cpd:C04628"/>
        <product name="cpd:C01438"/>
        <product name="cpd:C04832"/>
    </reaction>
    <reaction name="rn:R00605" type="sideways"><substrate name="cpd:C00132"/><product name="cpd:C00067"/></reaction>
    <reaction name="rn:R00604" type="irreversible"><substrate name="cpd:C00067"/></reaction>
</pathway>
"""


# ---- KGML ----------------------------------------------------------------------------------------

def test_old_v061_reactions_without_ids_give_every_pair_and_bad_reactions_are_quarantined(tmp_path):
    path = tmp_path / "eco00680.xml"
    path.write_bytes(OLD_KGML)
    q = Quarantine()
    result = parse_kgml(path, q)
    assert result.pathway == "eco00680" and result.version == "0.6.1" and result.reactions == 3
    assert sorted(e[2:4] for e in result.edges) == [
        ("cpd:C03920", "cpd:C01438"), ("cpd:C03920", "cpd:C04832"),
        ("cpd:C04628", "cpd:C01438"), ("cpd:C04628", "cpd:C04832")]
    assert all(e[1] == "rn:R04541" and e[4] is False for e in result.edges)
    reasons = sorted(r.reason for r in q.records)
    assert len(reasons) == 2 and "neither reversible" in reasons[0] and "1 substrate(s) and 0 product(s)" in reasons[1]
    assert {r.line for r in q.records} == {11, 12}


def test_not_well_formed_and_wrong_root_are_quarantined_and_others_go_on(tmp_path):
    (tmp_path / "a.xml").write_bytes(OLD_KGML)
    (tmp_path / "b.xml").write_bytes(OLD_KGML[:300])
    (tmp_path / "c.xml").write_bytes(b"<html><body>Not found</body></html>")
    q = Quarantine()
    frame, report = edges_frame(collect_files([tmp_path], ["*.xml"]), q, show_progress=False)
    assert report["parsed"] == 1 and report["quarantined_files"] == 2 and len(frame) == 4
    by_file = {Path(r.file).name: r.reason for r in q.records if r.line is None or r.file.endswith(("b.xml", "c.xml"))}
    assert by_file["b.xml"].startswith("not well-formed XML")
    assert by_file["c.xml"] == "root element is <html>, not <pathway>"


def test_internal_dtd_entities_are_refused_naming_the_file(tmp_path):
    """libxml2 expands an internal entity inside attribute values whatever the options: refuse the file."""
    text = real("ko00010.xml").read_text(encoding="utf-8")
    doctype = '<!DOCTYPE pathway SYSTEM "http://www.kegg.jp/kegg/xml/KGML_v0.7.2_.dtd">'
    assert doctype in text and 'name="rn:R00710"' in text
    forged = text.replace(doctype, doctype[:-1] + ' [\n  <!ENTITY x "rn:R99999">\n]>').replace(
        'name="rn:R00710"', 'name="&x;"')
    (tmp_path / "ko00010.xml").write_text(forged, encoding="utf-8")
    (tmp_path / "eco00680.xml").write_bytes(OLD_KGML)
    q = Quarantine()
    frame, report = edges_frame(collect_files([tmp_path], ["*.xml"]), q, show_progress=False)
    refused = [r for r in q.records if Path(r.file).name == "ko00010.xml"]
    assert [(r.line, r.reason) for r in refused] == [(None, "the internal DTD subset defines entities (x), which would "
                                                            "be expanded inside attribute values; KGML defines none: "
                                                            "refused")]
    assert report["parsed"] == 1 and set(frame["pathway"]) == {"eco00680"} and "rn:R99999" not in set(frame["reaction"])


@pytest.mark.parametrize("doc, reason", [
    # external entity in an attribute: libxml2 refuses it
    (b'<!DOCTYPE pathway [<!ENTITY x SYSTEM "file:///etc/passwd">]><pathway name="&x;"/>',
     "not well-formed XML: Attribute references external entity"),
    # external entity in text: never loaded, and the internal subset defines it
    (b'<!DOCTYPE pathway [<!ENTITY x SYSTEM "file:///etc/passwd">]><pathway name="path:ko1" org="ko" '
     b'number="00001">&x;</pathway>', "the internal DTD subset defines entities (x)"),
    # parameter entity only
    (b'<!DOCTYPE pathway [<!ENTITY % p "x">]><pathway name="path:ko00001"/>', "defines entities (p)"),
    # billion laughs: stopped by libxml2's amplification limit, fast, before anything is built
    (b'<!DOCTYPE pathway [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([c]), (b"&%s;" % bytes([c - 1])) * 10) for c in range(ord("b"), ord("k")))
     + b']><pathway name="&j;"/>', "not well-formed XML: Maximum entity amplification"),
], ids=["xxe_attribute", "xxe_text", "parameter_entity", "billion_laughs"])
def test_hostile_entities_stay_quarantined(tmp_path, doc, reason):
    path = tmp_path / "evil.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n' + doc)
    q = Quarantine()
    assert parse_kgml(path, q) is None
    assert len(q) == 1 and reason in q.records[0].reason and Path(q.records[0].file).name == "evil.xml"


def test_generated_sample_covers_every_edge_case(kegg_sample):
    q = Quarantine()
    frame, report = edges_frame(collect_files([kegg_sample], ["*.xml"]), q, show_progress=False)
    assert {"0.6.1", "0.7.1", "0.7.2"} <= set(report["kgml_versions"])
    assert {Path(r.file).name for r in q.records} == {"map00590.xml", "map00591.xml"}
    assert "map03070.xml" in {Path(f).name for f in report["files_without_reactions_list"]}
    assert report["duplicate_edges_removed"] > 0
    assert frame.duplicated().sum() == 0
    assert frame.equals(frame.sort_values(list(frame.columns)).reset_index(drop=True))
    KeggEdges.validate(frame)
    methane = frame[frame["pathway"] == "map00680"]
    assert "cpd:C01438" in set(methane["product"]) and "cpd:C01438" in set(methane["substrate"])
    assert frame["reaction"].str.contains(" ").any()  # multi-id reaction names kept whole
    assert frame["reversible"].any() and not frame["reversible"].all()


def test_every_catalogue_map_has_a_kgml_file(kegg_sample):
    from astrobuild.sample.universe import PATHWAY_CATALOGUE, build_universe

    names = {p.name for p in kegg_sample.glob("*.xml")}
    assert {f"{p}.xml" for p, _, _ in PATHWAY_CATALOGUE} <= names
    assert {p for run in build_universe(1, 0).runs for p in run.biosphere} <= {n[:-4] for n in names}


def test_sample_is_deterministic_and_grows_with_scale(tmp_path, kegg_sample):
    again = tmp_path / "again"
    generate("kegg", again, scale=1, seed=0)
    for path in kegg_sample.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    bigger = tmp_path / "bigger"
    generate("kegg", bigger, scale=4, seed=0)
    assert len(list(bigger.glob("*.xml"))) > len(list(kegg_sample.glob("*.xml"))) + 40


def test_real_ko00010_61_reactions_30_reversible():
    q = Quarantine()
    result = parse_kgml(real("ko00010.xml"), q)
    assert (result.pathway, result.version, result.reactions) == ("ko00010", "0.7.2", 61)
    from lxml import etree

    root = etree.parse(str(real("ko00010.xml"))).getroot()
    reversible = {r.get("name") for r in root.iter("reaction") if r.get("type") == "reversible"}
    assert sum(r.get("type") == "reversible" for r in root.iter("reaction")) == 30
    frame = pd.DataFrame(result.edges, columns=["pathway", "reaction", "substrate", "product", "reversible"])
    assert set(frame.loc[frame["reversible"], "reaction"]) == reversible
    assert ("ko00010", "rn:R01061 rn:R01063") in set(zip(frame["pathway"], frame["reaction"], strict=True))
    KeggEdges.validate(frame.drop_duplicates())
    assert not q.records


def test_real_ko03070_has_no_reactions_and_hsa00020_is_v071():
    q = Quarantine()
    empty = parse_kgml(real("ko03070.xml"), q)
    assert empty.reactions == 0 and empty.edges == [] and empty.version == "0.7.1"
    hsa = parse_kgml(real("hsa00020.xml"), q)
    assert (hsa.pathway, hsa.version, hsa.reactions) == ("hsa00020", "0.7.1", 22)
    assert ("hsa00020", "rn:R00432 rn:R00727", "cpd:C00042", "cpd:C00091", True) in hsa.edges
    tetra = parse_kgml(real("ko00253.xml"), q)  # has a group entry
    assert tetra.reactions == 18 and all(not e[4] for e in tetra.edges)
    assert not q.records


# ---- BRITE -----------------------------------------------------------------------------------------

def test_generated_brite_htext_and_json_agree(kegg_sample):
    q = Quarantine()
    keg = parse_htext(kegg_sample / "br08901.keg", q)
    js = parse_brite_json(kegg_sample / "br08901.json", q)
    assert set(keg) == set(js) and not q.records
    assert ("map00680", "Metabolism/Energy metabolism") in keg
    assert ("map01100", "Metabolism/Global and overview maps") in keg
    KeggEnvTags.validate(pd.DataFrame(sorted(set(keg)), columns=["pathway", "tag"]))


def test_real_br08901_htext_strips_html_and_json_is_read():
    q = Quarantine()
    keg = parse_brite(real("br08901.keg"), q)
    js = parse_brite(real("br08901.json"), q)
    assert not q.records
    assert len(keg) == 450 and len(js) == 542
    assert ("map00010", "Metabolism/Carbohydrate metabolism") in keg
    assert ("map00010", "Metabolism/Carbohydrate metabolism") in js
    assert all("<" not in tag and "&" not in tag for _, tag in keg)
    assert {tag.split("/")[0] for _, tag in keg} >= {"Metabolism", "Human Diseases", "Organismal Systems"}
    KeggEnvTags.validate(pd.DataFrame(sorted(set(keg) | set(js)), columns=["pathway", "tag"]))


def test_numbered_categories_are_not_pathways(tmp_path):
    # ko00001 style: numbered A/B categories, pathways carry [PATH:...], KOs below them.
    path = tmp_path / "ko00001.keg"
    path.write_text("+D\tKO\n!\nA09100 Metabolism\nB\nB  09101 Carbohydrate metabolism\n"
                    "C    00010 Glycolysis / Gluconeogenesis [PATH:ko00010]\nD      K00844  HK; hexokinase\n"
                    "C    00020 Citrate cycle (TCA cycle) [PATH:ko00020]\n!\n", encoding="utf-8")
    assert parse_htext(path, Quarantine()) == [("ko00010", "Metabolism/Carbohydrate metabolism"),
                                               ("ko00020", "Metabolism/Carbohydrate metabolism")]


# ---- lists and links ---------------------------------------------------------------------------------

def test_generated_lists(kegg_sample):
    q = Quarantine()
    assert list_kind(kegg_sample / "list_pathway.txt") == "pathway" and list_kind(kegg_sample / "list_hsa.txt") == "gene"
    maps = parse_pathway_list(kegg_sample / "list_pathway.txt", q)
    assert ("map00680", "map", "00680", "Methane metabolism", None) in maps
    hsa = parse_pathway_list(kegg_sample / "list_pathway_hsa.txt", q)
    assert ("hsa00010", "hsa", "00010", "Glycolysis / Gluconeogenesis", "Homo sapiens (human)") in hsa
    genes4 = parse_gene_list(kegg_sample / "list_hsa.txt", q)
    assert genes4 and all(g[2] == "CDS" and g[3] for g in genes4)
    genes2 = parse_gene_list(kegg_sample / "list_mja.txt", q)
    assert genes2[0][2:] == (None, None, "mcrA", "methyl-coenzyme M reductase subunit 0")
    assert not q.records


def test_list_lines_that_do_not_fit_are_quarantined(tmp_path):
    path = tmp_path / "list_x"
    path.write_text("hsa:1\tA1BG; alpha-1-B glycoprotein\nhsa:2\tCDS\tonly three\nnonsense\n", encoding="utf-8")
    q = Quarantine()
    assert len(parse_gene_list(path, q)) == 1 and [r.line for r in q.records] == [2, 3]


def test_real_module_pathway_link_is_read_but_is_not_membership(tmp_path):
    q = Quarantine()
    pairs = parse_link(real("kegg_pull_module-pathway-link.txt"), q)
    assert len(pairs) == 1346 and pairs[0] == ("path:map00010", "md:M00002") and not q.records
    report = overview_map_members([str(REAL)], [], ["*link*.txt"], r"^01[1-9]\d\d$", str(tmp_path / "o.parquet"),
                                  str(tmp_path / "o.tsv"), str(tmp_path / "o.json"))
    assert report["members"] == 0 and report["links_not_membership"] == {"path->md": 1346}


def test_overview_members_from_kgml_and_link(kegg_sample, tmp_path):
    report = overview_map_members([str(kegg_sample)], ["*.xml"], ["link_*"], r"^01[1-9]\d\d$",
                                  str(tmp_path / "o.parquet"), str(tmp_path / "o.tsv"), str(tmp_path / "o.json"))
    frame = pd.read_parquet(tmp_path / "o.parquet")
    assert report["overview_maps"] == ["map01100", "map01120", "map01220"]
    assert ("map01120", "map00680") in set(zip(frame["overview"], frame["pathway"], strict=True))
    link_rows = frame[frame["source"] == "link_pathway_map01220.txt"]
    assert set(link_rows["pathway"]) == {"map00362", "map00627", "map00622", "map00633"}
    assert not (frame["overview"] == frame["pathway"]).any()  # the map's own title entry is not a member
    # the KO/EC -> map links of the organisms chain are read there, not here
    assert report["links_not_membership"] == {"path->md": 16, "ko->path": 734, "ec->path": 382}


def test_real_overview_of_ordinary_map_is_skipped(tmp_path):
    report = overview_map_members([str(real("ko00010.xml"))], ["*.xml"], [], r"^01[1-9]\d\d$",
                                  str(tmp_path / "o.parquet"), str(tmp_path / "o.tsv"), str(tmp_path / "o.json"))
    assert report["overview_maps"] == [] and report["members"] == 0
