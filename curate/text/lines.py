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

__all__ = ["split_lines", "split_paragraphs", "strip_chars"]

# str.splitlines() boundaries.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK_RE = "\r\n|" + char_class(_LINE_BREAKS)


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
