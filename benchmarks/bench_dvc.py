"""Benchmark: DVC on top of the Snakemake build (push/pull, status, deduplication).

One run prints, each with a baseline measured in the same run on the same data:

* sample build (scale 1): `dvc push` to an empty local remote and `dvc pull`
  into a fresh clone, against `cp -r` of the same output directories;
* a build at a larger ``sample.scale``, its raw input kept in the checkout
  as a local source and tracked with `dvc add` (the documented local-mode
  flow): the number of files DVC tracks (and per GiB), `dvc status` on the
  up-to-date workspace (target < 2 s) against hashing every tracked byte
  (what a check without DVC's state cache costs);
* deduplication: one source changes (one sample's population in the 1000
  Genomes panel file), `dvc add` + `dvc repro`; the cache size then against
  ``first version + changed files`` (target <= 1.1), and the bytes the second
  `dvc push` sent against the changed files.

Sizes are bytes in files (`du -sb` without directory entries). Runs in temporary copies of this checkout.

    .venv/bin/python benchmarks/bench_dvc.py            # scale 400
    .venv/bin/python benchmarks/bench_dvc.py --quick    # smoke run (scale 3)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, REPO, copy_checkout, sh, timed  # noqa: E402

GIT_ID = ["-c", "user.name=astrobuild bench", "-c", "user.email=bench@astrobuild.invalid"]


def du(*paths: Path) -> int:
    """Bytes in the files under ``paths`` (like `du -sb`, without directory entries)."""
    total = 0
    for root in paths:
        if root.is_file():
            total += root.stat().st_size
        elif root.is_dir():
            total += sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return total


def make_repo(dest: Path, remote: Path, scale: int) -> Path:
    copy_checkout(dest)
    set_config(dest, "scale", str(scale))
    sh(dest, "git", "init", "-q")
    sh(dest, "git", *GIT_ID, "add", "-A")
    sh(dest, "git", *GIT_ID, "commit", "-q", "-m", "checkout under benchmark")
    sh(dest, str(BIN / "dvc"), "remote", "modify", "--local", "localstore", "url", str(remote))
    return dest


def set_config(repo: Path, key: str, value: str) -> None:
    """Set ``sample.<key>`` in config/config.yaml (the params file DVC and Snakemake share)."""
    path = repo / "config/config.yaml"
    text, n = re.subn(rf"^(\s+{key}:\s*)\S+", rf"\g<1>{value}", path.read_text(), count=1, flags=re.M)
    if n != 1:
        raise SystemExit(f"no sample.{key} in {path}")
    path.write_text(text)


def repro_and_commit(repo: Path, message: str) -> float:
    seconds = timed(repo, str(BIN / "dvc"), "repro")
    sh(repo, "git", *GIT_ID, "add", "-A")
    sh(repo, "git", *GIT_ID, "commit", "-q", "-m", message)
    return seconds


RAW = "data/raw/local/genomes_1000g"
# The planet-run sources stay at scale 1 in the larger build: converting 4 x 3 x scale climate
# cubes would make the build, not DVC, the thing measured.
PLANET_RUN_SOURCES = ("climate", "exoplanets", "spectra")


def use_local_raw(repo: Path, scale: int) -> None:
    """Generate raw inputs into the checkout, `dvc add` them and build from them in local mode.

    1000 Genomes at ``scale`` (the source changed in the dedup step); the planet-run
    sources at scale 1 (one coherent universe among themselves); KEGG stays a sample
    at ``scale``.
    """
    from astrobuild.sample import generate

    config = repo / "config/config.yaml"
    text = config.read_text()
    dvc_yaml = repo / "dvc.yaml"
    for source, source_scale in (("genomes_1000g", scale), *((s, 1) for s in PLANET_RUN_SOURCES)):
        raw = f"data/raw/local/{source}"
        generate(source, repo / raw, scale=source_scale)
        text, n = re.subn(rf"{source}:\s*\{{mode: sample\}}", f"{source}: {{mode: local, path: {raw}}}", text)
        assert n == 1, f"config/config.yaml: {source} source line not found"
        dvc_yaml.write_text(dvc_yaml.read_text().replace("    deps:\n", f"    deps:\n      - {raw}\n", 1))
        sh(repo, str(BIN / "dvc"), "add", raw)
    config.write_text(text)


def change_one_sample(repo: Path) -> None:
    """A one-source change: the first sample of the panel file moves to another population."""
    panel = next((repo / RAW).glob("*.panel"))
    lines = panel.read_text().splitlines(keepends=True)
    first = lines[1].split("\t")
    other = next(ln.split("\t") for ln in lines[2:] if ln.split("\t")[1] != first[1])
    first[1:3] = other[1:3]
    lines[1] = "\t".join(first)
    panel.write_text("".join(lines))
    sh(repo, str(BIN / "dvc"), "add", RAW)


def tracked(repo: Path) -> dict[str, dict]:
    """Every file DVC versions: the products (manifest) and the local raw inputs."""
    data = json.loads((repo / "results/manifest.json").read_text())
    files = {**data["inputs"], **data["files"]}
    files["results/manifest.json"] = {"bytes": (repo / "results/manifest.json").stat().st_size,
                                      "sha256": hashlib.sha256((repo / "results/manifest.json").read_bytes()).hexdigest()}
    return files


def manifest(repo: Path) -> dict[str, dict]:
    return json.loads((repo / "results/manifest.json").read_text())["files"]


def hash_all(repo: Path, files: list[str]) -> float:
    start = time.perf_counter()
    for rel in files:
        digest = hashlib.md5(usedforsecurity=False)
        with open(repo / rel, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return time.perf_counter() - start


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return str(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=400, help="sample.scale of the larger build (default 400)")
    parser.add_argument("--quick", action="store_true", help="smoke run: scale 3")
    args = parser.parse_args()
    scale = 3 if args.quick else args.scale

    from astrobuild.versioning.manifest import stage_outs

    outs = stage_outs(REPO / "dvc.yaml")  # what the build stage versions (folders and files)
    dvc = str(BIN / "dvc")
    with tempfile.TemporaryDirectory(prefix="bench_dvc_") as tmp:
        tmp = Path(tmp)
        print(f"bench_dvc: DVC push/pull/status/dedup on the Snakemake build ({os.cpu_count()} CPUs)")

        # --- 1. sample build: push and pull against cp -r ---------------------------------
        a = make_repo(tmp / "a", tmp / "remote-a", scale=1)
        build_s = repro_and_commit(a, "scale 1")
        outs_bytes = du(*(a / o for o in outs))
        push_s = timed(a, dvc, "push")
        (tmp / "cp-remote-a").mkdir()
        cp_push_s = timed(a, "cp", "-r", *outs, str(tmp / "cp-remote-a"))
        sh(tmp, "git", "clone", "-q", str(a), str(tmp / "b"))
        b = tmp / "b"
        sh(b, dvc, "remote", "modify", "--local", "localstore", "url", str(tmp / "remote-a"))
        pull_s = timed(b, dvc, "pull")
        (tmp / "cp-b").mkdir()
        cp_pull_s = timed(tmp / "cp-remote-a", "cp", "-r", ".", str(tmp / "cp-b"))
        nothing = "Nothing to be done" in sh(b, str(BIN / "snakemake"), "--cores", "1", "-n")
        print(f"\n[sample build, scale 1] dvc repro (Snakemake build) {build_s:.1f} s; "
              f"outputs {fmt_bytes(outs_bytes)} in {len(manifest(a)) + 1} files")
        print(f"  dvc push (empty remote)  {push_s:6.2f} s   baseline cp -r of the outputs {cp_push_s:6.3f} s   "
              f"ratio {push_s / cp_push_s:6.1f}x")
        print(f"  dvc pull (fresh clone)   {pull_s:6.2f} s   baseline cp -r of the outputs {cp_pull_s:6.3f} s   "
              f"ratio {pull_s / cp_pull_s:6.1f}x")
        print(f"  after pull, snakemake -n has nothing to do: {nothing}")

        # --- 2. larger build: files tracked, dvc status ----------------------------------
        c = make_repo(tmp / "c", tmp / "remote-c", scale=scale)
        use_local_raw(c, scale)
        build1_s = repro_and_commit(c, f"scale {scale}, local raw input")
        first = tracked(c)
        total1 = sum(e["bytes"] for e in first.values())
        status_runs = []
        for _ in range(3):
            start = time.perf_counter()
            status = sh(c, dvc, "status")
            status_runs.append(time.perf_counter() - start)
        assert "up to date" in status, status
        status_s = statistics.median(status_runs)
        hash_s = hash_all(c, sorted(first))
        print(f"\n[larger build, sample.scale={scale}, raw input tracked with dvc add] dvc repro {build1_s:.1f} s; "
              f"{len(first)} files tracked ({sum(p.is_file() for p in (c / 'data/raw/local').glob('*/**/*'))} raw), {fmt_bytes(total1)} "
              f"({len(first) / max(total1 / 2**30, 1e-9):.0f} files per GiB)")
        print(f"  dvc status (up to date, median of 3)  {status_s:6.2f} s (target < 2 s)   "
              f"baseline md5 of every tracked byte {hash_s:6.3f} s   ratio {status_s / max(hash_s, 1e-6):6.1f}x")

        # --- 3. deduplication after a one-source change ----------------------------------
        push1 = sh(c, dvc, "push")
        remote1 = du(tmp / "remote-c")
        cache1 = du(c / ".dvc/cache/files")
        change_one_sample(c)
        build2_s = repro_and_commit(c, "one sample moved to another population")
        second = tracked(c)
        old_hashes = {e["sha256"] for e in first.values()}
        changed = sorted(p for p, e in second.items() if e["sha256"] not in old_hashes)
        changed_bytes = sum(second[p]["bytes"] for p in changed)
        cache2 = du(c / ".dvc/cache/files")
        push2 = sh(c, dvc, "push")
        remote2 = du(tmp / "remote-c")
        bound = total1 + changed_bytes
        print(f"\n[dedup: one source changed (1 line of the panel file), rebuilt in {build2_s:.1f} s] "
              f"{len(changed)} of {len(second)} files changed, {fmt_bytes(changed_bytes)}: {', '.join(changed)}")
        print(f"  cache after 1st version {fmt_bytes(cache1)} (tracked files {fmt_bytes(total1)}, "
              f"ratio {cache1 / total1:.3f})")
        print(f"  cache after 2nd version {fmt_bytes(cache2)}   baseline first version + changed files "
              f"{fmt_bytes(bound)}   ratio {cache2 / bound:.3f} (target <= 1.1)")
        print(f"  cache growth {fmt_bytes(cache2 - cache1)} vs changed files {fmt_bytes(changed_bytes)}; "
              f"two plain copies would take {fmt_bytes(total1 + sum(e['bytes'] for e in second.values()))}")
        print(f"  2nd dvc push sent {fmt_bytes(remote2 - remote1)} (remote {fmt_bytes(remote1)} -> "
              f"{fmt_bytes(remote2)}); push summaries: {summary(push1)!r} then {summary(push2)!r}")


def summary(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if "pushed" in ln or "up to date" in ln.lower()]
    return lines[-1] if lines else output.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
