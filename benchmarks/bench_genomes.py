"""Benchmark: genomes_table throughput on a multi-record GenBank file against a bare SeqIO loop.

A synthetic GenBank file of at least ``--mb`` MiB (default 200) is made from the organisms
sample's genomes (written by Biopython; each copy of the sample under new accessions, of the
same length so that the LOCUS lines keep their columns). In the same run it measures

* ours: ``astrobuild.organisms.pipeline.genomes_table`` end to end (SeqIO parsing, the per-record
  summary: feature counts, qualifier checks, KO/EC ids, GC content; Parquet + quarantine + report);
* baseline: a bare ``SeqIO.parse(handle, "genbank")`` loop that only counts each record's features;

and prints records/s, MiB/s and the ratio ours/baseline throughput (target >= 0.5). With
``--repeat`` above 1 the two alternate and the best of each counts.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_genomes.py            # 200 MiB, one run each
    PYTHONPATH=src .venv/bin/python benchmarks/bench_genomes.py --quick    # 10 MiB smoke run
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import string
import sys
import tempfile
import time
from pathlib import Path

from Bio import SeqIO

from astrobuild.organisms.files import open_text
from astrobuild.organisms.pipeline import genomes_table
from astrobuild.sample import generate

MIB = 1024 * 1024
_SAMPLE_ACCESSION = re.compile(r"\bZZ(\d{6})\b")


def synthetic_genbank(path: Path, target_mb: float, workdir: Path) -> int:
    """Write copies of the sample genomes to ``path`` until it holds ``target_mb`` MiB; returns the records."""
    generate("organisms", workdir, scale=1, seed=0)
    text = ""
    for genome in sorted((workdir / "genomes").glob("GCF_*")):  # the genomes, not the edge cases
        with open_text(genome) as handle:
            text += handle.read()
    per_copy = text.count("\nLOCUS ") + text.startswith("LOCUS ")
    copies = 0
    with open(path, "w", encoding="utf-8") as out:
        while out.tell() < target_mb * MIB:
            letters = string.ascii_uppercase[copies // 26 % 26] + string.ascii_uppercase[copies % 26]
            out.write(_SAMPLE_ACCESSION.sub(lambda m, p=letters: p + m.group(1), text))
            copies += 1
    return per_copy * copies


def baseline(path: Path) -> tuple[int, int]:
    """The bare loop: parse every record, count its features."""
    records = features = 0
    with open(path, encoding="utf-8") as handle:
        for record in SeqIO.parse(handle, "genbank"):
            records += 1
            features += len(record.features)
    return records, features


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (10 MiB)")
    parser.add_argument("--mb", type=float, default=200.0, help="size of the synthetic file in MiB")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, alternating; the best counts")
    args = parser.parse_args()
    size = 10.0 if args.quick else args.mb
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")

    with tempfile.TemporaryDirectory(prefix="bench_genomes_") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        raw.mkdir()
        t0 = time.perf_counter()
        n_records = synthetic_genbank(raw / "many.gbff", size, tmp / "sample")
        n_bytes = (raw / "many.gbff").stat().st_size
        print(f"synthetic GenBank file: {n_records} records, {n_bytes / MIB:.1f} MiB "
              f"(made in {time.perf_counter() - t0:.1f} s)")
        ours_t, base_t = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            counted, features = baseline(raw / "many.gbff")
            base_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            report = genomes_table([str(raw)], [], [], str(tmp / "out/organisms.parquet"), str(tmp / "out/q.tsv"),
                                   str(tmp / "out/report.json"))
            ours_t.append(time.perf_counter() - t)
        ours, base = min(ours_t), min(base_t)
        assert counted == report["records"] == n_records, (counted, report["records"], n_records)
        print(f"baseline SeqIO.parse loop: {counted / base:8.1f} records/s {n_bytes / MIB / base:6.2f} MiB/s "
              f"({features} features, best of {args.repeat}: {base:.1f} s)")
        print(f"ours genomes_table:        {report['records'] / ours:8.1f} records/s {n_bytes / MIB / ours:6.2f} MiB/s "
              f"({report['records']} rows, best of {args.repeat}: {ours:.1f} s)")
        ratio = base / ours
        print(f"ratio ours/baseline throughput: {ratio:.2f} (target >= 0.5) {'OK' if ratio >= 0.5 else 'BELOW TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
