"""Synthetic tokenized datasets shared by the loader tests (written once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.loader.helpers import random_docs, write_dataset


@dataclass
class Synthetic:
    """A dataset written to ``path`` and the documents it holds."""

    path: Path
    docs: list[np.ndarray]
    manifest: dict


def _make(root: Path, dtype: str, seed: int) -> Synthetic:
    rng = np.random.default_rng(seed)
    vocab = 50_000 if dtype == "uint16" else 200_000
    docs = random_docs(rng, 240, vocab=vocab)
    # Uneven row groups: one shard of tiny row groups (sequences span several of them).
    manifest = write_dataset(root, docs, dtype=dtype, shards=3, row_group_size=[16, 3, 40])
    return Synthetic(root, docs, manifest)


@pytest.fixture(scope="session", params=["uint16", "uint32"])
def synthetic(request, tmp_path_factory) -> Synthetic:
    """240 documents of 1..3000 tokens in 3 shards, 34 row groups, two sources."""
    dtype = request.param
    return _make(tmp_path_factory.mktemp(f"tok-{dtype}"), dtype, seed=7 if dtype == "uint16" else 8)


@pytest.fixture(scope="session")
def small16(tmp_path_factory) -> Synthetic:
    """The uint16 dataset alone, for tests that need one dtype only."""
    return _make(tmp_path_factory.mktemp("tok-small16"), "uint16", seed=7)
