"""What a 1000 Genomes file path says about its file.

IGSR paths carry the sample (``HG00096``, ``NA12878``), often the population
(``data/ACB/HG01879/...`` or ``...20150718.ACB.low_coverage.cram``) and the
platform (``HG00096.mapped.ILLUMINA.bwa.GBR...``). These helpers read them
back; they are used by the listing parser and for alignment indices, whose
rows name no sample.
"""

from __future__ import annotations

import re
from functools import lru_cache

from astrobuild.genomes.populations import SUPER_POPULATION

SAMPLE_IN_PATH = re.compile(r"(?<![A-Za-z0-9])((?:HG|NA|GM)\d{5})(?![0-9])")
PLATFORMS = ("ILLUMINA", "SOLID", "LS454", "ABI_SOLID", "PACBIO", "ONT", "BGISEQ", "COMPLETE_GENOMICS")
_PLATFORM_RE = re.compile(r"(?<![A-Z_])(" + "|".join(sorted(PLATFORMS, key=len, reverse=True)) + r")(?![A-Z_])")
_POP_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(SUPER_POPULATION)) + r")(?![A-Za-z])")

# Suffix (longest first) -> data type. Compression suffixes are looked through.
_DATA_TYPES: tuple[tuple[str, str], ...] = (
    (".fastq", "sequence"), (".fq", "sequence"),
    (".cram.crai", "alignment_index"), (".bam.bai", "alignment_index"),
    (".crai", "alignment_index"), (".bai", "alignment_index"), (".csi", "alignment_index"),
    (".bam.bas", "alignment_stats"), (".cram.bas", "alignment_stats"), (".bas", "alignment_stats"),
    (".cram", "alignment"), (".bam", "alignment"), (".sam", "alignment"),
    (".vcf.tbi", "variants_index"), (".vcf.csi", "variants_index"), (".tbi", "variants_index"),
    (".vcf.gz.tbi", "variants_index"), (".vcf.gz.csi", "variants_index"),
    (".vcf", "variants"), (".bcf", "variants"),
    (".index", "index"), (".md5", "checksum"),
    (".fa", "reference"), (".fasta", "reference"), (".fai", "reference_index"),
    (".bed", "regions"), (".ped", "pedigree"), (".panel", "panel"),
)
_COMPRESSION = (".gz", ".bgz", ".bz2", ".zst")


def sample_from_path(path: str) -> str | None:
    """The last sample id in a path (the file name wins over directories)."""
    directory, _, name = path.rpartition("/")
    matches = SAMPLE_IN_PATH.findall(name)
    return matches[-1] if matches else _sample_in_directory(directory)


def population_from_path(path: str) -> str | None:
    """A phase 3 population code standing alone in the path, last one wins."""
    directory, _, name = path.rpartition("/")
    matches = _POP_RE.findall(name)
    return matches[-1] if matches else _population_in_directory(directory)


# Listings name thousands of files per directory: read each directory once.
@lru_cache(maxsize=4096)
def _sample_in_directory(directory: str) -> str | None:
    matches = SAMPLE_IN_PATH.findall(directory)
    return matches[-1] if matches else None


@lru_cache(maxsize=4096)
def _population_in_directory(directory: str) -> str | None:
    matches = _POP_RE.findall(directory)
    return matches[-1] if matches else None


def platform_from_path(path: str) -> str | None:
    match = _PLATFORM_RE.search(path.rsplit("/", 1)[-1])
    return match.group(1) if match else None


_BY_SUFFIX = dict(_DATA_TYPES)


def data_type_from_path(path: str) -> str:
    """Kind of file from its suffixes (``x.vcf.gz.tbi`` → variants_index, ``x.fastq.gz`` → sequence)."""
    name = path.rsplit("/", 1)[-1].lower()
    parts = name.split(".")[1:]
    if parts and "." + parts[-1] in _COMPRESSION:
        parts = parts[:-1]
    # Longest known suffix wins: look at the last three, two, then one dotted parts.
    for width in (3, 2, 1):
        if len(parts) >= width:
            kind = _BY_SUFFIX.get("." + ".".join(parts[-width:]))
            if kind is not None:
                return kind
    if len(parts) >= 3 and parts[-1] in ("tbi", "csi") and "vcf" in parts:
        return "variants_index"
    return "other"
