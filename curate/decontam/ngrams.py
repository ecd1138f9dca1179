"""Word n-gram hashes for decontamination, normalised the way the dedup shingles are.

Words are those of :mod:`curate.dedup.minhash` (Unicode letters, marks and digits; each
Han, hiragana and katakana character a word by itself; lower-cased per code point;
punctuation, symbols and spacing split words and are otherwise ignored), hashed the same
way (FNV-1a over code points, splitmix64-finalised).  An n-gram's hash rolls its ``n``
word hashes and mixes in ``n``, so n-grams of different lengths never share a hash by
construction.  Benchmark items and documents go through the same kernels, so a match is a
run of ``n`` equal normalised words.

:func:`item_ngrams` hashes benchmark items (each at its own width); :func:`find_matches`
looks every n-gram of a batch of documents up in a sorted hash array, behind a bitmap
that turns most misses away before the binary search.  Both run over the batch's UTF-8
buffer in compiled code (numba); no Python runs per document.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numba import njit

from curate.dedup.minhash import _buffers, _mix, _next_char, char_tables, word_sequence_hashes

# Bits of the bitmap in front of the sorted index (2**24 bits = 2 MiB).
BITMAP_BITS = 24


@njit(cache=True, nogil=True)
def _word_spans(data, start, end, classes, lower, hashes, starts, ends):
    """Hash the words of UTF-8 ``data[start:end]`` into ``hashes`` with each word's byte
    span (relative to ``start``) in ``starts`` / ``ends``; return the count.  The words
    and hashes are those of ``curate.dedup.minhash._word_hashes``."""
    basis = np.uint64(0xCBF29CE484222325)
    prime = np.uint64(0x100000001B3)
    n = 0
    h = basis
    in_word = False
    word_start = 0
    i = start
    while i < end:
        at = i
        cls, cp, i = _next_char(data, i, end, classes, lower)
        i = min(i, end)
        if cls == 1:
            if not in_word:
                word_start = at
            h = (h ^ np.uint64(cp)) * prime
            in_word = True
            continue
        if in_word:
            hashes[n] = _mix(h)
            starts[n] = word_start - start
            ends[n] = at - start
            n += 1
            h = basis
            in_word = False
        if cls == 2:
            hashes[n] = _mix((basis ^ np.uint64(cp)) * prime)
            starts[n] = at - start
            ends[n] = i - start
            n += 1
    if in_word:
        hashes[n] = _mix(h)
        starts[n] = word_start - start
        ends[n] = end - start
        n += 1
    return n


@njit(cache=True, nogil=True, inline="always")
def _room(length, hashes, starts, ends):
    """Word buffers (hashes, starts, ends) for a text of ``length`` bytes: the given ones,
    or larger ones when they are too small (a text has at most one word per byte)."""
    if length > hashes.shape[0]:
        return np.empty(length, np.uint64), np.empty(length, np.int64), np.empty(length, np.int64)
    return hashes, starts, ends


@njit(cache=True, nogil=True, inline="always")
def _ngram_hash(words, s, width):
    h = words[s]
    for j in range(1, width):
        h = ((h << np.uint64(17)) | (h >> np.uint64(47))) ^ words[s + j]
    return _mix(h ^ (np.uint64(width) * np.uint64(0x9E3779B97F4A7C15)))


@njit(cache=True, nogil=True)
def _doc_ngrams_kernel(data, offsets, classes, lower, widths, out_hashes, out_doc, out_start, out_width):
    hashes, starts, ends = _room(1024, np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64))
    pos = 0
    for d in range(offsets.shape[0] - 1):
        hashes, starts, ends = _room(offsets[d + 1] - offsets[d], hashes, starts, ends)
        nw = _word_spans(data, offsets[d], offsets[d + 1], classes, lower, hashes, starts, ends)
        for w in range(widths.shape[0]):
            width = widths[w]
            for s in range(nw - width + 1):
                out_hashes[pos] = _ngram_hash(hashes, s, width)
                out_doc[pos] = d
                out_start[pos] = s
                out_width[pos] = width
                pos += 1
    return pos


def doc_ngrams(texts: pa.Array | pa.ChunkedArray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every n-gram of every text at each of ``widths``: ``(hash, text index, first word,
    width)`` arrays (for the hash-partitioned join of :mod:`curate.decontam.partitioned`)."""
    data, offsets = _buffers(texts)
    classes, lower = char_tables()
    counts = word_counts(texts)
    widths = np.asarray(sorted(set(int(w) for w in widths)), np.int64)
    total = int(sum(np.maximum(counts - w + 1, 0).sum() for w in widths.tolist()))
    out = (np.empty(total, np.uint64), np.empty(total, np.int64), np.empty(total, np.int64), np.empty(total, np.int64))
    if total:
        n = _doc_ngrams_kernel(data, offsets, classes, lower, widths, *out)
        out = tuple(a[:n] for a in out)  # type: ignore[assignment]
    return out


def word_counts(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The number of normalised words of each text (nulls: 0)."""
    return word_sequence_hashes(texts)[1]


def item_ngrams(texts: pa.Array | pa.ChunkedArray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every n-gram hash of each text at its own width (``widths[i]`` words; 0 skips the
    text): ``(hashes, text index of each hash)``, the texts of one width at a time."""
    widths = np.asarray(widths, np.int64)
    hashes, items = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for width in np.unique(widths[widths > 0]).tolist():  # a few widths: min_ngram .. ngram
        chosen = np.flatnonzero(widths == width)
        found, doc, _, _ = doc_ngrams(texts.take(pa.array(chosen)), np.array([width]))
        hashes.append(found)
        items.append(chosen[doc])
    return np.concatenate(hashes), np.concatenate(items)


def build_bitmap(hashes: np.ndarray, bits: int = BITMAP_BITS) -> np.ndarray:
    """A bitmap (uint64 words) of the top ``bits`` bits of every hash: a lookup whose bit is
    clear cannot be in the index."""
    bitmap = np.zeros((1 << bits) // 64, np.uint64)
    if len(hashes):
        slots = (np.asarray(hashes, np.uint64) >> np.uint64(64 - bits)).astype(np.int64)
        np.bitwise_or.at(bitmap, slots >> 6, np.left_shift(np.uint64(1), (slots & 63).astype(np.uint64)))
    return bitmap


@njit(cache=True, nogil=True)
def _match_kernel(data, offsets, classes, lower, widths, index, bitmap, shift,
                  n_words, n_ngrams, m_doc, m_start, m_width, m_pos, limit):
    """For each document: its word count and n-gram count (at the smallest width), and
    every n-gram (at each of ``widths``) found in ``index``: document, first word, width
    and the index position of the hash's first entry.  Returns the number of matches,
    or -1 when more than ``limit`` were found (the caller grows the arrays and reruns)."""
    hashes, starts, ends = _room(1024, np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64))
    found = 0
    smallest = widths.min()
    largest = widths.max()
    wanted = np.zeros(largest + 1, np.bool_)
    for w in range(widths.shape[0]):
        wanted[widths[w]] = True
    for d in range(offsets.shape[0] - 1):
        hashes, starts, ends = _room(offsets[d + 1] - offsets[d], hashes, starts, ends)
        nw = _word_spans(data, offsets[d], offsets[d + 1], classes, lower, hashes, starts, ends)
        n_words[d] = nw
        n_ngrams[d] = nw - smallest + 1 if nw >= smallest else 0
        # every width from one start in one pass: the hash of s..s+j rolls into that of
        # s..s+j+1 (the hash of _ngram_hash, without recomputing it for each width)
        for s in range(nw - smallest + 1):
            top = min(largest, nw - s)
            rolled = hashes[s]
            for j in range(top):
                if j > 0:
                    rolled = ((rolled << np.uint64(17)) | (rolled >> np.uint64(47))) ^ hashes[s + j]
                width = j + 1
                if not wanted[width]:
                    continue
                h = _mix(rolled ^ (np.uint64(width) * np.uint64(0x9E3779B97F4A7C15)))
                slot = h >> shift
                if (bitmap[slot >> np.uint64(6)] >> (slot & np.uint64(63))) & np.uint64(1) == 0:
                    continue
                p = np.searchsorted(index, h)
                if p < index.shape[0] and index[p] == h:
                    if found >= limit:
                        return -1
                    m_doc[found] = d
                    m_start[found] = s
                    m_width[found] = width
                    m_pos[found] = p
                    found += 1
    return found


@dataclass
class Matches:
    """The n-grams of a batch found in an index, one entry per found n-gram occurrence."""

    words: np.ndarray  # per document: its number of words
    ngrams: np.ndarray  # per document: its number of n-grams at the smallest width
    doc: np.ndarray  # per match: the document (row of the batch)
    start: np.ndarray  # per match: its first word
    width: np.ndarray  # per match: its number of words
    position: np.ndarray  # per match: the first entry of its hash in the sorted index


def find_matches(texts: pa.Array | pa.ChunkedArray, widths: np.ndarray, index: np.ndarray, bitmap: np.ndarray,
                 bits: int = BITMAP_BITS) -> Matches:
    """Every n-gram of ``texts`` (at each of ``widths`` words) whose hash is in the sorted
    uint64 array ``index`` (``bitmap``: :func:`build_bitmap` of it with ``bits``)."""
    data, offsets = _buffers(texts)
    classes, lower = char_tables()
    n = len(offsets) - 1
    n_words = np.zeros(n, np.int64)
    n_ngrams = np.zeros(n, np.int64)
    widths = np.asarray(sorted(set(int(w) for w in widths)), np.int64)
    limit = 4096
    while True:
        m_doc = np.empty(limit, np.int64)
        m_start = np.empty(limit, np.int64)
        m_width = np.empty(limit, np.int64)
        m_pos = np.empty(limit, np.int64)
        found = 0
        if n and len(widths) and len(index):
            found = _match_kernel(data, offsets, classes, lower, widths, index, bitmap, np.uint64(64 - bits),
                                  n_words, n_ngrams, m_doc, m_start, m_width, m_pos, limit)
        elif n:
            n_words = word_counts(texts)
            smallest = int(widths.min()) if len(widths) else 1
            n_ngrams = np.maximum(n_words - smallest + 1, 0)
        if found >= 0:
            return Matches(n_words, n_ngrams, m_doc[:found], m_start[:found], m_width[:found], m_pos[:found])
        limit *= 8


def word_byte_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The byte spans (in ``text.encode()``) of each normalised word of one text."""
    data, offsets = _buffers(pa.array([text], pa.large_string()))
    classes, lower = char_tables()
    size = max(1, len(data))
    hashes = np.empty(size, np.uint64)
    starts = np.empty(size, np.int64)
    ends = np.empty(size, np.int64)
    n = _word_spans(data, offsets[0], offsets[1], classes, lower, hashes, starts, ends)
    return starts[:n].copy(), ends[:n].copy()


__all__ = ["Matches", "build_bitmap", "doc_ngrams", "find_matches", "item_ngrams", "word_byte_spans", "word_counts"]
