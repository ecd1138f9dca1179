"""Ranks on a dataset with fewer row groups than ranks: row groups split by documents."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from curate.loader import PackedSequenceLoader, TokenDataset, TokenDatasetError
from tests.loader.helpers import (
    doc_counter,
    random_docs,
    same_streams,
    split_documents,
    write_dataset,
)

SEQ_LEN = 256


@pytest.fixture(scope="module")
def one_group(tmp_path_factory):
    """40 documents of 1..600 tokens in one shard of one row group."""
    docs = random_docs(np.random.default_rng(3), 40, max_len=600)
    root = tmp_path_factory.mktemp("one-group")
    write_dataset(root, docs, shards=1, row_group_size=1000)
    assert len(TokenDataset(str(root)).units()) == 1
    return root, docs


@pytest.mark.parametrize("world_size", [2, 3, 7])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_rank_gets_tokens_from_a_single_row_group(one_group, world_size, shuffle):
    root, docs = one_group
    ds = TokenDataset(str(root))
    total, tokens = Counter(), []
    for rank in range(world_size):
        loader = PackedSequenceLoader(
            ds, SEQ_LEN, rank=rank, world_size=world_size, drop_last=False,
            continue_positions=True, shuffle=shuffle, seed=2,
        )
        assert loader.tokens > 0 and loader.num_sequences() > 0, f"rank {rank} gets nothing"
        items = list(loader)
        assert len(items) == len(loader) > 0
        mine = doc_counter(split_documents(items))
        assert not (set(mine) & set(total)), "two ranks got the same document"
        total += mine
        tokens.append(loader.tokens)
    assert total == doc_counter(docs)
    assert sum(tokens) == sum(len(d) for d in docs)
    # balanced to within a few documents
    assert max(tokens) - min(tokens) <= 3 * max(len(d) for d in docs)
    loader = PackedSequenceLoader(ds, SEQ_LEN, world_size=world_size, shuffle=shuffle, seed=2)
    assert loader.sequences_per_rank() == [t // SEQ_LEN for t in tokens]


def test_split_is_deterministic_and_resumable(one_group):
    root, _ = one_group
    ds = TokenDataset(str(root))
    assert ds.split_units(3) == TokenDataset(str(root)).split_units(3)
    units = ds.split_units(3)
    assert len(units) >= 3 and sum(u.documents for u in units) == ds.num_documents
    assert [u.first_doc for u in units] == list(np.cumsum([0] + [u.documents for u in units[:-1]]))

    def make(**kwargs):
        return PackedSequenceLoader(str(root), SEQ_LEN, rank=1, world_size=3, drop_last=False, seed=4, **kwargs)

    full = list(make())
    assert same_streams(full, list(make()))
    for cut in (1, len(full) // 2, len(full) - 1):
        loader = make()
        for _ in range(cut):
            next(loader)
        state = loader.state_dict()
        unit = loader.units[state["unit"]]
        assert unit.first_doc <= state["row"] < unit.first_doc + unit.documents
        assert same_streams(full[cut:], list(make(state=state)))


def test_too_few_documents_for_the_world_size_is_a_clear_error(tmp_path):
    docs = random_docs(np.random.default_rng(1), 2, max_len=50)
    write_dataset(tmp_path, docs, shards=1, row_group_size=10)
    with pytest.raises(TokenDatasetError, match=r"2 non-empty documents .* between 3 ranks") as info:
        PackedSequenceLoader(str(tmp_path), 16, rank=0, world_size=3)
    assert str(tmp_path) in str(info.value)
    assert len(list(PackedSequenceLoader(str(tmp_path), 16, rank=1, world_size=2, drop_last=False))) > 0
