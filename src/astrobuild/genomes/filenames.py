"""What a 1000 Genomes file path says about its file.

IGSR paths carry the sample (``HG00096``, ``NA12878``), often the population
(``data/ACB/HG01879/...`` or ``...20150718.ACB.low_coverage.cram``) and the
platform (``HG00096.mapped.ILLUMINA.bwa.GBR...``). These helpers read them
back; they are used by the listing parser and for alignment indices, whose
rows name no sample.
"""

from __future__ import annotations

import re

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
    (".vcf", "variants"), (".bcf", "variants"),
    (".index", "index"), (".md5", "checksum"),
    (".fa", "reference"), (".fasta", "reference"), (".fai", "reference_index"),
    (".bed", "regions"), (".ped", "pedigree"), (".panel", "panel"),
)
_COMPRESSION = (".gz", ".bgz", ".bz2", ".zst")


def sample_from_path(path: str) -> str | None:
    """The last sample id in a path (the file name wins over directories)."""
    matches = SAMPLE_IN_PATH.findall(path)
    return matches[-1] if matches else None


def population_from_path(path: str) -> str | None:
    """A phase 3 population code standing alone in the path, last one wins."""
    matches = _POP_RE.findall(path)
    return matches[-1] if matches else None


def platform_from_path(path: str) -> str | None:
    match = _PLATFORM_RE.search(path.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def data_type_from_path(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    for comp in _COMPRESSION:
        if name.endswith(comp):
            stripped = name[: -len(comp)]
            # `x.vcf.gz.tbi` keeps its index type; `x.fastq.gz` loses the `.gz`.
            if any(stripped.endswith(suffix) for suffix, _ in _DATA_TYPES):
                name = stripped
            break
    for suffix, kind in _DATA_TYPES:
        if name.endswith(suffix) or name.endswith(suffix + ".gz.tbi"):
            return kind
    if ".vcf.gz." in name and name.endswith((".tbi", ".csi")):
        return "variants_index"
    return "other"
