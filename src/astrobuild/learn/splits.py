"""Train/validation/test splits grouped by planet, seeded and deterministic.

Runs of one planet share its star, orbit and (in the sample) its biosphere
draws; a model that saw one of them in training would be graded on a planet it
already knows. So whole planets are assigned to splits: the sorted planet names
are permuted with ``numpy.random.Generator(PCG64(seed))`` and cut by the
configured fractions (rounded; every split gets at least one planet). A run
without a planet is its own group (it cannot leak a planet it does not have).
The same runs, fractions and seed always give the same assignment, whatever the
order of the registry's rows.

Cross-validation (``train.cv.folds`` > 1) groups coarser: planets of one host
star share the star's spectrum, mass and age, so they go to the same fold
(:func:`star_groups`; a planet whose host is unknown is its own group, a run
without a planet too). :func:`assign_folds` permutes the sorted group names
with the seed and deals them, in that order, to the fold with the fewest runs
so far (ties: the lower fold), so folds hold about as many runs each.
:func:`inner_validation` draws, inside one fold's training groups, the slice
that does the early stopping (seeded by the seed and the fold's number).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SPLITS = ("train", "val", "test")


class SplitError(ValueError):
    pass


def group_keys(runs: pd.DataFrame) -> pd.Series:
    """The split group of each run: its planet, or its own run id when it has none."""
    planet = runs["planet"].astype(object)
    own = "run:" + runs["run_id"].astype(str)
    return planet.where(planet.notna(), own).astype(str)


def split_sizes(n_groups: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """(train, val, test) group counts: rounded fractions, at least one group each."""
    if n_groups < 3:
        raise SplitError(f"train: {n_groups} planet(s) with labelled runs; a planet-grouped train/val/test "
                         "split needs at least 3")
    n_val = max(1, round(fractions[1] * n_groups))
    n_test = max(1, round(fractions[2] * n_groups))
    while n_val + n_test > n_groups - 1:  # keep one planet for training
        if n_val >= n_test:
            n_val -= 1
        else:
            n_test -= 1
    return n_groups - n_val - n_test, n_val, n_test


def assign_splits(runs: pd.DataFrame, fractions: Sequence[float], seed: int) -> pd.Series:
    """``train``/``val``/``test`` for every row of ``runs`` (columns run_id, planet), index aligned."""
    groups = group_keys(runs)
    names = np.array(sorted(groups.unique()), dtype=object)
    n_train, n_val, _ = split_sizes(len(names), fractions)
    order = np.random.Generator(np.random.PCG64(seed)).permutation(len(names))
    shuffled = names[order]
    split_of = {g: "train" for g in shuffled[:n_train]}
    split_of.update({g: "val" for g in shuffled[n_train:n_train + n_val]})
    split_of.update({g: "test" for g in shuffled[n_train + n_val:]})
    return groups.map(split_of).rename("split")


def star_groups(runs: pd.DataFrame, hosts: dict[str, str] | None = None) -> pd.Series:
    """The cross-validation group of each run: ``star:<host>`` of its planet, else the planet, else the run.

    ``hosts``: planet -> host star name (the exoplanet table's ``host``); a planet absent from it,
    or with an empty host, is its own group.
    """
    hosts = hosts or {}
    planets = group_keys(runs)
    has_planet = runs["planet"].notna().to_numpy()
    out = [f"star:{hosts[g]}" if has and hosts.get(g) else g
           for g, has in zip(planets, has_planet, strict=True)]
    return pd.Series(out, index=runs.index, name="group", dtype=object)


def assign_folds(groups: pd.Series, folds: int, seed: int) -> pd.Series:
    """Fold number (0..folds-1) of every row, whole groups per fold, balanced by rows; index aligned.

    Deterministic from the groups (names and sizes) and the seed, whatever the row order.
    ``folds`` larger than the number of groups is refused (see :func:`effective_folds`).
    """
    groups = groups.astype(str)
    sizes = groups.value_counts()
    names = np.array(sorted(sizes.index), dtype=object)
    if folds < 2:
        raise SplitError(f"train.cv.folds: {folds}; cross-validation needs at least 2 folds")
    if len(names) < folds:
        raise SplitError(f"train.cv.folds: {folds} folds need at least {folds} groups (host stars or "
                         f"planets); there are {len(names)}")
    order = np.random.Generator(np.random.PCG64(seed)).permutation(len(names))
    load = np.zeros(folds, dtype=np.int64)
    fold_of: dict[str, int] = {}
    for g in names[order]:
        f = int(np.argmin(load))  # the first of the least loaded folds
        fold_of[g] = f
        load[f] += int(sizes[g])
    return groups.map(fold_of).astype(np.int64).rename("fold")


def effective_folds(groups: pd.Series, folds: int) -> int:
    """``folds``, lowered to the number of groups when there are fewer (each fold needs one)."""
    return min(folds, int(groups.astype(str).nunique()))


def inner_validation(groups: pd.Series, fraction: float, seed: int, fold: int) -> pd.Series:
    """True for the rows of the validation slice drawn from ``groups`` (one fold's training rows).

    Whole groups: ``round(fraction * n)`` of the ``n`` groups, at least one, and at least one
    left for training; seeded by (seed, fold), independent of the row order.
    """
    groups = groups.astype(str)
    names = np.array(sorted(groups.unique()), dtype=object)
    if len(names) < 2:
        raise SplitError(f"a fold's training planets form {len(names)} group(s); the validation slice "
                         "for early stopping needs at least 2 (use fewer train.cv.folds or more planets)")
    n_val = min(max(1, round(fraction * len(names))), len(names) - 1)
    order = np.random.Generator(np.random.PCG64([seed, fold])).permutation(len(names))
    chosen = set(names[order][:n_val])
    return groups.isin(chosen).rename("val")
