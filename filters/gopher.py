"""Gopher's quality and repetition rules (Rae et al. 2021, "Scaling Language Models:
Methods, Analysis & Insights from Training Gopher", appendix A.1.1 and table A1).

Both filters are vectorised over Arrow batches (see :mod:`curate.text.words` for the word
splitting) and follow the reference implementation in datatrove rule by rule, in its order,
with its defaults: a document is dropped with the reason of the first rule it fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.text.arrays import as_string_array, dense_ids, duplicate_chars, group_sum, to_numpy
from curate.text.chars import PY_WHITESPACE, SYMBOL_CHARS, char_class
from curate.text.lines import split_lines, split_paragraphs
from curate.text.scores import ScoreBounds, first_failure, float_column, safe_ratio
from curate.text.words import Words, split_words

from .base import WordFilter
from .stopwords import STOP_WORDS, stop_words_language

_WORD_RE = char_class(SYMBOL_CHARS, negate=True)  # a token with a non-symbol character
_WS = char_class(PY_WHITESPACE)
_BULLET_LINE_RE = f"^{_WS}*[\\x{{2022}}\\-]"
_ELLIPSIS_LINE_RE = f"(?:\\.\\.\\.|\\x{{2026}}){_WS}*$"


@register
class GopherQualityFilter(WordFilter):
    """Gopher's quality rules (Rae et al. 2021, appendix A.1.1).

    Drops a document, with the first rule it fails, in this order, when it has:

    - fewer than ``min_doc_words`` (50) words: ``gopher:too_few_words``, or more than
      ``max_doc_words`` (100,000): ``gopher:too_many_words``.  Words are word tokens with at
      least one character that is not punctuation (see :mod:`curate.text.words`);
    - a mean word length below ``min_avg_word_length`` (3) or above ``max_avg_word_length``
      (10) characters: ``gopher:mean_word_length_too_low`` / ``..._too_high``;
    - more than ``max_symbol_word_ratio`` (0.1) ``#`` per token: ``gopher:too_many_hashes``,
      or ellipses (``...``, ``…``) per token: ``gopher:too_many_ellipses``;
    - more than ``max_bullet_lines_ratio`` (90 %) of its lines starting with a bullet (``•``
      or ``-``): ``gopher:too_many_bullet_lines``;
    - more than ``max_ellipsis_lines_ratio`` (30 %) of its lines ending with an ellipsis:
      ``gopher:too_many_ellipsis_lines``;
    - fewer than ``min_alpha_words_ratio`` (80 %) of its tokens containing a letter:
      ``gopher:too_few_alpha_words``;
    - fewer than ``min_stop_words`` (2) distinct stop words: ``gopher:too_few_stop_words``.

    Stop words: ``stop_words`` when given, else the list of ``language`` when set, else of
    each document's ``language`` column (English when missing; lists for en, de, fr, es,
    it, pt, nl, see :mod:`curate.filters.stopwords`).  Thresholds are datatrove's defaults;
    ``None`` disables a rule.  Every measured value is written as a ``gopher_*`` column.
    The rules assume a language written with spaces between words and one of the stop-word
    lists, hence ``supported_languages`` (``cjk_characters_as_words`` counts Han / Kana
    characters as words in ``zh`` / ``ja`` documents, but the word-length bounds still do
    not fit those languages).
    """

    name = "gopher_quality"
    supported_languages = tuple(STOP_WORDS)

    min_doc_words: int | None = 50
    max_doc_words: int | None = 100_000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    min_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    stop_words: list[str] | None = None
    language: str | None = None

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        texts = as_string_array(batch[self.text_column])
        n = len(texts)
        languages = self.document_languages(batch, n)
        if self.language:
            languages[:] = self.language
        words = split_words(
            texts, cjk=self.cjk_words(languages)
        )
        parents = words.parents

        is_word = words.vocab_flags(_WORD_RE)
        has_alpha = words.vocab_flags(r"\pL")
        lengths = words.lengths()
        n_tokens = words.counts()
        n_words = group_sum(is_word, parents, n)
        word_chars = group_sum(np.where(is_word, lengths, 0), parents, n)

        hashes = to_numpy(pc.count_substring(texts, "#")).astype(np.int64)
        ellipses = to_numpy(pc.count_substring(texts, "...")).astype(np.int64) + to_numpy(
            pc.count_substring(texts, "\u2026")
        ).astype(np.int64)

        lines, line_parents = split_lines(texts)
        n_lines = group_sum(None, line_parents, n)
        bullets = group_sum(to_numpy(pc.match_substring_regex(lines, _BULLET_LINE_RE)), line_parents, n)
        ellipsis_lines = group_sum(
            to_numpy(pc.match_substring_regex(lines, _ELLIPSIS_LINE_RE)), line_parents, n
        )

        stop_count = self._stop_word_counts(words, languages, n)
        return {
            "gopher_word_count": pa.array(n_words, pa.int64()),
            "gopher_mean_word_length": float_column(safe_ratio(word_chars, n_words)),
            "gopher_hash_ratio": float_column(safe_ratio(hashes, n_tokens)),
            "gopher_ellipsis_ratio": float_column(safe_ratio(ellipses, n_tokens)),
            "gopher_bullet_lines_frac": float_column(safe_ratio(bullets, n_lines)),
            "gopher_ellipsis_lines_frac": float_column(safe_ratio(ellipsis_lines, n_lines)),
            "gopher_alpha_words_frac": float_column(
                safe_ratio(group_sum(has_alpha, parents, n), n_tokens)
            ),
            "gopher_stop_word_count": pa.array(stop_count, pa.int64()),
        }

    def _stop_word_counts(self, words: Words, languages: np.ndarray, n: int) -> np.ndarray:
        """Distinct stop words in each document."""
        if self.stop_words is not None:
            lists = [tuple(self.stop_words)]
            doc_list = np.zeros(n, dtype=np.int64)
        else:
            distinct, inverse = np.unique(languages.astype(str), return_inverse=True)
            keys = sorted({stop_words_language(code) for code in distinct})
            lists = [STOP_WORDS[key] for key in keys]
            doc_list = np.array(
                [keys.index(stop_words_language(code)) for code in distinct], dtype=np.int64
            )[inverse.reshape(-1)]
        out = np.zeros(n, dtype=np.int64)
        if not len(words):
            return out
        token_list = doc_list[words.parents]
        for index, stop_words in enumerate(lists):
            if not stop_words:
                continue
            codes = pc.index_in(words.vocab, value_set=pa.array(list(stop_words), pa.string()))
            code = to_numpy(pc.fill_null(codes, -1)).astype(np.int64)[words.ids]
            hit = code >= 0
            if len(lists) > 1:
                hit &= token_list == index
            pairs = np.unique(words.parents[hit] * len(stop_words) + code[hit])
            out += np.bincount(pairs // len(stop_words), minlength=n)
        return out

    def keep(self, score: dict[str, pa.Array]) -> pa.Array:
        bounds = ScoreBounds(score, "gopher_word_count")
        n, above, below = bounds.n, bounds.above, bounds.below

        return first_failure(
            [
                ("gopher:too_few_words", below("gopher_word_count", self.min_doc_words)),
                ("gopher:too_many_words", above("gopher_word_count", self.max_doc_words)),
                (
                    "gopher:mean_word_length_too_low",
                    below("gopher_mean_word_length", self.min_avg_word_length),
                ),
                (
                    "gopher:mean_word_length_too_high",
                    above("gopher_mean_word_length", self.max_avg_word_length),
                ),
                ("gopher:too_many_hashes", above("gopher_hash_ratio", self.max_symbol_word_ratio)),
                (
                    "gopher:too_many_ellipses",
                    above("gopher_ellipsis_ratio", self.max_symbol_word_ratio),
                ),
                (
                    "gopher:too_many_bullet_lines",
                    above("gopher_bullet_lines_frac", self.max_bullet_lines_ratio),
                ),
                (
                    "gopher:too_many_ellipsis_lines",
                    above("gopher_ellipsis_lines_frac", self.max_ellipsis_lines_ratio),
                ),
                (
                    "gopher:too_few_alpha_words",
                    below("gopher_alpha_words_frac", self.min_alpha_words_ratio),
                ),
                ("gopher:too_few_stop_words", below("gopher_stop_word_count", self.min_stop_words)),
            ],
            n,
        )


# ---------------------------------------------------------------------------------------
# Repetition
# ---------------------------------------------------------------------------------------

TOP_N_GRAMS = ((2, 0.2), (3, 0.18), (4, 0.16))
DUP_N_GRAMS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))


def _top_ngram_chars(
    pos: np.ndarray,
    gid: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
    parents: np.ndarray,
    offsets: np.ndarray,
    char_end: np.ndarray,
    n: int,
    n_docs: int,
) -> np.ndarray:
    """Per document: length of its most frequent n-gram (tokens joined by spaces) times
    its count; ties go to the n-gram seen first.  NaN for documents with fewer than ``n``
    tokens.  ``pos``/``gid``/``first``: the positions of the n-grams that occur at least
    twice in their document, their n-gram ids and first-occurrence flags."""
    tokens = np.diff(offsets)
    out = np.full(n_docs, np.nan)
    has_ngram = tokens >= n
    # Documents without a repeated n-gram: their first n-gram, once.
    start = offsets[:-1][has_ngram]
    out[has_ngram] = char_end[start + n] - char_end[start] + (n - 1)
    if len(pos):
        heads = np.flatnonzero(first)
        head_pos, head_gid = pos[heads], gid[heads]
        head_doc, head_count = parents[head_pos], counts[head_gid]
        order = np.lexsort((head_gid, -head_count, head_doc))
        best = order[np.r_[True, head_doc[order][1:] != head_doc[order][:-1]]]
        p = head_pos[best]
        out[head_doc[best]] = (char_end[p + n] - char_end[p] + (n - 1)) * head_count[best]
    return out


def _greedy_dup_chars(
    pos: np.ndarray,
    gid: np.ndarray,
    parents: np.ndarray,
    char_end: np.ndarray,
    n: int,
    n_docs: int,
) -> np.ndarray:
    """Per document: characters in duplicated n-grams (tokens joined without spaces), the
    way Gopher counts them: scan the n-grams left to right; an n-gram seen before counts
    and the scan jumps past it (its n tokens), any other is remembered.

    The scan is sequential (what counts depends on where earlier jumps landed), but only
    n-grams that occur at least twice in their document can count or matter: ``pos``
    (sorted) are their positions and ``gid`` their n-gram ids, found vectorised.  The scan
    visits these positions only, in a tight loop (about 0.1-0.3 us per position, a few
    percent of the filter's time; a compiled kernel would remove even that).
    """
    out = np.zeros(n_docs, dtype=np.int64)
    if not len(pos):
        return out
    doc = parents[pos]
    bounds = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]).tolist() + [len(pos)]
    positions, ids = pos.tolist(), gid.tolist()
    counted: list[int] = []
    mark = counted.append
    for first, last in zip(bounds[:-1], bounds[1:]):  # one document at a time
        seen: set[int] = set()
        remember = seen.add
        allowed = 0
        for row in range(first, last):
            p = positions[row]
            if p < allowed:
                continue
            g = ids[row]
            if g in seen:
                mark(row)
                allowed = p + n
            else:
                remember(g)
    rows = np.array(counted, dtype=np.int64)
    lengths = char_end[pos[rows] + n] - char_end[pos[rows]]
    return group_sum(lengths, doc[rows], n_docs)


def _pairs(value: Any) -> tuple[tuple[int, float | None], ...]:
    return tuple((int(n), None if f is None else float(f)) for n, f in value)


@register
class GopherRepetitionFilter(WordFilter):
    """Gopher's repetition rules (Rae et al. 2021, appendix A.1.1 and table A1).

    Drops, with the first rule failed, in this order:

    - empty documents: ``gopher:empty``;
    - more than ``dup_para_frac`` (30 %) of the paragraphs (split at blank lines)
      repeating an earlier paragraph: ``gopher:dup_para_frac``, or more than
      ``dup_para_char_frac`` (20 %) of the characters in them: ``gopher:dup_para_char_frac``;
    - the same for lines: ``dup_line_frac`` (30 %) ``gopher:dup_line_frac``,
      ``dup_line_char_frac`` (20 %) ``gopher:dup_line_char_frac``;
    - for each ``(n, fraction)`` of ``top_n_grams`` (2: 20 %, 3: 18 %, 4: 16 %): the most
      frequent word n-gram covering more than that fraction of the characters:
      ``gopher:top_{n}_gram``;
    - for each ``(n, fraction)`` of ``dup_n_grams`` (5: 15 % down to 10: 10 %): repeated
      n-grams covering more than that fraction of the characters: ``gopher:dup_{n}_gram``.

    Thresholds are the paper's (datatrove's defaults); ``None`` disables a rule.  Measured
    values are written as ``gopher_*`` columns (``gopher_dup_para_frac``,
    ``gopher_top_2_gram_char_frac``, ``gopher_dup_5_gram_char_frac``...).

    Words are split like the reference implementation's English tokenizer, which suits any
    language written with spaces.  In Chinese or Japanese text it makes each run of
    characters between punctuation one word, so only the line and paragraph rules mean
    much there; ``cjk_characters_as_words`` counts every Han / Kana character as a word
    instead, which makes the n-gram rules much stricter than the paper's (character
    n-grams repeat far more often than word n-grams).
    """

    name = "gopher_repetition"

    dup_line_frac: float | None = 0.3
    dup_para_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    dup_para_char_frac: float | None = 0.2
    top_n_grams: tuple[tuple[int, float | None], ...] = TOP_N_GRAMS
    dup_n_grams: tuple[tuple[int, float | None], ...] = DUP_N_GRAMS

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        texts = as_string_array(batch[self.text_column])
        n_docs = len(texts)
        text_chars = to_numpy(pc.utf8_length(texts)).astype(np.int64)

        paragraphs, para_parents = split_paragraphs(texts)
        para_dups, para_dup_chars = duplicate_chars(paragraphs, para_parents, n_docs)
        n_paras = group_sum(None, para_parents, n_docs)
        lines = pc.split_pattern_regex(texts, "\n+")
        line_parents = to_numpy(pc.list_parent_indices(lines)).astype(np.int64)
        line_dups, line_dup_chars = duplicate_chars(pc.list_flatten(lines), line_parents, n_docs)
        n_lines = group_sum(None, line_parents, n_docs)

        scores: dict[str, pa.Array] = {
            "gopher_dup_para_frac": float_column(safe_ratio(para_dups, n_paras)),
            "gopher_dup_para_char_frac": float_column(safe_ratio(para_dup_chars, text_chars)),
            "gopher_dup_line_frac": float_column(safe_ratio(line_dups, n_lines)),
            "gopher_dup_line_char_frac": float_column(safe_ratio(line_dup_chars, text_chars)),
        }
        scores.update(self._ngram_scores(batch, texts, text_chars))
        return scores

    def _ngram_scores(
        self, batch: pa.Table, texts: pa.Array, text_chars: np.ndarray
    ) -> dict[str, pa.Array]:
        n_docs = len(texts)
        languages = self.document_languages(batch, n_docs)
        words = split_words(
            texts, cjk=self.cjk_words(languages)
        )
        parents = words.parents
        offsets = words.offsets()
        char_end = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(words.lengths(), out=char_end[1:])
        top = dict(_pairs(self.top_n_grams))
        dup = dict(_pairs(self.dup_n_grams))
        wanted = set(top) | set(dup)
        top_chars: dict[int, np.ndarray] = {}
        dup_chars: dict[int, np.ndarray] = {}

        # n-gram ids, growing n one token at a time.  Only n-grams that repeat can have
        # repeating extensions, so each step keeps just the positions that repeat.
        vocab_size = max(len(words.vocab), 1)
        pos = np.arange(len(words), dtype=np.int64)
        gid = parents * vocab_size + words.ids  # a document's word
        if gid.max(initial=0) >= np.iinfo(np.int64).max // vocab_size:
            gid, _ = dense_ids(gid)
        for n in range(2, max(wanted, default=1) + 1):
            end = pos + n - 1
            ok = end < len(words)
            ok[ok] = parents[end[ok]] == parents[pos[ok]]
            pos, gid = pos[ok], gid[ok]
            gid, first = dense_ids(gid * vocab_size + words.ids[pos + n - 1])
            counts = np.bincount(gid) if len(gid) else np.zeros(0, dtype=np.int64)
            repeated = counts[gid] >= 2
            pos, gid, first = pos[repeated], gid[repeated], first[repeated]
            if n in top:
                top_chars[n] = _top_ngram_chars(
                    pos, gid, first, counts, parents, offsets, char_end, n, n_docs
                )
            if n in dup:
                dup_chars[n] = _greedy_dup_chars(pos, gid, parents, char_end, n, n_docs)

        scores: dict[str, pa.Array] = {}
        for n in top:
            scores[f"gopher_top_{n}_gram_char_frac"] = float_column(
                safe_ratio(top_chars[n], text_chars)
            )
        for n in dup:
            scores[f"gopher_dup_{n}_gram_char_frac"] = float_column(
                safe_ratio(dup_chars[n], text_chars)
            )
        return scores

    def keep(self, score: dict[str, pa.Array]) -> pa.Array:
        bounds = ScoreBounds(score, "gopher_dup_para_frac")
        values, n, above = bounds.values, bounds.n, bounds.above

        empty = np.isnan(values["gopher_dup_para_char_frac"])
        rules = [
            ("gopher:empty", empty),
            ("gopher:dup_para_frac", above("gopher_dup_para_frac", self.dup_para_frac)),
            (
                "gopher:dup_para_char_frac",
                above("gopher_dup_para_char_frac", self.dup_para_char_frac),
            ),
            ("gopher:dup_line_frac", above("gopher_dup_line_frac", self.dup_line_frac)),
            (
                "gopher:dup_line_char_frac",
                above("gopher_dup_line_char_frac", self.dup_line_char_frac),
            ),
        ]
        for size, limit in _pairs(self.top_n_grams):
            rules.append(
                (f"gopher:top_{size}_gram", above(f"gopher_top_{size}_gram_char_frac", limit))
            )
        for size, limit in _pairs(self.dup_n_grams):
            rules.append(
                (f"gopher:dup_{size}_gram", above(f"gopher_dup_{size}_gram_char_frac", limit))
            )
        return first_failure(rules, n)
