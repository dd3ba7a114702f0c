from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.genomes.index_files import detect_layout, read_index
from astrobuild.genomes.indices import build_sample_table
from astrobuild.genomes.populations import POPULATION_SCHEMA, read_population_table, read_population_tables
from astrobuild.paths import SourceRoot
from astrobuild.quarantine import Quarantine
from astrobuild.sample.genomes import CURRENT_COLUMNS, LEGACY_COLUMNS, write_sequence_index

MD5 = "9cb7375e5feadc15c945cb2e47c12fe3"


def _index(tmp_path, name, lines, end="\n"):
    path = tmp_path / name
    data = "\n".join(lines) + end
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _legacy_row(sample="NA12877", path="ftp://h/vol1/fastq/ERR1/ERR1.fastq.gz", md5=MD5, pop="CEU"):
    values = dict.fromkeys(LEGACY_COLUMNS, "")
    values.update(FASTQ_FILE=path, MD5=md5, SAMPLE_NAME=sample, POPULATION=pop, INSTRUMENT_PLATFORM="ILLUMINA",
                  STUDY_NAME='a "platinum" standard', READ_COUNT="100", BASE_COUNT="15000", WITHDRAWN="0")
    return "\t".join(values[c] for c in LEGACY_COLUMNS)


def _pops(rows=()):
    return pa.table({"sample_id": [r[0] for r in rows], "population": [r[1] for r in rows],
                     "super_population": [r[2] for r in rows], "sex": [None] * len(rows),
                     "source_file": ["p"] * len(rows)}, schema=POPULATION_SCHEMA)


def test_layouts(tmp_path):
    legacy = _index(tmp_path, "a.index", ["##FileDate=1", "##MD5=md5", "#" + "\t".join(LEGACY_COLUMNS), _legacy_row()])
    assert detect_layout(legacy).columns == list(LEGACY_COLUMNS) and detect_layout(legacy).skip_lines == 3
    bare = _index(tmp_path, "b.index", ["\t".join(CURRENT_COLUMNS)])
    assert detect_layout(bare).skip_lines == 1
    headerless = _index(tmp_path, "c.index", [f"data/HG00096/x/HG00096.mapped.ILLUMINA.bwa.GBR.bam\t{MD5}\ta.bai\t{MD5}\ta.bas\t{MD5}"])
    layout = detect_layout(headerless)
    assert layout.columns[0] == "BAM_FILE" and layout.skip_lines == 0
    with pytest.raises(ValueError, match=r"d.index: line 1: no header"):
        detect_layout(_index(tmp_path, "d.index", ["just some words"]))


def test_trailing_tabs_salvaged_and_bad_rows_quarantined_with_line_numbers(tmp_path):
    header = "#" + "\t".join(LEGACY_COLUMNS)
    short = "\t".join(_legacy_row(sample="NA00003").split("\t")[:-2])
    lines = ["##x", header, _legacy_row("NA00001"), _legacy_row("NA00002") + "\t", short, _legacy_row("NA00004"),
             _legacy_row("NA00005", md5="nothex")]
    path = _index(tmp_path, "seq.index", lines)
    q = Quarantine()
    table, report = build_sample_table([path], _pops(), q)
    assert table["sample_id"].to_pylist() == ["NA00001", "NA00004", "NA00002"]  # salvaged row appended
    assert report["indices"]["seq.index"]["salvaged_trailing_tabs"] == 1
    got = sorted((r.line, r.reason) for r in q.records)
    assert got == [(5, f"expected {len(LEGACY_COLUMNS)} fields, found {len(LEGACY_COLUMNS) - 2}"),
                   (7, "md5 is not 32 hex digits")]


def test_every_line_with_a_trailing_tab(tmp_path):
    header = "#" + "\t".join(LEGACY_COLUMNS)
    path = _index(tmp_path, "t.index", [header] + [_legacy_row(f"NA0000{i}") + "\t" for i in range(3)])
    layout = detect_layout(path)
    assert layout.padding == 1
    q = Quarantine()
    result = read_index(path, layout, q)
    assert result.table.num_rows == 3 and len(q) == 0


def test_binary_junk_and_truncated_last_line(tmp_path):
    header = "#" + "\t".join(LEGACY_COLUMNS)
    body = "\n".join([header, _legacy_row("NA00001")]) + "\n"
    data = body.encode() + b"\xff\xfe\x00junk\n" + _legacy_row("NA00002")[:40].encode()
    path = tmp_path / "junk.index"
    path.write_bytes(data)
    q = Quarantine()
    table, report = build_sample_table([path], _pops(), q)
    assert table["sample_id"].to_pylist() == ["NA00001"]
    assert report["indices"]["junk.index"]["read_line_by_line"] is True
    assert sorted((r.line, r.reason) for r in q.records) == [(3, "not UTF-8 text"), (4, "truncated last line")]


def test_unquoted_double_quotes_are_data(tmp_path):
    path = _index(tmp_path, "q.index", ["#" + "\t".join(LEGACY_COLUMNS), _legacy_row()])
    q = Quarantine()
    table, _ = build_sample_table([path], _pops(), q)
    assert table.num_rows == 1 and len(q) == 0


def test_alignment_index_infers_sample_and_platform(tmp_path):
    base = "ftp://h/vol1/ftp/data_collections/x/data/HG00096/HG00096.mapped.ILLUMINA.bwa.GBR.low_coverage"
    path = _index(tmp_path, "aln.index", ["##FileDate=1", "#CRAM\tCRAM_MD5\tCRAI\tCRAI_MD5\tBAS\tBAS_MD5",
                                          f"{base}.cram\t{MD5}\t{base}.cram.crai\t{MD5}\t{base}.bas\t{MD5}"])
    table, _ = build_sample_table([path], _pops(), Quarantine())
    row = table.to_pylist()[0]
    assert row["sample_id"] == "HG00096" and row["platform"] == "ILLUMINA"
    assert row["data_type"] == "alignment" and row["index_file_path"].endswith(".crai")


def test_population_join_and_coverage(tmp_path):
    path = _index(tmp_path, "s.index", ["#" + "\t".join(LEGACY_COLUMNS), _legacy_row("HG00096", pop=""),
                                        _legacy_row("NA99999", pop="YRI"), _legacy_row("NA88888", pop="")])
    pops = _pops([("HG00096", "GBR", "EUR"), ("HG00097", "GBR", "EUR")])
    table, report = build_sample_table([path], pops, Quarantine())
    rows = {r["sample_id"]: r for r in table.to_pylist()}
    assert rows["HG00096"]["population"] == "GBR" and rows["HG00096"]["super_population"] == "EUR"
    assert rows["NA99999"]["population"] == "YRI" and rows["NA99999"]["super_population"] == "AFR"
    assert rows["NA88888"]["population"] is None  # kept, with a null population
    cov = report["coverage"]
    assert cov["samples_only_in_indices"] == 2 and cov["samples_only_in_population_tables"] == 1
    assert cov["rows_without_population"] == 1


def test_population_tables(tmp_path):
    panel = tmp_path / "x.panel"
    panel.write_text("sample\tpop\tsuper_pop\tgender\t\t\nHG00096\tGBR\tEUR\tmale\nHG00097\tGBR\n")
    ped = tmp_path / "x_ped_population.txt"
    ped.write_text("FamilyID SampleID FatherID MotherID Sex Population Superpopulation\n"
                   "F1 HG00096 0 0 1 FIN EUR\nF2 NA19238 0 0 2 YRI AFR\n")
    q = Quarantine()
    table = read_population_tables([panel, ped], q)
    assert table["sample_id"].to_pylist() == ["HG00096", "NA19238"]
    assert table["sex"].to_pylist() == ["male", "female"]
    assert sorted(r.reason for r in q.records) == ["expected 4 fields, found 2", "population conflicts with an earlier table"]
    bad = tmp_path / "bad.ped"
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="bad.ped: line 1: not a population table"):
        read_population_table(bad, Quarantine())


def test_generated_index_round_trip(tmp_path):
    path = write_sequence_index(tmp_path / "big.sequence.index", 600, seed=3)
    table, report = build_sample_table([path], _pops(), Quarantine())
    assert table.num_rows == 600 and report["indices"]["big.sequence.index"]["quarantined"] == 0
    assert table["md5"].null_count == 0 and table["read_count"].null_count == 0


def test_real_sequence_index_and_panel(realdata):
    index = realdata / "1000g" / "illumina_platinum_ped.sequence.index"
    panel = realdata / "1000g" / "integrated_call_samples_v3.20130502.ALL.panel"
    q = Quarantine()
    pops = read_population_table(panel, q)
    assert pops.num_rows == len(panel.read_text().splitlines()) - 1 and len(q) == 0  # header has 2 stray tabs
    table, report = build_sample_table([index], pops, q)
    data_lines = sum(1 for line in index.read_text().splitlines() if line and not line.startswith("#"))
    assert table.num_rows + len(q) == data_lines  # nothing vanishes
    assert set(table["platform"].to_pylist()) == {"ILLUMINA"}
    assert table["md5"].null_count == 0
    # The CEPH 1463 pedigree: the CEU trio is in the phase 3 panel, the other members are not. Those
    # keep a null population and are counted.
    rows = {r["sample_id"]: r for r in table.to_pylist()}
    assert rows["NA12878"]["population"] == "CEU" and rows["NA12878"]["super_population"] == "EUR"
    assert rows["NA12877"]["population"] is None
    only_index = set(rows) - set(pops["sample_id"].to_pylist())
    assert report["coverage"]["samples_only_in_indices"] == len(only_index) == 3


# The older IGSR sequence.index without a file column: the 26 documented columns less
# FASTQ_FILE and MD5, with DIRECTORY before ANALYSIS_GROUP; a bare header, no ## lines.
OLDER_COLUMNS = [c for c in LEGACY_COLUMNS if c not in ("FASTQ_FILE", "MD5", "ANALYSIS_GROUP")] + [
    "DIRECTORY", "ANALYSIS_GROUP"]


def _older_index(tmp_path, name, rows):
    """rows: (sample, directory, run_name); every data line ends with one tab more than the header."""
    lines = ["\t".join(OLDER_COLUMNS)]
    for sample, directory, run_name in rows:
        values = dict.fromkeys(OLDER_COLUMNS, "")
        values.update(RUN_ID="ERR1", SAMPLE_NAME=sample, POPULATION="CEU", INSTRUMENT_PLATFORM="ILLUMINA",
                      RUN_NAME=run_name, DIRECTORY=directory, READ_COUNT="7", ANALYSIS_GROUP="low coverage")
        lines.append("\t".join(values[c] for c in OLDER_COLUMNS) + "\t")
    return _index(tmp_path, name, lines)


def test_older_index_without_a_file_column_builds_paths_from_directory_and_run_name(tmp_path):
    path = _older_index(tmp_path, "older.sequence.index", [
        ("NA12878", "data/NA12878/sequence_read/", "ERR1_1.filt.fastq.gz"),
        ("NA12891", "", "ERR2_1.filt.fastq.gz"),  # no directory: kept, path null, counted
        ("NA12892", "data/NA12892/sequence_read", "ERR3_1.filt.fastq.gz"),
    ])
    layout = detect_layout(path)
    assert layout.derives_file_path and layout.skip_lines == 1 and layout.padding == 1
    q = Quarantine()
    table, report = build_sample_table([path], _pops([("NA12878", "CEU", "EUR")]), q)
    assert len(q) == 0
    assert table["sample_id"].to_pylist() == ["NA12878", "NA12891", "NA12892"]
    assert table["file_path"].to_pylist() == ["data/NA12878/sequence_read/ERR1_1.filt.fastq.gz", None,
                                              "data/NA12892/sequence_read/ERR3_1.filt.fastq.gz"]
    assert table["platform"].to_pylist() == ["ILLUMINA"] * 3 and table["read_count"].to_pylist() == [7] * 3
    reason = "no file column, and DIRECTORY or RUN_NAME empty: file path left null"
    assert report["file_paths_left_null"] == {reason: 1}
    assert report["indices"]["older.sequence.index"]["rows_without_file_path"] == {reason: 1}
    pq.write_table(table, tmp_path / "samples.parquet")
    assert validate_table("1000g_samples", tmp_path / "samples.parquet")["valid"]  # the null path is allowed


def test_older_variant_of_the_real_sequence_index(realdata, tmp_path):
    """The real illumina_platinum_ped index rewritten in the older layout keeps every row and sample."""
    real = realdata / "1000g" / "illumina_platinum_ped.sequence.index"
    lines = [line for line in real.read_text().splitlines() if not line.startswith("##")]
    header = lines[0].lstrip("#").split("\t")
    older = [c for c in header if c not in ("FASTQ_FILE", "MD5", "ANALYSIS_GROUP")] + ["DIRECTORY", "ANALYSIS_GROUP"]
    out = ["\t".join(older)]
    for line in lines[1:]:
        values = dict(zip(header, line.split("\t"), strict=True))
        values["DIRECTORY"] = values["FASTQ_FILE"].rsplit("/", 1)[0]
        out.append("\t".join(values[c] for c in older) + "\t")
    path = _index(tmp_path, "older.sequence.index", out)
    original, _ = build_sample_table([real], _pops(), Quarantine())
    q = Quarantine()
    table, report = build_sample_table([path], _pops(), q)
    assert len(q) == 0 and table.num_rows == original.num_rows == len(lines) - 1
    assert table["sample_id"].to_pylist() == original["sample_id"].to_pylist()
    first = dict(zip(header, lines[1].split("\t"), strict=True))
    assert table["file_path"][0].as_py() == first["FASTQ_FILE"].rsplit("/", 1)[0] + "/" + first["RUN_NAME"]
    assert table["md5"].null_count == table.num_rows and report["file_paths_left_null"] == {}


def test_an_unreadable_index_is_quarantined_and_the_others_go_on(tmp_path):
    good = _index(tmp_path, "good.sequence.index", ["#" + "\t".join(LEGACY_COLUMNS), _legacy_row("NA00001")])
    older = _older_index(tmp_path, "older.sequence.index", [("NA00002", "data/NA00002", "ERR2.fastq.gz")])
    (tmp_path / "sub").mkdir()
    words = _index(tmp_path / "sub", "notes.index", ["just some words"])
    empty = _index(tmp_path, "empty.index", [], end="")
    no_columns = _index(tmp_path, "cols.index", ["RUN_ID\tSTUDY_ID", "ERR1\tERP1"])
    q = Quarantine(source=SourceRoot("genomes_1000g", tmp_path))
    table, report = build_sample_table([empty, good, no_columns, older, words], _pops(), q)
    assert table["sample_id"].to_pylist() == ["NA00001", "NA00002"]
    got = sorted((r.file, r.line, r.reason) for r in q.records)  # named relative to the source's directory
    assert [g[:2] for g in got] == [("genomes_1000g:cols.index", 1), ("genomes_1000g:empty.index", None),
                                    ("genomes_1000g:sub/notes.index", 1)]
    assert got[0][2].startswith("unreadable index: neither a file column") and "['RUN_ID', 'STUDY_ID']" in got[0][2]
    assert got[1][2] == "unreadable index: no header and no data lines: not an IGSR index file"
    assert got[2][2].startswith("unreadable index: no header line")
    assert report["indices"]["notes.index"]["unreadable"].startswith("unreadable index: no header line")
    assert report["indices"]["good.sequence.index"]["rows_kept"] == 1


def test_no_readable_index_stops_the_rule_with_every_reason(tmp_path):
    words = _index(tmp_path, "notes.index", ["just some words"])
    empty = _index(tmp_path, "empty.index", [], end="")
    with pytest.raises(ValueError, match=r"no index could be read: g:empty.index: unreadable index: no header.*; "
                                         r"g:notes.index: unreadable index: no header line"):
        build_sample_table([empty, words], _pops(), Quarantine(source=SourceRoot("g", tmp_path)))
