"""Fixtures for the deduplication tests.

``ray_session`` is the engine tests' embedded Ray (one per test session); importing it
here makes it available to the Ray tests of this folder too.
"""

from __future__ import annotations

from tests.curate.conftest import ray_session  # noqa: F401
