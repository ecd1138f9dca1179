"""EPUB books: spine order, metadata, what is left out, footnotes, damaged files."""

from __future__ import annotations

import re

import pytest

from curate.books.epub import EpubError, read_epub
from curate.books.xhtml_text import xhtml_to_text
from curate.readers import EpubReader, reader_format_for
from curate.readers.base import READ_STAGE
from tests.books.helpers import Book, Item, make_epub, pg_phrases_in, read_one


@pytest.fixture(scope="module")
def moby_row(moby):
    return read_one(EpubReader(), moby)


def test_moby_dick_reads_cleanly(moby_row):
    row, report = moby_row
    text = row["text"]
    assert (row["title"], row["author"], row["declared_language"]) == (
        "Moby-Dick",
        "Herman Melville",
        "en",
    )
    assert row["identifier"] == "code.google.com.epub-samples.moby-dick-basic"
    assert row["rights"].startswith(
        "This work is shared with the public using the Attribution-ShareAlike 3.0"
    )
    assert row["book_format"] == "epub" and row["pg_id"] is None and row["_reason"] is None
    assert report.records == report.rows == 1 and report.damaged is None
    # etymology and extracts, 135 chapters and the epilogue; cover, title page, brief
    # contents, transcriber's notes (colophon), copyright page and nav left out
    assert row["chapters"] == 138
    assert text.startswith(
        "ETYMOLOGY.\n\n(Supplied by a Late Consumptive Usher to a Grammar School)\n\n"
    )
    assert "\n\n\nEXTRACTS (Supplied by a Sub-Sub-Librarian).\n\n" in text
    assert "\n\n\nChapter 1. Loomings.\n\nCall me Ishmael. Some years ago" in text
    assert (
        "one grand hooded phantom, like a snow hill in the air.\n\n\n"
        "Chapter 2. The Carpet-Bag.\n\nI stuffed a shirt or two"
    ) in text
    assert (
        "\n\n\nEpilogue\n\n“AND I ONLY AM ESCAPED ALONE TO TELL THEE”\n\n—Job.\n\nThe drama’s done."
        in text
    )
    assert text.endswith(
        "It was the devious-cruising Rachel, that in her retracing search after her "
        "missing children, only found another orphan."
    )
    for absent in (
        "Brief Contents",
        "Table of Contents",
        "Copyright Page",
        "Begin Reading",
        "Original Transcriber",
        "These have been corrected",
        "Cover Image",
    ):
        assert absent not in text
    assert pg_phrases_in(text) == []


def test_moby_dick_spine_order(moby_row):
    text = moby_row[0]["text"]
    numbers = [int(n) for n in re.findall(r"^Chapter (\d+)\. ", text, flags=re.M)]
    assert numbers == list(range(1, 136))
    assert text.index("Chapter 135.") < text.index("\n\n\nEpilogue\n\n")
    # chapters are separated by two blank lines, paragraphs by one
    assert text.count("\n\n\n") == 137
    assert "\n\n\n\n" not in text


def test_moby_dick_keeping_front_matter(moby):
    """``skip_types=[]`` keeps the colophon page; its note reference is not spliced in and
    the note body follows the chapter."""
    book = read_epub(moby.read_bytes(), skip_types=[])
    text = book.text
    assert len(book.chapters) == 141  # + brief contents, transcriber’s notes, copyright page
    assert book.skipped == {"nonlinear": 2, "empty": 1}  # the title page is an image
    assert (
        "we substituted a capital L for the symbol for the British pound, a unit of currency."
        "\n\nThese have been corrected in this EPUB3 edition."
    ) in text
    assert "currency.1" not in text


def chapter(body: str) -> str:
    return f'<section epub:type="bodymatter chapter">{body}</section>'


def small_book(**changes) -> Book:
    items = [
        Item(
            "nav",
            "nav.xhtml",
            '<nav epub:type="toc"><ol><li><a href="c1.xhtml">One</a></li></ol></nav>'
            '<nav epub:type="landmarks"><ol>'
            '<li><a epub:type="titlepage" href="title.xhtml">Title</a></li>'
            "</ol></nav>",
            properties="nav",
        ),
        Item("title", "title.xhtml", "<h1>A Small Book</h1><p>by Jane Roe</p>"),
        Item("c2", "text/c2.xhtml", chapter("<h1>Two</h1><p>Second chapter.</p>")),
        Item("c1", "text/c1.xhtml", chapter("<h1>One</h1><p>First chapter.</p>")),
        Item("aside", "aside.xhtml", "<p>An aside outside the reading order.</p>", linear="no"),
        Item(
            "rights",
            "rights.xhtml",
            '<section epub:type="copyright-page"><p>Copyright 2024.</p></section>',
        ),
        Item("img", "cover.jpg", media_type="image/jpeg", spine=False, raw=b"\xff\xd8\xff"),
    ]
    book = Book(items=items, spine_order=["title", "nav", "c1", "c2", "aside", "rights"])
    for key, value in changes.items():
        setattr(book, key, value)
    return book


def test_spine_order_and_skips(tmp_path):
    path = make_epub(tmp_path / "small.epub", small_book())
    book = read_epub(path.read_bytes())
    assert [c.href for c in book.chapters] == ["OEBPS/text/c1.xhtml", "OEBPS/text/c2.xhtml"]
    assert book.text == "One\n\nFirst chapter.\n\n\nTwo\n\nSecond chapter."
    assert book.skipped == {"titlepage": 1, "nav": 1, "nonlinear": 1, "copyright-page": 1}
    assert [c.heading for c in book.chapters] == ["One", "Two"]
    assert book.metadata == {
        "title": "A Small Book",
        "author": "Jane Roe",
        "declared_language": "en",
        "identifier": "urn:uuid:1234",
        "rights": "Public domain.",
    }
    kept = read_epub(path.read_bytes(), keep_nonlinear=True, skip_types=[])
    assert "An aside outside the reading order." in kept.text
    assert "Copyright 2024." in kept.text and "A Small Book\n\nby Jane Roe" in kept.text
    assert kept.skipped == {"nav": 1}


def test_footnotes(tmp_path):
    body = chapter(
        "<h1>Notes</h1>"
        '<p>Whales are big.<a epub:type="noteref" href="#n1">1</a>'
        ' Very big.<sup><a href="#n2">[2]</a></sup>'
        ' Ahab<sup>*</sup> said so<a href="notes.xhtml#n3" role="doc-noteref">3</a>.</p>'
        '<aside epub:type="footnote" id="n1"><p><a href="#r1">1</a> First note.</p></aside>'
        "<p>The 19<sup>th</sup> century.</p>"
        '<div role="doc-footnote" id="n2"><p>Second note.</p></div>'
        '<p>See <a href="c2.xhtml#part">the next part</a>.</p>'
    )
    items = [Item("c1", "c1.xhtml", body)]
    path = make_epub(tmp_path / "notes.epub", Book(items=items))
    text = read_epub(path.read_bytes()).text
    assert text == (
        "Notes\n\nWhales are big. Very big. Ahab said so.\n\nThe 19th century.\n\n"
        "See the next part.\n\nFirst note.\n\nSecond note."
    )
    dropped = read_epub(path.read_bytes(), footnotes="drop").text
    assert (
        dropped == "Notes\n\nWhales are big. Very big. Ahab said so.\n\nThe 19th century.\n\n"
        "See the next part."
    )
    with pytest.raises(ValueError):
        xhtml_to_text(b"<html/>", footnotes="inline")


def test_markup_to_text():
    page = (
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head>'
        "<title>T</title><style>p {}</style><script>var x = 1;</script></head><body>"
        "<h2>A   Heading</h2><p>Line one,<br/>line   two.</p>"
        '<p>An <img src="a.png" alt="picture"/>image'
        '<span epub:type="pagebreak" title="12">12</span> here.</p>'
        "<div><p>Nested</p> tail text <p>paragraphs.</p></div>"
        "<pre>  keep\n    this</pre><ul><li>one</li><li>two</li></ul>"
        '<p hidden="">hidden</p><p style="display: none">gone</p>'
        '<span class="pagenum">[Pg 7]</span>'
        "<table><tr><td>a</td><td>b</td></tr></table><p><ruby>漢<rt>kan</rt></ruby>字</p>"
        "</body></html>"
    )
    chapter_text = xhtml_to_text(page.encode())
    assert chapter_text.text == (
        "A Heading\n\nLine one,\nline two.\n\nAn image here.\n\n"
        "Nested\n\ntail text\n\nparagraphs.\n\n"
        "  keep\n    this\n\none\n\ntwo\n\na b\n\n漢字"
    )
    assert chapter_text.heading == "A Heading"
    # not well-formed XML (an HTML entity without a DTD): the HTML parser reads it
    assert (
        xhtml_to_text(b"<html><body><p>a&nbsp;b &amp; c<p>d</body></html>").text == "a b & c\n\nd"
    )


def test_guide_and_container_fallback(tmp_path):
    """EPUB 2: a guide reference types a document; an NCX is not read; no container.xml
    (the first .opf is used)."""
    book = small_book(
        container=False,
        guide='<guide><reference type="copyright-page" href="text/c2.xhtml" title="c"/></guide>',
        items=[
            *small_book().items,
            Item(
                "ncx", "toc.ncx", media_type="application/x-dtbncx+xml", spine=True, raw=b"<ncx/>"
            ),
        ],
        spine_order=["c1", "c2", "ncx"],
    )
    parsed = read_epub(make_epub(tmp_path / "epub2.epub", book).read_bytes())
    assert parsed.text == "One\n\nFirst chapter."
    assert parsed.skipped == {"copyright-page": 1, "nav": 1}


def test_metadata_roles_and_pg_number(tmp_path):
    metadata = (
        '<dc:title id="sub">A Subtitle</dc:title>'
        '<meta refines="#sub" property="title-type">subtitle</meta>'
        '<dc:title id="main">The Main Title</dc:title>'
        '<meta refines="#main" property="title-type">main</meta>'
        '<dc:creator id="e">An Editor</dc:creator><meta refines="#e" property="role">edt</meta>'
        '<dc:creator id="a">An Author</dc:creator><meta refines="#a" property="role">aut</meta>'
        "<dc:creator>Second Author</dc:creator>"
        "<dc:language>fr-CA</dc:language>"
        "<dc:identifier>isbn:123</dc:identifier>"
        '<dc:identifier id="uid">http://www.gutenberg.org/ebooks/2701</dc:identifier>'
    )
    path = make_epub(
        tmp_path / "meta.epub",
        Book(items=[Item("c1", "c1.xhtml", "<p>Text.</p>")], metadata=metadata),
    )
    row, _ = read_one(EpubReader(), path)
    assert (
        row["title"],
        row["author"],
        row["declared_language"],
        row["identifier"],
        row["pg_id"],
        row["rights"],
    ) == (
        "The Main Title",
        "An Author; Second Author",
        "fr",
        "http://www.gutenberg.org/ebooks/2701",
        2701,
        None,
    )


def test_gutenberg_epub_boilerplate(tmp_path):
    body = (
        '<section class="pg-boilerplate pgheader" id="pg-header">'
        "<p>The Project Gutenberg eBook of X</p>"
        '<div id="pg-start-separator"><span>*** START OF THE PROJECT GUTENBERG EBOOK X ***</span>'
        "</div></section>"
        "<h1>X</h1><p>The book.</p>"
        '<section class="pg-boilerplate" id="pg-footer">'
        "<p>*** END OF THE PROJECT GUTENBERG EBOOK X ***</p>"
        "<p>Full licence.</p></section>"
    )
    old_style = (
        "<pre>The Project Gutenberg EBook of Y\n\n*** START OF THIS PROJECT GUTENBERG EBOOK Y ***"
        "</pre><p>Old book.</p>"
    )
    for name, html, expected in (("new", body, "X\n\nThe book."), ("old", old_style, "Old book.")):
        path = make_epub(tmp_path / f"{name}.epub", Book(items=[Item("c1", "c1.xhtml", html)]))
        row, _ = read_one(EpubReader(), path)
        assert row["text"] == expected


@pytest.mark.parametrize(
    ("name", "write", "cause"),
    [
        ("not-a-zip.epub", lambda p: p.write_bytes(b"this is not an epub"), "not a zip archive"),
        ("empty.epub", lambda p: p.write_bytes(b""), "not a zip archive"),
        (
            "no-opf.epub",
            lambda p: make_epub(
                p,
                Book(
                    items=[Item("c1", "c1.xhtml", "<p>x</p>")],
                    opf_path="",
                    container_target="OEBPS/missing.opf",
                ),
            ),
            "no package document",
        ),
        (
            "bad-opf.epub",
            lambda p: make_epub(
                p,
                Book(
                    items=[],
                    extra_files={"OEBPS/content.opf": b"<nonsense/>"},
                    opf_path="",
                    container_target="OEBPS/content.opf",
                ),
            ),
            "not an OPF package",
        ),
    ],
)
def test_unreadable_epub_is_a_counted_reject(tmp_path, name, write, cause):
    path = tmp_path / name
    write(path)
    row, report = read_one(EpubReader(), path)
    assert (row["_reason"], row["_dropped_by"], row["source"], row["text"]) == (
        "unreadable_epub",
        READ_STAGE,
        str(path),
        None,
    )
    assert row["id"] == report.key and row["book_format"] == "epub"
    assert report.skipped == {"unreadable_epub": 1} and report.rows == 1
    assert str(path) in report.damaged and cause in report.damaged
    with pytest.raises(EpubError):
        read_epub(path.read_bytes())


def test_epub_without_text_is_rejected(tmp_path):
    path = make_epub(
        tmp_path / "images.epub", Book(items=[Item("c1", "c1.xhtml", '<img src="a.png"/>')])
    )
    row, report = read_one(EpubReader(), path)
    assert row["_reason"] == "empty_text" and report.skipped == {"empty_text": 1}
    assert reader_format_for(str(path)) == "epub"


def test_encrypted_chapters_are_skipped(tmp_path):
    encryption = (
        b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#">'
        b'<enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
        b'<enc:CipherData><enc:CipherReference URI="OEBPS/c2.xhtml"/></enc:CipherData>'
        b"</enc:EncryptedData>"
        b'<enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
        b'<enc:CipherData><enc:CipherReference URI="OEBPS/c1.xhtml"/></enc:CipherData>'
        b"</enc:EncryptedData>"
        b"</encryption>"
    )
    items = [
        Item("c1", "c1.xhtml", "<p>Readable.</p>"),
        Item("c2", "c2.xhtml", raw=b"\x8f\x01garbage"),
    ]
    book = Book(items=items, extra_files={"META-INF/encryption.xml": encryption})
    parsed = read_epub(make_epub(tmp_path / "drm.epub", book).read_bytes())
    assert parsed.text == "Readable." and parsed.skipped == {"encrypted": 1}


def test_corrupt_archive(tmp_path):
    path = make_epub(
        tmp_path / "ok.epub", Book(items=[Item("c1", "c1.xhtml", "<p>" + "word " * 500 + "</p>")])
    )
    data = bytearray(path.read_bytes())
    start = (
        data.index(b"c1.xhtml", data.index(b"content.opf")) + 40
    )  # inside the chapter's deflate data
    data[start : start + 20] = b"\x00" * 20
    broken = tmp_path / "broken.epub"
    broken.write_bytes(bytes(data))
    row, report = read_one(EpubReader(), broken)
    assert row["_reason"] == "unreadable_epub" and "corrupt archive" in report.damaged
