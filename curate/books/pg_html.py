"""Project Gutenberg HTML editions: cut the page down to the book.

PG HTML files carry the same header, start/end markers and licence as the plain texts
(:mod:`curate.books.gutenberg`), inside the page: in a ``<pre>`` block (2000s files), in
``<p>`` elements, or in ``<section id="pg-header">`` / ``<div id="pg-start-separator">``
(current files).  Main-text extractors keep most of it (measured on 972-h.htm and
3261-h.htm: 71-72 mentions of "Project Gutenberg" / the licence in the output of
trafilatura and resiliparse alike), so the reader cuts the page itself:

- everything before the end of the line holding the start marker (the last one before the
  first end marker) is removed, and everything from the start of the line holding the end
  marker on, whatever elements they sit in;
- production credits among the first blocks left ("Produced by", "Transcribed from ...")
  are removed as in the plain texts.

The page keeps its ``<head>`` and the elements around the book, so an extractor sees the
same structure as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from curate.books.gutenberg import (
    END_MARKER,
    START_MARKER,
    STRONG_END_MARKER,
    header_metadata,
    is_credit,
    remove_credits,
)
from curate.stages.decode import decode_html, meta_charset

# The markers anywhere in the page source (in the page they need not start a line).
_ANY_MARKER = re.compile(
    "|".join(m.pattern.replace(r"^[ \t]*", "", 1) for m in (START_MARKER, STRONG_END_MARKER)),
    re.I | re.X,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_BLOCKS = frozenset("p div pre h1 h2 h3 h4 h5 h6 blockquote li section".split())
HEAD_BLOCKS = 8


@dataclass
class CutHtml:
    """The result of :func:`cut_gutenberg_html`."""

    payload: bytes
    charset: str | None
    found: bool = False
    metadata: dict[str, object] = field(default_factory=dict)


def html_charset(payload: bytes) -> str | None:
    """The charset an HTML / XHTML file declares: the XML declaration's ``encoding``, else a
    ``<meta charset>`` / ``http-equiv`` in the first 4 KiB; None when it declares none."""
    match = _XML_ENCODING.match(payload[:512])
    if match:
        return match.group(1).decode("ascii").lower()
    found = meta_charset(payload)
    return found.lower() if found else None


def _text_nodes(body: Any) -> list[tuple[Any, bool]]:
    """``(element, is_tail)`` for every text node under ``body``, in document order (an
    element's text, its children, then its tail)."""
    out: list[tuple[Any, bool]] = []

    def walk(el: Any) -> None:
        if isinstance(el.tag, str) and el.text:
            out.append((el, False))
        for child in el:
            walk(child)
            if child.tail:
                out.append((child, True))

    walk(body)
    return out


def _get(node: tuple[Any, bool]) -> str:
    el, tail = node
    return (el.tail if tail else el.text) or ""


def _set(node: tuple[Any, bool], value: str) -> None:
    el, tail = node
    if tail:
        el.tail = value
    else:
        el.text = value


def _remove_keep_tail(el: Any) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _drop_before(node: tuple[Any, bool], body: Any) -> None:
    """Remove everything under ``body`` that comes before the text node ``node``."""
    el, tail = node
    current = el
    if not tail:
        # el's text stays: the content before it is what precedes el itself.
        pass
    else:
        # el's own content precedes its tail: empty el, then handle what precedes el.
        for child in list(el):
            el.remove(child)
        el.text = None
    while current is not body and current.getparent() is not None:
        parent = current.getparent()
        for sibling in list(current.itersiblings(preceding=True)):
            parent.remove(sibling)
        parent.text = None
        current = parent


def _drop_after(node: tuple[Any, bool], body: Any) -> None:
    """Remove everything under ``body`` that comes after the text node ``node``."""
    el, tail = node
    if not tail:
        for child in list(el):
            el.remove(child)
    current = el
    while current is not body and current.getparent() is not None:
        parent = current.getparent()
        for sibling in list(current.itersiblings()):
            parent.remove(sibling)
        if current is not el or not tail:
            current.tail = None
        current = parent


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def cut_gutenberg_html(payload: bytes, charset: str | None = None) -> CutHtml:
    """Cut a PG HTML page to the book (see the module docstring).  Returns the page as
    UTF-8 bytes with ``found`` True, or the payload untouched (``found`` False) when it has
    no PG markers or cannot be parsed."""
    import lxml.html
    from lxml import etree

    charset = charset or html_charset(payload)
    text = _XML_DECLARATION.sub("", decode_html(payload, charset), count=1)
    if not _ANY_MARKER.search(text):
        return CutHtml(payload, charset)
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return CutHtml(payload, charset)
    body = doc.find("body")
    if body is None:
        return CutHtml(payload, charset)
    nodes = _text_nodes(body)
    strong_end = next(
        (i for i, n in enumerate(nodes) if STRONG_END_MARKER.search(_get(n))), len(nodes)
    )
    start = None
    for i, node in enumerate(nodes[: strong_end + 1]):
        value = _get(node)
        strong = STRONG_END_MARKER.search(value) if i == strong_end else None
        limit = strong.start() if strong is not None else len(value)
        for match in START_MARKER.finditer(value, 0, limit):
            start = (i, match)
    header = ""
    if start is not None:
        i, match = start
        value = _get(nodes[i])
        header = "".join(_get(n) for n in nodes[:i]) + value[: match.start()]
        line_end = value.find("\n", match.end())
        _set(nodes[i], "" if line_end < 0 else value[line_end + 1 :])
    first = start[0] if start is not None else 0
    for j in range(first, len(nodes)):
        value = _get(nodes[j])
        end = END_MARKER.search(value)
        if end:
            _set(nodes[j], value[: _line_start(value, end.start())])
            _drop_after(nodes[j], body)
            break
    if start is not None:
        _drop_before(nodes[start[0]], body)
        anchor = nodes[start[0]]
        if _get(anchor).strip():
            _set(anchor, remove_credits(_get(anchor)) + "\n")
    _remove_head_credits(body)
    out = lxml.html.tostring(doc, encoding="utf-8", method="html", doctype="<!DOCTYPE html>")
    return CutHtml(out, "utf-8", found=True, metadata=header_metadata(header) if header else {})


def _remove_head_credits(body: Any) -> None:
    """Remove credit blocks among the first :data:`HEAD_BLOCKS` blocks with text."""
    seen = 0
    for el in list(body.iter()):
        if not isinstance(el.tag, str) or el.tag not in _BLOCKS or el.getparent() is None:
            continue
        if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in el):
            continue  # only leaf blocks: a wrapper holds the book
        lines = [line for line in el.text_content().split("\n") if line.strip()]
        if not lines:
            continue
        seen += 1
        if is_credit([" ".join(line.split()) for line in lines]):
            _remove_keep_tail(el)
        if seen >= HEAD_BLOCKS:
            break
