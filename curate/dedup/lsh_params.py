"""LSH bands x rows for a Jaccard threshold: the optimum datasketch computes, through its public API.

``MinHashLSH(threshold, num_perm, weights)`` minimises the weighted sum of the false-positive
and false-negative probability integrals over (bands, rows) and keeps the result as its
public ``.b`` and ``.r``; curate reads them there instead of calling a private function.
"""

from __future__ import annotations

import functools


def lsh_parameters(threshold: float, num_perm: int, false_positive_weight: float = 0.5, false_negative_weight: float = 0.5) -> tuple[int, int]:
    """Bands and rows per band that minimise the weighted LSH error at ``threshold``."""
    return _lsh_parameters(float(threshold), int(num_perm), float(false_positive_weight), float(false_negative_weight))


@functools.lru_cache(maxsize=256)
def _lsh_parameters(threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float) -> tuple[int, int]:
    # datasketch's public API: MinHashLSH computes the optimum (b, r) in its constructor
    # and keeps it as .b and .r; with the default in-memory storage it allocates only b
    # empty dicts.  Its weights must sum to exactly 1.0 (scaling both weights does not
    # move the optimum).
    from datasketch import MinHashLSH

    total = false_positive_weight + false_negative_weight
    if total != 1.0 and total > 0:
        false_positive_weight = false_positive_weight / total
        false_negative_weight = 1.0 - false_positive_weight
    weights = (false_positive_weight, false_negative_weight)
    try:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
    except ValueError:
        valid = 0.0 <= threshold <= 1.0 and num_perm >= 2 and sum(weights) == 1.0 and all(0.0 <= w <= 1.0 for w in weights)
        if not valid:
            raise
        # MinHashLSH refuses a single band (b < 2), which is the optimum when the threshold
        # is high and missed duplicates weigh little (0.95 with 64 permutations and a
        # false-negative weight of 0.1; any num_perm at 1.0).  Then the optimum is the best
        # r for b = 1, by the same weighted error datasketch minimises.
        return 1, _best_rows_for_one_band(threshold, num_perm, *weights)
    return int(lsh.b), int(lsh.r)


def _best_rows_for_one_band(threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float) -> int:
    """argmin over r of the weighted LSH error with one band: datasketch's error integrals,
    which with one band (a pair is a candidate with probability s**r) have closed forms:
    false positives int_0^t s**r ds, false negatives int_t^1 (1 - s**r) ds."""
    best, best_error = 1, float("inf")
    for r in range(1, num_perm + 1):
        false_positive = threshold ** (r + 1) / (r + 1)
        false_negative = (1.0 - threshold) - (1.0 - threshold ** (r + 1)) / (r + 1)
        error = false_positive * false_positive_weight + false_negative * false_negative_weight
        if error < best_error - 1e-12:  # an exact tie keeps the fewer rows, as datasketch's scan does
            best, best_error = r, error
    return best
