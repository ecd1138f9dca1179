"""HTML books: the reader cuts PG pages to the book; extract_html turns them into text."""

from __future__ import annotations

import pytest

from curate.books.gutenberg import strip_gutenberg
from curate.books.pg_html import cut_gutenberg_html, html_charset
from curate.readers import HtmlBookReader, reader_format_for
from curate.stage import run_stage
from curate.stages.extract import ExtractHtml
from tests.books.helpers import pg_phrases_in, read_one, word_f1


def extract(row: dict, **options) -> str:
    import pyarrow as pa

    from curate.readers.books import HTML_BOOK_SCHEMA

    table, stats = run_stage(
        ExtractHtml(**options), pa.Table.from_pylist([row], schema=HTML_BOOK_SCHEMA)
    )
    assert stats.dropped == {}
    return table["text"][0].as_py()


@pytest.fixture(scope="module")
def devils_html(devils):
    return read_one(HtmlBookReader(), devils / "972-h.htm")


def test_reader_row(devils_html, devils):
    row, report = devils_html
    assert row["payload"].startswith(b"<!DOCTYPE html>") and row["text"] is None
    assert (row["content_type"], row["charset"], row["book_format"]) == (
        "text/html",
        "utf-8",
        "html",
    )
    assert (row["title"], row["author"], row["pg_id"], row["declared_language"]) == (
        "The Devil's Dictionary",
        "Ambrose Bierce",
        972,
        "en",
    )
    assert row["id"] == report.key and row["source"] == str(devils / "972-h.htm")
    assert b"Project Gutenberg" not in row["payload"] and b"Produced by" not in row["payload"]
    assert reader_format_for("a/972-h.htm") == reader_format_for("b.xhtml") == "html"


def test_extract_stage_on_pg_html(devils_html, devils):
    """trafilatura on the cut page: the book's text, no PG boilerplate, the words of the
    plain-text edition (measured F1 0.999)."""
    text = extract(devils_html[0])
    assert pg_phrases_in(text) == []
    assert (
        "ABASEMENT, n. A decent and customary mental attitude in the presence of wealth or power."
        in text
    )
    assert text.rstrip().endswith("that the domestic cow sheds its horn every two years.")
    reference = strip_gutenberg((devils / "972.txt").read_text()).text
    assert word_f1(reference, text) > 0.99


def test_uncut_page_leaks_the_licence(devils):
    """Why the reader cuts: without it the extractor keeps the PG header and licence."""
    row, _ = read_one(HtmlBookReader(gutenberg=False), devils / "972-h.htm")
    assert row["charset"] == "us-ascii"
    text = extract(row, engine="resiliparse")
    assert "Project Gutenberg" in text and "FULL LICENSE" in text


def test_to_text_keeps_headings(nowhere):
    row, _ = read_one(HtmlBookReader(to_text=True), nowhere / "3261-h.htm")
    text = row["text"]
    assert "payload" not in row
    assert text.startswith(
        "NEWS FROM NOWHERE\nor\nAN EPOCH OF REST\nbeing some chapters from\nA UTOPIAN ROMANCE"
    )
    assert "\n\nCHAPTER I: DISCUSSION AND BED\n\nUp at the League, says a friend," in text
    assert text.endswith("Cirencester and Burford he must have meant.")
    assert pg_phrases_in(text) == []
    reference = strip_gutenberg((nowhere / "3261.txt").read_text()).text
    assert word_f1(reference, text) > 0.999
    assert row["title"].startswith("News from Nowhere; Or, An Epoch of Rest")


CURRENT_PG_PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>X</title></head><body>
<section class="pg-boilerplate pgheader" id="pg-header" lang="en">
<h2>The Project Gutenberg eBook of <span lang="en">X</span></h2>
<div>Release date: May 1, 2020 [eBook #12345]</div>
<div id="pg-start-separator"><span>*** START OF THE PROJECT GUTENBERG EBOOK X ***</span></div>
</section>
<div class="chapter"><h2>CHAPTER I</h2><p>Produced by a credit line.</p>
<p>It was \xc3\xa9t\xc3\xa9.</p></div>
<section class="pg-boilerplate pgfooter" id="pg-footer">
<div id="pg-end-separator"><span>*** END OF THE PROJECT GUTENBERG EBOOK X ***</span></div>
<p>Updated editions will replace the previous one.</p></section></body></html>"""


def test_current_pg_page_layout():
    cut = cut_gutenberg_html(CURRENT_PG_PAGE)
    assert cut.found and cut.metadata == {"title": "X", "pg_id": 12345}
    page = cut.payload.decode()
    assert "CHAPTER I" in page and "It was \u00e9t\u00e9." in page
    for gone in ("Project Gutenberg", "Release date", "Updated editions", "Produced by"):
        assert gone not in page


def test_pages_without_markers(tmp_path):
    page = b"<html><body><h1>Plain</h1><p>A page.</p></body></html>"
    assert not cut_gutenberg_html(page).found and cut_gutenberg_html(page).payload == page
    path = tmp_path / "plain.html"
    path.write_bytes(page)
    row, _ = read_one(HtmlBookReader(), path)
    assert row["payload"] == page and row["_reason"] is None and row["charset"] is None
    row, report = read_one(HtmlBookReader(gutenberg=True), path)
    assert row["_reason"] == "gutenberg_markers_missing" and report.skipped == {
        "gutenberg_markers_missing": 1
    }


@pytest.mark.parametrize(
    ("head", "charset"),
    [
        (b'<?xml version="1.0" encoding="us-ascii"?><html>', "us-ascii"),
        (b'<html><head><meta charset="ISO-8859-1"></head>', "iso-8859-1"),
        (
            b'<html><head><meta http-equiv="Content-Type" '
            b'content="text/html; charset=windows-1252"/>',
            "windows-1252",
        ),
        (b"<html><body>", None),
    ],
)
def test_html_charset(head, charset):
    assert html_charset(head) == charset
