"""A cube's time axis as a climate scientist reads it: dates in its own calendar, spin-up dropped, seasons.

:func:`time_plan` says which steps of a variable's time axis are read and how
much each weighs in each of the model's time steps (``train.climate.time``):

* ``seasons`` (DJF, MAM, JJA, SON), ``months`` (Jan..Dec) or ``annual``: the
  steps are grouped by the month of their date, decoded with cftime from the
  coordinate's ``units`` ("days since ...") and ``calendar`` (360_day, noleap,
  all_leap, standard, proleptic_gregorian, julian...), so daily, 6-hourly and
  monthly output group alike. A step with bounds (the coordinate's ``bounds``
  variable) is dated by the middle of its bounds and weighs its length: CESM
  stamps a monthly mean at the *end* of its month (January's at 1 February),
  and months differ in length. Without bounds a step is dated by its stamp and
  steps weigh the same. The groups are climatological (every DJF of every
  year together); a group with no step is refused.
* ``steps``: ``time_steps`` equal consecutive parts of the steps read, in index
  units (the behaviour before calendars; it needs no dates: a ``month`` index
  axis, or a time axis without units, works).
* ``auto``: ``seasons`` when the axis decodes to dates and every season has a
  step, else 4 equal ``steps`` (a cube of a few months, or without dates).

``spinup`` (``10Y``, ``6M``, ``30D``; null: none) drops the steps that start
before the first step's start plus that duration, counted in the cube's own
calendar (a 360_day year is 360 days). It needs dates. A cube with nothing left
is refused, naming the store.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import numpy as np

from astrobuild.features.climate_grid import index_weights

MODES = ("auto", "seasons", "months", "annual", "steps")
# model time steps of each mode (auto: the 4 seasons, or 4 equal parts when it cannot)
MODE_STEPS = {"auto": 4, "seasons": 4, "months": 12, "annual": 1}
SEASON_NAMES = ("DJF", "MAM", "JJA", "SON")
SEASON_OF_MONTH = np.array([0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0])  # January..December
SPINUP = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([YMD])\s*$", re.IGNORECASE)


class TimeAxisError(ValueError):
    """A time axis that cannot give the configured steps; CubeReader adds the store's name."""


def parse_spinup(text: str | None) -> tuple[float, str] | None:
    """``"10Y"`` -> (10.0, "Y"); years and months whole, days any number; None -> None."""
    if text is None:
        return None
    match = SPINUP.match(str(text))
    if not match:
        raise ValueError(f"spin-up {text!r} is not a duration like 10Y, 6M or 30D")
    amount, unit = float(match.group(1)), match.group(2).upper()
    if unit in "YM" and amount != int(amount):
        raise ValueError(f"spin-up {text!r}: years and months must be whole")
    return amount, unit


def mode_steps(mode: str, time_steps: int) -> int:
    """How many model time steps ``mode`` gives."""
    return time_steps if mode == "steps" else MODE_STEPS[mode]


@dataclass(frozen=True)
class Dates:
    """A decoded time axis: per step its start (numeric, the coordinate's units), month and weight."""

    starts: np.ndarray
    months: np.ndarray  # 1..12
    lengths: np.ndarray | None  # bound lengths, None without bounds
    units: str
    calendar: str


def decode(coord_values: np.ndarray, attrs: dict, bounds: np.ndarray | None) -> Dates | None:
    """The dates of a time coordinate, or None when it has no "<unit> since <date>" units or they fail."""
    import cftime

    units = str(attrs.get("units", ""))
    if " since " not in units:
        return None
    calendar = str(attrs.get("calendar", "standard")).strip().lower() or "standard"
    values = np.asarray(coord_values, dtype=np.float64).reshape(-1)
    if not np.isfinite(values).all():
        return None
    lengths = None
    mid = starts = values
    if bounds is not None and bounds.shape == (values.size, 2) and np.isfinite(bounds).all():
        lo, hi = bounds.min(axis=1), bounds.max(axis=1)
        mid, starts, lengths = (lo + hi) / 2.0, lo, hi - lo
    try:
        dates = cftime.num2date(mid, units, calendar)
    except (ValueError, TypeError, OverflowError):
        return None
    months = np.array([d.month for d in np.atleast_1d(dates)], dtype=np.int64)
    return Dates(starts=starts, months=months, lengths=lengths, units=units, calendar=calendar)


def _plus(start, amount: float, unit: str):
    """``start`` + the duration, in its calendar; a day past the month's end is its last day."""
    import cftime

    if unit == "D":
        return start + datetime.timedelta(days=amount)
    months = int(amount) * (12 if unit == "Y" else 1)
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    last = cftime.datetime(year, month0 + 1, 1, calendar=start.calendar, has_year_zero=start.has_year_zero).daysinmonth
    return cftime.datetime(year, month0 + 1, min(start.day, last), start.hour, start.minute, start.second,
                           start.microsecond, calendar=start.calendar, has_year_zero=start.has_year_zero)


def after_spinup(dates: Dates, steps: np.ndarray, spinup: tuple[float, str]) -> np.ndarray:
    """The ``steps`` that start at or after the first step's start plus ``spinup``."""
    import cftime

    first = cftime.num2date(dates.starts[0], dates.units, dates.calendar)
    cutoff = cftime.date2num(_plus(first, *spinup), dates.units, dates.calendar)
    spacing = np.median(np.abs(np.diff(dates.starts))) if dates.starts.size > 1 else 1.0
    # stamps written as float32 (or rounded) land a hair before the cutoff they sit on
    tolerance = 1e-4 * (spacing if spacing > 0 else 1.0)
    return steps[dates.starts[steps] >= cutoff - tolerance]


@dataclass(frozen=True)
class TimePlan:
    steps: np.ndarray  # indices of the time axis read, increasing
    weights: np.ndarray  # [model time steps, len(steps)]
    mode: str  # the mode applied (auto resolved)


def grouped(dates: Dates, steps: np.ndarray, mode: str) -> tuple[np.ndarray, list[str]]:
    """[groups, len(steps)] weights of ``steps`` by month, season or year; and the names of empty groups."""
    months = dates.months[steps]
    if mode == "seasons":
        group, names = SEASON_OF_MONTH[months - 1], list(SEASON_NAMES)
    elif mode == "months":
        group, names = months - 1, [f"month {m}" for m in range(1, 13)]
    else:
        group, names = np.zeros_like(months), ["year"]
    length = dates.lengths[steps] if dates.lengths is not None else np.ones(len(steps))
    weights = np.zeros((len(names), len(steps)))
    weights[group, np.arange(len(steps))] = length
    return weights, [n for n, w in zip(names, weights.sum(axis=1), strict=True) if w <= 0]


def time_plan(n_time: int, window: slice, mode: str, time_steps: int, spinup: tuple[float, str] | None,
              dates: Dates | None) -> TimePlan:
    """The steps read and their weights; raises :class:`TimeAxisError` saying why a cube cannot give them."""
    steps = np.arange(n_time)[window]
    if not steps.size:
        raise TimeAxisError(f"time window [{window.start}:{window.stop}] selects none of its {n_time} steps")
    if dates is None and (mode in ("seasons", "months", "annual") or spinup is not None):
        need = "spin-up" if spinup is not None else f"time mode {mode!r}"
        raise TimeAxisError(f"{need} needs dates, and its time axis has no decodable units and calendar "
                            "(e.g. 'days since 2000-01-01', calendar 'noleap')")
    if spinup is not None:
        kept = after_spinup(dates, steps, spinup)
        if not kept.size:
            raise TimeAxisError(f"too short: spin-up {spinup[0]:g}{spinup[1]} leaves none of its {steps.size} "
                                f"step(s)")
        steps = kept
    if mode in ("seasons", "months", "annual") or (mode == "auto" and dates is not None):
        weights, empty = grouped(dates, steps, "seasons" if mode == "auto" else mode)
        if not empty:
            return TimePlan(steps, weights, "seasons" if mode == "auto" else mode)
        if mode != "auto":
            raise TimeAxisError(f"too short for time mode {mode!r}: no step in {', '.join(empty)} among the "
                                f"{steps.size} step(s) read")
    return TimePlan(steps, index_weights(steps.size, mode_steps("steps", time_steps)), "steps")
