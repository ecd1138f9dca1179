"""Parse a page the way trafilatura does, with element classes chosen in C.

trafilatura parses with an ``lxml.html.HTMLParser``, whose element class lookup
(``HtmlElementClassLookup``) is a Python method: lxml calls it for every element proxy it
creates, millions of times per thousand pages (about 9% of trafilatura's time on the
benchmark WARC, in ``cProfile``).  The parser here has the same options and an
``ElementDefaultClassLookup`` that makes every element an ``HtmlElement`` in C.  The only
classes lost are lxml's form helpers (``FormElement``, ``InputElement``, ...), whose extra
methods trafilatura never calls; the extracted text is byte-identical
(``tests/stages/test_trafilatura_tree.py`` checks real pages) and extraction takes 3-8%
less CPU.  Copies of a tree keep its parser, so trafilatura's internal copies benefit too.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction

_LOCK = threading.Lock()
_PARSER: HTMLParser | None = None


def _parser() -> HTMLParser:
    """The parser (built once; used under ``_LOCK`` only, so no two threads share it at once)."""
    global _PARSER
    if _PARSER is None:
        # the options of trafilatura.utils.HTML_PARSER
        _PARSER = HTMLParser(
            collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
        )
        _PARSER.set_element_class_lookup(
            etree.ElementDefaultClassLookup(
                element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
            )
        )
    return _PARSER


def load_html_tree(html: str) -> Any:
    """``trafilatura.utils.load_html(html)`` (its decoding, repairs and checks), parsed with
    the C-lookup parser; None where trafilatura finds no usable tree."""
    import trafilatura.utils as trafilatura_utils

    # load_html reads the module's HTML_PARSER when it runs: swap it for the call only, so
    # other trafilatura users in the process keep lxml's own classes.  The lock keeps two
    # threads from restoring each other's swap.
    with _LOCK:
        default = trafilatura_utils.HTML_PARSER
        trafilatura_utils.HTML_PARSER = _parser()
        try:
            return trafilatura_utils.load_html(html)
        finally:
            trafilatura_utils.HTML_PARSER = default
