"""C4's cleaning rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a
Unified Text-to-Text Transformer", section 2.2), as in the reference implementation
(TensorFlow Datasets' ``c4_utils``, and datatrove's ``C4QualityFilter``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Filter, mark_dropped
from curate.text.arrays import as_string_array, group_sum, to_numpy
from curate.text.chars import PY_WHITESPACE
from curate.text.lines import removed_lines, split_lines, strip_chars
from curate.text.scores import first_failure
from curate.text.sentences import count_sentences
from curate.text.words import split_words

# Wikipedia-style citation marks removed from lines: [1], [], [edit], [citation needed].
CITATION_RE = r"\[\p{Nd}*\]|\[edit\]|\[citation needed\]"
# A line is kept only if it ends like a sentence (and not with an ellipsis).
END_PUNCTUATION = (".", "?", "!", '"', "'")
ELLIPSIS = "..."
# Lines mentioning terms of use or cookie policies are navigation boilerplate.
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)


def _first_line(
    hit: np.ndarray, parents: np.ndarray, line_index: np.ndarray, n: int
) -> pa.Array:
    """Per document: the index of its first line where ``hit``, null where none."""
    out = np.full(n, -1, dtype=np.int64)
    lines = np.flatnonzero(hit)
    if len(lines):
        docs, first = np.unique(parents[lines], return_index=True)
        out[docs] = line_index[lines[first]]
    return pa.array(out, pa.int64(), mask=out < 0)


def _contains(lines: pa.Array, needle: str) -> np.ndarray:
    """Case-insensitive substring test (``needle`` is lower case ASCII)."""
    return to_numpy(pc.match_substring(lines, needle, ignore_case=True)).astype(bool)


@register
class C4QualityFilter(Filter):
    """C4's rules (Raffel et al. 2020, section 2.2), line by line, then for the document.

    Removes lines (the document keeps its other lines; the kept text replaces ``text``):

    - with a word (whitespace-separated) longer than ``max_word_length`` (1000) characters;
    - not ending in terminal punctuation (``.`` ``?`` ``!`` ``"`` ``'``), or ending in
      ``...`` (``filter_no_terminal_punct``);
    - with fewer than ``min_words_per_line`` (3) words;
    - mentioning "javascript" (``filter_javascript``);
    - mentioning terms of use, privacy / cookie policies (``filter_policy``).

    Citation marks (``[1]``, ``[edit]``, ``[citation needed]``) are removed from lines first
    (``remove_citations``).  Drops the document, with the reason of what comes first:

    - a kept line contains "lorem ipsum": ``c4:lorem_ipsum`` (``filter_lorem_ipsum``);
    - a kept line contains a curly bracket ``{``: ``c4:curly_bracket``
      (``filter_curly_bracket``);
    - fewer than ``min_num_sentences`` (5) sentences in the kept lines:
      ``c4:too_few_sentences``.

    Lines are those of ``str.splitlines``, stripped.  Sentences are counted per line like
    spaCy's sentencizer (see :mod:`curate.text.sentences`).  Defaults are datatrove's
    (``split_paragraph=True``); ``None`` disables a numeric rule, ``False`` a switch.  The
    bad-words list of C4 is not applied here.  Writes ``c4_line_count``,
    ``c4_lines_removed``, ``c4_sentence_count`` (null when not counted) and the index of
    the first line with "lorem ipsum" / a curly bracket (``c4_lorem_ipsum_line``,
    ``c4_curly_bracket_line``, null when none).  The rules and
    phrases are English ones, hence ``supported_languages``.

    ``c4_removed_lines`` (``list<struct<line: int32, text: large_string>>``) records the
    removed lines, so that ``curate report`` can show them in place: a document's first
    ``record_removed_lines`` (50) removed lines, each as ``line`` (its index among the
    document's input lines, as split here) and ``text`` (the line as it was, before
    stripping and citation removal, cut to ``removed_line_chars`` (500) characters).  A
    document with no removed line gets an empty list; 0 records none.  Dropped documents
    keep it too (their ``text`` is the input, so ``line`` indexes it directly).
    """

    name = "c4_quality"
    supported_languages = ("en",)

    remove_citations: bool = True
    filter_no_terminal_punct: bool = True
    min_num_sentences: int | None = 5
    min_words_per_line: int | None = 3
    max_word_length: int | None = 1000
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True
    record_removed_lines: int = 50
    removed_line_chars: int = 500
    text_column: str = TEXT

    def validate(self) -> None:
        super().validate()
        if self.record_removed_lines < 0 or self.removed_line_chars < 0:
            raise ValueError("c4_quality: record_removed_lines and removed_line_chars must be at least 0")

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        return self._measure(batch)[0]

    def _measure(self, batch: pa.Table) -> tuple[dict[str, pa.Array], pa.Array]:
        """(measured values, the cleaned texts)."""
        texts = as_string_array(batch[self.text_column])
        n = len(texts)
        raw_lines, parents = split_lines(texts)
        lines = strip_chars(raw_lines, PY_WHITESPACE)
        n_lines = group_sum(None, parents, n)
        eligible = np.ones(len(lines), dtype=bool)

        words = pc.utf8_split_whitespace(lines)
        if self.max_word_length is not None:
            word_lengths = to_numpy(pc.utf8_length(pc.list_flatten(words)))
            word_line = to_numpy(pc.list_parent_indices(words)).astype(np.int64)
            too_long = group_sum(word_lengths > self.max_word_length, word_line, len(lines))
            eligible &= too_long == 0
        if self.remove_citations:
            lines = pc.replace_substring_regex(lines, CITATION_RE, "")
        if self.filter_no_terminal_punct:
            ends = np.zeros(len(lines), dtype=bool)
            for mark in END_PUNCTUATION:
                ends |= to_numpy(pc.ends_with(lines, mark)).astype(bool)
            eligible &= ends & ~to_numpy(pc.ends_with(lines, ELLIPSIS)).astype(bool)
        if self.min_words_per_line is not None:
            eligible &= to_numpy(pc.list_value_length(words)) >= self.min_words_per_line

        # Rules in line order: lorem ipsum (drop), javascript (skip line), curly bracket
        # (drop), policy (skip line).
        undecided = eligible.copy()
        lorem = np.zeros(len(lines), dtype=bool)
        curly = np.zeros(len(lines), dtype=bool)
        if self.filter_lorem_ipsum:
            lorem = undecided & _contains(lines, "lorem ipsum")
            undecided &= ~lorem
        if self.filter_javascript:
            undecided &= ~_contains(lines, "javascript")
        if self.filter_curly_bracket:
            curly = undecided & to_numpy(pc.match_substring(lines, "{")).astype(bool)
            undecided &= ~curly
        if self.filter_policy:
            for phrase in POLICY_SUBSTRINGS:
                undecided &= ~_contains(lines, phrase)
        kept = undecided
        n_kept = group_sum(kept, parents, n)

        # The first line that drops the whole document decides its reason.
        line_index = np.arange(len(lines)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
        lorem_line = _first_line(lorem, parents, line_index, n)
        curly_line = _first_line(curly, parents, line_index, n)

        kept_lines = lines.filter(pa.array(kept))
        kept_parents = parents[kept]
        if self.min_num_sentences is not None:
            per_line = count_sentences(split_words(kept_lines))
            sentences = group_sum(per_line, kept_parents, n)
            sentence_column = pa.array(sentences, pa.int64())
        else:
            sentence_column = pa.nulls(n, pa.int64())

        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_kept, out=offsets[1:])
        joined = pc.binary_join(
            pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), kept_lines),
            pa.scalar("\n", kept_lines.type),
        )
        cleaned = strip_chars(joined, PY_WHITESPACE)
        scores = {
            "c4_line_count": pa.array(n_lines, pa.int64()),
            "c4_lines_removed": pa.array(n_lines - n_kept, pa.int64()),
            "c4_sentence_count": sentence_column,
            "c4_lorem_ipsum_line": lorem_line,
            "c4_curly_bracket_line": curly_line,
            "c4_removed_lines": removed_lines(
                raw_lines, parents, ~kept, n, self.record_removed_lines, self.removed_line_chars
            ),
        }
        return scores, cleaned

    def keep(self, score: dict[str, pa.Array]) -> pa.Array:
        lorem = to_numpy(pc.fill_null(score["c4_lorem_ipsum_line"], -1)).astype(np.int64)
        curly = to_numpy(pc.fill_null(score["c4_curly_bracket_line"], -1)).astype(np.int64)
        sentences = to_numpy(pc.fill_null(score["c4_sentence_count"], 0)).astype(np.int64)
        n = len(sentences)
        lorem_first = (lorem >= 0) & ((curly < 0) | (lorem < curly))
        few = (
            np.zeros(n, dtype=bool)
            if self.min_num_sentences is None
            else sentences < self.min_num_sentences
        )
        return first_failure(
            [
                ("c4:lorem_ipsum", lorem_first),
                ("c4:curly_bracket", curly >= 0),
                ("c4:too_few_sentences", few),
            ],
            n,
        )

    def process(self, table: pa.Table) -> pa.Table:
        scores, cleaned = self._measure(table)
        reasons = self.keep(scores)
        for column, values in scores.items():
            index = table.schema.get_field_index(column)
            if index >= 0:
                table = table.set_column(index, column, values)
            else:
                table = table.append_column(column, values)
        index = table.schema.get_field_index(self.text_column)
        original = table[self.text_column]
        if isinstance(original, pa.ChunkedArray):
            original = original.combine_chunks()
        text = pc.if_else(pc.is_null(reasons), cleaned.cast(original.type), original)
        table = table.set_column(index, self.text_column, text)
        return mark_dropped(table, reasons)
