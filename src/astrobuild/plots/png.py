"""Byte-stable PNG figures: the same data and library versions give the same bytes.

Matplotlib's Agg backend renders without a display; the PNG writer would add a
``Software`` text chunk naming the matplotlib version (dropped here) and no time
stamp. Fixed figure size and dpi keep the pixel grid identical between builds,
so DVC sees no change when nothing changed.
"""

from __future__ import annotations

import os
from typing import Any

from astrobuild.io import atomic_path

DPI = 100


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed, same pixels everywhere)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: str | os.PathLike[str], dpi: int = DPI) -> None:
    """Write ``fig`` atomically as a PNG without metadata that varies, then close it."""
    plt = pyplot()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)
