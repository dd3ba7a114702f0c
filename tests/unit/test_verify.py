"""`snakemake verify`: files on disk against results/manifest.json (src/astrobuild/versioning/verify.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from astrobuild.versioning.products import write_build_manifest
from astrobuild.versioning.verify import BuildVerificationError, load_manifest, store_dirs, verify_build
from tests.workflow import write_files

ROOTS = ["data/interim", "data/processed", "results"]
IGNORE = ["/results/benchmarks/"]
MANIFEST = "results/manifest.json"


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_files({
        "data/raw/local/in.csv": "a,b\n",
        "data/interim/a.parquet": "interim",
        "data/processed/b.parquet": "processed",
        "data/processed/climate/x.zarr/zarr.json": "{}",
        "data/processed/climate/x.zarr/t/c/0/0": "chunk",
        "results/validation/b.json": "{}",
        "results/benchmarks/x.tsv": "s\n0.1\n",
    })
    write_build_manifest(ROOTS, ROOTS, IGNORE, MANIFEST, input_roots=["data/raw/local"])
    return tmp_path


def verify(**kwargs) -> dict[str, int]:
    return verify_build(MANIFEST, roots=ROOTS, patterns=IGNORE, **kwargs)


def test_an_intact_build_verifies(build: Path) -> None:
    Path("results/benchmarks/x.tsv").write_text("s\n0.2\n")  # not versioned: never checked
    counts = verify()
    assert counts == {"files": 6, "bytes": 4 + 7 + 9 + 2 + 5 + 2, "extra_checks": 0}


def test_every_problem_is_reported_by_path(build: Path) -> None:
    Path("data/interim/a.parquet").write_text("interiM")  # same size, other bytes
    Path("data/processed/b.parquet").write_text("processed!")  # other size
    Path("results/validation/b.json").unlink()
    Path("data/raw/local/in.csv").write_text("a,c\n")  # a tracked raw input
    Path("results/reports").mkdir()
    Path("results/reports/new.json").write_text("{}")  # versioned, but the manifest does not know it
    with pytest.raises(BuildVerificationError) as raised:
        verify()
    message = str(raised.value)
    assert message.startswith(f"5 problem(s) against {MANIFEST}")
    for expected in ("data/interim/a.parquet: content differs", "data/processed/b.parquet: 10 bytes, the manifest records 9",
                     "results/validation/b.json: missing", "data/raw/local/in.csv: content differs",
                     "results/reports/new.json: versioned, but not in the manifest"):
        assert expected in message


def test_a_flipped_byte_in_a_store_chunk_is_found(build: Path) -> None:
    Path("data/processed/climate/x.zarr/t/c/0/0").write_bytes(b"chunK")
    with pytest.raises(BuildVerificationError, match=r"x\.zarr/t/c/0/0: content differs"):
        verify()


def test_extra_checks_plug_in_and_their_problems_are_reported(build: Path) -> None:
    manifest = load_manifest(MANIFEST)
    assert store_dirs(manifest) == ["data/processed/climate/x.zarr"]
    seen: list[str] = []

    def store_check(store: str) -> list[str]:
        seen.append(store)
        return [f"{store}: chunk t/0.0 checksum mismatch"]

    checks = [lambda s=s: store_check(s) for s in store_dirs(manifest)]
    with pytest.raises(BuildVerificationError, match=r"(?s)1 problem\(s\).*x\.zarr: chunk t/0\.0 checksum mismatch"):
        verify(extra_checks=checks)
    assert seen == ["data/processed/climate/x.zarr"]
    assert verify(extra_checks=[lambda: []])["extra_checks"] == 1


def test_no_manifest_or_not_a_manifest_is_an_error_naming_it(build: Path) -> None:
    Path(MANIFEST).write_text(json.dumps({"version": 1}))
    with pytest.raises(BuildVerificationError, match="results/manifest.json: not a build manifest"):
        verify()
    Path(MANIFEST).unlink()
    with pytest.raises(BuildVerificationError, match="no build manifest"):
        verify()


def test_unsafe_manifest_paths_are_reported_not_opened(build: Path) -> None:
    manifest = json.loads(Path(MANIFEST).read_text())
    manifest["files"]["../outside.txt"] = {"bytes": 1, "sha256": "0" * 64}
    Path(MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BuildVerificationError, match=r"\.\./outside\.txt: unsafe path"):
        verify()
