"""Benchmark: the provenance of a build (rule write_provenance) against the build itself, in one run.

Builds the sample at ``sample.scale`` 100 (1,200 planet-runs and climate cubes; ``--scale`` to change)
with `snakemake --cores N build` in a temporary copy of this checkout (a git repository, so the crate
records a commit), and prints:

* ours: the wall time of the `write_provenance` job (its Snakemake benchmark file: interpreter start,
  planning the jobs from the rules, hashing every input and output, the crate, its check, the card);
* the baseline: the wall time of the whole `snakemake build` command that ran it;
* their ratio (target < 5 %), and what the crate holds (jobs, data paths, bytes hashed, crate size).

Then it writes the crate a second time from the same build (`--forcerun write_provenance`) and says
whether its bytes are the same.

    .venv/bin/python benchmarks/bench_provenance.py              # scale 100
    .venv/bin/python benchmarks/bench_provenance.py --scale 5    # a quick run
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, copy_checkout, row, sh  # noqa: E402

GIT_ID = ["-c", "user.name=astrobuild bench", "-c", "user.email=bench@astrobuild.invalid"]
CRATE = "results/provenance/ro-crate-metadata.json"


def job_seconds(work: Path) -> float:
    with open(work / "results/benchmarks/write_provenance.tsv", newline="") as handle:
        return float(next(csv.DictReader(handle, delimiter="\t"))["s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--cores", default="all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_provenance_") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        copy_checkout(work)
        (work / "bench.yaml").write_text(f"sample: {{scale: {args.scale}}}\n")
        sh(work, "git", "init", "-q")
        sh(work, "git", "add", "-A")
        sh(work, "git", *GIT_ID, "commit", "-q", "-m", "snapshot")
        # The targets before --configfile, which takes every word after it as a config file.
        snakemake = [str(BIN / "snakemake"), "--cores", args.cores]
        config = ["--configfile", "bench.yaml"]
        start = time.perf_counter()
        sh(work, *snakemake, "build", *config)
        build = time.perf_counter() - start
        ours = job_seconds(work)
        crate = (work / CRATE).read_bytes()
        graph = json.loads(crate)["@graph"]
        data = [e for e in graph if e.get("@type") in ("File", "Dataset") and "sha256" in e]
        jobs = [e for e in graph if str(e["@id"]).startswith("#job-")]
        hashed = sum(int(e["contentSize"]) for e in data)
        # `--` ends --forcerun's rule list: without it `build` would be forced, not the target
        sh(work, *snakemake, *config, "--forcerun", "write_provenance", "--", "build")
        again = (work / CRATE).read_bytes()
        print(f"provenance of a sample build at scale {args.scale} (snakemake --cores {args.cores} build)")
        row("ours: write_provenance job (benchmark file)", f"{ours:.2f} s")
        row("baseline: the whole build, same run", f"{build:.1f} s")
        row("ratio (target < 0.05)", f"{ours / build:.4f}")
        row("crate", f"{len(jobs)} jobs, {len(data)} data entities, {hashed / 2**20:.1f} MiB hashed, "
                     f"{len(crate) / 2**20:.2f} MiB of JSON-LD")
        row("written again from the same build", f"{job_seconds(work):.2f} s; same bytes: {again == crate} "
                                                  f"(sha256 {hashlib.sha256(crate).hexdigest()[:16]})")


if __name__ == "__main__":
    main()
