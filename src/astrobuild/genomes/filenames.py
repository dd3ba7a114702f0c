"""What a 1000 Genomes file path says about its file, for whole columns of paths.

IGSR paths carry the sample (``HG00096``, ``NA12878``), often the population
(``data/ACB/HG01879/...`` or ``...20150718.ACB.low_coverage.cram``) and the
platform (``HG00096.mapped.ILLUMINA.bwa.GBR...``). These functions read them
back from Arrow string arrays with Arrow's (RE2) kernels, so a listing of
millions of files is read at C speed. RE2 has no look-around: patterns anchor
on a neighbouring character class instead, and a greedy ``.*`` prefix makes the
*last* occurrence win (the file name over its directories).
The scalar helpers wrap the same kernels for single paths.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from astrobuild.genomes.populations import SUPER_POPULATION

PLATFORMS = ("ILLUMINA", "SOLID", "LS454", "ABI_SOLID", "PACBIO", "ONT", "BGISEQ", "COMPLETE_GENOMICS")
SAMPLE_PATTERN = r"^(?:.*[^A-Za-z0-9])?(?P<v>(?:HG|NA|GM)\d{5})(?:[^0-9].*)?$"
POPULATION_PATTERN = r"^(?:.*[^A-Za-z])?(?P<v>" + "|".join(sorted(SUPER_POPULATION)) + r")(?:[^A-Za-z].*)?$"
SAMPLE_IN_NAME = r"(?:^|[^A-Za-z0-9])(?P<v>(?:HG|NA|GM)\d{5})(?:[^0-9]|$)"
POPULATION_IN_NAME = r"(?:^|[^A-Za-z])(?P<v>" + "|".join(sorted(SUPER_POPULATION)) + r")(?:[^A-Za-z]|$)"
PLATFORM_PATTERN = r"^(?:.*[._])?(?P<v>" + "|".join(sorted(PLATFORMS, key=len, reverse=True)) + r")(?:[._].*)?$"
# The same searches run over reversed strings: the first occurrence there is the last one in
# the string, found by RE2's fast unanchored search instead of a greedy `.*` prefix.
_LAST_SAMPLE_REVERSED = r"(?:^|[^0-9])(?P<v>\d{5}(?:GH|AN|MG))(?:[^A-Za-z0-9]|$)"
_LAST_POPULATION_REVERSED = (r"(?:^|[^A-Za-z])(?P<v>" + "|".join(sorted(code[::-1] for code in SUPER_POPULATION))
                             + r")(?:[^A-Za-z]|$)")

# Suffix -> data type; longer suffixes are tried first. Compression suffixes are looked through.
DATA_TYPES: dict[str, str] = {
    ".fastq": "sequence", ".fq": "sequence",
    ".cram.crai": "alignment_index", ".bam.bai": "alignment_index",
    ".crai": "alignment_index", ".bai": "alignment_index", ".csi": "alignment_index",
    ".bam.bas": "alignment_stats", ".cram.bas": "alignment_stats", ".bas": "alignment_stats",
    ".cram": "alignment", ".bam": "alignment", ".sam": "alignment",
    ".vcf.gz.tbi": "variants_index", ".vcf.gz.csi": "variants_index", ".vcf.tbi": "variants_index",
    ".vcf.csi": "variants_index", ".tbi": "variants_index",
    ".vcf": "variants", ".bcf": "variants",
    ".index": "index", ".md5": "checksum",
    ".fa": "reference", ".fasta": "reference", ".fai": "reference_index",
    ".bed": "regions", ".ped": "pedigree", ".panel": "panel",
}
_COMPRESSIONS = ("gz", "bgz", "bz2", "zst")
_COMPRESSION = r"\.(?:" + "|".join(_COMPRESSIONS) + ")$"


def value_bytes(strings: pa.Array) -> np.ndarray:
    """All values of a string array back to back, as a numpy view of its bytes: whole-column
    byte tests (is it ASCII? any '/'?) in one numpy pass instead of a kernel per row."""
    _, offsets, data = strings.buffers()
    if data is None:
        return np.zeros(0, np.uint8)
    offsets = np.frombuffer(offsets, np.int64 if pa.types.is_large_string(strings.type) else np.int32)
    return np.frombuffer(data, np.uint8)[offsets[strings.offset]:offsets[strings.offset + len(strings)]]


def _is_ascii(strings: pa.Array) -> bool:
    return not (value_bytes(strings) >= 0x80).any()


def _reverse(strings: pa.Array) -> pa.Array:
    # Reversing bytes is many times faster than reversing code points, and the same for ASCII.
    if _is_ascii(strings):
        return pc.binary_reverse(strings.view(pa.binary())).view(strings.type)
    return pc.utf8_reverse(strings)


def _tails(strings: pa.Array, length: int) -> pa.Array:
    """The last ``length`` characters of each string."""
    if _is_ascii(strings):
        return pc.binary_slice(strings.view(pa.binary()), -length).view(strings.type)
    return pc.utf8_slice_codeunits(strings, start=-length)


def _extract(values: pa.Array | pa.ChunkedArray, pattern: str) -> pa.Array | pa.ChunkedArray:
    return pc.struct_field(pc.extract_regex(values, pattern), [0])


def basenames(paths: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.replace_substring_regex(paths, pattern=r"^.*/", replacement="")


def _name_then_path(paths, name_pattern: str, path_pattern: str):
    """Look in the file name first (one cheap unanchored pass); only the paths whose
    name says nothing get the slower last-occurrence search over the whole path."""
    found = _extract(basenames(paths), name_pattern)
    missing = pc.is_null(found)
    if not pc.any(missing).as_py():
        return found
    if isinstance(found, pa.ChunkedArray):
        found, missing, paths = found.combine_chunks(), missing.combine_chunks(), pc.filter(paths, missing)
    else:
        paths = pc.filter(paths, missing)
    return pc.replace_with_mask(found, missing, _extract(paths, path_pattern).combine_chunks()
                                if isinstance(paths, pa.ChunkedArray) else _extract(paths, path_pattern))


def samples_from_paths(paths: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The sample id of each path: in the file name, else the last one in its directories; or null."""
    return _name_then_path(paths, SAMPLE_IN_NAME, SAMPLE_PATTERN)


def populations_from_paths(paths: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A phase 3 population code standing alone: in the file name, else the last in the directories."""
    return _name_then_path(paths, POPULATION_IN_NAME, POPULATION_PATTERN)


def platforms_from_names(names: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A sequencing platform named between dots/underscores of a file name, or null."""
    return _extract(names, PLATFORM_PATTERN)


def data_types_from_paths(paths: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Kind of each file from its suffixes (``x.vcf.gz.tbi`` → variants_index, ``x.fastq.gz`` → sequence)."""
    return data_types_from_names(basenames(paths))


# A name's type depends only on its last _TAIL characters: the longest suffix plus a compression suffix.
_TAIL = max(map(len, DATA_TYPES)) + 1 + max(map(len, _COMPRESSIONS))


def data_types_from_names(names: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`data_types_from_paths` for file names (no directories)."""
    if isinstance(names, pa.ChunkedArray):
        return pa.chunked_array([data_types_from_names(chunk) for chunk in names.chunks], pa.string())
    # Names of one listing share few distinct tails: classify each tail once, not each name.
    tails = pc.dictionary_encode(pc.ascii_lower(_tails(names, _TAIL)))
    return pc.fill_null(pc.take(_data_types_of_tails(tails.dictionary), tails.indices), "other")


def _data_types_of_tails(names: pa.Array) -> pa.Array:
    # `x.vcf.gz.tbi` must keep its `.gz` (the suffix table knows it); `x.fastq.gz` loses it.
    stripped = pc.replace_substring_regex(names, pattern=_COMPRESSION, replacement="")
    result = pa.nulls(len(names), pa.string())
    for suffix in sorted(DATA_TYPES, key=len):  # later (longer) suffixes overwrite shorter ones
        hit = pc.or_(pc.ends_with(stripped, suffix), pc.ends_with(names, suffix))
        result = pc.if_else(hit, pa.scalar(DATA_TYPES[suffix]), result)
    return result


def samples_and_populations(names: pa.Array, section: np.ndarray, directories: pa.Array) -> tuple[pa.Array, pa.Array]:
    """:func:`samples_from_paths` and :func:`populations_from_paths` of the paths
    ``directories[section[i]] + "/" + names[i]`` (names without ``/``; ``""`` for no directory).

    With nothing in the file name, the last occurrence in the joined path lies in
    its directory (``/`` is a boundary for both patterns), so each directory of a
    listing is searched once instead of once per file in it.
    """
    section_index = np.asarray(section)

    def name_then_directory(name_pattern: str, last_reversed: str) -> pa.Array:
        found = _extract(names, name_pattern)
        if not found.null_count:
            return found
        # Only directories of names without one are searched, each once.
        wanted = np.zeros(len(directories), bool)
        wanted[section_index[pc.is_null(found).to_numpy(zero_copy_only=False)]] = True
        wanted = np.flatnonzero(wanted)
        position = np.full(len(directories), -1)
        position[wanted] = np.arange(len(wanted))
        row = position[section_index]
        last = _reverse(_extract(_reverse(directories.take(pa.array(wanted))), last_reversed))
        return pc.coalesce(found, last.take(pa.array(row, mask=row < 0)))

    return (name_then_directory(SAMPLE_IN_NAME, _LAST_SAMPLE_REVERSED),
            name_then_directory(POPULATION_IN_NAME, _LAST_POPULATION_REVERSED))


def _one(fn, value: str) -> str | None:
    return fn(pa.array([value], pa.string()))[0].as_py()


def sample_from_path(path: str) -> str | None:
    return _one(samples_from_paths, path)


def population_from_path(path: str) -> str | None:
    return _one(populations_from_paths, path)


def platform_from_path(path: str) -> str | None:
    return _one(platforms_from_names, path.rsplit("/", 1)[-1])


def data_type_from_path(path: str) -> str:
    return _one(data_types_from_paths, path)
