"""Benchmark of the fetch rules' code (issue 13), against servers on 127.0.0.1 in the same run.

1. Throughput: one file (1 GiB by default) served on loopback, fetched by our download (stream into a
   .part file, md5 while streaming, verify, atomic rename) and by `curl -o` of the same URL, in turns;
   our MiB/s over curl's (goal: at least 0.5).
2. Pace: KEGG's `get/<id>/kgml` for N pathways (500 by default) through fetch_kegg_pathways at the
   configured 3 requests/s; the wall time over N/3 s (goal: within 10 %: the limit, not our
   overhead, sets the pace). `--pathways 60` gives a quick run.

    PYTHONPATH=src python benchmarks/bench_fetch.py [--size-mib 1024] [--pathways 500] [--rate 3]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_interleaved, row  # noqa: E402

from astrobuild.fetch.files import Expected, Staging  # noqa: E402
from astrobuild.fetch.http import HttpClient, RetryPolicy  # noqa: E402
from astrobuild.fetch.jobs import fetch_kegg_pathways  # noqa: E402
from astrobuild.fetch.options import KeggOptions  # noqa: E402
from astrobuild.fetch.ratelimit import HostLimiter  # noqa: E402
from tests.support.loopback import LoopbackHTTP  # noqa: E402

FETCH = {"retries": 5, "backoff": 1.0, "backoff_max": 60, "jitter": 1.0, "retry_after_max": 600,
         "connect_timeout": 30, "read_timeout": 300}


def _big_file(path: Path, size: int) -> str:
    """Random bytes (incompressible, nothing a cache could shortcut); returns their md5."""
    digest = hashlib.md5(usedforsecurity=False)
    block = os.urandom(8 * 2**20)
    with open(path, "wb") as out:
        left = size
        while left:
            chunk = block[: min(left, len(block))]
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
            block = block[1:] + block[:1]  # no two blocks alike
    return digest.hexdigest()


def throughput(work: Path, size_mib: int, repeat: int) -> None:
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed for the baseline")
    size = size_mib * 2**20
    source = work / "served.bin"
    md5 = _big_file(source, size)
    with LoopbackHTTP({"/big.bin": source}) as server:
        url = f"{server.url}/big.bin"
        staging = Staging(work / "staging")
        client = HttpClient(RetryPolicy(), HostLimiter(None))
        rel = PurePosixPath("big.bin")

        def ours() -> None:
            staging.clear()
            outcome = client.download(url, rel, staging, Expected(size=size, md5=md5), show_progress=False)
            assert outcome.action == "fetched" and outcome.md5 == md5

        def baseline() -> None:
            target = work / "curl.bin"
            target.unlink(missing_ok=True)
            subprocess.run([curl, "-s", "-f", "-o", str(target), url], check=True)
            assert target.stat().st_size == size

        t_ours, t_curl = best_interleaved([ours, baseline], repeat)
        client.close()
    ours_rate, curl_rate = size_mib / t_ours, size_mib / t_curl
    print(f"1. download of {size_mib} MiB from 127.0.0.1 (best of {repeat}, in turns)")
    row("ours (stream, md5, verify, atomic rename)", f"{t_ours:6.2f} s  {ours_rate:8.0f} MiB/s")
    row("curl -o (same URL, same disk)", f"{t_curl:6.2f} s  {curl_rate:8.0f} MiB/s")
    row("ratio ours/curl (goal >= 0.5)", f"{ours_rate / curl_rate:6.2f}")


def pace(work: Path, pathways: int, rate: float, kgml: bytes) -> None:
    numbers = [f"{n:05d}" for n in range(10, 10 + pathways)]
    routes = {f"/kegg/get/ko{n}/kgml": kgml for n in numbers}
    listing = work / "list_pathway.txt"
    listing.write_text("".join(f"map{n}\tpathway {n}\n" for n in numbers), encoding="utf-8")
    with LoopbackHTTP(routes) as server:
        src = {"url": f"{server.url}/kegg", "rate_limit": rate, "organisms": ["hsa"], "brite": ["br08901"],
               "kgml_prefixes": ["ko"], "pathways": None}
        opts = KeggOptions.from_config({"sources": {"kegg": src}, "fetch": FETCH})
        start = time.perf_counter()
        out = fetch_kegg_pathways(opts, str(listing), str(work / "kgml"), str(work / "kgml_staging"))
        wall = time.perf_counter() - start
    assert len(out) == pathways and len(server.requests) == pathways
    stamps = [r.at for r in server.requests]
    limit = pathways / rate
    print(f"2. KEGG get/<id>/kgml of {pathways} pathways at {rate:g} requests/s (loopback server)")
    row("ours: wall time of fetch_kegg_pathways", f"{wall:7.1f} s")
    row(f"the limit alone: {pathways}/{rate:g}", f"{limit:7.1f} s")
    row("server-side rate (requests/s over the run)", f"{(len(stamps) - 1) / (stamps[-1] - stamps[0]):7.2f}")
    row("ratio wall/limit (goal within 10 %)", f"{wall / limit:7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pathways", type=int, default=500)
    parser.add_argument("--rate", type=float, default=3.0)
    parser.add_argument("--skip-pace", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from astrobuild.sample import generate

    with tempfile.TemporaryDirectory(prefix="bench_fetch_") as tmp:
        work = Path(tmp)
        throughput(work, args.size_mib, args.repeat)
        if not args.skip_pace:
            kegg = work / "kegg_sample"
            generate("kegg", kegg, scale=1, seed=0)
            pace(work, args.pathways, args.rate, (kegg / "map00010.xml").read_bytes())


if __name__ == "__main__":
    main()
