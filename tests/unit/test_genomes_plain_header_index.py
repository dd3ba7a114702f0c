"""IGSR indices whose header has no '#' and names with spaces (the phase 3 alignment indices), and
indices with a header but no rows (issue 21, items 4 and 7a)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.genomes.index_files import HEADERLESS_ALIGNMENT, detect_layout, header_name
from astrobuild.genomes.indices import build_sample_table
from astrobuild.genomes.pipeline import indices_to_sample_table
from astrobuild.genomes.populations import POPULATION_SCHEMA
from astrobuild.paths import SourceRoot
from astrobuild.quarantine import Quarantine
from astrobuild.sample.genomes import LEGACY_COLUMNS

PLAIN_HEADER = "BAM FILE\tBAM MD5\tBAI FILE\tBAI MD5\tBAS FILE\tBAS MD5"
# (sample, population, md5 of the BAM): one md5 in upper case, as some mirrors write them.
SAMPLES = [("HG00096", "GBR", "9cb7375e5feadc15c945cb2e47c12fe3"),
           ("NA12878", "CEU", "0A1B2C3D4E5F60718293A4B5C6D7E8F9"),
           ("HG01879", "ACB", "f00dfeedf00dfeedf00dfeedf00dfeed")]


def _bam(sample: str, pop: str) -> str:
    return f"data/{sample}/alignment/{sample}.mapped.ILLUMINA.bwa.{pop}.low_coverage.20120522.bam"


def _row(sample: str, pop: str, md5: str) -> str:
    bam = _bam(sample, pop)
    return "\t".join([bam, md5, f"{bam}.bai", "1" * 32, f"{bam}.bas", "2" * 32])


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pops(rows=()):
    import pyarrow as pa

    return pa.table({"sample_id": [r[0] for r in rows], "population": [r[1] for r in rows],
                     "super_population": [r[2] for r in rows], "sex": [None] * len(rows),
                     "source_file": ["p"] * len(rows)}, schema=POPULATION_SCHEMA)


def test_header_names_with_spaces_read_as_the_aliases_spell_them():
    assert header_name("BAM FILE") == "BAM_FILE" and header_name(" BAI  MD5 ") == "BAI_MD5"
    assert header_name("FASTQ_FILE") == "FASTQ_FILE"


@pytest.mark.parametrize("header", [
    [PLAIN_HEADER],                                   # the top-level phase 3 alignment.index
    [PLAIN_HEADER + "\t"],                            # a trailing tab on the header
    ["##FileDate=20130502", "#" + PLAIN_HEADER],      # the same names behind '##' lines and '#'
], ids=["plain", "trailing_tab", "hash"])
def test_plain_header_with_spaces_gives_rows_with_sample_from_the_file_name(tmp_path, header):
    path = _write(tmp_path / "alignment.index", header + [_row(*s) for s in SAMPLES])
    layout = detect_layout(path)
    assert layout.columns == list(HEADERLESS_ALIGNMENT) and layout.skip_lines == len(header)
    q = Quarantine()
    table, report = build_sample_table([path], _pops([("HG00096", "GBR", "EUR")]), q)
    assert len(q) == 0 and table.num_rows == len(SAMPLES)
    assert table["sample_id"].to_pylist() == [s for s, _, _ in SAMPLES]
    assert table["file_path"].to_pylist() == [_bam(s, p) for s, p, _ in SAMPLES]
    assert table["md5"].to_pylist() == [m.lower() for _, _, m in SAMPLES]
    assert table["index_file_path"].to_pylist() == [_bam(s, p) + ".bai" for s, p, _ in SAMPLES]
    assert set(table["data_type"].to_pylist()) == {"alignment"} and set(table["platform"].to_pylist()) == {"ILLUMINA"}
    assert table["population"].to_pylist()[0] == "GBR" and table["super_population"].to_pylist()[0] == "EUR"
    entry = report["indices"]["alignment.index"]
    assert entry["rows"] == entry["rows_kept"] == len(SAMPLES) and entry["quarantined"] == 0
    assert entry["layout"] == ["BAM_FILE", "BAM_MD5", "BAI_FILE", "..."]
    pq.write_table(table, tmp_path / "samples.parquet")
    assert validate_table("1000g_samples", tmp_path / "samples.parquet")["valid"]


def test_plain_header_rows_are_still_checked_one_by_one(tmp_path):
    """The header is accepted; a bad row of it is quarantined with its line, the others kept."""
    bad = _row("HG00097", "GBR", "not-an-md5")
    path = _write(tmp_path / "alignment.index", [PLAIN_HEADER, _row(*SAMPLES[0]), bad, _row(*SAMPLES[1])])
    q = Quarantine()
    table, _ = build_sample_table([path], _pops(), q)
    assert table["sample_id"].to_pylist() == ["HG00096", "NA12878"]
    assert [(r.line, r.reason) for r in q.records] == [(3, "md5 is not 32 hex digits")]


def test_an_unrecognisable_header_is_still_quarantined_whole_with_its_reason(tmp_path):
    good = _write(tmp_path / "alignment.index", [PLAIN_HEADER, _row(*SAMPLES[0])])
    mixed_case = _write(tmp_path / "notes.index", ["Bam file\tchecksum", _row(*SAMPLES[1])])
    unknown = _write(tmp_path / "other.index", ["SOME FILE\tSOME SUM", "x\ty"])
    q = Quarantine(source=SourceRoot("genomes_1000g", tmp_path))
    table, report = build_sample_table([good, mixed_case, unknown], _pops(), q)
    assert table["sample_id"].to_pylist() == ["HG00096"]
    got = {r.file: (r.line, r.reason) for r in q.records}
    assert set(got) == {"genomes_1000g:notes.index", "genomes_1000g:other.index"}
    line, reason = got["genomes_1000g:notes.index"]
    assert line == 1 and reason.startswith("unreadable index: no header line (expected upper-case column names")
    line, reason = got["genomes_1000g:other.index"]
    # Named as the file spells them, not as they were read.
    assert line == 1 and reason.startswith("unreadable index: neither a file column") and \
        "['SOME FILE', 'SOME SUM']" in reason
    assert report["indices"]["other.index"]["unreadable"] == reason


def test_plain_header_built_from_real_paths_keeps_every_row(realdata, tmp_path):
    """The alignment files of a real mirror of the 1000G tree (its md5 manifest) written as a
    plain-header alignment index: every row kept, each sample the one its directory names."""
    manifest = realdata / "1000g" / "UPPMAX_1000_genomes_project.md5"
    md5_of = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        md5, _, name = line.partition("  ")
        md5_of[name] = md5
    crams = sorted(n for n in md5_of if n.endswith(".cram") and n + ".crai" in md5_of)
    assert len(crams) > 1000
    lines = [PLAIN_HEADER] + [f"{n}\t{md5_of[n]}\t{n}.crai\t{md5_of[n + '.crai']}\t\t" for n in crams]
    path = _write(tmp_path / "alignment.index", lines)
    q = Quarantine()
    table, _ = build_sample_table([path], _pops(), q)
    assert len(q) == 0 and table.num_rows == len(crams)
    assert table["file_path"].to_pylist() == crams
    assert table["md5"].to_pylist() == [md5_of[n] for n in crams]
    # 1000_genomes_project/data/<POP>/<SAMPLE>/...
    assert table["sample_id"].to_pylist() == [n.split("/")[3] for n in crams]


# ---- a header but no rows (item 7a) ------------------------------------------------------------

def _legacy_row(sample: str) -> str:
    values = dict.fromkeys(LEGACY_COLUMNS, "")
    values.update(FASTQ_FILE=f"data/{sample}/sequence_read/ERR1_1.filt.fastq.gz", MD5="9" * 32,
                  SAMPLE_NAME=sample, POPULATION="CEU", INSTRUMENT_PLATFORM="ILLUMINA")
    return "\t".join(values[c] for c in LEGACY_COLUMNS)


def test_a_header_only_index_is_quarantined_naming_the_file_and_the_others_go_on(tmp_path):
    (tmp_path / "sub").mkdir()
    header_only = _write(tmp_path / "sub" / "x.sequence.index", ["##FileDate=1", "#" + "\t".join(LEGACY_COLUMNS)])
    plain = _write(tmp_path / "alignment.index", [PLAIN_HEADER, ""])  # a blank line is no row either
    good = _write(tmp_path / "good.sequence.index", ["#" + "\t".join(LEGACY_COLUMNS), _legacy_row("NA12878")])
    q = Quarantine(source=SourceRoot("genomes_1000g", tmp_path))
    table, report = build_sample_table([header_only, plain, good], _pops(), q)
    assert table["sample_id"].to_pylist() == ["NA12878"]
    reason = "empty index: a header line but no data rows"
    assert sorted((r.file, r.line, r.reason) for r in q.records) == [
        ("genomes_1000g:alignment.index", 1, reason), ("genomes_1000g:sub/x.sequence.index", 2, reason)]
    assert report["indices"]["x.sequence.index"] == {"unreadable": reason, "line": 2}


def test_header_only_indices_alone_stop_the_rule_naming_each_file(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "x.sequence.index", ["##FileDate=1", "#" + "\t".join(LEGACY_COLUMNS)])
    _write(raw / "alignment.index", [PLAIN_HEADER])
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"no index could be read: genomes_1000g:alignment.index: empty index: a "
                                         r"header line but no data rows; genomes_1000g:x.sequence.index: empty "
                                         r"index: a header line but no data rows"):
        indices_to_sample_table([str(raw)], ["*.index"], ["*.panel"], out / "samples.parquet",
                                out / "samples.quarantine.tsv", out / "report.json",
                                source=SourceRoot("genomes_1000g", raw))
    assert not (out / "samples.parquet").exists()  # no empty table left for the quality bar to refuse
