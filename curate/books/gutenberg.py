"""Project Gutenberg plain texts: cut the PG header, footer and licence; read the header.

A PG text is ``header + start marker + book + end marker + footer/licence``.  The markers
changed over the years; the ones recognised here (case-insensitive, at a line start):

start (the book follows the marker line)
    ``*** START OF THIS PROJECT GUTENBERG EBOOK ... ***`` (2000s-2010s),
    ``***START OF THE PROJECT GUTENBERG EBOOK ...***`` / ``*** START OF THE PROJECT
    GUTENBERG EBOOK`` (2010s-), ``*** START OF THE COPYRIGHTED PROJECT GUTENBERG ...``,
    and, in 1990s etexts whose header ends with the licence ("small print"),
    ``*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*`` /
    ``*END THE SMALL PRINT! ...`` (``***START**THE SMALL PRINT!`` opens the licence and is
    not a start).
end (the book stops before the marker line)
    ``*** END OF THIS PROJECT GUTENBERG EBOOK``, ``***END OF THE PROJECT GUTENBERG
    EBOOK``, ``End of Project Gutenberg's <title>``, ``End of the Project Gutenberg EBook
    of``, ``End of The Project Gutenberg Etext of``, ``*** START: FULL LICENSE ***``,
    ``THE FULL PROJECT GUTENBERG LICENSE``, ``This file should be named ...``.

The header ends at the last start marker before the first end marker (old etexts carry a
licence block in the header, new ones after the end).  Then paragraphs near the start and
the end of the book that are production credits rather than the book ("Produced by",
"This etext was prepared by", "Transcribed from the 1908 edition by", "Entered by",
"The Internet Wiretap 1st Online Edition of", "Distributed Proofreading Team", paragraphs
naming Project Gutenberg) are removed.  The approach follows the marker lists of the
``gutenberg`` package (c-w/gutenberg, after Johannes Krugel's ``strip_headers.cpp``) and
gutenbergr's paragraph rule (ropensci/gutenbergr ``gutenberg_strip``); the code is curate's.

Nothing else is changed: line endings become ``\\n``; lines are not unwrapped; blank lines
(paragraph breaks) are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from curate.books.languages import iso639_1

START_MARKER = re.compile(
    r"""^[ \t]*(?:
        \*+[ \t]*START[ \t]+OF[ \t]+(?:THE|THIS)[ \t]+(?:COPYRIGHTED[ \t]+)?PROJECT[ \t]+GUTENBERG
      | \*+[ \t]*END[ \t]*\*?[ \t]*THE[ \t]+SMALL[ \t]+PRINT
    )""",
    re.I | re.M | re.X,
)
# End markers that can only follow the book (searched over the whole text to tell where
# the header ends).
STRONG_END_MARKER = re.compile(
    r"""^[ \t]*(?:
        \**[ \t]*END[ \t]+OF[ \t]+(?:THE|THIS)[ \t]+(?:COPYRIGHTED[ \t]+)?PROJECT[ \t]+GUTENBERG
      | End[ \t]+of[ \t]+(?:the[ \t]+|this[ \t]+)?Project[ \t]+Gutenberg
      | Ende[ \t]+dieses[ \t]+Projekt[ \t]+Gutenberg
      | \*+[ \t]*START:?[ \t]+FULL[ \t]+LICEN[SC]E
      | THE[ \t]+FULL[ \t]+PROJECT[ \t]+GUTENBERG[ \t]+LICEN[SC]E
    )""",
    re.I | re.M | re.X,
)
# ... and those that also occur in old headers (so only count after the start).
END_MARKER = re.compile(
    STRONG_END_MARKER.pattern + r"|^[ \t]*\**[ \t]*This[ \t]+file[ \t]+should[ \t]+be[ \t]+named",
    re.I | re.M | re.X,
)

# First line of a paragraph that credits the digitisation rather than being the book.
_CREDIT = re.compile(
    r"""^[ \t\[(]*(?:
        produced[ \t]+by
      | (?:this|the)[ \t]+(?:[\w-]+[ \t]+){0,3}?
            (?:e-?texts?|e-?books?|electronic[ \t]+(?:edition|version|text)
              |html[ \t]+version|transcription)
            \b.{0,40}?\b(?:produced|prepared|created|transcribed|scanned|converted|made|entered)\b
      | e-?(?:text|book)s?[ \t]+(?:was[ \t]+|were[ \t]+)?
            (?:prepared|produced|scanned|transcribed|created)[ \t]+by
      | transcribed[ \t]+(?:from|by)
      | entered[ \t]+by
      | scanned[ \t]+(?:and[ \t]+proof(?:ed|read)[ \t]+)?by
      | proof-?read[ \t]+by
      | digiti[sz]ed[ \t]+by
      | prepared[ \t]+by
      | converted[ \t]+(?:to[ \t]+\w+[ \t]+)?by
      | html[ \t]+version[ \t]+by
      | the[ \t]+internet[ \t]+wiretap
      | special[ \t]+thanks
      | transcriber'?s'?[ \t]+notes?\b
    )""",
    re.I | re.X,
)
_PG_MENTION = re.compile(
    r"project\s+gutenberg|gutenberg\.org|pgdp\.net|distributed\s+proofread", re.I
)

# How many paragraphs after the start / before the end may be credits.
HEAD_PARAGRAPHS = 8
TAIL_PARAGRAPHS = 4

_FIELD = r"^[ \t]*{name}:[ \t]*(?P<value>.+(?:\n[ \t]+\S.*)*)"
_TITLE = re.compile(_FIELD.format(name="Title"), re.I | re.M)
_AUTHOR = re.compile(_FIELD.format(name="Authors?"), re.I | re.M)
_LANGUAGE = re.compile(_FIELD.format(name="Language"), re.I | re.M)
_PG_ID = re.compile(r"\b(?:e-?book|e-?text)[ \t]*(?:no\.?[ \t]*)?#[ \t]*(\d+)", re.I)
# "The Project Gutenberg EBook of <title>, by <author>" (first line of most headers).
_FIRST_LINE = re.compile(
    r"^[ \t*]*(?:The[ \t]+)?Project[ \t]+Gutenberg(?:'s)?[ \t]+(?:e-?book|e-?text)"
    r"[ \t]*(?:of|,)[ \t]+"
    r"(?P<title>.+?)(?:,?[ \t]+by[ \t]+(?P<author>.+?))?[ \t]*$",
    re.I | re.M,
)
# Where the header says which character set the file is in.
_ENCODING = re.compile(rb"Character set encoding:[ \t]*([A-Za-z0-9_.:-]+)", re.I)


@dataclass
class GutenbergText:
    """The result of :func:`strip_gutenberg`."""

    text: str
    found: bool = False  # a start or end marker was found
    start_found: bool = False
    header: str = ""
    metadata: dict[str, object] = field(default_factory=dict)


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` -> ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def declared_encoding(head: bytes) -> str | None:
    """The ``Character set encoding:`` a PG header declares (first 16 KiB), if any."""
    match = _ENCODING.search(head[:16384])
    return match.group(1).decode("ascii") if match else None


def has_gutenberg_markers(text: str) -> bool:
    return bool(START_MARKER.search(text) or STRONG_END_MARKER.search(text))


def find_body(text: str) -> tuple[int, int, bool, bool]:
    """Character offsets ``(start, end)`` of the book inside a PG text, and whether a start
    and an end marker were found (``(0, len(text), False, False)`` without markers)."""
    first_strong_end = STRONG_END_MARKER.search(text)
    limit = first_strong_end.start() if first_strong_end else len(text)
    start_match = None
    for match in START_MARKER.finditer(text, 0, limit):
        start_match = match
    start = 0
    if start_match is not None:
        line_end = text.find("\n", start_match.end())
        start = len(text) if line_end < 0 else line_end + 1
    end_match = END_MARKER.search(text, start)
    end = end_match.start() if end_match else len(text)
    return start, end, start_match is not None, end_match is not None


def _paragraphs(lines: list[str]) -> list[tuple[int, int]]:
    """``(first, last + 1)`` line ranges of the non-blank runs of ``lines``."""
    out: list[tuple[int, int]] = []
    begin = None
    for i, line in enumerate(lines):
        if line.strip():
            if begin is None:
                begin = i
        elif begin is not None:
            out.append((begin, i))
            begin = None
    if begin is not None:
        out.append((begin, len(lines)))
    return out


def is_credit(lines: list[str]) -> bool:
    return bool(_CREDIT.match(lines[0]) or _PG_MENTION.search(" ".join(lines)))


def remove_credits(text: str, head: int = HEAD_PARAGRAPHS, tail: int = TAIL_PARAGRAPHS) -> str:
    """Drop production-credit paragraphs among the first ``head`` and last ``tail``
    paragraphs (with the blank lines after them); trim blank lines at both ends."""
    lines = text.split("\n")
    paragraphs = _paragraphs(lines)
    if not paragraphs:
        return ""
    chosen = paragraphs[:head] + paragraphs[max(head, len(paragraphs) - tail) :]
    drop = [False] * len(lines)
    for begin, end in chosen:
        if is_credit(lines[begin:end]):
            drop[begin:end] = [True] * (end - begin)
            j = end
            while j < len(lines) and not lines[j].strip():
                drop[j] = True
                j += 1
    kept = [line for line, gone in zip(lines, drop) if not gone]
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def header_metadata(header: str) -> dict[str, object]:
    """``title``, ``author``, ``declared_language`` (ISO 639-1) and ``pg_id`` from a PG
    header's ``Title:`` / ``Author:`` / ``Language:`` lines and ``[EBook #N]`` (falling back
    to its first line, "The Project Gutenberg EBook of <title>, by <author>")."""
    out: dict[str, object] = {}
    first = _FIRST_LINE.search(header[:2000])
    title = _TITLE.search(header)
    if title:
        out["title"] = _one_line(title.group("value"))
    elif first:
        out["title"] = _one_line(first.group("title")).rstrip("*").strip()
    author = _AUTHOR.search(header)
    if author:
        out["author"] = _one_line(author.group("value"))
    elif first and first.group("author"):
        out["author"] = _one_line(first.group("author")).rstrip("*").strip()
    language = _LANGUAGE.search(header)
    if language:
        code = iso639_1(_one_line(language.group("value")))
        if code:
            out["declared_language"] = code
    pg_id = _PG_ID.search(header)
    if pg_id:
        out["pg_id"] = int(pg_id.group(1))
    return out


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def strip_gutenberg(text: str) -> GutenbergText:
    """Cut a PG text down to the book (see the module docstring).  ``text`` may have any
    line endings; the result has ``\\n``.  Without markers the text comes back whole
    (line endings normalised, outer blank lines trimmed) with ``found`` False."""
    text = normalize_newlines(text)
    start, end, start_found, end_found = find_body(text)
    if not (start_found or end_found):
        return GutenbergText(text=text.strip("\n"), found=False)
    header = text[:start] if start_found else text[:2000]
    body = remove_credits(text[start:end])
    return GutenbergText(
        text=body,
        found=True,
        start_found=start_found,
        header=header,
        metadata=header_metadata(header),
    )
