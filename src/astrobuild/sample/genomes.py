"""1000 Genomes sample files in IGSR's formats.

Written (names as upstream):

* ``integrated_call_samples_v3.20130502.ALL.panel`` — sample, pop, super_pop,
  gender; the header ends with two stray tabs, as upstream's does;
* ``20130606_g1k_3202_samples_ped_population.txt`` — the related samples,
  space-separated ped layout with Population and Superpopulation;
* ``1000G_2504_high_coverage.sequence.index`` — the current layout
  (``#ENA_FILE_PATH MD5SUM ...``), no ``##`` block;
* ``20130502.phase3.sequence.index`` — the legacy 26-column layout with its
  ``##`` description block and ``#FASTQ_FILE`` header, empty fields, unquoted
  double quotes in the study name, a line with a trailing tab, a line with a
  field missing, a line of binary junk and a truncated last line;
* ``1000genomes.high_coverage.GRCh38DH.alignment.index`` — ``##`` block, ``#CRAM``;
* ``20130502.phase3.low_coverage.alignment.index`` — the header-less BAM layout;
* ``ls-lR`` of the FTP data tree and ``1000_genomes_project.md5`` (md5sum manifest).

Some index samples are deliberately absent from both population tables, as the
real pedigree collections are, so the join coverage report has something to say.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from astrobuild.genomes.populations import SUPER_POPULATION

POPULATIONS = sorted(SUPER_POPULATION)
LEGACY_COLUMNS = (
    "FASTQ_FILE", "MD5", "RUN_ID", "STUDY_ID", "STUDY_NAME", "CENTER_NAME", "SUBMISSION_ID", "SUBMISSION_DATE",
    "SAMPLE_ID", "SAMPLE_NAME", "POPULATION", "EXPERIMENT_ID", "INSTRUMENT_PLATFORM", "INSTRUMENT_MODEL",
    "LIBRARY_NAME", "RUN_NAME", "RUN_BLOCK_NAME", "INSERT_SIZE", "LIBRARY_LAYOUT", "PAIRED_FASTQ", "WITHDRAWN",
    "WITHDRAWN_DATE", "COMMENT", "READ_COUNT", "BASE_COUNT", "ANALYSIS_GROUP",
)
CURRENT_COLUMNS = (
    "ENA_FILE_PATH", "MD5SUM", "RUN_ID", "STUDY_ID", "STUDY_NAME", "CENTER_NAME", "SUBMISSION_ID",
    "SUBMISSION_DATE", "SAMPLE_ID", "SAMPLE_NAME", "POPULATION", "EXPERIMENT_ID", "INSTRUMENT_PLATFORM",
    "INSTRUMENT_MODEL", "LIBRARY_NAME", "RUN_NAME", "INSERT_SIZE", "LIBRARY_LAYOUT", "PAIRED_FASTQ",
    "READ_COUNT", "BASE_COUNT", "ANALYSIS_GROUP",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _md5(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def _samples(rng: np.random.Generator, n: int, start: int) -> list[tuple[str, str, str]]:
    out = []
    for i in range(n):
        prefix = "HG" if (start + i) % 3 else "NA"
        pop = POPULATIONS[int(rng.integers(len(POPULATIONS)))]
        sex = "male" if rng.random() < 0.5 else "female"
        out.append((f"{prefix}{start + i:05d}", pop, sex))
    return out


def _sequence_row(columns: tuple[str, ...], sample: str, pop: str, run: int, mate: int, rng: np.random.Generator,
                  legacy: bool) -> str:
    run_id = f"ERR{3239000 + run}"
    suffix = "" if mate == 0 else f"_{mate}"
    path = f"ftp://ftp.sra.ebi.ac.uk/vol1/fastq/{run_id[:6]}/{run_id}/{run_id}{suffix}.fastq.gz"
    mate_path = "" if mate == 0 else path.replace(f"_{mate}.fastq", f"_{3 - mate}.fastq")
    reads = int(rng.integers(5_000_000, 90_000_000))
    values = {
        "FASTQ_FILE": path, "ENA_FILE_PATH": path, "MD5": _md5(path), "MD5SUM": _md5(path), "RUN_ID": run_id,
        "STUDY_ID": "ERP114329", "STUDY_NAME": 'High-coverage "30x" whole genome sequencing of the 1000 Genomes samples',
        "CENTER_NAME": "NYGC", "SUBMISSION_ID": f"ERA{1800000 + run}", "SUBMISSION_DATE": "2019-03-12 00:00:00",
        "SAMPLE_ID": f"ERS{2000000 + run // 4}", "SAMPLE_NAME": sample,
        "POPULATION": "" if legacy and run % 5 == 0 else pop, "EXPERIMENT_ID": f"ERX{3200000 + run}",
        "INSTRUMENT_PLATFORM": "ILLUMINA", "INSTRUMENT_MODEL": "Illumina NovaSeq 6000", "LIBRARY_NAME": f"{sample}_lib",
        "RUN_NAME": "", "RUN_BLOCK_NAME": "", "INSERT_SIZE": "450", "LIBRARY_LAYOUT": "PAIRED" if mate else "SINGLE",
        "PAIRED_FASTQ": mate_path, "WITHDRAWN": "0", "WITHDRAWN_DATE": "", "COMMENT": "",
        "READ_COUNT": str(reads), "BASE_COUNT": str(reads * 150), "ANALYSIS_GROUP": "high_coverage",
    }
    return "\t".join(values[c] for c in columns)


def write_sequence_index(path: Path, n_rows: int, seed: int = 0, legacy: bool = False) -> Path:
    """A clean sequence.index of ``n_rows`` data rows (used by the sample and by benchmarks)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    columns = LEGACY_COLUMNS if legacy else CURRENT_COLUMNS
    n_samples = max(1, n_rows // 6)
    samples = _samples(rng, n_samples, 18000)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        if legacy:
            out.write("##FileDate=20130502\n")
            for c in columns:
                out.write(f"##{c}=see the IGSR documentation of sequence.index\n")
        out.write("#" + "\t".join(columns) + "\n")
        for i in range(n_rows):
            sample, pop, _ = samples[(i // 6) % n_samples]
            out.write(_sequence_row(columns, sample, pop, i // 3, i % 3, rng, legacy) + "\n")
    return path


def sample_groups(rng: np.random.Generator, scale: int) -> tuple[list, list, list]:
    """Unrelated (panel), related (ped) and unlisted (in indices only) samples.

    One running number allocates the ids, so no two groups share one at any scale.
    """
    n_unrelated, n_related = 40 * scale, 8 * scale
    if 96 + n_unrelated + n_related + 2 > 99_999:
        raise ValueError(f"sample.scale={scale} is too large for the 1000 Genomes sample: IGSR sample ids "
                         f"have five digits (at most scale {(99_999 - 98) // 48})")
    unrelated = _samples(rng, n_unrelated, 96)
    related = _samples(rng, n_related, 96 + n_unrelated)
    unlisted = _samples(rng, 2, 96 + n_unrelated + n_related)
    return unrelated, related, unlisted


def write(outdir: Path, scale: int = 1, seed: int = 0) -> list[Path]:
    rng = np.random.Generator(np.random.PCG64(seed + 1000))
    unrelated, related, unlisted = sample_groups(rng, scale)
    written = []

    panel = outdir / "integrated_call_samples_v3.20130502.ALL.panel"
    with open(panel, "w", encoding="utf-8", newline="\n") as out:
        out.write("sample\tpop\tsuper_pop\tgender\t\t\n")
        for sample, pop, sex in unrelated:
            out.write(f"{sample}\t{pop}\t{SUPER_POPULATION[pop]}\t{sex}\n")
    written.append(panel)

    ped = outdir / "20130606_g1k_3202_samples_ped_population.txt"
    with open(ped, "w", encoding="utf-8", newline="\n") as out:
        out.write("FamilyID SampleID FatherID MotherID Sex Population Superpopulation\n")
        for k, (sample, pop, sex) in enumerate(related):
            father = unrelated[k % len(unrelated)][0] if k % 2 == 0 else "0"
            out.write(f"F{k:04d} {sample} {father} 0 {1 if sex == 'male' else 2} {pop} {SUPER_POPULATION[pop]}\n")
    written.append(ped)

    everyone = unrelated + related + unlisted
    # Current high-coverage sequence index: every sample, paired reads.
    current = outdir / "1000G_2504_high_coverage.sequence.index"
    with open(current, "w", encoding="utf-8", newline="\n") as out:
        out.write("#" + "\t".join(CURRENT_COLUMNS) + "\n")
        run = 0
        for sample, pop, _ in everyone:
            for _ in range(int(rng.integers(1, 3))):
                for mate in (1, 2):
                    out.write(_sequence_row(CURRENT_COLUMNS, sample, pop, run, mate, rng, legacy=False) + "\n")
                run += 1
    written.append(current)

    # Legacy phase 3 sequence index, with the quirks of real old files.
    legacy = outdir / "20130502.phase3.sequence.index"
    lines = ["##FileDate=20130502"] + [f"##{c}=see the IGSR documentation of sequence.index" for c in LEGACY_COLUMNS]
    lines.append("#" + "\t".join(LEGACY_COLUMNS))
    for k, (sample, pop, _) in enumerate(unrelated[: 10 * scale]):
        lines.append(_sequence_row(LEGACY_COLUMNS, sample, pop, 500000 + k, 0, rng, legacy=True))
    lines[len(lines) - 3] += "\t"  # a trailing tab: salvaged
    broken = lines[-2].split("\t")
    lines[-2] = "\t".join(broken[:5] + broken[6:])  # a field missing: quarantined
    body = ("\n".join(lines) + "\n").encode()
    junk = b"\x00\xff\xfe\x12binary junk from a broken transfer\x9c\x80\n"
    tail = _sequence_row(LEGACY_COLUMNS, unrelated[0][0], unrelated[0][1], 600000, 0, rng, legacy=True)
    legacy.write_bytes(body + junk + tail[: len(tail) // 2].encode())  # truncated, no newline
    written.append(legacy)

    # Current alignment index (## block, #CRAM header), every unrelated and related sample.
    aln = outdir / "1000genomes.high_coverage.GRCh38DH.alignment.index"
    with open(aln, "w", encoding="utf-8", newline="\n") as out:
        out.write("##FileDate=20190705\n##Project=1000 Genomes high coverage, GRCh38DH alignments\n")
        out.write("#CRAM\tCRAM_MD5\tCRAI\tCRAI_MD5\tBAS\tBAS_MD5\n")
        for sample, _, _ in unrelated + related:
            base = f"ftp://ftp.1000genomes.ebi.ac.uk/vol1/ftp/data_collections/1000G_2504_high_coverage/data/{sample}/{sample}.final"
            out.write(f"{base}.cram\t{_md5(base, 'cram')}\t{base}.cram.crai\t{_md5(base, 'crai')}\t"
                      f"{base}.cram.bas\t{_md5(base, 'bas')}\n")
    written.append(aln)

    # Phase 3 alignment index: no header at all, BAM/BAI/BAS.
    old = outdir / "20130502.phase3.low_coverage.alignment.index"
    with open(old, "w", encoding="utf-8", newline="\n") as out:
        for sample, pop, _ in unrelated[: 12 * scale]:
            base = f"data/{sample}/alignment/{sample}.mapped.ILLUMINA.bwa.{pop}.low_coverage.20120522"
            out.write(f"{base}.bam\t{_md5(base, 'bam')}\t{base}.bam.bai\t{_md5(base, 'bai')}\t"
                      f"{base}.bam.bas\t{_md5(base, 'bas')}\n")
    written.append(old)

    written += _write_listings(outdir, rng, unrelated + related)
    return written


def _ls_line(kind: str, size: int, rng: np.random.Generator, name: str) -> str:
    mode = "drwxr-xr-x" if kind == "d" else ("lrwxrwxrwx" if kind == "l" else "-rw-r--r--")
    month = _MONTHS[int(rng.integers(12))]
    day = int(rng.integers(1, 29))
    when = f"{int(rng.integers(2013, 2021))}" if rng.random() < 0.7 else f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    return f"{mode}    2 ftp      ftp      {size:>12d} {month} {day:>2d} {when:>5s} {name}"


def _write_listings(outdir: Path, rng: np.random.Generator, samples: list[tuple[str, str, str]]) -> list[Path]:
    root = "vol1/ftp/phase3/data"
    sections: list[str] = [".:", "total 8", _ls_line("d", 4096, rng, "vol1"), ""]
    sections += [f"./{root}:", f"total {len(samples)}"]
    sections += [_ls_line("d", 4096, rng, s) for s, _, _ in samples]
    manifest: list[str] = []
    for sample, pop, _ in samples:
        sections += ["", f"./{root}/{sample}/alignment:", "total 4"]
        stem = f"{sample}.mapped.ILLUMINA.bwa.{pop}.low_coverage.20120522"
        for suffix, size in ((".bam", int(rng.integers(5e9, 2e10))), (".bam.bai", int(rng.integers(5e6, 9e6))),
                             (".bam.bas", int(rng.integers(2e3, 9e3)))):
            sections.append(_ls_line("-", size, rng, stem + suffix))
            manifest.append(f"{_md5(sample, suffix)}  1000_genomes_project/data/{pop}/{sample}/alignment/{stem}{suffix}")
        sections.append(_ls_line("l", 24, rng, f"{sample}.latest.bam -> {stem}.bam"))
        sections += ["", f"./{root}/{sample}/sequence_read:", "total 2"]
        sections.append(_ls_line("-", int(rng.integers(1e9, 4e9)), rng, f"SRR{int(rng.integers(1e5, 9e5))}_1.filt.fastq.gz"))
    sections += ["", f"./{root}/README_junk:", "this line is not an ls -l entry", "-rw-r--r--    1 ftp ftp 12"]
    listing = outdir / "ls-lR"
    listing.write_text("\n".join(sections) + "\n", encoding="utf-8")
    md5 = outdir / "1000_genomes_project.md5"
    md5.write_text("\n".join(manifest + ["d41d8cd98f00b204e9800998ecf8427e  1000_genomes_project/README.sample"]) + "\n",
                   encoding="utf-8")
    return [listing, md5]
