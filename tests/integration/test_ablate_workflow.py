"""`make ablate` end to end on a tiny git + DVC repository (not the real pipeline, which is slow):
the variants queued as DVC experiments through astrobuild.learn.ablate, the queue run, each
experiment's predictions read back at its commit, the table printed; a second run replaces the
first run's experiments and prints the same table; ``--no-run`` reads them back alone.

The stage is tests/integration/ablate_stage.py: deterministic predictions whose AUROC falls by a known
amount with each modality left out. About 20 s on 2 cores.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from astrobuild.learn import ablate

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (Path(sys.executable).parent / "dvc").exists(),
                                 reason="dvc is not installed in this environment (dev extra)")]

STAGE = Path(__file__).with_name("ablate_stage.py")
DVC_YAML = """\
stages:
  train:
    cmd: python ablate_stage.py
    deps: [ablate_stage.py]
    params:
      - config/config.yaml:
          - train
    outs:
      - results/train/predictions.parquet
    metrics:
      - results/train/metrics.json
"""
IDENTITY = {"GIT_AUTHOR_NAME": "astrobuild tests", "GIT_AUTHOR_EMAIL": "tests@astrobuild.invalid",
            "GIT_COMMITTER_NAME": "astrobuild tests", "GIT_COMMITTER_EMAIL": "tests@astrobuild.invalid",
            "DVC_NO_ANALYTICS": "1"}


def _run(cwd: Path, *cmd: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=ablate._env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed in {cwd}:\n{(proc.stdout + proc.stderr)[-3000:]}"


def make_repo(root: Path, train: dict) -> Path:
    """A git + DVC repository whose one stage, ``train``, is ablate_stage.py on ``train`` (its params),
    reproduced and committed: the baseline of the experiments. Needs IDENTITY in the environment."""
    (root / "config").mkdir(parents=True)
    (root / "config" / "config.yaml").write_text(yaml.safe_dump({"train": train}, sort_keys=False))
    shutil.copy(STAGE, root / "ablate_stage.py")
    (root / "dvc.yaml").write_text(DVC_YAML)
    _run(root, "git", "init", "-q")
    _run(root, ablate.dvc_executable(), "init", "-q")
    _run(root, "git", "add", "-A")
    _run(root, "git", "commit", "-q", "-m", "stage")
    _run(root, ablate.dvc_executable(), "repro", "-q")
    _run(root, "git", "add", "-A")
    _run(root, "git", "commit", "-q", "-m", "baseline")
    return root


def test_make_ablate_queues_runs_and_prints_the_paired_table(tmp_path: Path, monkeypatch, capfd) -> None:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    repo = make_repo(tmp_path / "repo", {"modalities": ["climate", "spectrum"], "seed": 0, "split_seed": None,
                                         "cv": {"folds": 3, "bootstrap": 200}})
    capfd.readouterr()

    assert ablate.main(["--root", str(repo), "--json", str(tmp_path / "rows.json")]) == 0
    out, err = capfd.readouterr()
    assert "dvc exp run --queue -n ablate-no-climate -S config/config.yaml:train.modalities=[spectrum]" in err
    rows = {row["variant"]: row for row in json.loads((tmp_path / "rows.json").read_text())}
    assert list(rows) == ["all", "-climate", "-spectrum"]
    assert rows["-climate"]["modalities"] == ["spectrum"] and rows["-spectrum"]["modalities"] == ["climate"]
    assert {(r["runs"], r["groups"], r["folds"], r["bootstrap"], r["seed"]) for r in rows.values()} == {(150, 50, 3, 200, 0)}
    # climate carries twice spectrum's weight in the stage: both help, climate more
    assert rows["-climate"]["diff_ci_low"] > 0 and rows["-spectrum"]["diff_ci_low"] > 0
    assert rows["-climate"]["diff"] > rows["-spectrum"]["diff"]
    for row in rows.values():
        assert row["auroc_ci_low"] <= row["auroc"] <= row["auroc_ci_high"]
        if row["variant"] != "all":
            assert row["diff"] == pytest.approx(rows["all"]["auroc"] - row["auroc"], abs=2e-6)
            assert row["diff_ci_low"] <= row["diff"] <= row["diff_ci_high"]
    # the same draws as the stage's own intervals (same seed, same count): the recorded figures
    experiments = ablate.collect(repo, ablate.variants(["climate", "spectrum"]))
    for variant, exp in experiments.items():
        recorded = exp.metrics["pooled"]["network"]
        assert {k: rows[variant][k] for k in ("auroc", "auroc_ci_low", "auroc_ci_high")} == \
            {k: recorded[k] for k in ("auroc", "auroc_ci_low", "auroc_ci_high")}
    table = out.strip().splitlines()
    assert table[0] == "| variant | modalities | pooled AUROC (95% CI) | all − variant, paired (95% CI) |"
    assert table[2].startswith("| all | climate, spectrum | ") and table[2].endswith(" |  |")
    r = rows["-climate"]
    assert table[3] == (f"| -climate | spectrum | {r['auroc']:.3f} [{r['auroc_ci_low']:.3f}, {r['auroc_ci_high']:.3f}] "
                        f"| {r['diff']:+.3f} [{r['diff_ci_low']:+.3f}, {r['diff_ci_high']:+.3f}] |")
    assert "150 runs (50 host stars, 3 folds)" in table[-1] and "200 host-star bootstrap draws (seed 0)" in table[-1]

    # Again: the earlier experiments of these names are replaced (DVC refuses a name twice), same table.
    assert ablate.main(["--root", str(repo)]) == 0
    again, _ = capfd.readouterr()
    assert again == out
    names = sorted(e.name for e in ablate.show_experiments(repo))
    assert names == ["ablate-all", "ablate-no-climate", "ablate-no-spectrum"]

    # Read back alone, with another bootstrap: same AUROCs, the intervals of 100 draws.
    assert ablate.main(["--root", str(repo), "--no-run", "--bootstrap", "100"]) == 0
    alone, err = capfd.readouterr()
    assert "dvc exp run" not in err and "100 host-star bootstrap draws" in alone
    assert [line.split(" [")[0] for line in alone.splitlines()[2:5]] == [line.split(" [")[0] for line in table[2:5]]
