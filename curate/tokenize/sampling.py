"""Mixing arithmetic for ``write_tokenized``: each source's sampling rate from the weights,
repeat warnings, seeded per-document draws, token-tracking selection, sampling a bucket's
rows, and grouping buckets into shards (see :mod:`curate.tokenize.shards`)."""

from __future__ import annotations

from typing import cast

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.dedup.minhash import mix64
from curate.execution.workdir import WorkDir
from curate.tokenize.settings import Source, TokenizedSettings


def mixture_rates(sources: list[Source], natural: dict[str, int], total_tokens: int | None) -> dict[str, float]:
    """Sampling rate per source so that tokens follow the weights.

    Without weights every source is taken once (rate 1).  With weights, the total is
    ``total_tokens`` when given, else the sum of the sources' tokens; a source with too
    few tokens for its share is repeated (rate above 1), one with more is sampled down.
    """
    if all(s.weight is None for s in sources):
        return {s.name: 1.0 for s in sources}
    if any(s.weight is None for s in sources):
        raise ValueError("give a weight to every source, or to none")
    weight_sum = sum(cast(float, s.weight) for s in sources)  # every weight is set (checked above)
    total = total_tokens or sum(natural.values())
    rates = {}
    for s in sources:
        have = natural[s.name]
        if have == 0:
            raise ValueError(f"source {s.name!r} has no tokens; it cannot make up {cast(float, s.weight) / weight_sum:.0%} of the mixture")
        rates[s.name] = (cast(float, s.weight) / weight_sum) * total / have
    return rates


def repeat_warnings(
    rates: dict[str, float], natural: dict[str, int], documents: dict[str, int], limit: float | None,
) -> list[str]:
    """One message per source whose rate repeats its documents more than ``limit`` times.

    A model trained on a source repeated many times mostly memorises it: give the source
    more data, a lower weight, or a smaller ``total_tokens``.
    """
    if limit is None:
        return []
    return [
        f"source {name!r} is repeated {rate:.1f} times on average (its {documents.get(name, 0):,} documents, "
        f"{natural.get(name, 0):,} tokens, are too few for its weight; max_repeats_warning is {limit:g})"
        for name, rate in rates.items()
        if rate > limit
    ]


def group_buckets(tokens: np.ndarray, shard_tokens: int) -> list[list[int]]:
    """Consecutive buckets in groups of about ``shard_tokens`` tokens."""
    groups: list[list[int]] = [[]]
    filled = 0.0
    for bucket, value in enumerate(tokens):
        if groups[-1] and filled + value > shard_tokens * 1.1:
            groups.append([])
            filled = 0.0
        groups[-1].append(bucket)
        filled += float(value)
    return [g for g in groups if g]


def select_tracked(
    work: WorkDir, sources: list[Source], rates: dict[str, float], documents: dict[str, int], buckets: int,
    settings: TokenizedSettings,
) -> list[str]:
    """Token-tracking selection for the sources sampled by a fraction that have at most
    ``tracked_sampling_max_documents`` documents: their keys and token counts are read
    from the buckets (two columns), the chosen keys written to ``selected/`` by bucket."""
    tracked = [
        s.name for s in sources
        if rates[s.name] % 1.0 > 0 and documents[s.name] <= settings.tracked_sampling_max_documents
    ]
    work.remove("selected")
    if not tracked:
        return []
    columns: dict[str, list[pa.Table]] = {name: [] for name in tracked}
    for bucket in range(buckets):
        part = work.read_partition("buckets", bucket, columns=["key", "num_tokens", "source"])
        if part is None:
            continue
        for name in tracked:
            rows = part.filter(pc.equal(part["source"], name))
            if rows.num_rows:
                columns[name].append(rows)
    chosen = []
    for name in tracked:
        if not columns[name]:
            continue
        table = pa.concat_tables(columns[name])
        keys = table["key"].to_numpy()
        chosen.append(tracked_selection(keys, table["num_tokens"].to_numpy(), rates[name] % 1.0, settings.seed))
    if chosen:
        keys = np.concatenate(chosen)
        work.write_partitioned("selected", "keys", pa.table({"key": pa.array(keys, pa.uint64())}),
                               (keys % np.uint64(buckets)).astype(np.int64), buckets)
    return tracked


def sample_rows(part: pa.Table, rates: dict[str, float], seed: int, selected: np.ndarray | None = None,
            tracked: set[str] | None = None) -> pa.Table:
    """Each row kept ``floor(rate)`` times, plus once more for the fractional part: for a
    tracked source when its key is in ``selected`` (see :func:`tracked_selection`), else
    with that probability (a seeded draw from its key).  Copies after the first get a new
    key and id ``ID#k``."""
    # per-source values through the dictionary of the source column (no per-row lookups)
    sources = pc.dictionary_encode(part["source"]).combine_chunks()
    names = sources.dictionary.to_pylist()
    codes = sources.indices.to_numpy()
    rate = np.array([rates[name] for name in names], np.float64)[codes]
    keys = part["key"].to_numpy()
    whole = np.floor(rate).astype(np.int64)
    extra = _draw(keys, seed) < rate - whole
    if tracked:
        in_tracked = np.array([name in tracked for name in names], bool)[codes]
        chosen = np.isin(keys, selected) if selected is not None and len(selected) else np.zeros(len(keys), bool)
        extra = np.where(in_tracked, chosen, extra)
    copies = whole + extra.astype(np.int64)
    index = np.repeat(np.arange(part.num_rows), copies)
    repeat = np.arange(len(index)) - np.repeat(np.cumsum(copies) - copies, copies)
    part = part.take(pa.array(index))
    keys = part["key"].to_numpy()
    if (repeat > 0).any():
        keys = np.where(repeat > 0, mix64(keys + repeat.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)), keys)
        ids = pc.if_else(pa.array(repeat > 0), pc.binary_join_element_wise(part["id"], pa.array(repeat.astype(str)), "#"), part["id"])
        part = part.set_column(part.schema.get_field_index("id"), "id", ids)
    return part.set_column(part.schema.get_field_index("key"), "key", pa.array(keys, pa.uint64()))


def _draw(keys: np.ndarray, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per key, fixed by the seed."""
    return (mix64(keys ^ np.uint64(0x5DEECE66D + seed)) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@numba.njit(cache=True)
def _track(tokens: np.ndarray, fraction: float) -> np.ndarray:  # pragma: no cover - compiled
    chosen = np.zeros(len(tokens), np.bool_)
    taken = 0.0
    seen = 0.0
    for i in range(len(tokens)):
        seen += tokens[i]
        if taken + tokens[i] / 2.0 <= fraction * seen:
            chosen[i] = True
            taken += tokens[i]
    return chosen


def tracked_selection(keys: np.ndarray, tokens: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The keys of the documents that make up ``fraction`` of these tokens.

    Documents are visited in a seeded random order; each is taken when taking it keeps
    the tokens taken closest to ``fraction`` of the tokens seen, so the total is within
    about half a document of the target and every document has about ``fraction`` chance.
    An independent draw per document has the same expectation but, for a source of a few
    large documents (books), often takes none or all of them.
    """
    order = np.argsort(_draw(keys, seed), kind="stable")
    chosen = _track(tokens[order].astype(np.float64), float(fraction))
    return keys[order][chosen]
