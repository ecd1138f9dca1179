"""XHTML content documents (EPUB chapters) to plain text with the book's structure kept.

Every block element (paragraph, heading, list item, block quote, table row...) becomes a
paragraph; paragraphs are separated by one blank line; ``<br/>`` is a line break inside a
paragraph (verse); ``<pre>`` keeps its lines.  Inline whitespace collapses to one space, as
a browser renders it.

Left out: ``script``/``style``/``head``, images and other media (``img``, ``svg``,
``video``...), MathML, navigation (``nav``), hidden elements, ruby annotations (``rt``),
page-break markers (``epub:type="pagebreak"``, ``role="doc-pagebreak"``, PG's
``class="pagenum"``), Project Gutenberg boilerplate sections (``id="pg-header"`` /
``"pg-footer"``, ``class="pg-boilerplate"``), and every element whose ``epub:type`` (or
DPUB-ARIA ``role="doc-..."``) names one of ``skip_types`` (cover, title page, copyright
page, colophon, table of contents...).

Footnotes: note references (``epub:type="noteref"``, ``role="doc-noteref"``, and links to a
fragment whose text is only a marker such as ``1``, ``[12]``, ``*``, ``†``, with the
``<sup>`` around them) are removed, so no stray number is spliced into the sentence; note
bodies (``epub:type`` footnote/endnote/rearnote/note, ``role="doc-footnote"`` /
``"doc-endnote"``) are taken out of the flow and, with ``footnotes="end"``, appended after
the chapter's text (``"drop"``: left out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"

# Structural types left out by default (EPUB 3 Structural Semantics Vocabulary names, plus
# the EPUB 2 guide's "title-page"/"copyright-page" spellings).
DEFAULT_SKIP_TYPES = (
    "cover",
    "titlepage",
    "title-page",
    "halftitlepage",
    "copyright-page",
    "colophon",
    "imprint",
    "toc",
    "landmarks",
    "page-list",
    "loi",
    "lot",
)

BLOCK_TAGS = frozenset(
    "p div section article header footer main aside blockquote h1 h2 h3 h4 h5 h6 li ul ol "
    "dl dt dd table thead tbody tfoot tr caption figure figcaption hr address center hgroup "
    "details summary fieldset form body html".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
DROP_TAGS = frozenset(
    "script style head title img svg math audio video object embed iframe canvas noscript "
    "template map area source track button input select textarea nav rt rp picture".split()
)
NOTE_TYPES = frozenset({"footnote", "endnote", "rearnote", "note"})
NOTE_ROLES = frozenset({"doc-footnote", "doc-endnote"})
NOTEREF_TYPES = frozenset({"noteref"})
PAGEBREAK_TYPES = frozenset({"pagebreak"})
PG_BOILERPLATE_IDS = frozenset(
    {"pg-header", "pg-footer", "pg-machine-header", "pg-start-separator", "pg-end-separator"}
)
# The text of a link that only points at a note: "1", "[12]", "(3)", "12a", "*", "†".
_MARKER = re.compile(r"^[\[(]?(?:\d{1,4}[a-z]?|[*\u2020\u2021\u00a7\u00b6#]{1,3})[\])]?\.?$")
# The text of a superscript that is a note mark by itself: "1", "[2]", "*", "†".
_SUP_MARKER = re.compile(r"^[\[(]?(?:\d{1,4}|[*\u2020\u2021\u00a7\u00b6]{1,3})[\])]?$")
_WS = re.compile(r"\s+")


@dataclass
class ChapterText:
    """One content document as text: the body, its notes, and what was left out."""

    text: str
    notes: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)  # epub:type / role tokens of the body
    skipped_types: set[str] = field(default_factory=set)  # skip_types of removed elements
    heading: str | None = None


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""  # comments, processing instructions
    return tag.rsplit("}", 1)[-1].lower()


def _types(el: Any) -> set[str]:
    value = el.get(f"{{{OPS_NS}}}type") or el.get("epub:type") or ""
    tokens = {t.split(":")[-1].lower() for t in value.split()}
    role = el.get("role") or ""
    tokens.update(
        r.lower().removeprefix("doc-") for r in role.split() if r.lower().startswith("doc-")
    )
    return tokens


def _roles(el: Any) -> set[str]:
    return {r.lower() for r in (el.get("role") or "").split()}


def _classes(el: Any) -> set[str]:
    return {c.lower() for c in (el.get("class") or "").split()}


def _hidden(el: Any) -> bool:
    if el.get("hidden") is not None:
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _text_content(el: Any) -> str:
    return "".join(t for t in el.itertext() if isinstance(t, str))


def is_noteref(el: Any) -> bool:
    """A reference to a note: typed as one, or a fragment link (or ``sup``) whose whole
    text is a marker."""
    tag = _local(el.tag)
    if _types(el) & NOTEREF_TYPES or "doc-noteref" in _roles(el):
        return True
    if tag == "a":
        href = el.get("href") or ""
        return "#" in href and bool(_MARKER.match(" ".join(_text_content(el).split())))
    if tag == "sup":
        if any(
            is_noteref(child) for child in el.iter() if child is not el and _local(child.tag) == "a"
        ):
            return True
        return bool(_SUP_MARKER.match(" ".join(_text_content(el).split())))
    return False


def is_note(el: Any) -> bool:
    return bool(_types(el) & NOTE_TYPES or _roles(el) & NOTE_ROLES)


class _Writer:
    """Collects paragraphs: inline text accumulates until a block boundary flushes it."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._parts: list[str] = []

    def text(self, value: str | None) -> None:
        if value:
            self._parts.append(_WS.sub(" ", value))

    def line_break(self) -> None:
        self._parts.append("\n")

    def flush(self) -> None:
        if not self._parts:
            return
        lines = [" ".join(line.split()) for line in "".join(self._parts).split("\n")]
        self._parts = []
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        if lines:
            self.blocks.append("\n".join(lines))

    def raw_block(self, value: str) -> None:
        self.flush()
        lines = [line.rstrip() for line in value.strip("\n").split("\n")]
        if any(lines):
            self.blocks.append("\n".join(lines))


class _Converter:
    def __init__(self, skip_types: Iterable[str], skip_ids: Iterable[str]) -> None:
        self.skip_types = {t.lower() for t in skip_types}
        self.skip_ids = set(skip_ids)
        self.notes: list[str] = []
        self.skipped_types: set[str] = set()
        self.heading: str | None = None

    def _skip(self, el: Any, tag: str) -> bool:
        if tag in DROP_TAGS or _hidden(el):
            return True
        types = _types(el)
        hit = types & self.skip_types
        if hit:
            self.skipped_types.update(hit)
            return True
        if types & PAGEBREAK_TYPES or "pagenum" in _classes(el):
            return True
        ident = el.get("id")
        if ident is not None and (ident in PG_BOILERPLATE_IDS or ident in self.skip_ids):
            if ident in self.skip_ids:
                self.skipped_types.add("landmark")
            return True
        return "pg-boilerplate" in _classes(el)

    def walk(self, el: Any, out: _Writer) -> None:
        tag = _local(el.tag)
        if not tag:
            out.text(el.tail)
            return
        if self._skip(el, tag):
            out.text(el.tail)
            return
        if is_noteref(el):
            out.text(el.tail)
            return
        if is_note(el):
            note = _Writer()
            self._children(el, note, tag)
            note.flush()
            if note.blocks:
                self.notes.append("\n".join(note.blocks))
            out.text(el.tail)
            return
        if tag == "br":
            out.line_break()
            out.text(el.tail)
            return
        if tag == "pre":
            out.raw_block(_text_content(el))
            out.text(el.tail)
            return
        block = tag in BLOCK_TAGS
        if block:
            out.flush()
        before = len(out.blocks)
        self._children(el, out, tag)
        if block:
            out.flush()
            if tag in HEADING_TAGS and self.heading is None and len(out.blocks) > before:
                self.heading = " ".join(out.blocks[before].split())
        elif tag in ("td", "th"):
            out.text(" ")
        out.text(el.tail)

    def _children(self, el: Any, out: _Writer, tag: str) -> None:
        out.text(el.text)
        for child in el:
            self.walk(child, out)


def parse_xhtml(data: bytes) -> Any:
    """Parse a content document: as XML, or, when it is not well-formed (HTML entities
    such as ``&nbsp;`` without a DTD, stray tags), with the forgiving HTML parser."""
    from lxml import etree, html

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        return html.document_fromstring(data)


def xhtml_to_text(
    data: bytes | Any,
    *,
    skip_types: Iterable[str] = DEFAULT_SKIP_TYPES,
    skip_ids: Iterable[str] = (),
    footnotes: str = "end",
) -> ChapterText:
    """Convert one content document (bytes, or a parsed element) to :class:`ChapterText`.

    ``skip_ids``: ids of elements to leave out (landmarks pointing inside the document).
    ``footnotes``: ``"end"`` appends note bodies after the text, ``"drop"`` leaves them out.
    """
    if footnotes not in ("end", "drop"):
        raise ValueError(f"footnotes must be 'end' or 'drop', not {footnotes!r}")
    root = parse_xhtml(bytes(data)) if isinstance(data, (bytes, bytearray)) else data
    body = next((el for el in root.iter() if _local(el.tag) == "body"), root)
    types = set(_types(body))
    for child in body:
        if _local(child.tag) in ("section", "div", "article", "main"):
            types |= _types(child)
    converter = _Converter(skip_types, skip_ids)
    writer = _Writer()
    converter.walk(body, writer)
    writer.flush()
    text = "\n\n".join(writer.blocks)
    notes = converter.notes
    if footnotes == "end" and notes and text:
        text = text + "\n\n" + "\n\n".join(notes)
    return ChapterText(
        text=text,
        notes=notes,
        types=types,
        skipped_types=converter.skipped_types,
        heading=converter.heading,
    )


def html_to_text(payload: bytes, charset: str | None = None, skip_types: Iterable[str] = ()) -> str:
    """A whole HTML page (not an EPUB chapter) to text with the same rules, parsed with the
    HTML parser after decoding as :func:`curate.stages.decode.decode_html` does."""
    import lxml.html

    from curate.stages.decode import decode_html

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_html(payload, charset), count=1)
    if not text.strip():
        return ""
    return xhtml_to_text(lxml.html.document_fromstring(text), skip_types=skip_types).text
