"""Vectorised lookups for the url_filter: sorted-key membership for large lists, and URL
hosts with their parent domains."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# scheme, then optional user info, then the host (a bracketed IPv6 literal or up to the
# first ':', '/', '?' or '#').  Also accepts scheme-less "example.com/path".
_HOST_RE = r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^/?#@]*@)?(?P<host>\[[^\]]*\]|[^:/?#]*)"
_IPV4_RE = r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$"


class SortedLookup:
    """Exact string membership for large lists, vectorised.

    ``pc.is_in`` rebuilds its hash table from the value set on every call, which costs
    seconds per batch for a 4.5 million domain list; a Python set costs ~0.5 GB per worker.
    This keeps the keys once as a sorted, deduplicated Arrow array and answers a batch of
    queries with a binary search over all of them at once (``log2(n)`` rounds of
    ``take`` + ``less``): ~5 ms for 1,500 queries against 4.5 million keys.
    """

    def __init__(self, keys: pa.Array, labels: np.ndarray) -> None:
        keys = keys.cast(pa.large_string())
        # a stable sort: of equal keys, the one listed first comes first and is kept
        order = pc.sort_indices(keys)
        keys = keys.take(order)
        labels = np.asarray(labels)[order.to_numpy()]
        if len(keys) > 1:
            # Keep the first of equal keys (a domain in two categories reports the one
            # loaded first).
            keep = np.ones(len(keys), dtype=bool)
            keep[1:] = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1)).to_numpy(
                zero_copy_only=False
            )
            keys = keys.filter(pa.array(keep))
            labels = labels[keep]
        self.keys = keys
        self.labels = labels

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, values: pa.Array) -> np.ndarray:
        """Index of each value in ``keys`` (-1 when absent; null values are absent)."""
        n_keys = len(self.keys)
        n = len(values)
        if n_keys == 0 or n == 0:
            return np.full(n, -1, dtype=np.int64)
        values = pc.fill_null(values.cast(pa.large_string()), "")
        lo = np.zeros(n, dtype=np.int64)
        hi = np.full(n, n_keys, dtype=np.int64)
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            probe = self.keys.take(pa.array(np.minimum(mid, n_keys - 1)))
            less = pc.less(probe, values).to_numpy(zero_copy_only=False)
            lo = np.where(active & less, mid + 1, lo)
            hi = np.where(active & ~less, mid, hi)
        idx = np.minimum(lo, n_keys - 1)
        found = pc.equal(self.keys.take(pa.array(idx)), values).to_numpy(zero_copy_only=False)
        return np.where(found & (lo < n_keys), idx, -1)


def first_per_row(rows: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``n`` rows: whether ``rows`` names it, and the first such value."""
    has = np.zeros(n, dtype=bool)
    out = np.full(n, None, dtype=object)
    if len(rows):
        uniq, first = np.unique(rows, return_index=True)
        has[uniq] = True
        out[uniq] = values[first]
    return has, out


def url_hosts(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The lower-cased host of each URL, without a trailing dot (null for null URLs)."""
    lowered = pc.utf8_lower(urls)
    hosts = pc.struct_field(pc.extract_regex(lowered, _HOST_RE), [0])
    hosts = pc.utf8_rtrim(hosts, ".")
    if isinstance(hosts, pa.ChunkedArray):
        hosts = hosts.combine_chunks()
    return hosts


def host_suffixes(hosts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Each host and its parent domains, most specific first, with the row each came from.

    ``a.b.example.com`` gives ``a.b.example.com``, ``b.example.com``, ``example.com`` and
    ``com``.  IPv4 hosts give only themselves.  Null and empty hosts give nothing.
    """
    valid = pc.fill_null(pc.greater(pc.utf8_length(hosts), 0), False)
    rows = np.flatnonzero(valid.to_numpy(zero_copy_only=False))
    current = hosts.filter(valid)
    is_ip = pc.match_substring_regex(current, _IPV4_RE).to_numpy(zero_copy_only=False)
    out_values = [current]
    out_rows = [rows]
    mask = pc.and_(pc.match_substring(current, "."), pa.array(~is_ip))
    while True:
        m = mask.to_numpy(zero_copy_only=False)
        if not m.any():
            break
        current = pc.replace_substring_regex(current.filter(mask), r"^[^.]*\.", "", max_replacements=1)
        rows = rows[m]
        out_values.append(current)
        out_rows.append(rows)
        mask = pc.match_substring(current, ".")
    return pa.concat_arrays([v.cast(pa.large_string()) for v in out_values]), np.concatenate(out_rows)
