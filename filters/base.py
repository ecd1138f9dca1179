"""The base of filters that split documents into words (Gopher, FineWeb)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from curate.schema import TEXT
from curate.stage import Filter
from curate.text.languages import cjk_mask, language_codes


@dataclass(kw_only=True)
class WordFilter(Filter):
    """Settings every word-splitting filter shares, and the per-document word rules.

    ``text_column`` is split into words; ``language_column`` gives each document's
    language; with ``cjk_characters_as_words`` every Han / Kana character of a ``zh`` /
    ``ja`` document counts as one word (those scripts put no spaces between words).
    """

    cjk_characters_as_words: bool = False
    language_column: str = "language"
    text_column: str = TEXT

    def document_languages(self, batch: pa.Table, n: int) -> np.ndarray:
        return language_codes(batch, self.language_column, n)

    def cjk_words(self, languages: np.ndarray) -> np.ndarray | None:
        """The mask for ``split_words`` / ``count_words``: None unless CJK counting is on."""
        return cjk_mask(languages) if self.cjk_characters_as_words else None
