"""The order of units and documents: the epoch's unit permutation, the deal to ranks and
workers, the document order inside a unit, and the round-robin order in which a torch
DataLoader interleaves its workers.

These are pure functions of their arguments, the same on every rank and every run.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from curate.loader.format import Unit


def deal_units(units: Sequence[Unit], parts: int) -> list[list[Unit]]:
    """Split ``units`` (in the given order) into ``parts`` disjoint lists balanced by tokens.

    Each unit goes to the part with the fewest tokens so far (ties to the lowest index),
    keeping the given order inside each part.  Together the parts hold every unit once.
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1, not {parts}")
    out: list[list[Unit]] = [[] for _ in range(parts)]
    heap = [(0, p) for p in range(parts)]
    for unit in units:
        load, p = heapq.heappop(heap)
        out[p].append(unit)
        heapq.heappush(heap, (load + unit.tokens, p))
    return out


def unit_order(units: Sequence[Unit], seed: int, epoch: int, shuffle: bool) -> list[Unit]:
    """The epoch's unit order: as listed, or permuted by a generator seeded by (seed, epoch)."""
    if not shuffle:
        return list(units)
    perm = np.random.default_rng([seed, epoch, 0]).permutation(len(units))
    return [units[i] for i in perm]


def round_robin_consumed(counts: Sequence[int], consumed: int) -> list[int]:
    """How many items each worker had produced after ``consumed`` items in round-robin order.

    ``counts`` are the items each worker yields in total.  Round ``t`` takes one item from
    every worker that has more than ``t`` items, in worker order: this is the order of a
    ``torch.utils.data.DataLoader`` over an IterableDataset (``in_order=True``).
    """
    if consumed < 0:
        raise ValueError("consumed must be >= 0")
    total = sum(counts)
    if consumed >= total:
        return list(counts)
    lo, hi = 0, max(counts, default=0)
    while lo < hi:  # largest t with sum(min(c, t)) <= consumed
        mid = (lo + hi + 1) // 2
        if sum(min(c, mid) for c in counts) <= consumed:
            lo = mid
        else:
            hi = mid - 1
    out = [min(c, lo) for c in counts]
    rest = consumed - sum(out)
    for w, c in enumerate(counts):
        if rest == 0:
            break
        if c > lo:
            out[w] += 1
            rest -= 1
    return out


def document_order(documents: int, seed: int, epoch: int, unit_index: int) -> np.ndarray:
    """The stream order of a unit's stored documents with ``shuffle_documents``: a
    permutation of ``range(documents)`` seeded by ``(seed, epoch, unit index)``."""
    return np.random.default_rng([seed, epoch, 1, unit_index]).permutation(documents)


def permute_documents(
    tokens: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``tokens`` and int64 ``offsets`` with the documents in the order ``rows`` (stored
    document ``rows[j]`` becomes document ``j``)."""
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    lens = lengths[rows]
    starts = offsets[:-1][rows]
    new = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=new[1:])
    gather = np.arange(new[-1], dtype=np.int64)
    gather += np.repeat(starts - new[:-1], lens)
    return tokens[gather], new
