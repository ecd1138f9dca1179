"""PackedSequenceLoader: rank split, completeness, boundaries, drop_last, determinism."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from curate.loader import (
    FIELDS,
    PackedSequenceLoader,
    TokenDataset,
    deal_units,
    unit_order,
)
from tests.loader.helpers import doc_counter, same_streams, split_documents, write_dataset

SEQ_LEN = 1000


@pytest.mark.parametrize("world_size", [1, 2, 3, 8])
def test_ranks_yield_every_document_once(synthetic, world_size):
    ds = TokenDataset(str(synthetic.path))
    total, real_tokens = Counter(), 0
    for rank in range(world_size):
        loader = PackedSequenceLoader(
            ds,
            SEQ_LEN,
            rank=rank,
            world_size=world_size,
            drop_last=False,
            continue_positions=True,
            seed=5,
        )
        items = list(loader)
        assert len(items) == loader.num_sequences() == len(loader)
        for item in items:
            assert item["input_ids"].shape == (SEQ_LEN,) and item["input_ids"].dtype == np.int64
        real_tokens += sum(int(item["loss_mask"].sum()) for item in items)
        mine = doc_counter(split_documents(items))
        assert not (set(mine) & set(total)), "two ranks got the same document"
        total += mine
    assert total == doc_counter(synthetic.docs)
    assert real_tokens == synthetic.manifest["totals"]["tokens"]


@pytest.mark.parametrize("world_size", [1, 3, 8, 50])
def test_units_are_dealt_disjoint_complete_and_balanced(synthetic, world_size):
    ds = TokenDataset(str(synthetic.path))
    units = ds.split_units(world_size)  # the row groups, split when fewer than ranks
    assert (units == ds.units()) == (world_size <= len(ds.units()))
    parts = [
        PackedSequenceLoader(ds, SEQ_LEN, rank=r, world_size=world_size, epoch=2).units
        for r in range(world_size)
    ]
    flat = [u.index for part in parts for u in part]
    assert sorted(flat) == [u.index for u in units]
    loads = [sum(u.tokens for u in part) for part in parts]
    assert max(loads) - min(loads) <= max(u.tokens for u in units)
    assert min(loads) > 0
    # Inside a rank the epoch's shuffled unit order is kept.
    order = [u.index for u in unit_order(units, 0, 2, True)]
    for part in parts:
        idx = [order.index(u.index) for u in part]
        assert idx == sorted(idx)


def test_deal_units_by_tokens():
    from curate.loader import Unit

    units = [Unit(i, 0, "s", i, 1, t) for i, t in enumerate([10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])]
    parts = deal_units(units, 2)
    assert [u.index for u in parts[0]] == [0]
    assert [sum(u.tokens for u in p) for p in parts] == [10, 10]


def test_total_tokens_match_manifest_and_shards(synthetic):
    loader = PackedSequenceLoader(str(synthetic.path), SEQ_LEN, drop_last=False)
    items = list(loader)
    real = sum(int(item["loss_mask"].sum()) for item in items)
    manifest = synthetic.manifest
    assert real == manifest["totals"]["tokens"] == sum(s["tokens"] for s in manifest["shards"])
    stats = loader.stats()
    assert stats["tokens_yielded"] == real and stats["sequences_yielded"] == len(items)
    assert stats["pad_tokens"] == stats["pad_tokens_yielded"] == len(items) * SEQ_LEN - real
    assert stats["dropped_tokens"] == 0
    # Padding uses the tokenizer's eos_id (pad_id is null) and only in the last sequence.
    assert all(item["loss_mask"].all() for item in items[:-1])
    last = items[-1]
    assert (last["input_ids"][~last["loss_mask"]] == 0).all()


def _tiny(tmp_path, **kwargs):
    docs = [
        np.array([10, 11, 12]),
        np.array([20, 21, 22, 23, 24]),
        np.array([30, 31]),
        np.array([40, 41, 42, 43, 44, 45, 46]),
        np.array([50]),
    ]
    write_dataset(tmp_path, docs, shards=1, row_group_size=2, eos_id=0, pad_id=99, **kwargs)
    return str(tmp_path)


def test_hand_made_boundaries(tmp_path):
    path = _tiny(tmp_path)
    loader = PackedSequenceLoader(path, 4, shuffle=False, drop_last=False)
    assert [u.documents for u in loader.units] == [2, 2, 1]
    items = list(loader)
    got = {k: [item[k].tolist() for item in items] for k in FIELDS}
    assert got["input_ids"] == [
        [10, 11, 12, 20],
        [21, 22, 23, 24],
        [30, 31, 40, 41],
        [42, 43, 44, 45],
        [46, 50, 99, 99],
    ]
    assert got["document_ids"] == [
        [0, 0, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
        [0, 1, 2, 2],
    ]
    assert got["position_ids"] == [
        [0, 1, 2, 0],
        [0, 1, 2, 3],
        [0, 1, 0, 1],
        [0, 1, 2, 3],
        [0, 0, 0, 1],
    ]
    assert got["cu_seqlens"] == [[0, 3, 4], [0, 4], [0, 2, 4], [0, 4], [0, 1, 2, 4]]
    assert got["loss_mask"] == [[True] * 4] * 4 + [[True, True, False, False]]
    for item in items:
        cu = item["cu_seqlens"]
        assert item["cu_seqlens"].dtype == np.int32 and item["document_ids"].dtype == np.int32
        assert item["position_ids"].dtype == np.int64
        assert np.array_equal(item["document_ids"], np.repeat(np.arange(len(cu) - 1), np.diff(cu)))
        starts = np.repeat(cu[:-1], np.diff(cu))
        assert np.array_equal(item["position_ids"], np.arange(4) - starts)

    cont = list(
        PackedSequenceLoader(path, 4, shuffle=False, drop_last=False, continue_positions=True)
    )
    assert [i["position_ids"].tolist() for i in cont] == [
        [0, 1, 2, 0],
        [1, 2, 3, 4],
        [0, 1, 0, 1],
        [2, 3, 4, 5],
        [6, 0, 0, 1],
    ]
    assert same_streams(
        [{k: v for k, v in i.items() if k != "position_ids"} for i in cont],
        [{k: v for k, v in i.items() if k != "position_ids"} for i in items],
    )


def test_hand_made_batches_and_dtype(tmp_path):
    path = _tiny(tmp_path)
    singles = list(PackedSequenceLoader(path, 4, shuffle=False, drop_last=False))
    batches = list(PackedSequenceLoader(path, 4, shuffle=False, drop_last=False, batch_size=2))
    assert [b["input_ids"].shape for b in batches] == [(2, 4), (2, 4), (1, 4)]
    assert batches[0]["cu_seqlens"].tolist() == [0, 3, 4, 8]
    assert batches[1]["cu_seqlens"].tolist() == [0, 2, 4, 8]
    assert batches[2]["cu_seqlens"].tolist() == [0, 1, 2, 4]
    for key in ("input_ids", "position_ids", "document_ids", "loss_mask"):
        assert np.array_equal(
            np.concatenate([b[key] for b in batches]), np.stack([s[key] for s in singles])
        )
    dropped = list(PackedSequenceLoader(path, 4, shuffle=False, batch_size=2))
    assert len(dropped) == 2 and all(b["input_ids"].shape == (2, 4) for b in dropped)
    stored = next(PackedSequenceLoader(path, 4, shuffle=False, dtype=None))
    assert stored["input_ids"].dtype == np.uint16
    only = next(PackedSequenceLoader(path, 4, shuffle=False, fields=["input_ids", "cu_seqlens"]))
    assert set(only) == {"input_ids", "cu_seqlens"} and only["cu_seqlens"].tolist() == [0, 3, 4]
    with pytest.raises(ValueError, match="unknown fields"):
        PackedSequenceLoader(path, 4, fields=["labels"])


@pytest.mark.parametrize("world_size", [1, 3])
def test_drop_last_drops_only_the_partial_sequence(synthetic, world_size):
    ds = TokenDataset(str(synthetic.path))
    for rank in range(world_size):
        kept = PackedSequenceLoader(ds, SEQ_LEN, rank=rank, world_size=world_size, drop_last=False)
        dropped = PackedSequenceLoader(ds, SEQ_LEN, rank=rank, world_size=world_size)
        full, cut = list(kept), list(dropped)
        rest = dropped.tokens % SEQ_LEN
        assert rest, "pick a seq_len that leaves a partial sequence"
        assert same_streams(cut, full[:-1])
        assert full[-1]["loss_mask"].sum() == rest
        assert len(cut) == dropped.tokens // SEQ_LEN == len(dropped)
        stats = dropped.stats()
        assert stats["dropped_tokens"] == rest and stats["pad_tokens"] == 0
        assert stats["tokens_yielded"] == len(cut) * SEQ_LEN
        assert all(item["loss_mask"].all() for item in cut)


def test_sequences_per_rank(small16):
    loader = PackedSequenceLoader(str(small16.path), SEQ_LEN, world_size=3, rank=1, epoch=4)
    counts = loader.sequences_per_rank()
    assert counts[1] == loader.num_sequences() == len(list(loader))
    assert sum(counts) <= small16.manifest["totals"]["tokens"] // SEQ_LEN


def _stream(path, **kwargs):
    return list(PackedSequenceLoader(path, 700, world_size=2, rank=1, **kwargs))


def test_same_seed_same_stream(small16):
    path = str(small16.path)
    assert same_streams(_stream(path, seed=3), _stream(path, seed=3))
    assert same_streams(_stream(path, seed=3, epoch=2), _stream(path, seed=3, epoch=2))


def test_seed_and_epoch_change_the_order(small16):
    path = str(small16.path)
    base = _stream(path, seed=3)
    for other in (_stream(path, seed=4), _stream(path, seed=3, epoch=1)):
        n = min(len(base), len(other))
        assert not all(
            np.array_equal(a["input_ids"], b["input_ids"]) for a, b in zip(base[:n], other[:n])
        )
    # set_epoch is the same as building the loader for that epoch.
    loader = PackedSequenceLoader(path, 700, world_size=2, rank=1, seed=3)
    next(loader)
    loader.set_epoch(1)
    assert same_streams(list(loader), _stream(path, seed=3, epoch=1))


def test_document_shuffle_changes_order_inside_units_only(small16):
    path = str(small16.path)
    a = PackedSequenceLoader(
        path, 700, shuffle_documents=False, continue_positions=True, drop_last=False
    )
    b = PackedSequenceLoader(
        path, 700, shuffle_documents=True, continue_positions=True, drop_last=False
    )
    assert [u.index for u in a.units] == [u.index for u in b.units]
    da, db = split_documents(list(a)), split_documents(list(b))
    assert doc_counter(da) == doc_counter(db)
    assert [d.tobytes() for d in da] != [d.tobytes() for d in db]
    # Without shuffle, documents come in stored order.
    plain = PackedSequenceLoader(path, 700, shuffle=False, continue_positions=True, drop_last=False)
    docs = split_documents(list(plain))
    assert [d.tobytes() for d in docs] == [d.astype(np.int64).tobytes() for d in small16.docs]


def test_argument_errors(small16):
    path = str(small16.path)
    with pytest.raises(ValueError, match="rank 2"):
        PackedSequenceLoader(path, 16, rank=2, world_size=2)
    with pytest.raises(ValueError, match="seq_len"):
        PackedSequenceLoader(path, 0)


def test_prefetch_gives_the_same_stream(small16):
    path = str(small16.path)
    plain = list(PackedSequenceLoader(path, 900, world_size=2, drop_last=False))
    ahead = PackedSequenceLoader(path, 900, world_size=2, drop_last=False, prefetch=True)
    first = [next(ahead) for _ in range(10)]
    state = ahead.state_dict()
    assert same_streams(first + list(ahead), plain)
    resumed = PackedSequenceLoader(
        path, 900, world_size=2, drop_last=False, prefetch=True, state=state
    )
    assert same_streams(list(resumed), plain[10:])
