"""curate parses pages for trafilatura with element classes chosen in C
(``curate/stages/trafilatura_tree.py``); the text must be exactly trafilatura's own.

Real pages: the 2008 crawl in ``$CURATE_SHARED_DATA/warc/archivesunleashed-aut`` (old,
table-laid-out HTML) and a slice of the modern wcxb benchmark pages.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest

from curate.stages.decode import decode_html
from curate.stages.trafilatura_tree import load_html_tree

trafilatura = pytest.importorskip("trafilatura")


@pytest.fixture(scope="module")
def real_pages(shared_data: Path) -> list[str]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    pages = []
    warc = shared_data / "warc" / "archivesunleashed-aut" / "example.warc.gz"
    with warc.open("rb") as fh:
        for record in ArchiveIterator(fh, record_types=WarcRecordType.response):
            headers = record.http_headers
            if headers is not None and "html" in (headers.get("Content-Type") or "").lower():
                pages.append(decode_html(record.reader.read(), None))
    wcxb = sorted((shared_data / "html-extraction" / "wcxb" / "html").glob("*.html.gz"))[:40]
    pages += [decode_html(gzip.open(f).read(), None) for f in wcxb]
    assert len(pages) >= 100
    return pages


def test_text_is_trafilaturas_own(real_pages: list[str]) -> None:
    options = {"include_comments": False, "fast": True}
    for html in real_pages:
        tree = load_html_tree(html)
        ours = trafilatura.extract(tree, **options) if tree is not None else trafilatura.extract(html, **options)
        assert ours == trafilatura.extract(html, **options)


def test_full_path_with_fallbacks_is_trafilaturas_own(real_pages: list[str]) -> None:
    for html in real_pages[::8]:
        tree = load_html_tree(html)
        assert tree is not None
        assert trafilatura.extract(tree, include_comments=False) == trafilatura.extract(html, include_comments=False)


def test_elements_are_plain_html_elements_and_the_module_parser_is_restored() -> None:
    import trafilatura.utils as trafilatura_utils
    from lxml.html import HtmlElement

    default = trafilatura_utils.HTML_PARSER
    tree = load_html_tree("<html><body><form><input name='q'></form><p>text</p></body></html>")
    assert trafilatura_utils.HTML_PARSER is default
    assert all(type(e) is HtmlElement for e in tree.iter())  # no FormElement / InputElement
    assert trafilatura_utils.load_html("<html><body><form></form><p>x</p></body></html>").find(".//form").__class__.__name__ == "FormElement"


def test_threads_get_the_same_text(real_pages: list[str]) -> None:
    sample = real_pages[:12]
    expected = [trafilatura.extract(h, include_comments=False, fast=True) for h in sample]
    results: dict[int, list[str | None]] = {}

    def work(k: int) -> None:
        out = []
        for h in sample:
            tree = load_html_tree(h)
            out.append(trafilatura.extract(tree, include_comments=False, fast=True))
        results[k] = out

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == expected for k in range(3))


@pytest.fixture(scope="module")
def creativecommons_page(shared_data: Path) -> bytes:
    """A real page where trafilatura's own pass finds little and its fallbacks find more."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with (shared_data / "warc" / "dolma" / "sample-0001.warc.gz").open("rb") as fh:
        for record in ArchiveIterator(fh, record_types=WarcRecordType.response):
            if record.headers.get("WARC-Target-URI") == "<https://creativecommons.org/>":
                return record.reader.read()
    pytest.fail("creativecommons.org is missing from warc/dolma/sample-0001.warc.gz")


def test_fast_min_chars_redoes_short_fast_text_with_the_fallbacks(creativecommons_page: bytes) -> None:
    from curate.stages.extract import ExtractHtml

    def text(**settings: object) -> str:
        stage = ExtractHtml(**settings)  # type: ignore[call-arg]
        stage.setup()
        out, reason = stage.extract_one(creativecommons_page, None, "https://creativecommons.org/")
        assert reason is None and out
        return out

    full, fast = text(), text(fast=True)
    assert len(fast) < 500 < len(full)
    assert text(fast=True, fast_min_chars=500) == full  # short: extracted again with fallbacks
    assert text(fast=True, fast_min_chars=200) == fast  # long enough: the fast text stays
    assert text(fast=False, fast_min_chars=500) == full


def test_fast_min_chars_must_not_be_negative() -> None:
    from curate.stages.extract import ExtractHtml

    with pytest.raises(ValueError, match="fast_min_chars"):
        ExtractHtml(fast=True, fast_min_chars=-1).validate()  # type: ignore[call-arg]
