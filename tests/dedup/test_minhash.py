"""curate.dedup.minhash: the compiled kernel agrees with the plain-Python word rule, and
its signatures estimate the true Jaccard of the shingle sets."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from curate.dedup.minhash import (
    EMPTY,
    MinHasher,
    band_hashes,
    estimated_jaccard,
    shingles,
    true_jaccard,
    words,
)
from tests.dedup.helpers import jaccard, random_doc, random_words

TEXTS = [
    "Hello, World! hello WORLD... hello-world",
    "Straße ÄÖÜ café naïve façade Œuvre İstanbul ΣΊΣΥΦΟΣ σίσυφος",
    "日本語のテキストです。漢字とカタカナとひらがな",
    "中文文本，没有空格。第二句话！",
    "数字123と英語abc混在テキスト",
    "emoji 😀 splits😀words 🚀rocket",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐌𝐚𝐭𝐡 letters 𐐀𐐨 deseret",
    "don't stop-me now; it's 3.14159 o'clock, e-mail: a@b.example",
    "tab\tseparated\nnew\r\nlines\u00a0nbsp\u2003em\u200bzero-width",
    "combining e\u0301 marks a\u0308 and Hangul 한국어 텍스트 and Thai ภาษาไทย",
    "Кириллица Текст и العربية نص and हिन्दी पाठ",
    "",
    "   ...   !!! ???  ",
    "single",
    "a b",
    "one two three four five",
    "one two three four five six",
    "the the the the the the the the",
    None,
    "  Mixed   CASE mixed case MIXED CASE  ",
]

# The kernel's hash of a word, shingle and signature value, re-done in Python: the
# reference that tells whether the kernel hashes exactly the words ``words()`` returns.
M64 = (1 << 64) - 1
FNV_BASIS, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3


def _mix(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & M64
    x ^= x >> 31
    return x


def _word_hash(word: str) -> int:
    h = FNV_BASIS
    for ch in word:
        h = ((h ^ ord(ch)) * FNV_PRIME) & M64
    return _mix(h)


def _shingle_hashes(text: str, ngram: int) -> set[int]:
    hashes = [_word_hash(w) for w in words(text)]
    if not hashes:
        return set()
    width = min(ngram, len(hashes))
    out = set()
    for s in range(len(hashes) - width + 1):
        h = hashes[s]
        for j in range(1, width):
            h = (((h << 17) | (h >> 47)) & M64) ^ hashes[s + j]
        out.add(_mix(h))
    return out


def _shingle_count(text: str | None, ngram: int) -> int:
    n = len(words(text or ""))
    return 0 if n == 0 else n - min(ngram, n) + 1


def test_words_rule_examples():
    assert words("Hello, World! hello-world") == ["hello", "world", "hello", "world"]
    assert words("日本語abc") == ["日", "本", "語", "abc"]
    assert words("ひらがな") == ["ひ", "ら", "が", "な"]
    assert words("emoji😀split") == ["emoji", "split"]
    assert words("don't") == ["don", "t"]
    assert words("x1 2y") == ["x1", "2y"]
    assert words("") == [] and words(" \t\n.,;") == []
    assert shingles("a b c", 5) == {("a", "b", "c")}
    assert shingles("a b c d e f", 5) == {("a", "b", "c", "d", "e"), ("b", "c", "d", "e", "f")}
    assert shingles("", 5) == set()


@pytest.mark.parametrize("ngram", [1, 3, 5])
def test_kernel_shingle_counts_match_python_words(ngram):
    sigs, counts = MinHasher(num_perm=16, ngram=ngram).signatures(pa.array(TEXTS, pa.string()))
    assert sigs.shape == (len(TEXTS), 16) and sigs.dtype == np.uint32
    assert counts.tolist() == [_shingle_count(t, ngram) for t in TEXTS]


@pytest.mark.parametrize("ngram", [1, 2, 5])
def test_kernel_hashes_exactly_the_python_words(ngram):
    """shingle_sets() is the set of hashes of the shingles of words(), per document."""
    sets = MinHasher(ngram=ngram).shingle_sets(pa.array(TEXTS, pa.string()))
    assert len(sets) == len(TEXTS)
    for text, got in zip(TEXTS, sets):
        expected = _shingle_hashes(text or "", ngram)
        assert sorted(got.tolist()) == sorted(expected), repr(text)
        assert len(got) == len(shingles(text or "", ngram)), repr(text)


def test_signature_is_min_of_permuted_shingle_hashes():
    """One signature value recomputed in Python from the reference shingle hashes."""
    hasher = MinHasher(num_perm=8, ngram=3, seed=7)
    text = TEXTS[0] + " " + TEXTS[2]
    sigs, _ = hasher.signatures(pa.array([text]))
    a, b = hasher._params()
    for k in range(8):
        best = 0xFFFFFFFF
        for h in _shingle_hashes(text, 3):
            v = (int(a[k]) * (h >> 32) + int(b[k])) & 0xFFFFFFFF
            v ^= v >> 16
            v = (v * 0x85EBCA6B) & 0xFFFFFFFF
            v ^= v >> 13
            best = min(best, v)
        assert int(sigs[0, k]) == best


def test_empty_and_null_documents_have_empty_signatures():
    sigs, counts = MinHasher(num_perm=32).signatures(pa.array(["", None, " ,.; ", "word"]))
    assert counts.tolist() == [0, 0, 0, 1]
    assert (sigs[:3] == EMPTY).all()
    assert not (sigs[3] == EMPTY).all()
    sets = MinHasher().shingle_sets(pa.array(["", None, "word"]))
    assert [len(s) for s in sets] == [0, 0, 1]
    empty_sigs, empty_counts = MinHasher(num_perm=4).signatures(pa.array([], pa.string()))
    assert empty_sigs.shape == (0, 4) and len(empty_counts) == 0
    assert MinHasher().shingle_sets(pa.array([], pa.string())) == []


def test_batch_layouts_give_the_same_signatures():
    """string / large_string, chunked, sliced (non-zero offset) and one-by-one all agree."""
    rng = random.Random(3)
    texts = [random_doc(rng, rng.randint(0, 60)) for _ in range(30)] + TEXTS
    hasher = MinHasher(num_perm=64)
    whole, counts = hasher.signatures(pa.array(texts, pa.string()))
    large, _ = hasher.signatures(pa.array(texts, pa.large_string()))
    chunked, _ = hasher.signatures(pa.chunked_array([pa.array(texts[:7]), pa.array(texts[7:])]))
    assert (large == whole).all() and (chunked == whole).all()
    for array in (pa.array(texts, pa.string()), pa.array(texts, pa.large_string())):
        sliced, sliced_counts = hasher.signatures(array.slice(5, 20))
        assert (sliced == whole[5:25]).all()
        assert (sliced_counts == counts[5:25]).all()
        sliced_sets = hasher.shingle_sets(array.slice(5, 20))
        whole_sets = hasher.shingle_sets(array)
        assert all((x == y).all() for x, y in zip(sliced_sets, whole_sets[5:25]))
    for i, text in enumerate(texts):
        one, _ = hasher.signatures(pa.array([text], pa.string()))
        assert (one[0] == whole[i]).all()


def _pair_with_overlap(rng: random.Random, length: int, shift: int) -> tuple[str, str]:
    """Two windows of one random word sequence, ``shift`` words apart."""
    seq = random_words(rng, length + shift)
    return " ".join(seq[:length]), " ".join(seq[shift:])


def test_estimated_jaccard_is_close_to_true_jaccard():
    rng = random.Random(11)
    pairs = [_pair_with_overlap(rng, 400, shift) for shift in (0, 10, 40, 80, 150, 250, 400)]
    base = random_doc(rng, 400)
    pairs += [(base, " ".join(w if i % 4 else "swap" + str(i) for i, w in enumerate(base.split())))]
    hasher = MinHasher(num_perm=256, ngram=5)
    left, _ = hasher.signatures(pa.array([a for a, _ in pairs]))
    right, _ = hasher.signatures(pa.array([b for _, b in pairs]))
    estimated = estimated_jaccard(left, right)
    left_sets = hasher.shingle_sets(pa.array([a for a, _ in pairs]))
    right_sets = hasher.shingle_sets(pa.array([b for _, b in pairs]))
    truths = []
    for (a, b), est, sa, sb in zip(pairs, estimated, left_sets, right_sets):
        truth = jaccard(a, b)
        truths.append(truth)
        # the kernel's hashed sets give the same Jaccard as the Python shingle tuples
        assert true_jaccard(sa, sb) == pytest.approx(truth, abs=1e-9)
        assert abs(est - truth) <= 0.1, (est, truth)
    # the pairs span the whole range, including identical and disjoint documents
    assert max(truths) == 1.0 and min(truths) < 0.05
    assert estimated[0] == 1.0


def test_true_jaccard_edge_cases():
    empty = np.zeros(0, np.uint64)
    assert true_jaccard(empty, empty) == 1.0
    assert true_jaccard(np.array([1, 2], np.uint64), empty) == 0.0
    assert true_jaccard(np.array([1, 2, 3], np.uint64), np.array([2, 3, 4], np.uint64)) == pytest.approx(0.5)


def test_signatures_are_deterministic_per_seed():
    rng = random.Random(5)
    texts = pa.array([random_doc(rng, 100) for _ in range(10)])
    first, _ = MinHasher(num_perm=128, seed=1).signatures(texts)
    again, _ = MinHasher(num_perm=128, seed=1).signatures(texts)
    other, _ = MinHasher(num_perm=128, seed=2).signatures(texts)
    assert (first == again).all()
    # another seed is other hash functions: almost no value agrees by chance
    assert (first == other).mean() < 0.05
    # yet it estimates the same similarity
    a, _ = MinHasher(num_perm=256, seed=2).signatures(pa.array([texts[0].as_py(), texts[0].as_py()]))
    assert estimated_jaccard(a[:1], a[1:])[0] == 1.0


def test_band_hashes():
    rng = random.Random(9)
    text = random_doc(rng, 200)
    changed = text.split()
    changed[100] = "different"
    near = " ".join(changed)
    sigs, _ = MinHasher(num_perm=128).signatures(pa.array([text, text, near, random_doc(rng, 200)]))
    bands = band_hashes(sigs, 16, 8)
    assert bands.shape == (4, 16) and bands.dtype == np.uint64
    assert (bands[0] == bands[1]).all()
    assert (bands[0] == bands[2]).any() and not (bands[0] == bands[2]).all()
    assert not (bands[0] == bands[3]).any()
    assert (band_hashes(sigs, 16, 8) == bands).all()
    # the same values in another band do not give the same band hash
    same_values = np.tile(sigs[:1, :8], (1, 2))
    two = band_hashes(same_values, 2, 8)
    assert two[0, 0] != two[0, 1]
    assert band_hashes(sigs[:0], 16, 8).shape == (0, 16)
    with pytest.raises(ValueError, match="exceeds num_perm"):
        band_hashes(sigs, 17, 8)


def test_signatures_and_sets_in_one_pass_equal_the_two_calls():
    """The bands step splits and hashes each text once for both outputs."""
    rng = random.Random(1)
    words = "the a tide moon sun soup lentil ferry harbor 日本 語 über Straße".split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 40))) for _ in range(300)] + [None, ""]
    arr = pa.array(texts, pa.large_string())
    hasher = MinHasher(num_perm=64, ngram=5, seed=3)
    sigs, counts, sets = hasher.signatures_and_sets(arr)
    expected_sigs, expected_counts = hasher.signatures(arr)
    assert np.array_equal(sigs, expected_sigs) and np.array_equal(counts, expected_counts)
    assert sets.equals(hasher.shingle_set_list(arr))
    empty = hasher.signatures_and_sets(pa.array([], pa.large_string()))
    assert empty[0].shape == (0, 64) and len(empty[2]) == 0
