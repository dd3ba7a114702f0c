"""Shared fixtures: where the repository and the real upstream files are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """../shared/realdata beside the checkout; tests that need it skip on a user's fresh clone."""
    if not REALDATA.is_dir():
        pytest.skip(f"real upstream files not available ({REALDATA} is absent)")
    return REALDATA
