"""Character sets of the text rules, written as strings or frozensets of characters, and
:func:`char_class`, which turns a set of characters into an RE2 character class."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "PY_WHITESPACE",
    "SYMBOL_CHARS",
    "TERMINAL_PUNCTUATION",
    "char_class",
    "char_ranges",
]


def char_ranges(spec: str) -> str:
    """Expand ``"a-c x"``-style ranges of literal characters (pairs joined by ``-``)."""
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


def char_class(chars: Iterable[str], negate: bool = False, extra: str = "") -> str:
    """An RE2 character class matching exactly ``chars`` (each written as ``\\x{..}``)."""
    body = "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(chars)))
    return f"[{'^' if negate else ''}{body}{extra}]"


# Python's str.isspace() characters (what str.split() / str.strip() use).
PY_WHITESPACE = char_ranges(
    "\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)

# Unicode Sentence_Terminal characters (Unicode 16): what "ends a sentence" for FineWeb's
# line-punctuation rule and for sentence counting.
TERMINAL_PUNCTUATION = frozenset(
    char_ranges(
        "!.?\u0589\u061d-\u061f\u06d4\u0700-\u0702\u07f9\u0837\u0839\u083d-\u083e"
        "\u0964-\u0965\u104a-\u104b\u1362\u1367-\u1368\u166e\u1735-\u1736\u17d4-\u17d5"
        "\u1803\u1809\u1944-\u1945\u1aa8-\u1aab\u1b4e-\u1b4f\u1b5a-\u1b5b\u1b5e-\u1b5f"
        "\u1b7d-\u1b7f\u1c3b-\u1c3c\u1c7e-\u1c7f\u2024\u203c-\u203d\u2047-\u2049"
        "\u2cf9-\u2cfb\u2e2e\u2e3c\u2e53-\u2e54\u2e60-\u2e61\u3002\ua4ff\ua60e-\ua60f"
        "\ua6f3\ua6f7\ua876-\ua877\ua8ce-\ua8cf\ua92f\ua9c8-\ua9c9\uaa5d-\uaa5f"
        "\uaaf0-\uaaf1\uabeb\ufe12\ufe15-\ufe16\ufe52\ufe56-\ufe57\uff01\uff0e\uff1f"
        "\uff61\U00010a56-\U00010a57\U00010f55-\U00010f59\U00010f86-\U00010f89"
        "\U00011047-\U00011048\U000110be-\U000110c1\U00011141-\U00011143"
        "\U000111c5-\U000111c6\U000111cd\U000111de-\U000111df\U00011238-\U00011239"
        "\U0001123b-\U0001123c\U000112a9\U000113d4-\U000113d5\U0001144b-\U0001144c"
        "\U000115c2-\U000115c3\U000115c9-\U000115d7\U00011641-\U00011642"
        "\U0001173c-\U0001173e\U00011944\U00011946\U00011a42-\U00011a43"
        "\U00011a9b-\U00011a9c\U00011c41-\U00011c42\U00011ef7-\U00011ef8"
        "\U00011f43-\U00011f44\U00016a6e-\U00016a6f\U00016af5\U00016b37-\U00016b38"
        "\U00016b44\U00016d6e-\U00016d6f\U00016e98\U0001bc9f\U0001da88"
    )
)

# Characters that make a token a "symbol" rather than a word in Gopher's word statistics
# (a token is a word when it has at least one character outside this set).  The set is the
# one of the reference implementation, so that counts agree: ASCII punctuation, C0/C1
# control characters (tab and newline aside), typographic dashes, quotes and ellipsis, the
# common CJK / full-width punctuation, and the sentence terminals above.
SYMBOL_CHARS = frozenset(
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    + char_ranges("\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\r")
    + "\u2014\u2013\u201c\u201d\u2019\u201e\u00ab\u00bb\u2026\u00b4\u25ba\u2501\u2236"
    + "\uff05\uff11\u3008\u3009\u3001\u3010\u3011\u300c\u300d\uff0c\uff1b\uff1a\uff1f"
    + "\uff01\uff5e\u300a\u300b\uff08\uff09\u3002\uff0e"
) | TERMINAL_PUNCTUATION
