"""Lines and paragraphs of every text of an Arrow array.

:func:`split_lines` has ``str.splitlines`` semantics (``\\n``, ``\\r\\n``, ``\\r``,
``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028, U+2029).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import as_string_array, list_parts, np_bool
from .chars import PY_WHITESPACE, char_class

__all__ = ["REMOVED_LINES_TYPE", "removed_lines", "split_lines", "split_paragraphs", "strip_chars"]

# str.splitlines() boundaries.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK_RE = "\r\n|" + char_class(_LINE_BREAKS)
# What a line-level stage records of the lines it removed (see removed_lines).
REMOVED_LINES_TYPE = pa.list_(pa.struct([("line", pa.int32()), ("text", pa.large_string())]))


def strip_chars(texts: pa.Array, chars: str = PY_WHITESPACE) -> pa.Array:
    """``str.strip()`` (default: Python whitespace) on every string."""
    return pc.utf8_trim(texts, characters=chars)


def split_lines(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """``str.splitlines()`` of every text: (all lines, index of the text of each line)."""
    texts = as_string_array(texts)
    trimmed = pc.replace_substring_regex(
        texts, f"(?:{_LINE_BREAK_RE})$", "", max_replacements=1
    )
    lines, parents = list_parts(pc.split_pattern_regex(trimmed, _LINE_BREAK_RE))
    empty = np_bool(pc.equal(pc.utf8_length(texts), 0))
    if empty.any():
        keep = ~empty[parents]
        lines = lines.filter(pa.array(keep))
        parents = parents[keep]
    return lines, parents


def split_paragraphs(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Gopher's paragraphs: each text, stripped, cut at runs of two or more ``\\n``
    (``re.split(r"\\n{2,}", text.strip())``): (all paragraphs, index of each one's text).
    Every text has at least one (possibly empty) paragraph."""
    paragraphs = pc.split_pattern_regex(strip_chars(as_string_array(texts)), "\n{2,}")
    return list_parts(paragraphs)


def removed_lines(
    lines: pa.Array, parents: np.ndarray, removed: np.ndarray, n: int, limit: int, max_chars: int
) -> pa.Array:
    """The removed lines of every text, as a :data:`REMOVED_LINES_TYPE` array of ``n`` lists.

    ``lines`` are the lines of all texts in order, ``parents`` the text of each (ascending),
    ``removed`` a mask over them.  Each list holds a text's first ``limit`` removed lines
    as ``{line, text}``: ``line`` its index among the text's lines, ``text`` the line cut
    to ``max_chars`` characters.  A text without removed lines (or ``limit`` 0) gets an
    empty list.
    """
    parents = np.asarray(parents, dtype=np.int64)
    per_text = np.bincount(parents, minlength=n)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_text, out=starts[1:])
    at = np.flatnonzero(removed)
    docs = parents[at]
    # Rank of each removed line among its text's removed lines (``docs`` is sorted).
    rank = np.arange(len(at)) - np.searchsorted(docs, docs, side="left")
    chosen = rank < max(limit, 0)
    at, docs = at[chosen], docs[chosen]
    texts = lines.take(pa.array(at, pa.int64())).cast(pa.large_string())
    texts = pc.utf8_slice_codeunits(texts, 0, max(max_chars, 0))
    items = pa.StructArray.from_arrays(
        [pa.array(at - starts[docs], pa.int32()), texts], names=["line", "text"]
    )
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(docs, minlength=n), out=offsets[1:])
    out = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), items)
    return out.cast(REMOVED_LINES_TYPE)
