"""Progress bars for long steps.

They write to stderr, which a rule script points at its log file, so
``tail -f logs/<rule>.log`` shows the bar of a running step. Bars are
throttled so that a log file does not fill with redraws.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    yield from tqdm(items, desc=desc, total=total, unit=unit, mininterval=2.0, dynamic_ncols=False, ascii=True)
