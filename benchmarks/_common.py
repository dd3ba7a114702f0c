"""Helpers shared by the benchmark scripts: timing, peak memory in a child process, printing, and
running the project's tools (Snakemake, DVC, git) in a temporary copy of this checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The repository root on sys.path, so benchmarks import their scaffolding (servers on 127.0.0.1, the
# sample laid out as upstream serves it) from tests/support, as the tests do: the package ships none.
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))


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


def tool_env() -> dict[str, str]:
    """The environment for the project's tools: this venv's bin first, no DVC analytics."""
    e = dict(os.environ, DVC_NO_ANALYTICS="1")
    e["PATH"] = os.pathsep.join([str(BIN), e.get("PATH", "")])
    return e


def sh(cwd: Path, *cmd: str) -> str:
    """Run ``cmd`` in ``cwd``; its output, or exit naming the command and the tail of its output."""
    proc = subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout + proc.stderr


def timed(cwd: Path, *cmd: str) -> float:
    """Wall seconds of :func:`sh`."""
    start = time.perf_counter()
    sh(cwd, *cmd)
    return time.perf_counter() - start


def copy_checkout(dest: Path) -> None:
    """The tracked and untracked-but-not-ignored files of this checkout (no data, no results, no
    dvc.lock: the copy records its own builds)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if rel != "dvc.lock" and src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
