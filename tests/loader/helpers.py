"""Synthetic tokenized datasets in the ``curate.tokenized/1`` format, and stream helpers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SOURCES = ("web", "books")


def random_docs(
    rng: np.random.Generator, n: int, *, max_len: int = 3000, vocab: int = 50_000
) -> list[np.ndarray]:
    """``n`` documents of 1..max_len random token ids below ``vocab`` (int64)."""
    lengths = rng.integers(1, max_len + 1, size=n)
    return [rng.integers(0, vocab, size=int(k), dtype=np.int64) for k in lengths]


def write_dataset(
    root: Path,
    docs: Sequence[np.ndarray],
    *,
    dtype: str = "uint16",
    shards: int = 3,
    row_group_size: int | Sequence[int] = 16,
    pad_id: int | None = None,
    eos_id: int | None = 0,
) -> dict:
    """Write ``docs`` as shards (contiguous chunks) plus manifest; returns the manifest.

    ``row_group_size`` may be one size or one per shard.  Documents alternate between the
    two sources; every shard has an extra ``url`` column, as real shards may.
    """
    root = Path(root)
    (root / "tokens").mkdir(parents=True, exist_ok=True)
    sizes = [row_group_size] * shards if isinstance(row_group_size, int) else list(row_group_size)
    bounds = np.linspace(0, len(docs), shards + 1).astype(int)
    entries, by_source = [], Counter()
    for s in range(shards):
        lo, hi = int(bounds[s]), int(bounds[s + 1])
        part = docs[lo:hi]
        sources = [SOURCES[i % 2] for i in range(lo, hi)]
        table = pa.table(
            {
                "id": pa.array([f"doc-{i}" for i in range(lo, hi)], pa.string()),
                "input_ids": pa.array(
                    [d.astype(dtype) for d in part], pa.list_(pa.from_numpy_dtype(np.dtype(dtype)))
                ),
                "num_tokens": pa.array([len(d) for d in part], pa.int32()),
                "source": pa.array(sources, pa.string()),
                "url": pa.array([f"https://example.com/{i}" for i in range(lo, hi)], pa.string()),
            }
        )
        rel = f"tokens/shard-{s:05d}.parquet"
        pq.write_table(table, root / rel, row_group_size=max(1, sizes[s]))
        counts = Counter()
        for d, src in zip(part, sources):
            counts[src] += len(d)
        by_source.update(counts)
        entries.append(
            {
                "path": rel,
                "documents": len(part),
                "tokens": int(sum(len(d) for d in part)),
                "sources": dict(counts),
            }
        )
    manifest = {
        "format": "curate.tokenized/1",
        "tokenizer": {
            "name": "gpt-neo-test-tokenizer.json",
            "kind": "hf",
            "fingerprint": "sha256:0",
            "vocab_size": 50280,
            "bos_id": None,
            "eos_id": eos_id,
            "pad_id": pad_id,
        },
        "dtype": dtype,
        "shards": entries,
        "totals": {
            "documents": len(docs),
            "tokens": int(sum(len(d) for d in docs)),
            "by_source": dict(by_source),
        },
        "seed": 0,
        "curate_version": "0.1.0",
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def doc_counter(docs: Iterable[np.ndarray]) -> Counter:
    """Multiset of documents (by their token bytes as int64)."""
    return Counter(np.asarray(d, dtype=np.int64).tobytes() for d in docs)


def split_documents(items: Iterable[dict]) -> list[np.ndarray]:
    """Rebuild documents from a stream made with ``continue_positions=True``.

    Real tokens (``loss_mask``) are concatenated; a document starts where ``position_ids``
    is 0.  Checks on the way that inside each sequence the ``document_ids`` and
    ``cu_seqlens`` boundaries are exactly the document starts.
    """
    tokens, starts = [], []
    for item in items:
        ids, pos, seg, cu, mask = (
            item[k]
            for k in ("input_ids", "position_ids", "document_ids", "cu_seqlens", "loss_mask")
        )
        assert np.array_equal(seg, np.repeat(np.arange(len(cu) - 1), np.diff(cu)))
        real = int(mask.sum())
        assert mask[:real].all() and not mask[real:].any()
        changes = np.flatnonzero(np.diff(seg[:real])) + 1
        assert np.array_equal(changes, np.flatnonzero(pos[1:real] == 0) + 1)
        tokens.append(ids[:real].astype(np.int64))
        starts.append(pos[:real] == 0)
    if not tokens:
        return []
    flat = np.concatenate(tokens)
    cut = np.flatnonzero(np.concatenate(starts))
    assert len(cut) and cut[0] == 0, "the stream does not start at a document start"
    return np.split(flat, cut[1:])


def same_items(a: dict, b: dict) -> bool:
    """Whether two yielded items have equal keys, dtypes and values."""
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a
    )


def same_streams(a: Sequence[dict], b: Sequence[dict]) -> bool:
    """Whether two streams of items are identical."""
    return len(a) == len(b) and all(same_items(x, y) for x, y in zip(a, b))
