"""Helpers shared by the benchmark scripts: timing, peak memory in a child process, printing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest wall time of ``repeat`` calls: the least disturbed by other work on a shared machine."""
    return best_interleaved([fn], repeat)[0]


def best_interleaved(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Fastest wall time of each function, calling them in turn ``repeat`` times.

    Taking turns exposes ours and the baseline to the same moments of load on a
    shared machine, so their ratio is fairer than two back-to-back series.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def peak_rss_mb(code: str) -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter; return (peak RSS after imports, peak RSS at the end) in MiB.

    Reads VmHWM from /proc: getrusage's ru_maxrss survives fork+exec and would
    report the parent's peak.
    """
    probe = (
        "import json, re\n"
        "def hwm():\n"
        "    text = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+)', text).group(1)) / 1024\n"
        "import pyarrow, pyarrow.csv, pyarrow.parquet, pyarrow.compute\n"
        "import astrobuild.genomes.pipeline\n"
        "base = hwm()\n"
        f"{code}\n"
        "print(json.dumps([base, hwm()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    base, end = json.loads(out.stdout.strip().splitlines()[-1])
    return base, end


def row(label: str, value: str) -> None:
    print(f"  {label:<46s} {value}")
