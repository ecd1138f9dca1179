"""FineWeb's quality rules (Penedo et al. 2024, "The FineWeb Datasets: Decanting the Web
for the Finest Text Data at Scale", section 3.3 "Developing additional heuristic filters").
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.text.arrays import as_string_array, duplicate_chars, group_sum, to_numpy
from curate.text.chars import PY_WHITESPACE, TERMINAL_PUNCTUATION, char_class
from curate.text.scores import ScoreBounds, first_failure, float_column, safe_ratio
from curate.text.words import count_words

from .base import WordFilter

_NON_BLANK_RE = char_class(PY_WHITESPACE, negate=True)


@register
class FineWebQualityFilter(WordFilter):
    """FineWeb's quality rules (Penedo et al. 2024, section 3.3), on the document's
    non-blank lines (split at ``\\n``).  Drops, with the first rule failed, in this order:

    - documents without a non-blank line: ``fineweb:empty``;
    - fewer than ``line_punct_thr`` (12 %) of the lines ending in terminal punctuation
      (``stop_chars``, default the Unicode sentence terminals): ``fineweb:line_punct_ratio``
      (with ``line_punct_exclude_zero``, documents where no line does are kept);
    - more than ``short_line_thr`` (67 %) of the lines at most ``short_line_length`` (30)
      characters long: ``fineweb:short_line_ratio``;
    - more than ``char_duplicates_ratio`` (1 %) of the characters (newlines aside) in lines
      that repeat an earlier line: ``fineweb:char_dup_ratio``;
    - more than ``new_line_ratio`` (0.3) newlines per word (lists): ``fineweb:list_ratio``.

    Thresholds are the paper's (and datatrove's) defaults; ``None`` disables a rule.
    Measured values are written as ``fineweb_*`` columns.  The rules only look at lines,
    punctuation and word counts, so any language works.  Words are split like the reference
    implementation's English tokenizer, except that in ``zh`` / ``ja`` documents (the
    ``language`` column) every Han / Kana character counts as a word
    (``cjk_characters_as_words``): otherwise a line of Chinese is one or two "words" and
    the list rule drops ordinary prose.
    """

    name = "fineweb_quality"

    line_punct_thr: float | None = 0.12
    line_punct_exclude_zero: bool = False
    stop_chars: list[str] | None = None
    short_line_thr: float | None = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float | None = 0.01
    new_line_ratio: float | None = 0.3
    cjk_characters_as_words: bool = True

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        texts = as_string_array(batch[self.text_column])
        n = len(texts)
        lines = pc.split_pattern(texts, "\n")
        parents = to_numpy(pc.list_parent_indices(lines)).astype(np.int64)
        lines = pc.list_flatten(lines)
        non_blank = to_numpy(pc.match_substring_regex(lines, _NON_BLANK_RE)).astype(bool)
        lines = lines.filter(pa.array(non_blank))
        parents = parents[non_blank]
        n_lines = group_sum(None, parents, n)

        ending = self._ends_with_stop_char(lines)
        short = to_numpy(pc.less_equal(pc.utf8_length(lines), self.short_line_length)).astype(bool)
        _, dup_chars = duplicate_chars(lines, parents, n)
        newlines = to_numpy(pc.count_substring(texts, "\n")).astype(np.int64)
        chars = to_numpy(pc.utf8_length(texts)).astype(np.int64) - newlines
        languages = self.document_languages(batch, n)
        words = count_words(
            texts, cjk=self.cjk_words(languages)
        )
        return {
            "fineweb_line_count": pa.array(n_lines, pa.int64()),
            "fineweb_line_punct_ratio": float_column(
                safe_ratio(group_sum(ending, parents, n), n_lines)
            ),
            "fineweb_short_line_ratio": float_column(
                safe_ratio(group_sum(short, parents, n), n_lines)
            ),
            "fineweb_char_dup_ratio": float_column(safe_ratio(dup_chars, chars)),
            "fineweb_list_ratio": float_column(safe_ratio(newlines, words)),
        }

    def _ends_with_stop_char(self, lines: pa.Array) -> np.ndarray:
        chars = TERMINAL_PUNCTUATION if self.stop_chars is None else self.stop_chars
        if all(len(c) == 1 for c in chars):
            last = pc.utf8_slice_codeunits(lines, -1)
            return to_numpy(pc.is_in(last, value_set=pa.array(sorted(chars), pa.string()))).astype(bool)
        pattern = "(?:" + "|".join(
            "".join(f"\\x{{{ord(ch):x}}}" for ch in c) for c in chars if c
        ) + ")$"
        return to_numpy(pc.match_substring_regex(lines, pattern)).astype(bool)

    def keep(self, score: dict[str, pa.Array]) -> pa.Array:
        bounds = ScoreBounds(score, "fineweb_line_count")
        values, n, none, above = bounds.values, bounds.n, bounds.none, bounds.above
        punct = values["fineweb_line_punct_ratio"]
        if self.line_punct_thr is None:
            low_punct = none
        else:
            low_punct = punct < self.line_punct_thr
            if self.line_punct_exclude_zero:
                low_punct &= punct != 0

        return first_failure(
            [
                ("fineweb:empty", values["fineweb_line_count"] == 0),
                ("fineweb:line_punct_ratio", low_punct),
                ("fineweb:short_line_ratio", above("fineweb_short_line_ratio", self.short_line_thr)),
                (
                    "fineweb:char_dup_ratio",
                    above("fineweb_char_dup_ratio", self.char_duplicates_ratio),
                ),
                ("fineweb:list_ratio", above("fineweb_list_ratio", self.new_line_ratio)),
            ],
            n,
        )
