"""GenBank reading (Biopython SeqIO): counts, KO/EC qualifiers, and bad input named or quarantined."""

from __future__ import annotations

import gzip
import shutil

import pytest
from Bio import SeqIO
from Bio.Seq import Seq
from Bio.SeqFeature import SeqFeature, SimpleLocation
from Bio.SeqRecord import SeqRecord

from astrobuild.organisms import genbank
from astrobuild.organisms.genbank import GenomeFileError, read_records
from astrobuild.organisms.pipeline import read_genbank_files
from astrobuild.paths import SourceRoot
from astrobuild.quarantine import Quarantine


def _record(accession: str, features: list[SeqFeature], seq: str = "ATGAAACCCGGGTTTTAA" * 10,
            assembly: str | None = None) -> SeqRecord:
    record = SeqRecord(Seq(seq), id=f"{accession}.2", name=accession, description="test record",
                       dbxrefs=[f"Assembly:{assembly}"] if assembly else [], features=features)
    record.annotations = {"molecule_type": "DNA", "topology": "linear", "accessions": [accession],
                          "sequence_version": 2, "organism": "Testus example", "taxonomy": ["Bacteria", "Testota"]}
    return record


def _cds(start: int, **qualifiers) -> SeqFeature:
    return SeqFeature(SimpleLocation(start, start + 18, 1), type="CDS",
                      qualifiers={k: v if isinstance(v, list) else [v] for k, v in qualifiers.items()})


def _text(*records: SeqRecord) -> str:
    path_text = []
    for record in records:
        from io import StringIO

        out = StringIO()
        SeqIO.write(record, out, "genbank")
        path_text.append(out.getvalue())
    return "".join(path_text)


def _read(path, q=None):
    q = Quarantine() if q is None else q
    return list(read_records(path, path.name, q)), q


def test_real_chloroplast_genome_counts(realdata):
    (record,), q = _read(realdata / "genomes" / "NC_000932.gb")
    assert len(q) == 0
    assert (record.accession, record.version, record.genome) == ("NC_000932", 1, "NC_000932.1")
    assert (record.n_cds, record.n_genes, record.n_trna, record.n_rrna) == (85, 129, 37, 7)
    assert record.length == 154478 and record.topology == "circular" and record.molecule_type == "DNA"
    assert record.organism == "Arabidopsis thaliana" and record.taxon_id == 3702
    assert record.taxonomy.startswith("Eukaryota; Viridiplantae") and record.taxonomy.endswith("Arabidopsis")
    assert record.gc_content == pytest.approx(0.3629, abs=1e-4)  # the plastome's published 36.3 %
    assert not record.kos and not record.ecs  # real genomes get KO/EC ids from an annotation step
    assert "NP_051039.1" in record.proteins and "NP_051039" in record.proteins and "ArthCp001" in record.proteins


def test_real_record_without_end_line_stops_the_rule_naming_file_and_record(realdata, tmp_path):
    # DESIGN.md: a file truncated in transit fails the rule that reads it, naming the file.
    source = SourceRoot("organisms", realdata / "genomes")
    q = Quarantine(source=source)
    with pytest.raises(GenomeFileError, match=r"organisms:no_end_marker.gb: record 1 \(AB070938.1\): the file ends "
                                              r"inside the record \(no '//' end line\).*Premature end of file"):
        read_genbank_files(sorted((realdata / "genomes").glob("*.gb")), q, source, show_progress=False)


def test_ko_ec_and_protein_keys_from_qualifiers(tmp_path):
    features = [SeqFeature(SimpleLocation(0, 180, 1), type="source", qualifiers={"db_xref": ["taxon:562"]}),
                _cds(0, locus_tag="T_1", protein_id="WP_1.1", EC_number=["1.1.1.1", "2.7.1.-"],
                     db_xref=["KEGG:K00001", "GeneID:7", "EC:3.1.1.n2"]),
                _cds(30, locus_tag="T_2", db_xref="KO:ko:K00845")]
    path = tmp_path / "one.gbk"
    path.write_text(_text(_record("AB000001", features, assembly="GCF_000000009.1")))
    (record,), q = _read(path)
    assert len(q) == 0 and record.taxon_id == 562 and record.genome == "GCF_000000009.1"
    assert record.kos == {"K00001", "K00845"} and record.ecs == {"1.1.1.1", "2.7.1.-", "3.1.1.n2"}
    assert {"WP_1.1", "WP_1", "T_1", "T_2"} <= record.proteins and record.n_cds == 2


def test_odd_qualifiers_are_quarantined_and_the_record_kept(tmp_path):
    features = [_cds(0, locus_tag="T_1", ko_number="K00001", EC_number="1.1.1", db_xref="KEGG:eco:b0002"),
                _cds(30, ko_number="K00002")]
    path = tmp_path / "odd.gb"
    path.write_text(_text(_record("AB000002", features)))
    (record,), q = _read(path)
    assert record.accession == "AB000002" and not record.kos and not record.ecs
    assert sorted((r.reason, r.text) for r in q.records) == sorted([
        (genbank.UNKNOWN_QUALIFIER, "AB000002.2: /ko_number on 2 CDS feature(s)"),
        (genbank.BAD_EC, "AB000002.2: 1.1.1"),
        (genbank.BAD_KEGG_XREF, "AB000002.2: KEGG:eco:b0002")])


def test_record_without_features_and_file_without_records(tmp_path):
    path = tmp_path / "two.gbff"
    path.write_text(_text(_record("AB000003", []), _record("AB000004", [_cds(0)])))
    records, q = _read(path)
    assert [r.accession for r in records] == ["AB000004"]
    assert [(r.reason, r.text) for r in q.records] == [(genbank.NO_FEATURES, "AB000003.2")]
    html = tmp_path / "error.gbk"
    html.write_text("<html><body>429 Too Many Requests</body></html>\n")
    assert _read(html)[0] == [] and [r.reason for r in _read(html)[1].records] == [genbank.NO_RECORD]


def test_gzip_is_told_by_its_bytes_and_a_cut_stream_stops_the_rule(tmp_path):
    text = _text(_record("AB000005", [_cds(0)]), _record("AB000006", [_cds(0)], seq="ACGT" * 2000))
    whole = gzip.compress(text.encode())
    (tmp_path / "a.gbff.gz").write_bytes(whole)
    shutil.copy(tmp_path / "a.gbff.gz", tmp_path / "named_plain.gbk")  # gzip bytes under a plain name
    assert [r.accession for r in _read(tmp_path / "a.gbff.gz")[0]] == ["AB000005", "AB000006"]
    assert [r.accession for r in _read(tmp_path / "named_plain.gbk")[0]] == ["AB000005", "AB000006"]
    (tmp_path / "cut.gbff.gz").write_bytes(whole[: len(whole) - 200])
    with pytest.raises(GenomeFileError, match=r"cut.gbff.gz: record 2 \(.*AB000006.*\).*truncated in transit"):
        _read(tmp_path / "cut.gbff.gz")


def test_a_record_broken_before_others_stops_naming_file_record_and_what_follows(tmp_path):
    good, bad = _text(_record("AB000007", [_cds(0)])), _text(_record("AB000008", [_cds(0)]))
    broken = bad.replace("     CDS             1..18", "     CDS             join(1..18")  # never closed
    path = tmp_path / "mixed.gbk"
    path.write_text(good + broken + good.replace("AB000007", "AB000009"))
    with pytest.raises(GenomeFileError, match=r"mixed.gbk: record 2 \(LOCUS AB000008\) cannot be parsed: .*"
                                              r"the 1 record\(s\) after it could not be read"):
        _read(path)
    # The same damage in the last record: a download cut short, the rule stops too.
    path.write_text(good + broken)
    with pytest.raises(GenomeFileError, match=r"mixed.gbk: record 2 \(LOCUS AB000008\): the last record cannot be "
                                              r"parsed: truncated in transit"):
        _read(path)


def test_a_record_biopython_warns_about_is_set_aside(tmp_path):
    text = _text(_record("AB000011", [_cds(0)]), _record("AB000012", [_cds(0)]))
    path = tmp_path / "warned.gbk"
    path.write_text(text.replace("     CDS             1..18", "     CDS             1..oops", 1))
    records, q = _read(path)
    assert [r.accession for r in records] == ["AB000012"]
    assert q.records[0].reason == genbank.PARSER_WARNING and "Could not parse feature location" in q.records[0].text


def test_the_same_record_in_two_files_is_kept_once(tmp_path):
    text = _text(_record("AB000010", [_cds(0)]))
    (tmp_path / "a.gb").write_text(text)
    (tmp_path / "b.gbk").write_text(text)
    q = Quarantine()
    records, _ = read_genbank_files([tmp_path / "a.gb", tmp_path / "b.gbk"], q, show_progress=False)
    assert list(records) == [("AB000010", 2)] and records[("AB000010", 2)].file.endswith("a.gb")
    assert q.records[0].reason.startswith("record already read") and q.records[0].file.endswith("b.gbk")
