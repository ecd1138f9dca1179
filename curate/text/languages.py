"""Per-row language codes of a batch, and which rows are written without spaces between
words (their Han / Kana characters count as one word each in
:func:`curate.text.words.split_words`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CJK_LANGUAGES", "cjk_mask", "language_codes"]

# Languages whose Han / Kana characters count as one word each.
CJK_LANGUAGES = ("zh", "ja")


def language_codes(batch: pa.Table, column: str, n: int) -> np.ndarray:
    """Each row's ISO 639-1 language code (lower case, region dropped), ``""`` where the
    column is missing or null."""
    if column not in batch.column_names:
        return np.full(n, "", dtype=object)
    values = batch[column]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    codes = pc.utf8_lower(pc.fill_null(values.cast(pa.string()), ""))
    codes = pc.list_element(pc.split_pattern_regex(codes, "[-_]"), 0)
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=object)


def cjk_mask(languages: np.ndarray) -> np.ndarray:
    return np.isin(languages, CJK_LANGUAGES)
