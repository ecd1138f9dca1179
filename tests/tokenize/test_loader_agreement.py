"""The tokenized shards through ``curate.loader``: token counts and rank partitions agree
with the manifest."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from curate.loader import PackedSequenceLoader, TokenDataset
from tests.tokenize.helpers import Tokenized, read_shards

SEQ_LEN = 1024


def _real_tokens(loader: PackedSequenceLoader) -> np.ndarray:
    """The non-padding token ids a loader yields, in order."""
    parts = [item["input_ids"][item["loss_mask"]] for item in loader]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _histogram(tokens: np.ndarray) -> np.ndarray:
    return np.bincount(tokens.astype(np.int64), minlength=1 << 16)


def test_dataset_matches_manifest(books_tokenized: Tokenized) -> None:
    ds = TokenDataset(str(books_tokenized.out))
    totals = books_tokenized.manifest["totals"]
    assert ds.num_tokens == totals["tokens"]
    assert ds.num_documents == totals["documents"]
    assert ds.dtype == np.uint16
    assert ds.tokenizer.fingerprint == books_tokenized.manifest["tokenizer"]["fingerprint"]
    # gpt-neo's vocabulary has a <|padding|> token (id 1): the loader pads with it.
    assert books_tokenized.manifest["tokenizer"]["pad_id"] == 1
    assert ds.tokenizer.padding_id == 1
    assert len(ds.units()) >= 3 * len(ds.shards)


@pytest.mark.parametrize("shuffle", [True, False])
def test_loader_yields_every_token(books_tokenized: Tokenized, shuffle: bool) -> None:
    """Tokens yielded without drop_last, padding excluded, are exactly the shards' tokens."""
    loader = PackedSequenceLoader(str(books_tokenized.out), seq_len=SEQ_LEN, drop_last=False, shuffle=shuffle)
    tokens = _real_tokens(loader)
    totals = books_tokenized.manifest["totals"]
    assert len(tokens) == totals["tokens"]
    assert len(loader) == -(-totals["tokens"] // SEQ_LEN)
    flat = pc.list_flatten(read_shards(books_tokenized.out)["input_ids"]).to_numpy()
    assert (_histogram(tokens) == _histogram(flat)).all()
    if not shuffle:  # shard order, row-group order, stored document order
        assert (tokens == flat).all()


def test_ranks_partition_exactly(books_tokenized: Tokenized) -> None:
    """world_size 3: disjoint units that together cover the dataset, and every token once."""
    path = str(books_tokenized.out)
    world = 3
    loaders = [PackedSequenceLoader(path, seq_len=SEQ_LEN, rank=r, world_size=world, drop_last=False, seed=9) for r in range(world)]
    units = [{(u.shard, u.row_group) for u in loader.units} for loader in loaders]
    assert all(units), "a rank got no data"
    assert sum(len(u) for u in units) == len(set().union(*units)) == len(TokenDataset(path).units())
    streams = [_real_tokens(loader) for loader in loaders]
    totals = books_tokenized.manifest["totals"]
    assert [len(s) for s in streams] == [loader.tokens for loader in loaders]
    assert sum(len(s) for s in streams) == totals["tokens"]
    flat = pc.list_flatten(read_shards(books_tokenized.out)["input_ids"]).to_numpy()
    assert (sum(_histogram(s) for s in streams) == _histogram(flat)).all()
    # Balanced by tokens: ranks differ by at most one unit's tokens.
    biggest_unit = max(u.tokens for u in TokenDataset(path).units())
    assert max(len(s) for s in streams) - min(len(s) for s in streams) <= biggest_unit


def test_documents_end_with_eos_in_the_stream(books_tokenized: Tokenized) -> None:
    """With add_eos, every document boundary of a packed sequence follows an EOS."""
    eos = books_tokenized.manifest["tokenizer"]["eos_id"]
    loader = PackedSequenceLoader(str(books_tokenized.out), seq_len=SEQ_LEN, drop_last=True, fields=["input_ids", "document_ids"])
    checked = 0
    for item in loader:
        ids, docs = item["input_ids"], item["document_ids"]
        ends = np.flatnonzero(docs[1:] != docs[:-1])
        assert (ids[ends] == eos).all()
        checked += len(ends)
    assert checked > 100
