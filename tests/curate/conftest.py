"""Fixtures for engine tests: one embedded Ray for the whole session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE_WARC = REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"


@pytest.fixture(scope="session")
def ray_session():
    """Start Ray once (2 CPUs); curate's runner sees it running and reuses it."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    from curate.config import ExecutionConfig
    from curate.execution.ray_executor import start_ray

    started = start_ray(ExecutionConfig(num_cpus=2, object_store_memory=512 << 20), None)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture
def sample_warc() -> Path:
    return SAMPLE_WARC
