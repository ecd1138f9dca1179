"""Sentences per text.

:func:`count_sentences` counts sentences the way spaCy's ``sentencizer`` does on the tokens
of :func:`curate.text.words.split_words`: a new sentence starts at the first word token that
follows a sentence-final mark (``.``, ``!``, ``?`` and the Unicode sentence terminals).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import group_sum, np_bool
from .chars import TERMINAL_PUNCTUATION
from .words import Words

__all__ = ["count_sentences"]

_PUNCT_TOKEN_RE = r"^\pP+$"


def count_sentences(words: Words) -> np.ndarray:
    """Sentences per text as spaCy's sentencizer counts them on these tokens: one, plus one
    for every word token that follows a sentence-final mark (texts without tokens: 0)."""
    n = words.n_texts
    if not len(words):
        return np.zeros(n, dtype=np.int64)
    final = np_bool(pc.is_in(words.vocab, value_set=_terminal_array()))[words.ids]
    punct = words.vocab_flags(_PUNCT_TOKEN_RE)
    parents = words.parents
    word_idx = np.flatnonzero(~final & ~punct)
    seen = np.concatenate([[0], np.cumsum(final)])  # seen[i]: marks among tokens [0, i)
    # The sentence-final marks between a word token and the previous word token of the
    # same text (or the start of the text) start a new sentence at the word token.
    since = words.offsets()[parents[word_idx]]
    if len(word_idx) > 1:
        same_text = parents[word_idx[1:]] == parents[word_idx[:-1]]
        since[1:] = np.where(same_text, word_idx[:-1], since[1:])
    boundary = seen[word_idx] - seen[since] > 0
    out = (words.counts() > 0).astype(np.int64)
    out += group_sum(boundary, parents[word_idx], n)
    return out


@lru_cache(maxsize=1)
def _terminal_array() -> pa.Array:
    return pa.array(sorted(TERMINAL_PUNCTUATION), pa.string())
