"""1000 Genomes population tables: the phase 3 panel and the ped files.

Accepted layouts (all tab- or whitespace-separated, header on the first line):

* ``integrated_call_samples_v3.20130502.ALL.panel``: ``sample pop super_pop gender``
  (upstream's header carries two extra trailing tabs);
* ``20130606_g1k.ped``: ``Family ID, Individual ID, ..., Gender, ..., Population, ...``;
* ``20130606_g1k_3202_samples_ped_population.txt``: ``FamilyID SampleID FatherID
  MotherID Sex Population Superpopulation`` (space-separated).

Columns are found by name, not position, so other releases with the same
names work too.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from pathlib import Path

import pyarrow as pa

from astrobuild.quarantine import Quarantine

log = logging.getLogger(__name__)

# The 26 phase 3 populations and their continental groups (IGSR). Used where a
# table or index gives a population but no super population.
SUPER_POPULATION: dict[str, str] = {
    **dict.fromkeys(["YRI", "LWK", "GWD", "MSL", "ESN", "ASW", "ACB"], "AFR"),
    **dict.fromkeys(["MXL", "PUR", "CLM", "PEL"], "AMR"),
    **dict.fromkeys(["CHB", "JPT", "CHS", "CDX", "KHV"], "EAS"),
    **dict.fromkeys(["CEU", "TSI", "FIN", "GBR", "IBS"], "EUR"),
    **dict.fromkeys(["GIH", "PJL", "BEB", "STU", "ITU"], "SAS"),
}

_ALIASES = {
    "sample_id": ("sample", "sampleid", "individualid", "samplename", "individual"),
    "population": ("pop", "population"),
    "super_population": ("superpop", "superpopulation"),
    "sex": ("gender", "sex"),
}
_SAMPLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

POPULATION_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("population", pa.string()),
        ("super_population", pa.string()),
        ("sex", pa.string()),
        ("source_file", pa.string()),
    ]
)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _split(line: str, tabbed: bool) -> list[str]:
    if tabbed:
        return line.split("\t")
    return line.split()


def read_population_table(path: str | os.PathLike[str], quarantine: Quarantine) -> pa.Table:
    """Parse one population table; bad lines go to ``quarantine``."""
    path = Path(path)
    raw = path.read_bytes().removeprefix(codecs.BOM_UTF8)  # a byte-order mark is no part of the header
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise ValueError(f"{path}: empty population table")
    header_text = lines[0].decode("utf-8", errors="strict").rstrip("\r")
    tabbed = "\t" in header_text
    header = [h.strip() for h in _split(header_text, tabbed)]
    while header and header[-1] == "":
        header.pop()  # upstream's panel ends its header with stray tabs
    normalised = [_norm(h) for h in header]
    index: dict[str, int] = {}
    for field, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in normalised:
                index[field] = normalised.index(alias)
                break
    if "sample_id" not in index or "population" not in index:
        raise ValueError(
            f"{path}: line 1: not a population table: need a sample column "
            f"({'/'.join(_ALIASES['sample_id'])}) and a population column; header is {header!r}"
        )
    n = len(header)
    out: dict[str, list[str | None]] = {name: [] for name in POPULATION_SCHEMA.names}
    ends_without_newline = not raw.endswith(b"\n")
    for lineno, line in enumerate(lines[1:], start=2):
        try:
            text = line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            quarantine.add(path, lineno, "not UTF-8 text", line)
            continue
        if not text.strip():
            continue
        fields = _split(text, tabbed)
        while len(fields) > n and fields[-1].strip() == "":
            fields.pop()
        if len(fields) != n:
            last = lineno == len(lines) and ends_without_newline
            reason = "truncated last line" if last else f"expected {n} fields, found {len(fields)}"
            quarantine.add(path, lineno, reason, text)
            continue
        sample = fields[index["sample_id"]].strip()
        if not _SAMPLE_RE.match(sample):
            quarantine.add(path, lineno, "invalid sample id", text)
            continue
        population = fields[index["population"]].strip() or None
        sup = fields[index["super_population"]].strip() if "super_population" in index else ""
        sex = fields[index["sex"]].strip() if "sex" in index else ""
        out["sample_id"].append(sample)
        out["population"].append(population)
        out["super_population"].append(sup or SUPER_POPULATION.get(population or ""))
        out["sex"].append(_normalise_sex(sex))
        out["source_file"].append(path.name)
    return pa.table(out, schema=POPULATION_SCHEMA)


def _normalise_sex(value: str) -> str | None:
    value = value.strip().lower()
    # ped files code sex as 1 (male) / 2 (female); panels spell it out.
    return {"1": "male", "2": "female", "male": "male", "female": "female", "m": "male", "f": "female"}.get(value)


def read_population_tables(paths: list[Path], quarantine: Quarantine) -> pa.Table:
    """All population tables, one row per sample.

    A sample listed twice with the same population keeps its first row
    (files are read in sorted order); a conflicting population is quarantined
    with both values, never silently overwritten.
    """
    seen: dict[str, str | None] = {}
    keep: list[pa.Table] = []
    for path in paths:
        table = read_population_table(path, quarantine)
        mask = []
        for sample, pop in zip(table["sample_id"].to_pylist(), table["population"].to_pylist(), strict=True):
            if sample in seen:
                if seen[sample] != pop:
                    quarantine.add(path, None, "population conflicts with an earlier table",
                                   f"{sample}: {pop} here, {seen[sample]} before")
                mask.append(False)
            else:
                seen[sample] = pop
                mask.append(True)
        keep.append(table.filter(pa.array(mask, type=pa.bool_())))
    if not keep:
        return POPULATION_SCHEMA.empty_table()
    return pa.concat_tables(keep)
