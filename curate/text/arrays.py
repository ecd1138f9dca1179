"""Arrow / numpy helpers shared by the text functions and the filters: one contiguous
string array from any input, per-group sums, Arrow arrays as numpy, list flattening, and
numbering of repeated items."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "as_string_array",
    "dense_ids",
    "duplicate_chars",
    "group_sum",
    "list_parts",
    "np_bool",
    "np_int",
    "take_rows",
    "to_numpy",
]


def as_string_array(texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """One contiguous string array, nulls as empty strings."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    elif not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), pa.large_string())
    if pa.types.is_dictionary(texts.type):
        texts = texts.dictionary_decode()
    if texts.null_count:
        texts = pc.fill_null(texts, "")
    return texts


def group_sum(values: np.ndarray | None, parents: np.ndarray, n: int) -> np.ndarray:
    """Per-group sums (``values=None``: counts) of items whose group is ``parents``."""
    if values is None:
        return np.bincount(parents, minlength=n).astype(np.int64)
    if values.dtype == bool:
        values = values.astype(np.int64)
    out = np.bincount(parents, weights=values, minlength=n)
    return out.astype(np.int64) if np.issubdtype(values.dtype, np.integer) else out


def to_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow array as numpy (nulls of float arrays become NaN)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False)


def np_bool(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return mask.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def np_int(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def list_parts(lists: pa.Array) -> tuple[pa.Array, np.ndarray]:
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    values = pc.list_flatten(lists)
    parents = np_int(pc.list_parent_indices(lists))
    return values, parents


def take_rows(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(idx, pa.int64()))


def dense_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number equal ``keys`` (int64) by order of first occurrence: (the id of every key,
    whether it is the first occurrence of its value)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    ids = np_int(pc.dictionary_encode(pa.array(keys, pa.int64())).indices)
    # Ids are handed out in order, so a first occurrence is a new maximum.
    first = np.empty(len(ids), dtype=bool)
    first[0] = True
    first[1:] = ids[1:] > np.maximum.accumulate(ids)[:-1]
    return ids, first


def duplicate_chars(
    items: pa.Array, parents: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group (``parents``): how many items repeat an earlier item of the same group,
    and their total length in characters (the first occurrence of each item is not
    counted)."""
    if not len(items):
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    encoded = pc.dictionary_encode(items)
    codes = np_int(encoded.indices)
    _, first = dense_ids(parents.astype(np.int64) * max(len(encoded.dictionary), 1) + codes)
    repeated = ~first
    lengths = np_int(pc.utf8_length(encoded.dictionary))[codes]
    return (
        group_sum(repeated, parents, n),
        group_sum(np.where(repeated, lengths, 0), parents, n),
    )
