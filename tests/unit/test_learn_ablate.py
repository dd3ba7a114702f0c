"""astrobuild.learn.ablate (`make ablate`): variants, queue commands, the paired host-star bootstrap,
the table, and reading `dvc exp show --json` (a real one, recorded from DVC 3.67.1 on a tiny repository
whose stage is tests/integration/ablate_stage.py: four variants succeeded, ablate-no-planet_params failed).
The DVC run itself: tests/integration/test_ablate_workflow.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrobuild.learn import ablate, ablate_table
from astrobuild.learn.metrics import auroc, group_bootstrap, paired_group_bootstrap

RECORDED = Path(__file__).parent / "data" / "dvc_exp_show_ablate.json"
FOUR = ["climate", "bio_graph", "spectrum", "planet_params"]


def test_variants_are_all_and_each_modality_left_out_once():
    v = ablate.variants(FOUR)
    assert list(v) == ["all", "-climate", "-bio_graph", "-spectrum", "-planet_params"]
    assert v["all"] == FOUR
    for m in FOUR:
        assert v[f"-{m}"] == [x for x in FOUR if x != m]
    with pytest.raises(ablate.AblateError, match="at least two"):
        ablate.variants(["climate"])
    with pytest.raises(ablate.AblateError, match="repeat"):
        ablate.variants(["climate", "climate"])


def test_queue_commands_name_each_variant_and_set_its_modalities():
    commands = ablate.queue_commands(ablate.variants(["climate", "spectrum", "planet_params"]))
    assert commands[0] == ["exp", "run", "--queue", "-n", "ablate-all",
                           "-S", "config/config.yaml:train.modalities=[climate,spectrum,planet_params]"]
    assert commands[1] == ["exp", "run", "--queue", "-n", "ablate-no-climate",
                           "-S", "config/config.yaml:train.modalities=[spectrum,planet_params]"]
    assert [c[4] for c in commands] == ["ablate-all", "ablate-no-climate", "ablate-no-spectrum",
                                        "ablate-no-planet_params"]


def _correlated(stars: int = 60, per_star: int = 3, seed: int = 1):
    """Two models' scores sharing most of their noise (a per-star and a per-run part), one better."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"s{i}" for i in range(stars)], per_star)
    labels = rng.random(len(groups)) < 0.5
    shared = np.repeat(rng.normal(0, 1.0, stars), per_star) + rng.normal(0, 1.0, len(groups))
    good = 1.2 * labels + shared + rng.normal(0, 0.2, len(groups))
    worse = 0.9 * labels + shared + rng.normal(0, 0.2, len(groups))
    return labels, {"all": good, "-x": worse}, groups


def _unpaired_difference(labels, scores, groups, resamples=1000):
    """The difference's interval when each model gets its own, independent draws of host stars."""
    names, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(names))]
    rngs = {m: np.random.default_rng(k) for k, m in enumerate(scores)}
    diffs = []
    for _ in range(resamples):
        got = {}
        for m, values in scores.items():
            rows = np.concatenate([members[g] for g in rngs[m].integers(0, len(names), len(names))])
            got[m] = auroc(labels[rows], values[rows])
        diffs.append(got["all"] - got["-x"])
    return np.quantile(diffs, [0.025, 0.975])


def test_the_paired_interval_is_narrower_than_the_unpaired_one_on_correlated_scores():
    labels, scores, groups = _correlated()
    out = paired_group_bootstrap(labels, scores, groups, "all", resamples=1000, seed=0)
    paired = out["-x"]["diff_ci_high"] - out["-x"]["diff_ci_low"]
    low, high = _unpaired_difference(labels, scores, groups)
    assert paired < 0.5 * (high - low)
    assert paired < out["-x"]["auroc_ci_high"] - out["-x"]["auroc_ci_low"]
    assert out["-x"]["diff"] == pytest.approx(auroc(labels, scores["all"]) - auroc(labels, scores["-x"]), abs=1e-6)
    assert 0 < out["-x"]["diff_ci_low"] <= out["-x"]["diff"] <= out["-x"]["diff_ci_high"]
    assert out["all"]["diff"] is None and out["all"]["diff_ci_low"] is None


def test_each_models_interval_is_the_train_stages_own_on_the_same_draws():
    labels, scores, groups = _correlated()
    paired = paired_group_bootstrap(labels, scores, groups, "all", resamples=300, seed=7)
    alone = group_bootstrap(labels, scores, groups, resamples=300, seed=7)
    for m in scores:
        assert (paired[m]["auroc_ci_low"], paired[m]["auroc_ci_high"]) == \
            (alone[m]["auroc_ci_low"], alone[m]["auroc_ci_high"])


def test_identical_predictions_differ_by_exactly_zero():
    labels, scores, groups = _correlated()
    out = paired_group_bootstrap(labels, {"all": scores["all"], "-x": scores["all"].copy()}, groups, "all",
                                 resamples=200)
    assert (out["-x"]["diff"], out["-x"]["diff_ci_low"], out["-x"]["diff_ci_high"]) == (0.0, 0.0, 0.0)
    assert out["-x"]["auroc"] == out["all"]["auroc"]


def _frames(n_stars: int = 20, seed: int = 3) -> dict[str, pd.DataFrame]:
    labels, scores, groups = _correlated(stars=n_stars, seed=seed)
    base = pd.DataFrame({"run_id": [f"r{i:03d}" for i in range(len(labels))], "group": groups,
                         "fold": np.arange(len(labels)) // 3 % 4, "split": "test", "label": labels})
    return {v: base.assign(score=s) for v, s in scores.items()}


def test_paired_table_rows_and_their_independence_of_row_order():
    frames = _frames()
    modalities = {"all": ["a", "b"], "-x": ["a"]}
    rows = ablate_table.paired_table(frames, modalities, resamples=200, seed=0)
    assert [r["variant"] for r in rows] == ["all", "-x"]
    assert [r["experiment"] for r in rows] == ["ablate-all", "ablate-no-x"]
    assert {(r["runs"], r["groups"], r["folds"], r["bootstrap"], r["seed"]) for r in rows} == {(60, 20, 4, 200, 0)}
    shuffled = {v: f.sample(frac=1.0, random_state=k) for k, (v, f) in enumerate(frames.items())}
    assert ablate_table.paired_table(shuffled, modalities, resamples=200, seed=0) == rows
    # rows of other splits (a single split's train/val predictions) are not out of fold: left out
    extra = frames["-x"].assign(split="train", run_id=lambda f: "t" + f["run_id"])
    with_train = {**frames, "-x": pd.concat([frames["-x"], extra])}
    assert ablate_table.paired_table(with_train, modalities, resamples=200, seed=0) == rows


def test_predictions_on_other_runs_or_folds_are_refused_naming_the_variant():
    frames = _frames()
    modalities = {"all": ["a", "b"], "-x": ["a"]}
    fewer = {**frames, "-x": frames["-x"].iloc[1:]}
    with pytest.raises(ablate.AblateError, match=r"variant -x: not the same runs as 'all': 1 only in all \['r000'\]"):
        ablate_table.paired_table(fewer, modalities)
    renamed = {**frames, "-x": frames["-x"].assign(run_id=lambda f: f["run_id"].str.replace("r000", "r999"))}
    with pytest.raises(ablate.AblateError, match=r"variant -x: .*1 only in -x \['r999'\]"):
        ablate_table.paired_table(renamed, modalities)
    moved = frames["-x"].copy()
    moved.loc[moved.index[:2], "fold"] += 1
    with pytest.raises(ablate.AblateError, match=r"variant -x: 2 run\(s\) in another fold"):
        ablate_table.paired_table({**frames, "-x": moved}, modalities)
    twice = {**frames, "-x": pd.concat([frames["-x"], frames["-x"].iloc[:1]])}
    with pytest.raises(ablate.AblateError, match="variant -x: run"):
        ablate_table.paired_table(twice, modalities)
    with pytest.raises(ablate.AblateError, match="'all'"):
        ablate_table.paired_table({"-x": frames["-x"]}, modalities)


def test_format_table_is_markdown_with_signed_differences():
    common = {"runs": 300, "groups": 100, "folds": 5, "bootstrap": 1000, "seed": 0, "level": 0.95}
    rows = [{"variant": "all", "modalities": ["climate", "spectrum"], "auroc": 0.9123, "auroc_ci_low": 0.88,
             "auroc_ci_high": 0.94, "diff": None, "diff_ci_low": None, "diff_ci_high": None, **common},
            {"variant": "-climate", "modalities": ["spectrum"], "auroc": 0.8, "auroc_ci_low": 0.75,
             "auroc_ci_high": 0.85, "diff": 0.1123, "diff_ci_low": -0.0004, "diff_ci_high": 0.2, **common},
            {"variant": "-spectrum", "modalities": ["climate"], "auroc": None, "auroc_ci_low": None,
             "auroc_ci_high": None, "diff": None, "diff_ci_low": None, "diff_ci_high": None, **common}]
    assert ablate_table.format_table(rows).splitlines() == [
        "| variant | modalities | pooled AUROC (95% CI) | all − variant, paired (95% CI) |",
        "|---|---|---|---|",
        "| all | climate, spectrum | 0.912 [0.880, 0.940] |  |",
        "| -climate | spectrum | 0.800 [0.750, 0.850] | +0.112 [-0.000, +0.200] |",
        "| -spectrum | climate | n/a [n/a, n/a] | n/a [n/a, n/a] |",
        "",
        "Out-of-fold predictions of the same 300 runs (100 host stars, 5 folds) for every variant; 95% "
        "intervals: percentiles of 1000 host-star bootstrap draws (seed 0), the same draws for every "
        "variant; the difference is taken within each draw.",
    ]
    assert ablate_table.format_table([]) == ""


def _recorded() -> list[ablate.Experiment]:
    return ablate.parse_exp_show(json.loads(RECORDED.read_text(encoding="utf-8")))


def test_a_recorded_exp_show_is_parsed_by_name_state_commit_and_metrics():
    experiments = _recorded()
    states = {e.name: e.state for e in experiments}
    assert states == {"ablate-all": "success", "ablate-no-climate": "success", "ablate-no-bio_graph": "success",
                      "ablate-no-spectrum": "success", "ablate-no-planet_params": "failed"}
    assert len({e.baseline for e in experiments}) == 1 and all(len(e.rev) == 40 for e in experiments)
    by_name = {e.name: e for e in experiments}
    assert by_name["ablate-no-climate"].metrics["modalities"] == "bio_graph+spectrum+planet_params"
    assert by_name["ablate-no-climate"].params["train"]["modalities"] == ["bio_graph", "spectrum", "planet_params"]
    assert 0.5 < by_name["ablate-all"].metrics["pooled"]["network"]["auroc"] <= 1.0
    failed = by_name["ablate-no-planet_params"]
    assert failed.error == "Experiment run failed" and failed.log.endswith(".out")


def test_a_failed_experiment_is_named_and_a_missing_one_too():
    found = ablate.select(_recorded(), [ablate.experiment_name(v) for v in ablate.variants(FOUR)])
    with pytest.raises(ablate.AblateError) as err:
        ablate.check_succeeded(found, [*found, "ablate-no-extra"])
    message = str(err.value)
    assert "ablate-no-planet_params: failed (Experiment run failed; `dvc queue logs ablate-no-planet_params`)" in message
    assert "ablate-no-extra: no such experiment" in message
    assert "ablate-all" not in message and "ablate-no-climate" not in message
    with pytest.raises(ablate.AblateError, match="ablate-no-planet_params: failed"):
        ablate.collect(Path("."), ablate.variants(FOUR), experiments=_recorded())


def test_collect_returns_each_variants_experiment_and_checks_its_modalities():
    wanted = {k: v for k, v in ablate.variants(FOUR).items() if k != "-planet_params"}
    got = ablate.collect(Path("."), wanted, experiments=_recorded())
    assert {v: e.name for v, e in got.items()} == {v: ablate.experiment_name(v) for v in wanted}
    swapped = {**wanted, "-climate": wanted["-spectrum"]}
    with pytest.raises(ablate.AblateError, match=r"ablate-no-climate: trained on 'bio_graph\+spectrum\+planet_params'"):
        ablate.collect(Path("."), swapped, experiments=_recorded())


def test_select_prefers_a_successful_experiment_of_a_name():
    exps = [ablate.Experiment("ablate-all", "b" * 40, "c" * 40, "queued"),
            ablate.Experiment("ablate-all", "a" * 40, "c" * 40, "success")]
    assert ablate.select(exps, ["ablate-all", "ablate-no-x"]) == {"ablate-all": exps[1]}


def test_clear_previous_removes_this_commits_experiments_of_these_names_only():
    names = ["ablate-all", "ablate-no-x"]
    shown = [[ablate.Experiment("ablate-all", "1" * 40, "c" * 40, "success"),
              ablate.Experiment("ablate-no-x", "2" * 40, "c" * 40, "failed"),
              ablate.Experiment("ablate-no-x", "3" * 40, "c" * 40, "queued"),
              ablate.Experiment("other", "4" * 40, "c" * 40, "success")],
             [ablate.Experiment("other", "4" * 40, "c" * 40, "success")]]
    calls = []
    ablate.clear_previous(Path("."), names, dvc=lambda root, *args: calls.append(args) or "",
                          show=lambda root: shown.pop(0))
    assert calls == [("queue", "remove", "ablate-no-x"), ("exp", "remove", "ablate-all", "ablate-no-x")]

    def refuse(state: str, name: str) -> str:
        with pytest.raises(ablate.AblateError) as err:
            ablate.clear_previous(Path("."), names, dvc=lambda *a: pytest.fail("nothing may be removed"),
                                  show=lambda root: [ablate.Experiment(name, "5" * 40, "c" * 40, state)])
        return str(err.value)

    assert "the DVC queue also holds ['someone-else']" in refuse("queued", "someone-else")
    assert "running: ['ablate-all']" in refuse("running", "ablate-all")


def test_an_auroc_that_is_not_the_recorded_one_is_refused():
    exp = ablate.Experiment("ablate-all", "1" * 40, "c" * 40, "success",
                            metrics={"pooled": {"network": {"auroc": 0.9}}})
    ablate.check_recorded([{"variant": "all", "auroc": 0.9000004}], {"all": exp})
    with pytest.raises(ablate.AblateError, match="ablate-all: AUROC 0.8 from its predictions, 0.9 in its"):
        ablate.check_recorded([{"variant": "all", "auroc": 0.8}], {"all": exp})


def test_main_reads_its_defaults_from_the_config_and_prints_and_writes_the_rows(tmp_path, monkeypatch, capsys):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "train:\n  modalities: [a, x]\n  seed: 4\n  split_seed: 9\n  cv: {folds: 4, bootstrap: 50}\n")
    frames = _frames()
    frames = {"all": frames["all"], "-a": frames["-x"], "-x": frames["all"]}
    seen = {}

    def collect(root, variant_modalities, prefix=ablate.PREFIX, experiments=None):
        seen["variants"] = variant_modalities
        return {v: ablate.Experiment(ablate.experiment_name(v), v, "c" * 40, "success") for v in variant_modalities}

    monkeypatch.setattr(ablate, "collect", collect)
    monkeypatch.setattr(ablate, "read_predictions", lambda root, rev: frames[rev])
    assert ablate.main(["--root", str(tmp_path), "--no-run", "--json", str(tmp_path / "rows.json")]) == 0
    out = capsys.readouterr().out
    assert seen["variants"] == {"all": ["a", "x"], "-a": ["x"], "-x": ["a"]}
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert [(r["variant"], r["bootstrap"], r["seed"]) for r in rows] == [("all", 50, 9), ("-a", 50, 9), ("-x", 50, 9)]
    assert rows[2]["diff"] == 0.0 and out == ablate_table.format_table(rows) + "\n"
    assert ablate.main(["--root", str(tmp_path), "--no-run", "--bootstrap", "20", "--seed", "1"]) == 0
    assert "20 host-star bootstrap draws (seed 1)" in capsys.readouterr().out

    def failing(*args, **kwargs):
        raise ablate.AblateError("ablate-no-a: failed")

    monkeypatch.setattr(ablate, "collect", failing)
    assert ablate.main(["--root", str(tmp_path), "--no-run"]) == 1
    assert capsys.readouterr().err.strip() == "make ablate: ablate-no-a: failed"


def test_a_regression_and_a_multiclass_table_report_their_headline():
    from astrobuild.learn.tasks import Task, rmse

    rng = np.random.default_rng(0)
    truth = rng.normal(size=60)
    base = pd.DataFrame({"run_id": [f"r{i:03d}" for i in range(60)], "group": [f"s{i // 3}" for i in range(60)],
                         "fold": np.arange(60) % 4, "split": "test", "target": truth})
    frames = {"all": base.assign(prediction=truth + 0.1 * rng.normal(size=60)),
              "-x": base.assign(prediction=truth + 0.5 * rng.normal(size=60))}
    modalities = {"all": ["a", "b"], "-x": ["a"]}
    rows = ablate_table.paired_table(frames, modalities, resamples=200, seed=0, task=Task("regression", "y"))
    assert rows[1]["metric"] == "rmse" and rows[1]["rmse"] == pytest.approx(rmse(truth, frames["-x"]["prediction"]))
    assert rows[1]["diff"] < 0  # RMSE(all) - RMSE(-x): the left-out modality helps, lower is better
    assert "| variant | modalities | pooled RMSE (95% CI) |" in ablate_table.format_table(rows)
    classes = np.array(["a", "b", "c"])[rng.integers(0, 3, 60)]
    probs = np.eye(3)[[{"a": 0, "b": 1, "c": 2}[c] for c in classes]] * 0.8 + 0.2 / 3
    multi = base.assign(target=classes, **{f"p_{c}": probs[:, i] for i, c in enumerate("abc")})
    rows = ablate_table.paired_table({"all": multi, "-x": multi}, modalities, resamples=50, seed=0,
                               task=Task("multiclass", "k"))
    assert rows[0]["macro_f1"] == 1.0 and rows[1]["diff"] == 0.0
