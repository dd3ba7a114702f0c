"""KGML substrate/product ids that name no <entry>: the edges still come from the names, and the
KGML report counts them per file with examples (issue 21, item 7b)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from astrobuild.kegg import pipeline
from astrobuild.kegg.kgml import parse_kgml
from astrobuild.kegg.pipeline import edges_frame, kegg_to_edges
from astrobuild.paths import SourceRoot, collect_files
from astrobuild.quarantine import Quarantine
from tests.conftest import REALDATA

KGML = """<?xml version="1.0"?>
<!DOCTYPE pathway SYSTEM "http://www.kegg.jp/kegg/xml/KGML_v0.7.2_.dtd">
<pathway name="path:ko00010" org="ko" number="00010" title="Glycolysis">
    <entry id="10" name="cpd:C00031" type="compound"/>
    <entry id="11" name="cpd:C00668" type="compound"/>
    <entry id="12" name="cpd:C00085" type="compound"/>
    <reaction id="1" name="rn:R01786" type="irreversible">
        <substrate id="10" name="cpd:C00031"/>
        <product id="{product_id}" name="cpd:C00668"/>
    </reaction>
    <reaction id="2" name="rn:R00771" type="reversible">
        <substrate id="11" name="cpd:C00668"/>
        <product id="12" name="cpd:C00085"/>
    </reaction>
    <reaction name="rn:R00756" type="irreversible">
        <substrate name="cpd:C00085"/>
        <product name="cpd:C00354"/>
    </reaction>
</pathway>
"""


def _kgml(tmp_path: Path, name: str, product_id: str) -> Path:
    path = tmp_path / name
    path.write_text(KGML.format(product_id=product_id), encoding="utf-8")
    return path


def test_an_id_naming_no_entry_is_recorded_and_the_edges_are_unchanged(tmp_path):
    q = Quarantine()
    broken = parse_kgml(_kgml(tmp_path, "broken.xml", "99"), q)
    sound = parse_kgml(_kgml(tmp_path, "sound.xml", "11"), q)
    assert broken.edges == sound.edges  # the name still gives the edge, as before
    assert ("ko00010", "rn:R01786", "cpd:C00031", "cpd:C00668", False) in broken.edges
    assert broken.unresolved_ids == [(7, "rn:R01786", "product", "99", "cpd:C00668")]
    # Resolved ids and elements without an id (the 0.6.x way) are not counted.
    assert sound.unresolved_ids == [] and len(q) == 0


def test_the_kgml_report_counts_them_per_file_and_in_total(tmp_path, caplog):
    raw = tmp_path / "kgml"
    raw.mkdir()
    _kgml(raw, "a.xml", "99")
    _kgml(raw, "b.xml", "11")
    (raw / "c.xml").write_text(KGML.format(product_id="98").replace('substrate id="10"', 'substrate id=""'),
                               encoding="utf-8")
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="astrobuild.kegg.pipeline"):
        report = kegg_to_edges([str(raw)], ["*.xml"], str(out / "edges.parquet"), str(out / "q.tsv"),
                               str(out / "report.json"), source=SourceRoot("kegg", raw))
    unresolved = report["unresolved_reaction_ids"]
    assert unresolved["total"] == 3 and unresolved["reactions"] == 2 and unresolved["files"] == 2
    assert unresolved["per_file"] == {"kegg:a.xml": 1, "kegg:c.xml": 2}
    assert unresolved["examples"][0] == {"file": "kegg:a.xml", "line": 7, "reaction": "rn:R01786",
                                         "role": "product", "id": "99", "name_used": "cpd:C00668"}
    assert [(e["file"], e["role"], e["id"]) for e in unresolved["examples"][1:]] == [
        ("kegg:c.xml", "substrate", ""), ("kegg:c.xml", "product", "98")]
    assert json.loads((out / "report.json").read_text())["unresolved_reaction_ids"] == unresolved
    warned = [r.getMessage() for r in caplog.records if "name no <entry>" in r.getMessage()]
    assert len(warned) == 2 and warned[0].startswith("kegg:a.xml: 1 substrate/product id(s) in 1 reaction(s)")
    assert (out / "q.tsv").read_text().count("\n") == 1  # not quarantined: the edges are kept


def test_examples_are_bounded_and_the_counts_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_EXAMPLES", 2)
    for i in range(3):
        _kgml(tmp_path, f"m{i}.xml", "99")
    _, report = edges_frame(collect_files([tmp_path], ["*.xml"]), Quarantine(), show_progress=False)
    unresolved = report["unresolved_reaction_ids"]
    assert unresolved["total"] == 3 and len(unresolved["per_file"]) == 3 and len(unresolved["examples"]) == 2


def test_sound_files_report_none(tmp_path, kegg_sample):
    """The generated sample (every edge case) and the real KGML files resolve every id."""
    files = collect_files([kegg_sample], ["*.xml"])
    real = sorted((REALDATA / "kegg").glob("*.xml")) if (REALDATA / "kegg").is_dir() else []
    _, report = edges_frame(files + real, Quarantine(), show_progress=False)
    assert report["unresolved_reaction_ids"] == {"total": 0, "reactions": 0, "files": 0, "per_file": {},
                                                 "examples": []}
    if not real:
        pytest.skip("real KEGG files absent: only the generated sample was checked")
