"""The shape of a consistency rule of the quality report, and helpers the rules share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

Frames = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Rule:
    """One cross-field or cross-table rule of a table.

    ``check(frame, others, **settings)`` returns ``(passed, checked)`` counts. A rule
    is skipped, and reported as skipped with the reason, when a table of ``needs`` is
    not part of the build, a column of ``columns`` is not in the table (the exoplanet
    table keeps only the columns a download has), or a setting of ``settings`` is not
    given. A rule that finds nothing to check (``checked == 0``) is "not assessed".
    """

    name: str
    description: str
    check: Callable[..., tuple[int, int]]
    needs: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()


def expected_per_group(frame: pd.DataFrame, by: str, value: str) -> pd.Series:
    """The most frequent ``value`` of each ``by`` group (ties: the smallest), aligned to ``frame``'s rows."""
    rows = frame[[by, value]].dropna()
    if rows.empty:
        return pd.Series(pd.NA, index=frame.index, dtype="object")
    counts = rows.groupby([by, value]).size().reset_index(name="n")
    counts = counts.sort_values([by, "n", value], ascending=[True, False, True])
    return frame[by].map(counts.drop_duplicates(by).set_index(by)[value])


def majority_agrees(frame: pd.DataFrame, by: str, value: str) -> tuple[int, int]:
    """Rows whose ``value`` is the most frequent one of their ``by`` group (rows with a null skipped)."""
    rows = frame[[by, value]].dropna()
    if rows.empty:
        return 0, 0
    return int((rows[value] == expected_per_group(rows, by, value)).sum()), len(rows)


def present(values: pd.Series) -> pd.Series:
    """Non-null and non-empty (a blank string is no value)."""
    return values.notna() & (values.astype("string").str.strip() != "").fillna(False)
