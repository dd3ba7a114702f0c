"""Letter grades of a 0-1 score and the pass/fail bar."""

from __future__ import annotations

from typing import Any

# Lowest score of each grade, best first.
GRADES: dict[str, float] = {"A+": 0.98, "A": 0.95, "B": 0.90, "C": 0.85, "F": 0.0}
ORDER = ["F", "C", "B", "A", "A+"]  # worst to best
DEFAULT_MIN_GRADE = "C"  # anything but F passes
DIGITS = 6  # scores are rounded before grading, so 0.9799999999 from a mean is not an accident of floats


def score(value: float) -> float:
    return round(float(value), DIGITS)


def grade(value: float | None) -> str:
    """The letter of a score; None (nothing could be assessed: an empty table) is F."""
    if value is None:
        return "F"
    value = score(value)
    for letter, low in GRADES.items():
        if value >= low:
            return letter
    return "F"


def overall_of(scores: dict[str, float | None]) -> float | None:
    """The minimum of the assessed scores (None: not assessed, left out); None when none is."""
    assessed = [v for v in scores.values() if v is not None]
    return min(assessed) if assessed else None


def passes(letter: str, min_grade: str) -> bool:
    if letter not in ORDER or min_grade not in ORDER:
        raise ValueError(f"unknown grade {letter!r} or bar {min_grade!r}; grades are {ORDER}")
    return ORDER.index(letter) >= ORDER.index(min_grade)


def min_grade_for(name: str, config: dict[str, Any] | None) -> str:
    """The bar of one table or store: ``quality.min_grade.<name>``, else ``quality.default_min_grade``."""
    config = config or {}
    return (config.get("min_grade") or {}).get(name, config.get("default_min_grade", DEFAULT_MIN_GRADE))


def pulled_down_by(scores: dict[str, float | None], details: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Every assessed dimension below the A+ bar, with the columns/checks/variables that put it there."""
    out = []
    for dim in sorted(scores):
        if scores[dim] is not None and scores[dim] < GRADES["A+"]:
            out.append({"dimension": dim, "score": scores[dim], "because": details.get(dim, [])})
    return out
