"""Layout tables vs data tables: an HTML pre-pass for trafilatura's plain-text output.

Why this exists: trafilatura 2.x renders every ``<table>`` it keeps as Markdown-style pipe
rows, also in plain ``txt`` output.  In ``trafilatura/xml.py`` (2.3.1) ``process_element``
writes ``"| "`` before a row's first cell and ``" | "`` after each cell, and every piece of
text inside a cell goes through ``_escape_cell``, which turns ``|`` into ``\\|`` and every
newline into a space, while block elements inside a cell (``p``, ``head``, ``list``,
``item``, ``lb``) do not add line breaks ("block elements inside a cell must not inject a
row-breaking newline").  A page laid out with a table (the pre-CSS web, forums, archives)
therefore comes out as one line per table row: often the whole main text on one line,
wrapped in ``| ... |``.  trafilatura's only switches are ``include_tables`` (drop all
table content, including a layout table's main text) and, in ``htmlprocessing.py``
``tree_cleaning``, turning ``<table role="presentation|none">`` into a ``div``; pages from
before ARIA do not carry that role.

The fix here: before trafilatura sees the tree, decide for each table whether it lays out
the page or holds data, and turn layout tables into plain blocks (``table``/``tr``/``td``
become ``div``), so their paragraphs, headings and list items come out one per line, as
with trafilatura 1.x.  Data tables stay tables (pipe rows) or are rendered as lines, as
configured.

Deciding layout vs data follows Mozilla Readability's ``_markDataTables``
(https://github.com/mozilla/readability, ``Readability.js``), itself after the W3C/WCAG
guidance that layout tables carry no header cells, caption or summary (WCAG technique
F46 and H39/H51):

1. ``role="presentation"``/``"none"`` or ``datatable="0"``: layout;
2. a nested table: layout;
3. (added here) a cell of its own with over :data:`LONG_CELL_CHARS` characters of text:
   layout, header cells or not (forum posts, articles in a cell; data cells hold short
   values, and a long cell is what turns into a one-line pipe row);
4. a ``summary`` attribute, a ``<caption>``, or a ``th``/``thead``/``tfoot``/``col``/
   ``colgroup`` of its own: data;
5. (added here) cells holding block content (a paragraph, list, heading, ``div``,
   ``blockquote``, ``pre``, ``form``, ``hr``, two or more ``br``), a single row or a
   single column: layout (a one-column table is a stack of blocks, a one-row table the
   columns of a page);
6. Readability's size rule: 10 rows or more, more than 4 columns or more than 10 cells:
   data; else layout.

Readability checks nested tables after header cells; here a table holding a table is
layout first, since trafilatura renders the nested table apart from its cell anyway.

Cost: one walk over the ``table`` elements of a page and their cells (pages without a
table cost one ``iter``), on the tree trafilatura parses anyway: no second parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from lxml.html import HtmlElement

TableMode = Literal["layout_as_text", "text", "keep", "drop"]
"""How ``ExtractHtml`` renders tables with trafilatura.

``layout_as_text``: layout tables become blocks and lines, data tables stay pipe rows;
``text``: every table becomes lines (a layout table's blocks; one line per data row, its
cells separated by spaces); ``keep``: trafilatura's own rendering (pipe rows for every
table); ``drop``: no table content at all (trafilatura's ``include_tables=False``).
"""
TABLE_MODES: tuple[str, ...] = ("layout_as_text", "text", "keep", "drop")

# A data cell holds a short value; main text in a cell is layout.
LONG_CELL_CHARS = 200
# Readability's _markDataTables size thresholds.
DATA_MIN_ROWS = 10
DATA_MAX_LAYOUT_COLUMNS = 4
DATA_MIN_CELLS = 10

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "pre", "form", "hr", "article", "section", "table", "center", "address", "fieldset",
    }
)
_DATA_MARKERS = frozenset({"th", "thead", "tfoot", "col", "colgroup", "caption"})
_TABLE_PARTS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})
_WS_RE = re.compile(r"\s+")


def _own_rows(table: HtmlElement) -> Iterator[HtmlElement]:
    """The ``tr`` of ``table`` itself (directly or in thead/tbody/tfoot), not of nested tables."""
    for child in table:
        tag = child.tag
        if tag == "tr":
            yield child
        elif tag in _TABLE_PARTS:
            for row in child:
                if row.tag == "tr":
                    yield row


def _own_descendants(table: HtmlElement) -> Iterator[HtmlElement]:
    """Elements inside ``table`` that do not belong to a nested table (nested ``table`` included)."""
    stack = list(table)[::-1]
    while stack:
        elem = stack.pop()
        if not isinstance(elem.tag, str):
            continue
        yield elem
        if elem.tag != "table":
            stack.extend(list(elem)[::-1])


def is_layout_table(table: HtmlElement) -> bool:
    """Whether ``table`` lays out the page (True) or holds data (False); see the module doc."""
    role = (table.get("role") or "").strip().lower()
    if role in ("presentation", "none") or table.get("datatable") == "0":
        return True
    nested = False
    block_cell = False
    data_marker = bool(table.get("summary"))
    for elem in _own_descendants(table):
        tag = elem.tag
        if tag == "table":
            nested = True
        elif tag in _DATA_MARKERS:
            data_marker = True
        elif tag in _BLOCK_TAGS:
            block_cell = True
    if nested:
        return True
    rows = 0
    columns = 0
    cells = 0
    long_cell = False
    multi_br = False
    for row in _own_rows(table):
        rows += 1
        width = 0
        for cell in row:
            if cell.tag not in _CELLS:
                continue
            try:
                width += max(1, int(cell.get("colspan") or 1))
            except ValueError:
                width += 1
            if not long_cell and len(_WS_RE.sub(" ", cell.text_content()).strip()) > LONG_CELL_CHARS:
                long_cell = True
            if not multi_br and sum(1 for _ in cell.iter("br")) >= 2:
                multi_br = True
        cells += width
        columns = max(columns, width)
    if long_cell:
        return True
    if data_marker:
        return False
    if block_cell or multi_br or rows <= 1 or columns <= 1:
        return True
    return not (rows >= DATA_MIN_ROWS or columns > DATA_MAX_LAYOUT_COLUMNS or cells > DATA_MIN_CELLS)


def _unwrap_as_blocks(table: HtmlElement) -> None:
    """Turn ``table`` and its own rows and cells into ``div`` blocks (nested tables untouched)."""
    for elem in list(_own_descendants(table)):
        tag = elem.tag
        if tag in ("tr", "td", "th", "caption") or tag in _TABLE_PARTS:
            elem.tag = "div"
            for attr in ("colspan", "rowspan"):
                elem.attrib.pop(attr, None)
        elif tag in ("col", "colgroup"):
            elem.drop_tree()
    table.tag = "div"


def _unwrap_as_lines(table: HtmlElement) -> None:
    """Turn a data ``table`` into one ``p`` per row, its cells inline and space-separated."""
    for elem in list(_own_descendants(table)):
        tag = elem.tag
        if tag in ("tr", "caption"):
            elem.tag = "p"
        elif tag in _CELLS:
            elem.tag = "span"
            elem.tail = " " + (elem.tail or "")
        elif tag in _TABLE_PARTS:
            elem.tag = "div"
        elif tag in ("col", "colgroup"):
            elem.drop_tree()
    table.tag = "div"


def unwrap_layout_tables(tree: HtmlElement, mode: TableMode = "layout_as_text") -> int:
    """Rewrite the tables of ``tree`` in place for ``mode``; return how many were rewritten.

    ``layout_as_text`` turns layout tables into blocks; ``text`` also turns data tables into
    one line per row; ``keep`` and ``drop`` leave the tree alone (``drop`` is trafilatura's
    ``include_tables=False``).  Tables are decided before any is rewritten, innermost
    tables included, so a rewritten outer table does not change how an inner one is read.
    """
    if mode not in ("layout_as_text", "text"):
        return 0
    tables = list(tree.iter("table"))
    if not tables:
        return 0
    decisions = [(table, is_layout_table(table)) for table in tables]
    for table, layout in decisions:
        if layout:
            _unwrap_as_blocks(table)
        elif mode == "text":
            _unwrap_as_lines(table)
    return sum(1 for _, layout in decisions if layout or mode == "text")


_PIPE_ESCAPE_RE = re.compile(r"\\\|")


def strip_cell_escapes(text: str) -> str:
    """Undo trafilatura's GFM cell escape (``\\|`` -> ``|``) in plain-text output.

    trafilatura 2.x ``xml._escape_cell`` escapes pipes in table cells even for ``txt``
    output; plain text has no table syntax to protect, so the backslash is noise.  (It adds
    no other Markdown escape to ``txt``: ``_escape_inline_specials`` and
    ``_escape_block_start`` run only with ``include_formatting``.)
    """
    return _PIPE_ESCAPE_RE.sub("|", text) if "\\|" in text else text
