"""Resuming a PackedSequenceLoader from its state_dict gives the uninterrupted remainder."""

from __future__ import annotations

import json

import pytest

from curate.loader import (
    PackedSequenceLoader,
    TokenDataset,
    TokenDatasetError,
    round_robin_consumed,
)
from tests.loader.helpers import same_streams

CONFIGS = [
    {"seq_len": 700, "world_size": 2, "rank": 1, "drop_last": False},
    {"seq_len": 700, "world_size": 3, "rank": 0, "shuffle_documents": False, "epoch": 3},
    {"seq_len": 2500, "world_size": 1, "rank": 0, "drop_last": False, "continue_positions": True},
    {"seq_len": 333, "world_size": 2, "rank": 0, "batch_size": 4, "drop_last": False},
    {
        "seq_len": 1000,
        "world_size": 1,
        "rank": 0,
        "shuffle": False,
        "num_workers": 2,
        "worker_id": 1,
    },
]


def _loader(ds, config, **extra):
    config = {**config, **extra}
    seq_len = config.pop("seq_len")
    return PackedSequenceLoader(ds, seq_len, seed=11, **config)


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
)
def test_resume_gives_the_remaining_stream(small16, config):
    ds = TokenDataset(str(small16.path))
    full = list(_loader(ds, config))
    n = len(full)
    assert n > 8
    cuts = sorted({0, 1, 2, 3, n // 3, n // 2, n - 2, n - 1, n})
    states = []
    for k in cuts:
        loader = _loader(ds, config)
        for _ in range(k):
            next(loader)
        state = json.loads(json.dumps(loader.state_dict()))
        states.append(state)
        assert state["sequences"] == k * (config.get("batch_size") or 1) or k == n
        resumed = _loader(ds, config, state=state)
        assert same_streams(list(resumed), full[k:]), f"resume after {k} of {n} items"
        # The original loader goes on with the same remainder too.
        assert same_streams(list(loader), full[k:])
    assert any(s["offset"] > 0 for s in states), "no cut inside a document"
    assert any(s["doc"] > 0 for s in states), "no cut inside a row group"


def test_resume_reads_only_from_the_current_row_group_on(small16, monkeypatch):
    ds = TokenDataset(str(small16.path))
    config = CONFIGS[0]
    loader = _loader(ds, config)
    for _ in range(37):
        next(loader)
    state = loader.state_dict()
    assert state["doc"] > 0 or state["offset"] > 0
    read = []
    original = TokenDataset.read_unit

    def counting(self, unit):
        read.append(unit.index)
        return original(self, unit)

    monkeypatch.setattr(TokenDataset, "read_unit", counting)
    resumed = _loader(ds, config, state=state)
    next(resumed)
    current = resumed.units[state["unit"]].index
    assert read[0] == current
    assert read.count(current) == 1
    first_unit = state["unit"]
    assert all(resumed.units.index(u) >= first_unit for u in (ds.units()[i] for i in read))


def test_load_state_dict_on_a_used_loader(small16):
    ds = TokenDataset(str(small16.path))
    config = CONFIGS[1]
    full = list(_loader(ds, config))
    a = _loader(ds, config)
    for _ in range(5):
        next(a)
    state = a.state_dict()
    b = _loader(ds, config, epoch=0)
    for _ in range(9):
        next(b)
    b.load_state_dict(state)
    assert b.epoch == 3
    assert same_streams(list(b), full[5:])


def test_seek_matches_iteration(small16):
    ds = TokenDataset(str(small16.path))
    config = CONFIGS[3]
    full = list(_loader(ds, config))
    loader = _loader(ds, config)
    loader.seek(7)
    assert same_streams(list(loader), full[7:])
    loader.seek(len(full) + 3)
    assert list(loader) == []


def test_state_for_another_layout_is_refused(small16):
    ds = TokenDataset(str(small16.path))
    loader = _loader(ds, CONFIGS[0])
    next(loader)
    state = loader.state_dict()
    with pytest.raises(TokenDatasetError, match="world_size: saved 2, now 4"):
        _loader(ds, {**CONFIGS[0], "world_size": 4}, state=state)
    with pytest.raises(TokenDatasetError, match="seq_len"):
        _loader(ds, {**CONFIGS[0], "seq_len": 512}, state=state)
    broken = dict(state, offset=state["offset"] + 1)
    with pytest.raises(TokenDatasetError, match="does not match"):
        _loader(ds, CONFIGS[0], state=broken)


def test_round_robin_consumed():
    counts = [3, 1, 2]
    order = [0, 1, 2, 0, 2, 0]  # round 0: all; round 1: workers with > 1; round 2: > 2
    for k in range(len(order) + 2):
        expected = [sum(1 for w in order[:k] if w == i) for i in range(3)]
        assert round_robin_consumed(counts, k) == expected
    assert round_robin_consumed([0, 0], 5) == [0, 0]
