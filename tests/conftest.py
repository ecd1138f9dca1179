"""Fixtures shared by the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA_SKIP = "set CURATE_SHARED_DATA to ../shared/data to run"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder (``../shared/data``); skips the test when it is not set up."""
    value = os.environ.get("CURATE_SHARED_DATA")
    if not value:
        pytest.skip(SHARED_DATA_SKIP)
    path = Path(value).expanduser()
    if not path.is_dir():
        pytest.skip(f"{path} is missing: {SHARED_DATA_SKIP}")
    # Absolute, as curate names inputs (the README's command sets a relative path); curate
    # itself takes relative inputs (tests/curate/test_output_filesystem.py).
    return path.resolve()
