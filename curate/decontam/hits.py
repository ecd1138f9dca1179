"""The matched n-grams of a batch, with their benchmark and item, and what they cover."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.decontam.index import LoadedIndex
from curate.decontam.ngrams import Matches


@dataclass
class Hits:
    """Matched n-gram occurrences of a batch, one row per (occurrence, index entry): an
    n-gram found in several items or benchmarks has one row for each."""

    doc: np.ndarray
    start: np.ndarray
    width: np.ndarray
    benchmark: np.ndarray
    item: np.ndarray

    @staticmethod
    def empty() -> Hits:
        z = np.zeros(0, np.int64)
        return Hits(z, z, z, z, z)

    @property
    def occurrence(self) -> np.ndarray:
        """A key of each row's n-gram occurrence (document, first word, width)."""
        return (self.doc.astype(np.int64) << 40) | (self.start.astype(np.int64) << 8) | self.width.astype(np.int64)

    def _unique(self) -> np.ndarray:
        cached = self.__dict__.get("_first")
        if cached is None:
            _, cached = np.unique(self.occurrence, return_index=True)
            self.__dict__["_first"] = cached
        return cached

    @property
    def unique_doc(self) -> np.ndarray:
        return self.doc[self._unique()]

    @property
    def unique_start(self) -> np.ndarray:
        return self.start[self._unique()]

    @property
    def unique_width(self) -> np.ndarray:
        return self.width[self._unique()]


def expand_entries(matches: Matches, index: LoadedIndex) -> Hits:
    """Each match once per index entry of its hash (its benchmarks and items)."""
    if len(matches.doc) == 0:
        return Hits.empty()
    lo = matches.position
    hi = np.searchsorted(index.hashes, index.hashes[lo], side="right")
    counts = hi - lo
    rows = np.repeat(np.arange(len(lo)), counts)
    entry = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
    return Hits(doc=matches.doc[rows], start=matches.start[rows], width=matches.width[rows],
                benchmark=index.benchmark[entry].astype(np.int64), item=index.item[entry].astype(np.int64))


def covered_words(hits: Hits, n: int) -> np.ndarray:
    """Per document, the number of its words inside at least one matched n-gram: the
    union of the ``[start, start + width)`` intervals, by a running maximum of the ends
    over the intervals sorted by document and start (each document's positions offset
    past the previous document's, so the maximum never carries across documents)."""
    out = np.zeros(n, np.int64)
    if len(hits.doc) == 0:
        return out
    doc, start, width = hits.unique_doc, hits.unique_start, hits.unique_width
    order = np.lexsort((start, doc))
    doc, start = doc[order], start[order]
    offset = doc * (int((start + width[order]).max()) + 1)
    lo, hi = start + offset, start + width[order] + offset
    reach = np.maximum.accumulate(hi)
    before = np.concatenate([[np.iinfo(np.int64).min], reach[:-1]])
    np.add.at(out, doc, np.maximum(hi - np.maximum(lo, before), 0))
    return out


__all__ = ["Hits", "covered_words", "expand_entries"]
