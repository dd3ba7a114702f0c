from __future__ import annotations

import gzip

import pyarrow.compute as pc
import pytest

from astrobuild.genomes.filenames import (
    data_type_from_path,
    platform_from_path,
    population_from_path,
    sample_from_path,
)
from astrobuild.genomes.listings import ListingStats, build_master_table, parse_listing
from astrobuild.quarantine import Quarantine

LS_LR = """.:
total 8
drwxr-xr-x    2 ftp      ftp          4096 Aug 10  2015 data

./data/ACB/HG01879/alignment:
total 3
-rw-r--r--    1 ftp      ftp      17240911584 Mar 12  2020 HG01879.alt_bwamem_GRCh38DH.20150718.ACB.low_coverage.cram
-rw-r--r--    1 ftp      ftp        1234567 Mar 12 10:22 HG01879.alt_bwamem_GRCh38DH.20150718.ACB.low_coverage.cram.crai
lrwxrwxrwx    1 ftp      ftp            24 Mar 12  2020 latest.cram -> HG01879.alt_bwamem_GRCh38DH.20150718.ACB.low_coverage.cram
-rw-r--r--    1 ftp         5 2020-03-12 10:22 file with spaces.txt
-rw-r--r--    1 ftp      ftp             7 Mar 12  2020 ../../escape.txt
this is not a listing line
"""


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_ls_lr_rows_sizes_links_and_quarantine(tmp_path):
    path = _write(tmp_path, "ls-lR", LS_LR)
    q, stats = Quarantine(), ListingStats()
    rows = parse_listing(path, q, stats).to_pydict()
    paths = rows["ftp_path"]
    assert "data/ACB/HG01879/alignment/HG01879.alt_bwamem_GRCh38DH.20150718.ACB.low_coverage.cram" in paths
    cram = paths.index("data/ACB/HG01879/alignment/HG01879.alt_bwamem_GRCh38DH.20150718.ACB.low_coverage.cram")
    assert rows["file_size"][cram] == 17240911584
    assert rows["sample_id"][cram] == "HG01879"
    assert rows["population"][cram] == "ACB"
    assert rows["data_type"][cram] == "alignment"
    link = paths.index("data/ACB/HG01879/alignment/latest.cram")
    assert rows["file_size"][link] is None  # a link's size is not a file size
    assert "data/ACB/HG01879/alignment/file with spaces.txt" in paths  # no group column, ISO date
    assert stats.directories == 1 and stats.symlinks == 1 and stats.files == 4
    reasons = {(r.line, r.reason) for r in q.records}
    assert (11, "'..' segment in path") in reasons
    assert (12, "unrecognised listing line") in reasons


def test_md5_manifest_and_truncated_last_line(tmp_path):
    text = (
        "94382d10f6294872aed143a80f1405c0  1000_genomes_project/1000genomes.exome.GRCh38DH.alignment.index\n"
        "2B5A5974BE5A0B02F9D45F6392C10394 *1000_genomes_project/data/ACB/HG01879/alignment/HG01879.bam.bas\n"
        "5f8159fcc117ea2cae98ce6e1c1a62"
    )
    path = _write(tmp_path, "x.md5", text)
    q, stats = Quarantine(), ListingStats()
    rows = parse_listing(path, q, stats).to_pydict()
    assert rows["md5"] == ["94382d10f6294872aed143a80f1405c0", "2b5a5974be5a0b02f9d45f6392c10394"]
    assert rows["file_size"] == [None, None]
    assert rows["data_type"] == ["index", "alignment_stats"]
    assert [(r.line, r.reason) for r in q.records] == [(3, "truncated last line")]


def test_binary_junk_is_quarantined_not_fatal(tmp_path):
    data = b"d41d8cd98f00b204e9800998ecf8427e  a/HG00096.cram\n\xff\xfe\x00junk\n"
    path = _write(tmp_path, "junk.md5", data)
    q = Quarantine()
    rows = parse_listing(path, q, ListingStats()).to_pydict()
    assert rows["sample_id"] == ["HG00096"]
    assert [(r.line, r.reason) for r in q.records] == [(2, "not UTF-8 text")]


def test_gzip_listing(tmp_path):
    path = _write(tmp_path, "ls-lR.gz", gzip.compress(LS_LR.encode(), mtime=0))
    rows = parse_listing(path, Quarantine(), ListingStats()).to_pydict()
    assert len(rows["ftp_path"]) == 4


def test_unparseable_file_names_the_file(tmp_path):
    path = _write(tmp_path, "notes.listing", "hello\nworld\n")
    with pytest.raises(ValueError, match="notes.listing"):
        parse_listing(path, Quarantine(), ListingStats())


def test_master_table_is_sorted_and_reports(tmp_path):
    a = _write(tmp_path, "ls-lR", LS_LR)
    b = _write(tmp_path, "b.md5", "94382d10f6294872aed143a80f1405c0  data/HG00096/x.cram\n")
    q = Quarantine()
    table, report = build_master_table([a, b], q)
    paths = table["ftp_path"].to_pylist()
    assert paths == sorted(paths)
    assert report["rows"] == 5 and report["formats"] == {"ls-lR": 1, "md5": 1}
    assert report["quarantined"] == len(q) == 2


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("x/HG00096.mapped.ILLUMINA.bwa.GBR.low_coverage.20120522.bam", "alignment"),
        ("x/HG00096.bam.bai", "alignment_index"),
        ("x/NA12878.final.cram.crai", "alignment_index"),
        ("x/ERR194146_1.fastq.gz", "sequence"),
        ("x/ALL.chr20.vcf.gz", "variants"),
        ("x/ALL.chr20.vcf.gz.tbi", "variants_index"),
        ("x/20130502.phase3.sequence.index", "index"),
        ("x/README", "other"),
    ],
)
def test_data_type_from_path(path, expected):
    assert data_type_from_path(path) == expected


def test_path_fields():
    path = "phase3/data/HG00096/alignment/HG00096.mapped.ILLUMINA.bwa.GBR.low_coverage.20120522.bam"
    assert sample_from_path(path) == "HG00096"
    assert population_from_path(path) == "GBR"
    assert platform_from_path(path) == "ILLUMINA"
    assert sample_from_path("data/README") is None


def test_real_md5_manifest(realdata):
    path = realdata / "1000g" / "UPPMAX_1000_genomes_project.md5"
    q = Quarantine()
    table, report = build_master_table([path], q)
    assert table.num_rows + len(q) == 17128  # every line is a row or a quarantine record
    assert table["file_size"].null_count == table.num_rows
    acb = table.filter(pc.equal(table["ftp_path"], "1000_genomes_project/data/ACB/HG01879/alignment/"
                       "HG01879.alt_bwamem_GRCh38DH.20150718.ACB.low_coverage.cram"))
    assert acb.num_rows == 1
    assert acb["sample_id"][0].as_py() == "HG01879" and acb["population"][0].as_py() == "ACB"
    assert report["samples"] > 2000


# Listing variants the vectorised parser must read as a per-line parser would: no group column,
# numeric owners, ISO dates with seconds and zone, a vertical tab inside an owner (RE2's \s has
# none), names with '/', a leading space or ' -> ' links, headers with and without './', trailing
# slashes or an absolute root, CRLF line ends, non-ASCII names and a cut-short last line.
VARIANTS = (
    "\ufeff/vol1/ftp/:\r\n"
    "total 12K\r\n"
    "-rw-r--r--. 1 ftp ftp 10 2020-03-12 10:22:33.123456789 +0000 iso full.txt\r\n"
    "-rw-r--r--+ 1 ftp 11 Jan  1  2019 HG00096.NA12878.GBR.x.vcf.gz.tbi\r\n"
    "-rw-r--r-- 1 1000 1000 12 Jan 1 2019  leading space\r\n"
    "lrwxrwxrwx 1 ftp ftp 5 Jan 1 2019 a -> b -> c\r\n"
    "prw-r--r-- 1 root disk 0 Jan 1 2019 fifo\r\n"
    "\r\n"
    "./data/YRI/NA19238/ACB_x:\n"
    "-rw-r--r-- 1 own\x0bner grp 13 Jan 1 2019 ERR001.fastq.bz2\n"
    "-rw-r--r-- 1 o 14 2020-01-01 sub/NA12878.bam\n"
    "-rw-r--r-- 1 o g 15 Jan 1 2019 \u00c4HG00101\u00fc.CRAM\n"
    "drwxr-xr-x 2 o g 4096 Jan 1 2019 ..\n"
    "./:\n"
    "-rw-r--r-- 1 o g 16 Jan 1 2019 README.panel.zst\n"
    "-rw-r--r-- 1 o g 17 Jan 1 2019 cut-short"
)
EXPECTED = {  # path: (size, sample, population, data type)
    "vol1/ftp/iso full.txt": (10, None, None, "other"),
    "vol1/ftp/HG00096.NA12878.GBR.x.vcf.gz.tbi": (11, "HG00096", "GBR", "variants_index"),
    "vol1/ftp/ leading space": (12, None, None, "other"),
    "vol1/ftp/a": (None, None, None, "other"),
    "data/YRI/NA19238/ACB_x/ERR001.fastq.bz2": (13, "NA19238", "ACB", "sequence"),
    "data/YRI/NA19238/ACB_x/sub/NA12878.bam": (14, "NA12878", "ACB", "alignment"),
    "data/YRI/NA19238/ACB_x/\u00c4HG00101\u00fc.CRAM": (15, "HG00101", "ACB", "alignment"),
    "README.panel.zst": (16, None, None, "panel"),
    "cut-short": (17, None, None, "other"),
}


def test_listing_variants_rows_and_sizes(tmp_path):
    path = _write(tmp_path, "ls-lR", VARIANTS)
    q, stats = Quarantine(), ListingStats()
    rows = parse_listing(path, q, stats).to_pydict()
    got = {p: (s, sample, pop, kind) for p, s, sample, pop, kind in zip(
        rows["ftp_path"], rows["file_size"], rows["sample_id"], rows["population"], rows["data_type"], strict=True)}
    assert got == EXPECTED
    assert [(r.line, r.reason) for r in q.records] == [(7, "special file of type 'p'")]
    assert (stats.directories, stats.symlinks, stats.structural_lines) == (1, 1, 5)


def test_section_search_agrees_with_the_per_path_functions(tmp_path):
    """Sample and population come from each name, else from its section's directory searched once:
    the same answer as searching every joined path."""
    from astrobuild.genomes.filenames import data_types_from_paths, populations_from_paths, samples_from_paths

    listing = "\n".join([
        *VARIANTS.replace("\r", "").split("\n")[:-1],
        "./GBR/HG00100/x/HG00099:",
        "-rw-r--r-- 1 o g 1 Jan 1 2019 plain.bam",
        "-rw-r--r-- 1 o g 1 Jan 1 2019 HG0010.bam",
        "-rw-r--r-- 1 o g 1 Jan 1 2019 NA123456.bam",
        "./FIN_CHB.HG00200.NA000012:",
        "-rw-r--r-- 1 o g 1 Jan 1 2019 y",
    ]) + "\n"
    table = parse_listing(_write(tmp_path, "ls-lR", listing), Quarantine(), ListingStats())
    paths = table["ftp_path"]
    assert table.num_rows == len(EXPECTED) - 1 + 4  # all but the cut-short line, and the four new files
    for column, per_path in (("sample_id", samples_from_paths), ("population", populations_from_paths),
                             ("data_type", data_types_from_paths)):
        assert table[column].to_pylist() == per_path(paths).to_pylist(), column
    by_path = {row["ftp_path"]: (row["sample_id"], row["population"]) for row in table.to_pylist()}
    assert by_path["GBR/HG00100/x/HG00099/plain.bam"] == ("HG00099", "GBR")  # the last ones in the directories
    assert by_path["FIN_CHB.HG00200.NA000012/y"] == ("HG00200", "CHB")  # NA000012 is no sample id


def test_listing_with_no_entries_in_a_section_and_no_newline(tmp_path):
    path = _write(tmp_path, "ls-lR", "./a:\ntotal 0\n\n./b:\nthis is not an entry:")
    q, stats = Quarantine(), ListingStats()
    assert parse_listing(path, q, stats).num_rows == 0
    assert [(r.line, r.reason) for r in q.records] == [(5, "truncated last line")]
