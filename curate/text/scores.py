"""Per-row scores and rule decisions of the heuristic filters: ratios with NaN for "not
measured", float columns with NaN as null, limits checked against scores, and the first
rule each row fails."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from .arrays import to_numpy

__all__ = ["ScoreBounds", "first_failure", "float_column", "safe_ratio"]


class ScoreBounds:
    """Masks of the rows whose measured value is beyond a rule's limit, for ``keep()``.

    ``above(column, limit)`` / ``below(column, limit)``: a rule whose limit is None fails
    no row, and a value not measured (NaN) fails no rule.
    """

    def __init__(self, score: dict[str, pa.Array], count_column: str) -> None:
        self.values = {k: to_numpy(v).astype(np.float64) for k, v in score.items()}
        self.n = len(self.values[count_column])
        self.none = np.zeros(self.n, dtype=bool)

    def above(self, column: str, limit: float | None) -> np.ndarray:
        return self.none if limit is None else self.values[column] > limit

    def below(self, column: str, limit: float | None) -> np.ndarray:
        return self.none if limit is None else self.values[column] < limit


def first_failure(rules: Iterable[tuple[str, np.ndarray]], n: int) -> pa.Array:
    """The name of the first rule (in order) that fails on each row, null where none does.
    ``rules`` are ``(reason, failed)`` pairs with a boolean ``failed`` per row."""
    reasons = np.full(n, None, dtype=object)
    undecided = np.ones(n, dtype=bool)
    for reason, failed in rules:
        hit = undecided & np.asarray(failed, dtype=bool)
        reasons[hit] = reason
        undecided &= ~hit
    return pa.array(reasons, pa.string())


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator as float64, NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def float_column(values: np.ndarray) -> pa.Array:
    """float64 column with NaN written as null (not measured)."""
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, pa.float64(), mask=np.isnan(values))
