"""MinHash signatures for a whole batch of documents at once.

One compiled kernel (numba) walks the batch's UTF-8 buffer: it splits words, lower-cases
them and hashes them (FNV-1a over code points, finalised with splitmix64), rolls word
n-gram shingle hashes, and keeps, for each of ``num_perm`` hash functions
``h_k(x) = mix32(a_k * x + b_k mod 2**32)`` of the shingle's 32-bit hash (a random odd
``a_k``, so each is a permutation), the minimum over the document's shingles.  The
kernel runs eight 32-bit lanes per instruction.  No Python runs per
document.

Words: Unicode letters, marks and digits are word characters; punctuation, symbols,
separators and control characters split words; each Han character, hiragana and
katakana is a word by itself (those scripts are written without spaces).  Text is
lower-cased per code point.  :func:`words` is the same rule in plain Python.

Shingles are sets of ``ngram`` consecutive words.  A document with fewer words than
``ngram`` has one shingle made of all its words; an empty document has no shingles and
its signature is all ``0xFFFFFFFF`` (callers leave such documents out of LSH).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numba import njit

EMPTY = np.uint32(0xFFFFFFFF)

SEPARATOR, WORD, SINGLE = 0, 1, 2


def _char_class(cp: int) -> int:
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x3040 <= cp <= 0x30FF:
        return SINGLE
    if cp > 0xFFFF:
        return SEPARATOR if 0x1F000 <= cp <= 0x1FAFF else WORD
    return WORD if unicodedata.category(chr(cp))[0] in "LMN" else SEPARATOR


@functools.cache
def char_tables() -> tuple[np.ndarray, np.ndarray]:
    """Class (separator/word/single) and lower-case mapping of every BMP code point."""
    classes = np.empty(0x10000, np.uint8)
    lower = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        classes[cp] = _char_class(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        low = chr(cp).lower()
        if len(low) == 1:
            lower[cp] = ord(low)
    return classes, lower


def words(text: str) -> list[str]:
    """The words the kernel hashes, in plain Python (for tests and ground truth)."""
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        cls = _char_class(ord(ch))
        if cls == WORD:
            low = ch.lower() if ord(ch) <= 0xFFFF else ch
            current.append(low if len(low) == 1 else ch)
            continue
        if current:
            out.append("".join(current))
            current = []
        if cls == SINGLE:
            out.append(ch)
    if current:
        out.append("".join(current))
    return out


def shingles(text: str, ngram: int) -> set[tuple[str, ...]]:
    """The document's shingle set, in plain Python (the reference for true Jaccard)."""
    ws = words(text)
    if not ws:
        return set()
    width = min(ngram, len(ws))
    return {tuple(ws[i : i + width]) for i in range(len(ws) - width + 1)}


@njit(cache=True, nogil=True, inline="always")
def _mix(x):  # splitmix64 finaliser
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser of every value, as a new uint64 array (vectorised)."""
    return _mix(np.array(values, dtype=np.uint64))


@njit(cache=True, nogil=True, inline="always")
def _document_words(data, offsets, d, classes, lower, words):
    """Document ``d``'s word hashes in ``words`` (grown when too small), and their count."""
    start, end = offsets[d], offsets[d + 1]
    if end - start > words.shape[0]:
        words = np.empty(end - start, np.uint64)
    return words, _word_hashes(data, start, end, classes, lower, words)


@njit(cache=True, nogil=True, inline="always")
def _next_char(data, i, end, classes, lower):
    """The character at UTF-8 offset ``i`` of ``data`` (a sequence cut by ``end`` reads as
    U+FFFD): its class (0 separator, 1 word character, 2 a word by itself), its code point
    lower-cased, and the offset of the next character.  The one decoder of word splitting
    (also :mod:`curate.decontam.ngrams`)."""
    c = np.uint32(data[i])
    if c < 0x80:
        cp = c
        i += 1
    elif c < 0xE0:
        cp = ((c & 0x1F) << 6) | (np.uint32(data[i + 1]) & 0x3F) if i + 1 < end else np.uint32(0xFFFD)
        i += 2
    elif c < 0xF0:
        cp = (((c & 0x0F) << 12) | ((np.uint32(data[i + 1]) & 0x3F) << 6) | (np.uint32(data[i + 2]) & 0x3F)) if i + 2 < end else np.uint32(0xFFFD)
        i += 3
    else:
        cp = (((c & 0x07) << 18) | ((np.uint32(data[i + 1]) & 0x3F) << 12) | ((np.uint32(data[i + 2]) & 0x3F) << 6) | (np.uint32(data[i + 3]) & 0x3F)) if i + 3 < end else np.uint32(0xFFFD)
        i += 4
    if cp <= 0xFFFF:
        return np.int64(classes[cp]), np.uint32(lower[cp]), i
    if 0x1F000 <= cp <= 0x1FAFF:
        return np.int64(0), cp, i
    return np.int64(1), cp, i


@njit(cache=True, nogil=True)
def _word_hashes(data, start, end, classes, lower, out):
    """Hash the words of UTF-8 ``data[start:end]`` into ``out``; return the count."""
    basis = np.uint64(0xCBF29CE484222325)
    prime = np.uint64(0x100000001B3)
    n = 0
    h = basis
    in_word = False
    i = start
    while i < end:
        cls, cp, i = _next_char(data, i, end, classes, lower)
        if cls == 1:
            h = (h ^ np.uint64(cp)) * prime
            in_word = True
            continue
        if in_word:
            out[n] = _mix(h)
            n += 1
            h = basis
            in_word = False
        if cls == 2:
            out[n] = _mix((basis ^ np.uint64(cp)) * prime)
            n += 1
    if in_word:
        out[n] = _mix(h)
        n += 1
    return n


@njit(cache=True, nogil=True, inline="always")
def _shingle_hash(words, s, width):
    h = words[s]
    for j in range(1, width):
        h = ((h << np.uint64(17)) | (h >> np.uint64(47))) ^ words[s + j]
    return _mix(h)


@njit(cache=True, nogil=True)
def _signatures_kernel(data, offsets, classes, lower, ngram, a, b, out, shingle_counts):
    num_perm = a.shape[0]
    words = np.empty(1024, np.uint64)
    sig = np.empty(num_perm, np.uint32)
    for d in range(offsets.shape[0] - 1):
        words, nw = _document_words(data, offsets, d, classes, lower, words)
        for k in range(num_perm):
            sig[k] = np.uint32(0xFFFFFFFF)
        width = ngram if nw >= ngram else nw
        count = nw - width + 1 if nw > 0 else 0
        shingle_counts[d] = count
        for s in range(count):
            _permute_into(sig, a, b, _shingle_hash(words, s, width))
        for k in range(num_perm):
            out[d, k] = sig[k]


@njit(cache=True, nogil=True, inline="always")
def _permute_into(sig, a, b, shingle):
    """Lower ``sig`` by one shingle hash: per function k, a_k x + b_k mod 2**32 (a_k odd:
    a permutation of 32-bit values) of its top 32 bits, then a fixed bijective mixer so
    that the order of outputs is well scrambled."""
    x = np.uint32(shingle >> np.uint64(32))
    for k in range(a.shape[0]):
        v = np.uint32(a[k] * x + b[k])
        v ^= v >> np.uint32(16)
        v = np.uint32(v * np.uint32(0x85EBCA6B))
        v ^= v >> np.uint32(13)
        sig[k] = min(sig[k], v)


@njit(cache=True, nogil=True)
def _signatures_from_shingles(shingles, offsets, a, b, out):
    """Signatures from each document's shingle hashes (as ``_shingle_set_kernel`` lists
    them): the same values as ``_signatures_kernel`` on the text."""
    sig = np.empty(a.shape[0], np.uint32)
    for d in range(offsets.shape[0] - 1):
        sig[:] = np.uint32(0xFFFFFFFF)
        for i in range(offsets[d], offsets[d + 1]):
            _permute_into(sig, a, b, shingles[i])
        out[d, :] = sig


@njit(cache=True, nogil=True)
def _band_hashes_kernel(sigs, bands, rows, out):
    for d in range(sigs.shape[0]):
        for band in range(bands):
            h = _mix(np.uint64(band + 1) * np.uint64(0x9E3779B97F4A7C15))
            for r in range(rows):
                h = _mix(h ^ np.uint64(sigs[d, band * rows + r]))
            out[d, band] = h


@njit(cache=True, nogil=True)
def _shingle_set_kernel(data, offsets, classes, lower, ngram, out_offsets, out):
    """Every document's shingle hashes (not deduplicated), concatenated."""
    words = np.empty(1024, np.uint64)
    pos = 0
    for d in range(offsets.shape[0] - 1):
        words, nw = _document_words(data, offsets, d, classes, lower, words)
        out_offsets[d] = pos
        if nw == 0:
            continue
        width = ngram if nw >= ngram else nw
        for s in range(nw - width + 1):
            out[pos] = _shingle_hash(words, s, width)
            pos += 1
    out_offsets[offsets.shape[0] - 1] = pos
    return pos


def _buffers(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes and int64 offsets of the texts (nulls are empty)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    arr = texts.cast(pa.large_string())
    if arr.null_count:
        arr = arr.fill_null("")
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets


@dataclass(frozen=True)
class MinHasher:
    """``num_perm`` hash functions over word ``ngram`` shingles, seeded deterministically."""

    num_perm: int = 128
    ngram: int = 5
    seed: int = 1

    def _params(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        a = (rng.integers(0, 2**32, self.num_perm, dtype=np.uint64) | np.uint64(1)).astype(np.uint32)
        b = rng.integers(0, 2**32, self.num_perm, dtype=np.uint64).astype(np.uint32)
        return a, b

    def signatures(self, texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        """``(signatures uint32[n, num_perm], shingle counts int64[n])`` for a batch."""
        data, offsets = _buffers(texts)
        classes, lower = char_tables()
        a, b = self._params()
        n = len(offsets) - 1
        out = np.empty((n, self.num_perm), np.uint32)
        counts = np.empty(n, np.int64)
        if n:
            _signatures_kernel(data, offsets, classes, lower, self.ngram, a, b, out, counts)
        return out, counts

    def shingle_set_list(self, texts: pa.Array | pa.ChunkedArray) -> pa.ListArray:
        """Each document's set of shingle hashes (sorted, unique) as an Arrow list array."""
        return self._shingles(texts, with_signatures=False)[2]

    def signatures_and_sets(self, texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, pa.ListArray]:
        """:meth:`signatures` and :meth:`shingle_set_list` of one batch, its text split and
        hashed once (the same values as the two calls)."""
        return self._shingles(texts, with_signatures=True)

    def _shingles(self, texts: pa.Array | pa.ChunkedArray, with_signatures: bool) -> tuple[Any, Any, pa.ListArray]:
        data, offsets = _buffers(texts)
        classes, lower = char_tables()
        n = len(offsets) - 1
        out = np.empty(max(int(offsets[-1] - offsets[0]) + 1, 1), np.uint64) if n else np.empty(1, np.uint64)
        out_offsets = np.empty(n + 1, np.int64)
        sigs = counts = None
        if n:
            _shingle_set_kernel(data, offsets, classes, lower, self.ngram, out_offsets, out)
            if with_signatures:
                counts = np.diff(out_offsets)
                sigs = np.empty((n, self.num_perm), np.uint32)
                _signatures_from_shingles(out, out_offsets, *self._params(), sigs)
            total = _sort_unique_segments(out, out_offsets)
        else:
            out_offsets[0], total = 0, 0
            sigs, counts = np.empty((0, self.num_perm), np.uint32), np.empty(0, np.int64)
        sets = pa.LargeListArray.from_arrays(pa.array(out_offsets), pa.array(out[:total], pa.uint64()))
        return sigs, counts, sets

    def shingle_sets(self, texts: pa.Array | pa.ChunkedArray) -> list[np.ndarray]:
        """Each document's set of shingle hashes (sorted, unique): for true Jaccard."""
        sets = self.shingle_set_list(texts)
        values, offsets = sets.values.to_numpy(), sets.offsets.to_numpy()
        return [values[offsets[i] : offsets[i + 1]] for i in range(len(sets))]


@njit(cache=True, nogil=True)
def _sort_unique_segments(values, offsets):
    """Sort each segment and drop repeats, compacting in place; rewrites ``offsets``."""
    pos = 0
    start = offsets[0]
    for d in range(offsets.shape[0] - 1):
        end = offsets[d + 1]
        segment = np.sort(values[start:end])
        offsets[d] = pos
        for i in range(segment.shape[0]):
            if i == 0 or segment[i] != segment[i - 1]:
                values[pos] = segment[i]
                pos += 1
        start = end
    offsets[offsets.shape[0] - 1] = pos
    return pos


@njit(cache=True, nogil=True)
def _jaccard_kernel(a_values, a_offsets, b_values, b_offsets, out):
    for p in range(out.shape[0]):
        i, i_end = a_offsets[p], a_offsets[p + 1]
        j, j_end = b_offsets[p], b_offsets[p + 1]
        size = (i_end - i) + (j_end - j)
        if size == 0:
            out[p] = 1.0
            continue
        common = 0
        while i < i_end and j < j_end:
            if a_values[i] == b_values[j]:
                common += 1
                i += 1
                j += 1
            elif a_values[i] < b_values[j]:
                i += 1
            else:
                j += 1
        out[p] = common / (size - common)


def pairwise_jaccard(left: pa.Array, right: pa.Array) -> np.ndarray:
    """Jaccard similarity of row ``i`` of two list arrays of sorted unique hashes."""
    def flat(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        array = array.cast(pa.large_list(pa.uint64()))
        offsets = array.offsets.to_numpy()
        return array.values.to_numpy(), offsets

    a_values, a_offsets = flat(left)
    b_values, b_offsets = flat(right)
    out = np.empty(len(left), np.float64)
    if len(out):
        _jaccard_kernel(a_values, a_offsets, b_values, b_offsets, out)
    return out


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit hash per (document, band) of ``rows`` signature values."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {signatures.shape[1]}")
    out = np.empty((signatures.shape[0], bands), np.uint64)
    if signatures.shape[0]:
        _band_hashes_kernel(np.ascontiguousarray(signatures), bands, rows, out)
    return out


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise fraction of equal signature values (the MinHash Jaccard estimate)."""
    return (sig_a == sig_b).mean(axis=1)


def true_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).shape[0]
    return inter / (len(a) + len(b) - inter)


@njit(cache=True, nogil=True)
def _sequence_hash_kernel(data, offsets, classes, lower, out, counts):
    words = np.empty(1024, np.uint64)
    for d in range(offsets.shape[0] - 1):
        words, nw = _document_words(data, offsets, d, classes, lower, words)
        counts[d] = nw
        h = np.uint64(nw)
        for i in range(nw):
            h = _mix(((h << np.uint64(17)) | (h >> np.uint64(47))) ^ words[i])
        out[d] = h


@njit(cache=True, nogil=True)
def _byte_hash_kernel(data, offsets, out):
    for d in range(offsets.shape[0] - 1):
        h = np.uint64(0xCBF29CE484222325)
        for i in range(offsets[d], offsets[d + 1]):
            h = (h ^ np.uint64(data[i])) * np.uint64(0x100000001B3)
        out[d] = _mix(h ^ np.uint64(offsets[d + 1] - offsets[d]))


def word_sequence_hashes(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of each text's word sequence (case and punctuation ignored) and its
    word count; texts with no words have count 0."""
    data, offsets = _buffers(texts)
    classes, lower = char_tables()
    n = len(offsets) - 1
    out = np.zeros(n, np.uint64)
    counts = np.zeros(n, np.int64)
    if n:
        _sequence_hash_kernel(data, offsets, classes, lower, out, counts)
    return out, counts


def byte_hashes(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each string's exact UTF-8 bytes (nulls hash as empty strings)."""
    data, offsets = _buffers(texts)
    out = np.zeros(len(offsets) - 1, np.uint64)
    if len(out):
        _byte_hash_kernel(data, offsets, out)
    return out
