"""Conversion in batches: the cubes a sample will have, the batches, and what a batch job rebuilds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from astrobuild.climate.pipeline import ClimateBatchError, convert_batch, converter_version
from astrobuild.climate.stems import conversion_batches, stems_of
from astrobuild.climate.store import ZarrOptions
from astrobuild.configschema import defaults
from astrobuild.sample import generate, planned_files
from astrobuild.sample.universe import build_universe
from tests.workflow import REPO


@pytest.fixture(scope="module")
def cubes(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("batch_sample")
    generate("climate", out, scale=1, seed=0, time_steps=2)
    return sorted(out.glob("*.nc"))[:3]


def _batch(cubes: list[Path], root: Path, **options) -> dict[str, int]:
    names = [c.stem for c in cubes]
    return convert_batch(
        cubes=[str(c) for c in cubes], stores=[str(root / f"{n}.zarr") for n in names],
        reports=[str(root / f"{n}.report.json") for n in names],
        validations=[str(root / f"climate_{n}.json") for n in names],
        timings=[str(root / f"{n}.timing.json") for n in names], logs=[str(root / f"{n}.log") for n in names],
        options={**defaults("climate"), **options}, threads=1)


# --- what the DAG knows before the sample exists ------------------------------------------------


def test_planned_files_are_the_files_generate_writes(tmp_path):
    for scale, seed in ((1, 0), (2, 3)):
        written = generate("climate", tmp_path / f"s{scale}", scale=scale, seed=seed, time_steps=1)
        assert planned_files("climate", tmp_path / f"s{scale}", scale=scale, seed=seed) == written
    cubes = stems_of(planned_files("climate", "data/raw/sample/climate", scale=2, seed=0))
    assert sorted(cubes) == sorted(run.run_name for run in build_universe(2, 0).runs)
    assert cubes["asb0001_b__present_day"] == "data/raw/sample/climate/asb0001_b__present_day.nc"
    with pytest.raises(ValueError, match="'kegg' sample's files are not listed"):
        planned_files("kegg", tmp_path, scale=1, seed=0)


def test_stems_module_does_not_import_the_sample_generator():
    code = ("import sys; import astrobuild.climate.stems; "
            "print(sorted(m for m in sys.modules if m.startswith('astrobuild.sample')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO / "src")})
    assert out.stdout.strip() == "[]"


def test_batches_are_cut_by_content_and_big_cubes_alone():
    cubes = {f"c{i:03d}": f"/x/c{i:03d}.nc" for i in range(400)}
    batches = conversion_batches(cubes, 10)
    assert [s for b in batches for s in b] == sorted(cubes)  # every cube once, in stem order
    assert max(map(len, batches)) <= 20 and 20 <= len(batches) <= 80  # about 10 a batch
    assert conversion_batches(cubes, 10) == batches  # the same cubes, the same batches
    alone = conversion_batches(cubes, 10, alone=["c001", "zz"])
    assert alone[-1] == ["c001"] and all("c001" not in b for b in alone[:-1])
    assert conversion_batches(cubes, 1) == [[s] for s in sorted(cubes)]
    assert conversion_batches({}, 4) == []
    with pytest.raises(ValueError, match="climate.batch_size must be >= 1"):
        conversion_batches(cubes, 0)


@pytest.mark.parametrize("change", ["add_first", "add_middle", "remove"])
def test_a_cube_added_or_removed_moves_no_other_cube_between_batches(change):
    """Each batch is rerun whole: a new cube may change its own batch (or split or join it with the
    next one), never the batches elsewhere, wherever it sorts."""
    cubes = {f"c{i:03d}": "" for i in range(1, 400)}
    before = conversion_batches(cubes, 10)
    changed = {"add_first": {"c000": "", **cubes}, "add_middle": {**cubes, "c200a": ""},
               "remove": {k: v for k, v in cubes.items() if k != "c200"}}[change]
    after = conversion_batches(changed, 10)
    rerun = [b for b in after if b not in before]
    assert 1 <= len(rerun) <= 2 and len(after) - len(rerun) >= len(before) - 2


def test_options_come_from_the_validated_config():
    opts = ZarrOptions.from_config(defaults("climate"), threads=3)
    assert opts.threads == 3 and opts.codec == "blosc-zstd" and opts.check_values
    with pytest.raises(ValueError, match=r"missing climate\.level, climate\.shuffle"):
        ZarrOptions.from_config({k: v for k, v in defaults("climate").items() if k not in ("level", "shuffle")})


# --- a batch job ------------------------------------------------------------------------------------


def test_batch_converts_and_validates_every_cube_and_records_what_it_was_built_from(cubes, tmp_path):
    out = tmp_path / "out"
    assert _batch(cubes, out) == {"converted": 3}
    report = json.loads((out / f"{cubes[0].stem}.report.json").read_text())
    assert report["built_from"]["converter"] == converter_version() and len(report["built_from"]["source_sha256"]) == 64
    assert json.loads((out / f"climate_{cubes[0].stem}.json").read_text())["valid"]
    first = {c.stem: (out / f"{c.stem}.report.json").read_bytes() for c in cubes}
    shutil.rmtree(out / f"{cubes[1].stem}.zarr")
    assert _batch(cubes, out) == {"converted": 3}  # a rerun (Snakemake deleted the outputs) writes the same
    assert {c.stem: (out / f"{c.stem}.report.json").read_bytes() for c in cubes} == first


def test_batch_tries_every_cube_and_names_each_failure(cubes, tmp_path):
    cut = tmp_path / "cut.nc"
    cut.write_bytes(cubes[0].read_bytes()[:4000])
    batch = [cubes[1], cut, cubes[2]]
    with pytest.raises(ClimateBatchError, match=r"1 of 3 cube\(s\) failed:\n  .*cut\.nc -> .*cut\.zarr: "
                                                r"TruncatedFileError: .*cut\.nc: truncated"):
        _batch(batch, tmp_path / "out")
    assert (tmp_path / "out" / f"{cubes[1].stem}.zarr").is_dir() and (tmp_path / "out" / f"{cubes[2].stem}.zarr").is_dir()
    assert not (tmp_path / "out" / "cut.zarr").exists()
    assert "truncated" in (tmp_path / "out" / "cut.log").read_text()
    assert "truncated" not in (tmp_path / "out" / f"{cubes[1].stem}.log").read_text()


# --- the size `make run` builds, and the tests' size ---------------------------------------------


def test_make_run_builds_600_runs_and_the_tests_scale_1(tmp_path):
    from snakemake.utils import validate

    from tests.workflow import TEST_CONFIG, apply_test_config, copy_workflow, with_test_config

    schema = str(REPO / "schemas" / "config.schema.yaml")
    raw = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    validate(config, schema)  # fills the schema's defaults
    assert len(build_universe(config["sample"]["scale"], config["sample"]["seed"]).runs) >= 600
    assert len({run.planet for run in build_universe(config["sample"]["scale"], 0).runs}) >= 200
    test = yaml.safe_load((REPO / TEST_CONFIG).read_text(encoding="utf-8"))
    # the tests' sample is scale 1, and their training short (what it writes, not how well it learns)
    assert test == {"sample": {"scale": 1}, "train": {"epochs": 8, "patience": 3, "cv": {"bootstrap": 200}}}
    assert with_test_config(("-n", "--configfile", "my.yaml", "target")) == \
        ["-n", "target", "--configfile", TEST_CONFIG, "my.yaml"]
    copy = copy_workflow(tmp_path / "repo")
    apply_test_config(copy)
    merged = yaml.safe_load((copy / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert merged["sample"] == {**raw["sample"], "scale": 1} and merged["climate"] == raw["climate"]
    assert merged["train"] == {**raw["train"], "epochs": 8, "patience": 3, "cv": {**raw["train"]["cv"], "bootstrap": 200}}
