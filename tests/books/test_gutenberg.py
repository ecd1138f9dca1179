"""Project Gutenberg plain texts: header/footer/licence stripping, metadata, the text reader."""

from __future__ import annotations

import gzip
import shutil

import pytest

from curate.books.gutenberg import header_metadata, strip_gutenberg
from curate.books.languages import iso639_1
from curate.books.pg_rdf import join_title, parse_pg_rdf, person_name
from curate.readers import TextBookReader, build_reader, reader_format_for
from curate.readers.base import READ_STAGE
from tests.books.helpers import pg_phrases_in, read_one

# (book folder fixture, file, the book's first lines, its last line) as read by eye.
EDITIONS = [
    (
        "devils",
        "972.txt",
        "THE DEVIL'S DICTIONARY\n\nby Ambrose Bierce\n\n\n\n\nAUTHOR'S PREFACE\n\n"
        "_The Devil's Dictionary_ was begun in a weekly paper in 1881, and was\n"
        "continued in a desultory way",
        "Nature_) that the domestic cow sheds its horn every two years.",
    ),
    (
        "devils",
        "old-dvldc10.txt",
        "THE DEVIL'S DICTIONARY\nby\nAMBROSE BIERCE\n\n\n\nAUTHOR'S PREFACE\n\n"
        "_The Devil's Dictionary_ was begun in a weekly paper in 1881, and was\n",
        "Nature_) that the domestic cow sheds its horn every two years.",
    ),
    (
        "nowhere",
        "3261.txt",
        "NEWS FROM NOWHERE\nOR\nAN EPOCH OF REST\nBEING SOME CHAPTERS FROM\nA UTOPIAN ROMANCE\n",
        "{3}  Cirencester and Burford he must have meant.",
    ),
    (
        "nowhere",
        "old-nwsnw10.txt",
        "NEWS FROM NOWHERE\nor AN EPOCH OF REST\nbeing some chapters from\nA UTOPIAN ROMANCE\n\n"
        "by William Morris\n\n\n\n\nCHAPTER I:  DISCUSSION AND BED\n",
        "{3}  Cirencester and Burford he must have meant.",
    ),
]


@pytest.mark.parametrize(("folder", "name", "opening", "closing"), EDITIONS)
def test_both_editions_come_out_clean(request, folder, name, opening, closing):
    raw = (request.getfixturevalue(folder) / name).read_bytes().decode("utf-8")
    assert "\r\n" in raw and "Project Gutenberg" in raw
    result = strip_gutenberg(raw)
    assert result.found and result.start_found
    text = result.text
    assert text.startswith(opening)
    assert text.endswith(closing)
    assert pg_phrases_in(text) == []
    assert "\r" not in text
    # paragraphs keep their blank lines, lines are not unwrapped
    assert "\n\n" in text and text.count("\n") > 5000
    assert max(len(line) for line in text.split("\n")) < 100


def test_new_edition_body_matches_the_file(devils):
    """Only the boilerplate goes: the book's lines are the file's lines, in order."""
    raw = (devils / "972.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    text = strip_gutenberg(raw).text
    assert text in raw
    assert raw.index(text) > raw.index("*** START OF THIS PROJECT GUTENBERG EBOOK")
    assert raw.index(text) + len(text) < raw.index("End of Project Gutenberg's")


def test_header_metadata(devils, nowhere):
    assert strip_gutenberg((devils / "972.txt").read_text()).metadata == {
        "title": "The Devil's Dictionary",
        "author": "Ambrose Bierce",
        "declared_language": "en",
        "pg_id": 972,
    }
    # the old header has no Title:/Author: lines: its first line names the book
    assert strip_gutenberg((devils / "old-dvldc10.txt").read_text()).metadata == {
        "title": "The Devil's Dictionary",
        "author": "Bierce",
        "pg_id": 972,
    }
    # a title continued on an indented line
    assert strip_gutenberg((nowhere / "3261.txt").read_text()).metadata["title"] == (
        "News from Nowhere or An Epoch of Rest, being some chapters from A Utopian Romance"
    )


def test_rdf_record(devils, nowhere):
    assert parse_pg_rdf((devils / "pg972.rdf").read_bytes()) == {
        "pg_id": 972,
        "title": "The Devil's Dictionary",
        "author": "Ambrose Bierce",
        "declared_language": "en",
        "rights": "Public domain in the USA.",
    }
    record = parse_pg_rdf((nowhere / "pg3261.rdf").read_bytes())
    assert (
        record["title"]
        == "News from Nowhere; Or, An Epoch of Rest: Being Some Chapters from a Utopian Romance"
    )
    assert record["author"] == "William Morris"
    with pytest.raises(ValueError):
        parse_pg_rdf(b"<html>not a record</html>")
    assert person_name("Bierce, Ambrose") == "Ambrose Bierce"
    assert person_name("Homer") == "Homer"
    assert person_name("Byron, George Gordon Byron, Baron") == "Byron, George Gordon Byron, Baron"
    assert join_title("A\r\nB") == "A: B" and join_title("A;\nB") == "A; B"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("English", "en"),
        ("en", "en"),
        ("en-US", "en"),
        ("French", "fr"),
        ("English and French", "en"),
        ("Klingon", None),
        (None, None),
    ],
)
def test_language_codes(value, code):
    assert iso639_1(value) == code


def test_reader_metadata_rdf_wins(devils, tmp_path):
    # beside its RDF record: the record's values
    row, report = read_one(TextBookReader(), devils / "old-dvldc10.txt")
    assert (row["title"], row["author"], row["declared_language"], row["pg_id"], row["rights"]) == (
        "The Devil's Dictionary",
        "Ambrose Bierce",
        "en",
        972,
        "Public domain in the USA.",
    )
    assert row["book_format"] == "gutenberg_text" and row["_reason"] is None
    assert report.records == report.rows == 1 and report.skipped == {}
    # alone: the header's ("Bierce" from the first line), no rights
    shutil.copy(devils / "old-dvldc10.txt", tmp_path / "old-dvldc10.txt")
    row, _ = read_one(TextBookReader(), tmp_path / "old-dvldc10.txt")
    assert (row["author"], row["pg_id"], row["rights"]) == ("Bierce", 972, None)
    # rdf: false ignores the record
    row, _ = read_one(TextBookReader(rdf=False), devils / "old-dvldc10.txt")
    assert row["author"] == "Bierce"


def test_reader_finds_rdf_by_file_name(devils, tmp_path):
    """A text whose header has no book number finds pgN.rdf from its name (N.txt)."""
    (tmp_path / "972.txt").write_text(
        "*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\nBody text.\n"
    )
    shutil.copy(devils / "pg972.rdf", tmp_path / "pg972.rdf")
    row, _ = read_one(TextBookReader(), tmp_path / "972.txt")
    assert (row["text"], row["title"], row["pg_id"]) == (
        "Body text.",
        "The Devil's Dictionary",
        972,
    )


def test_reader_row(devils):
    row, report = read_one(TextBookReader(), devils / "972.txt")
    again, _ = read_one(TextBookReader(), devils / "972.txt")
    assert row["id"] == again["id"] == report.key and row["id"].startswith("972.txt-")
    assert row["source"] == str(devils / "972.txt") and row["url"] is None
    assert row["text"] == strip_gutenberg((devils / "972.txt").read_text()).text
    assert reader_format_for("x/972.txt") == reader_format_for("x/972.txt.gz") == "text"


MODERN = (
    "\ufeffThe Project Gutenberg eBook of Sample Book, by Jane Roe\r\n\r\n"
    "This ebook is for the use of anyone anywhere in the United States.\r\n\r\n"
    "Title: Sample Book\r\n\r\nAuthor: Jane Roe\r\n\r\n"
    "Release date: January 1, 2022 [eBook #99999]\r\n\r\nLanguage: French\r\n\r\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK SAMPLE BOOK ***\r\n\r\n\r\n"
    "Produced by Someone and the Online Distributed\r\nProofreading Team at https://www.pgdp.net\r\n\r\n\r\n"
    "CHAPTER I\r\n\r\nIt was a dark night.\r\n\r\nThe end.\r\n\r\n"
    "*** END OF THE PROJECT GUTENBERG EBOOK SAMPLE BOOK ***\r\n\r\n"
    "Updated editions will replace the previous one--the old editions will be renamed.\r\n"
)
SMALL_PRINT_AT_END = (
    "*The Project Gutenberg Etext of Old Book*\n\n**Welcome To The World of Free Plain Vanilla "
    "Electronic Texts**\n\n***START OF THE PROJECT GUTENBERG EBOOK OLD BOOK***\n\n"
    "E-text prepared by A. Volunteer\n\nOLD BOOK\n\nThe text itself.\n\n"
    "End of the Project Gutenberg Etext of Old Book\n\n"
    "***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***\nlawyers\n"
    "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.02/11/02*END*\n"
)
SMALL_PRINT_IN_HEADER = (
    "Project Gutenberg Etext of Third Book\n\n*****This file should be named thrd10.txt*****\n\n"
    "***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***\nlawyers\n"
    "*END THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.12.12.00*END*\n\n\n"
    "This etext was prepared by A. Volunteer.\n\nTHIRD BOOK\n\nIts text.\n\n"
    "End of Project Gutenberg's Third Book\n"
)


@pytest.mark.parametrize(
    ("raw", "text", "metadata"),
    [
        (
            MODERN,
            "CHAPTER I\n\nIt was a dark night.\n\nThe end.",
            {
                "title": "Sample Book",
                "author": "Jane Roe",
                "declared_language": "fr",
                "pg_id": 99999,
            },
        ),
        (SMALL_PRINT_AT_END, "OLD BOOK\n\nThe text itself.", {"title": "Old Book"}),
        (SMALL_PRINT_IN_HEADER, "THIRD BOOK\n\nIts text.", {"title": "Third Book"}),
        (
            "Only a footer.\n\nEnd of the Project Gutenberg EBook of X\n\nlicence",
            "Only a footer.",
            {},
        ),
    ],
    ids=["modern", "small-print-at-end", "small-print-in-header", "end-marker-only"],
)
def test_marker_variants(raw, text, metadata):
    result = strip_gutenberg(raw)
    assert result.found
    assert result.text == text
    for key, value in metadata.items():
        assert result.metadata[key] == value


def test_credits_only_near_the_ends():
    """A paragraph that starts like a credit in the middle of the book stays."""
    body = "\n\n".join(f"Paragraph {i}." for i in range(30))
    start = "*** START OF THE PROJECT GUTENBERG EBOOK X ***"
    raw = f"{start}\n\n{body}\n\nProduced by the sun, it said.\n\n{body}\n"
    assert "Produced by the sun, it said." in strip_gutenberg(raw).text
    assert header_metadata("no header") == {}


def test_gutenberg_modes(tmp_path, devils):
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"A plain book.\r\n\r\nSecond paragraph.\r\n")
    row, report = read_one(TextBookReader(), plain)
    assert (row["text"], row["book_format"], row["_reason"]) == (
        "A plain book.\n\nSecond paragraph.",
        "text",
        None,
    )
    row, report = read_one(TextBookReader(gutenberg=True), plain)
    assert (row["_reason"], row["_dropped_by"], row["source"]) == (
        "gutenberg_markers_missing",
        READ_STAGE,
        str(plain),
    )
    assert report.skipped == {"gutenberg_markers_missing": 1}
    row, _ = read_one(TextBookReader(gutenberg=False), devils / "972.txt")
    assert row["text"].startswith("The Project Gutenberg EBook") and row["book_format"] == "text"
    assert "\r" not in row["text"]
    row, _ = read_one(build_reader("auto", {"gutenberg": "false"}), devils / "972.txt")
    assert row["book_format"] == "text"
    with pytest.raises(ValueError):
        read_one(TextBookReader(gutenberg="maybe"), plain)


def test_compressed_encoded_and_empty(tmp_path, devils):
    packed = tmp_path / "972.txt.gz"
    packed.write_bytes(gzip.compress((devils / "972.txt").read_bytes()))
    row, _ = read_one(TextBookReader(rdf=False), packed)
    assert row["text"] == strip_gutenberg((devils / "972.txt").read_text()).text
    latin = tmp_path / "latin.txt"
    latin.write_bytes(
        "Character set encoding: ISO-8859-1\n\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\n"
        "Caf\u00e9 cr\u00e8me, na\u00efve \u00e9l\u00e8ve.\n".encode("latin-1")
    )
    row, _ = read_one(TextBookReader(), latin)
    assert row["text"] == "Caf\u00e9 cr\u00e8me, na\u00efve \u00e9l\u00e8ve."
    empty = tmp_path / "empty.txt"
    empty.write_bytes(
        b"*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\n"
        b"*** END OF THIS PROJECT GUTENBERG EBOOK X ***\n"
    )
    row, report = read_one(TextBookReader(), empty)
    assert row["_reason"] == "empty_text" and report.skipped == {"empty_text": 1}
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    row, _ = read_one(TextBookReader(max_bytes=1000), big)
    assert row["_reason"] == "file_too_large"


def test_missing_file_is_damage(tmp_path):
    from curate.readers import InputFile, ReadReport

    source = InputFile(str(tmp_path / "gone.txt"))
    report = ReadReport(source.path, source.key)
    assert list(TextBookReader().read(source, report)) == []
    assert report.damaged and "unreadable" in report.damaged


def test_strip_is_idempotent(nowhere):
    once = strip_gutenberg((nowhere / "old-nwsnw10.txt").read_text()).text
    again = strip_gutenberg(once)
    assert not again.found and again.text == once
