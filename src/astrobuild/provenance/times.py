"""When each job ran: run-times.json, beside the crate and out of it (no two builds share these).

Every rule has a Snakemake ``benchmark:`` file (results/benchmarks/, not versioned). Snakemake writes
it when the job ends, with the job's wall time in seconds (column ``s``): the file's modification
time is the job's end, less those seconds its start. A job whose benchmark file is absent (a build
pulled with ``dvc pull``, which brings no timings) has no times.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from astrobuild.provenance.jobs import Job


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def benchmark_times(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Start, end and seconds of the job whose Snakemake benchmark file is ``path``; None when absent.
    A benchmark file without a numeric ``s`` column is refused, naming the file."""
    bench = Path(path)
    if not bench.is_file():
        return None
    with open(bench, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    try:
        seconds = float(rows[0]["s"])
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{bench}: not a Snakemake benchmark file (no numeric 's' in its first row)") from exc
    end = datetime.fromtimestamp(bench.stat().st_mtime, UTC)
    return {"startTime": _iso(end - timedelta(seconds=seconds)), "endTime": _iso(end), "seconds": round(seconds, 4)}


def run_times(jobs: Sequence[Job], root: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """run-times.json: per job (by its key in the crate) its rule, benchmark file and times; the span of all."""
    out: dict[str, Any] = {}
    for job in jobs:
        times = benchmark_times(Path(root) / job.benchmark) if job.benchmark else None
        out[job.key] = {"rule": job.rule, "benchmark": job.benchmark, **(times or {"startTime": None, "endTime": None,
                                                                                   "seconds": None})}
    known = [t for t in out.values() if t["startTime"]]
    return {
        "about": "ro-crate-metadata.json beside this file: when each of its jobs (CreateAction #job-...) ran, "
                 "from the Snakemake benchmark files (end: the file's time; start: end less its seconds). Jobs of "
                 "earlier runs keep their times; a job without a benchmark file has none.",
        "jobs": out,
        "span": {"startTime": min((t["startTime"] for t in known), default=None),
                 "endTime": max((t["endTime"] for t in known), default=None),
                 "jobs_with_times": len(known), "jobs": len(out)},
    }
