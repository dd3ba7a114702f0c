"""Train/validation/test splits grouped by planet, seeded and deterministic.

Runs of one planet share its star, orbit and (in the sample) its biosphere
draws; a model that saw one of them in training would be graded on a planet it
already knows. So whole planets are assigned to splits: the sorted planet names
are permuted with ``numpy.random.Generator(PCG64(seed))`` and cut by the
configured fractions (rounded; every split gets at least one planet). A run
without a planet is its own group (it cannot leak a planet it does not have).
The same runs, fractions and seed always give the same assignment, whatever the
order of the registry's rows.
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
