"""Run the Snakemake workflow in a scratch copy of the repository (used by the integration tests)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = ("Snakefile", "rules", "scripts", "config", "schemas", "envs", "src", "report", "constraints.txt")
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# Merged over config/config.yaml by every test build: the tests' small sample (scale 1), whatever
# size `make run` builds.
TEST_CONFIG = "config/test.yaml"


def copy_workflow(dest: Path) -> Path:
    """A copy of what the workflow needs (no data, no results, no venv)."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for part in WORKFLOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        else:
            shutil.copy2(src, dest / part)
    return dest


def with_test_config(args: tuple[str, ...]) -> list[str]:
    """``args`` with config/test.yaml first among the config files (a second ``--configfile`` option
    would replace the first: the files go in one list, the test's own after it)."""
    rest, files = list(args), [TEST_CONFIG]
    while "--configfile" in rest:
        at = rest.index("--configfile")
        files.append(rest[at + 1])
        del rest[at:at + 2]
    return [*rest, "--configfile", *files]


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    """Snakemake on 2 cores in ``workdir``, with the test configuration (config/test.yaml)."""
    proc = subprocess.run([SNAKEMAKE, "--cores", "2", *with_test_config(args)], cwd=workdir, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def apply_test_config(checkout: Path) -> None:
    """Write config/test.yaml into ``checkout``'s config/config.yaml (for tools that read only that
    file, as ``dvc repro`` does): a copy of the checkout builds the tests' sample."""
    config_path, overrides = checkout / "config" / "config.yaml", checkout / TEST_CONFIG
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))

    def merge(base: dict, over: dict) -> dict:
        return {**base, **{k: merge(base.get(k, {}), v) if isinstance(v, dict) else v for k, v in over.items()}}

    merged = merge(config, yaml.safe_load(overrides.read_text(encoding="utf-8")))
    config_path.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")


def write_files(files: dict[str, str], root: Path = Path(".")) -> None:
    """Write each text file of ``files`` (path relative to ``root`` -> text), folders included."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def file_states(root: Path) -> dict[str, tuple[int, int, int]]:
    """Size, inode and mtime (ns) of every file under ``root`` outside Snakemake's own .snakemake/:
    equal before and after a command, it touched no file."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file() and ".snakemake" not in p.relative_to(root).parts}


def clone_build(build: Path, dest: Path) -> Path:
    """A copy of a finished build, timestamps kept, so Snakemake sees it as up to date."""
    shutil.copytree(build, dest, symlinks=True)
    return dest


# When each job ran (rule write_provenance): the one versioned file that is a run's own.
RUN_TIMES = "results/provenance/run-times.json"


def product_digests(root: Path) -> dict[str, str]:
    """sha256 of every product of a build in ``root`` (data/interim, data/processed, results), less
    the benchmark files and the run times (timings differ from run to run): equal for two builds, they
    made the same bytes."""
    out = {}
    for top in ("data/interim", "data/processed", "results"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "benchmarks" not in path.parts and path != root / RUN_TIMES:
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
