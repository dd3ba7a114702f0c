"""A UTF-8 byte-order mark at the start of a text input is no part of it: every reader gives what it gives
without one. Each case is a real upstream file (or one beside a real file) with the mark added in tmp_path.
(Exoplanet archive and spectra: in their own test files.)"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest

from astrobuild.quarantine import Quarantine

BOM = codecs.BOM_UTF8


def _with_bom(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    target.write_bytes(BOM + source.read_bytes())
    return target


def _records(q: Quarantine) -> list[tuple]:
    return [(Path(r.file).name, r.line, r.reason, r.text) for r in q.records]


def test_kegg_brite_htext_json_link_and_kgml(realdata, tmp_path):
    from astrobuild.kegg.brite import parse_brite
    from astrobuild.kegg.kgml import parse_kgml
    from astrobuild.kegg.lists import parse_link

    for name, parse in (("br08901.keg", parse_brite), ("br08901.json", parse_brite),
                        ("kegg_pull_module-pathway-link.txt", parse_link), ("ko00010.xml", parse_kgml)):
        source = realdata / "kegg" / name
        q_plain, q_bom = Quarantine(), Quarantine()
        plain, marked = parse(source, q_plain), parse(_with_bom(source, tmp_path), q_bom)
        if name.endswith(".xml"):
            plain, marked = (plain.pathway, plain.edges), (marked.pathway, marked.edges)
        assert marked == plain and _records(q_bom) == _records(q_plain), name
        assert plain, name


def test_kegg_pathway_list_first_id(tmp_path):
    from astrobuild.kegg.lists import list_kind, parse_pathway_list

    path = tmp_path / "list_pathway.txt"
    path.write_bytes(BOM + b"path:map00010\tGlycolysis / Gluconeogenesis\npath:map00020\tCitrate cycle (TCA cycle)\n")
    q = Quarantine()
    assert list_kind(path) == "pathway"
    assert [row[0] for row in parse_pathway_list(path, q)] == ["map00010", "map00020"] and len(q) == 0


def test_genomes_md5_manifest(realdata, tmp_path):
    from astrobuild.genomes.listings import build_master_table

    source = realdata / "1000g" / "UPPMAX_1000_genomes_project.md5"
    q_plain, q_bom = Quarantine(), Quarantine()
    plain, _ = build_master_table([source], q_plain)
    marked, _ = build_master_table([_with_bom(source, tmp_path)], q_bom)
    assert marked.equals(plain) and _records(q_bom) == _records(q_plain)


def test_genomes_sequence_index_and_panel(realdata, tmp_path):
    from astrobuild.genomes.indices import build_sample_table
    from astrobuild.genomes.populations import read_population_table

    index = realdata / "1000g" / "illumina_platinum_ped.sequence.index"
    panel = realdata / "1000g" / "integrated_call_samples_v3.20130502.ALL.panel"
    q_plain, q_bom = Quarantine(), Quarantine()
    pops_plain = read_population_table(panel, q_plain)
    pops_bom = read_population_table(_with_bom(panel, tmp_path), q_bom)
    assert pops_bom.equals(pops_plain)
    plain, _ = build_sample_table([index], pops_plain, q_plain)
    marked, _ = build_sample_table([_with_bom(index, tmp_path)], pops_bom, q_bom)
    assert marked.num_rows == plain.num_rows > 0 and _records(q_bom) == _records(q_plain)
    keep = [c for c in plain.column_names if c != "index_file"]  # the index's path differs, by design
    assert marked.select(keep).equals(plain.select(keep))


@pytest.mark.parametrize("tail", [b"", b"not\xffutf8\tline\n"], ids=["fast_reader", "line_by_line_reader"])
def test_headerless_index_with_bom_on_its_first_data_line(tmp_path, tail):
    """The phase 3 BAM index has no header: the mark sits before the first data field."""
    from astrobuild.genomes.indices import detect_layout, read_index
    from astrobuild.sample import generate

    source = next(p for p in generate("genomes_1000g", tmp_path / "sample", scale=1)
                  if p.name == "20130502.phase3.low_coverage.alignment.index")
    plain, marked = tmp_path / "a" / source.name, tmp_path / "b" / source.name
    for path, head in ((plain, b""), (marked, BOM)):
        path.parent.mkdir()
        path.write_bytes(head + source.read_bytes() + tail)
    layout = detect_layout(plain)
    assert detect_layout(marked) == layout and layout.skip_lines == 0
    q_plain, q_bom = Quarantine(), Quarantine()
    tables = [read_index(plain, layout, q_plain), read_index(marked, layout, q_bom)]
    assert tables[1].slow_path == tables[0].slow_path == bool(tail)
    assert tables[1].table.equals(tables[0].table) and tables[0].table.num_rows > 0
    assert tables[1].table.column(0)[0].as_py() == source.read_text().split("\t", 1)[0]
    assert _records(q_bom) == _records(q_plain)


def test_climate_runs_csv(realdata, tmp_path):
    from astrobuild.climate.runs import read_runs_csv

    shutil.copyfile(realdata / "climate" / "tiny.nc", tmp_path / "tiny.nc")
    runs = tmp_path / "runs.csv"
    runs.write_bytes(BOM + b"file,planet,scenario,label\ntiny.nc,Earth,present day,1\n")
    q = Quarantine()
    rows = read_runs_csv(runs, q)
    assert len(q) == 0
    run = rows[(tmp_path / "tiny.nc").resolve()]
    assert {k: v for k, v in run.items() if k != "where"} == {
        "planet": "Earth", "scenario": "present day", "label": True, "biosphere": None, "organisms": None, "extra": {}}


def test_kegg_env_mapping_config(tmp_path):
    """The mapping is a file users edit; an editor may save it with a mark."""
    from astrobuild.kegg.env import load_mapping

    shipped = Path(__file__).resolve().parents[2] / "config" / "kegg_env.yaml"
    assert load_mapping(_with_bom(shipped, tmp_path)) == load_mapping(shipped)
