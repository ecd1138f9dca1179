"""Book readers: plain text (with Project Gutenberg stripping), EPUB, and HTML books.

Every reader emits one row per file.  Columns: ``id`` (the input's key, so stable across
runs), ``source`` (the path), ``text``, ``title``, ``author``, ``declared_language`` (ISO
639-1 as the book declares it; the language-ID stage writes ``language``), ``pg_id`` (the
Project Gutenberg book number when known), ``identifier`` and ``rights`` (EPUB, PG RDF),
``chapters`` (EPUB: spine documents kept) and ``book_format`` (``gutenberg_text``,
``text``, ``epub``, ``html``).  The HTML reader also writes ``payload`` / ``content_type`` /
``charset`` (and no text) for the ``extract_html`` stage, like the WARC reader.

Metadata of a PG book comes from its header (``Title:``, ``Author:``, ``Language:``,
``[EBook #N]``) and, when a PG RDF catalogue record ``pgN.rdf`` sits next to the file (N
from the header or the file name), from that record, which wins.

Files that cannot become a book are emitted as rows already dropped, with the file in
``source`` and the reason: ``file_too_large``, ``empty_text``, ``unreadable_epub``,
``gutenberg_markers_missing`` (``gutenberg: true`` on a file without PG markers).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa

from curate.books.epub import EpubError, read_epub
from curate.books.gutenberg import declared_encoding, strip_gutenberg
from curate.books.pg_html import cut_gutenberg_html, html_charset
from curate.books.pg_rdf import parse_pg_rdf
from curate.books.xhtml_text import DEFAULT_SKIP_TYPES, html_to_text
from curate.readers.base import READ_STAGE, InputFile, Reader, ReadReport
from curate.schema import CHARSET, CONTENT_TYPE, DROPPED_BY, ID, PAYLOAD, REASON, SOURCE, TEXT, URL
from curate.stages.decode import decode_html

BOOK_FIELDS = [
    pa.field(ID, pa.string()),
    pa.field(URL, pa.string()),
    pa.field(SOURCE, pa.string()),
    pa.field(TEXT, pa.large_string()),
    pa.field("title", pa.string()),
    pa.field("author", pa.string()),
    pa.field("declared_language", pa.string()),
    pa.field("pg_id", pa.int64()),
    pa.field("identifier", pa.string()),
    pa.field("rights", pa.string()),
    pa.field("chapters", pa.int32()),
    pa.field("book_format", pa.string()),
]
BOOK_SCHEMA = pa.schema(
    [*BOOK_FIELDS, pa.field(DROPPED_BY, pa.string()), pa.field(REASON, pa.string())]
)
HTML_BOOK_SCHEMA = pa.schema(
    [
        *BOOK_FIELDS,
        pa.field(CONTENT_TYPE, pa.string()),
        pa.field(CHARSET, pa.string()),
        pa.field(PAYLOAD, pa.large_binary()),
        pa.field(DROPPED_BY, pa.string()),
        pa.field(REASON, pa.string()),
    ]
)
METADATA_KEYS = ("title", "author", "declared_language", "pg_id", "identifier", "rights")
_PG_NUMBER_IN_NAME = re.compile(r"^(?:pg)?(\d+)(?:[-_.]|$)", re.I)


def _gutenberg_mode(value: Any) -> str:
    """``auto`` / ``true`` / ``false`` (YAML booleans or strings) -> ``"auto"|"true"|"false"``."""
    text = str(value).strip().lower()
    if text in ("auto", "true", "false"):
        return text
    if text in ("yes", "on", "1"):
        return "true"
    if text in ("no", "off", "0", "none"):
        return "false"
    raise ValueError(f"gutenberg must be auto, true or false, not {value!r}")


class _BookReader(Reader):
    """What the book readers share: reading a whole file, the PG RDF record, row building."""

    schema: ClassVar[pa.Schema] = BOOK_SCHEMA
    book_format: ClassVar[str] = "text"
    # how the file is opened (an EPUB is a zip: read as is)
    file_compression: ClassVar[str | None] = "infer"

    rdf: bool = True
    max_bytes: int = 256 << 20

    def _read_file(self, source: InputFile, compression: str | None = "infer") -> bytes | None:
        """The file's bytes (decompressed), or None when larger than ``max_bytes``."""
        import fsspec

        with fsspec.open(
            source.path, "rb", compression=compression, **(self.storage_options or {})
        ) as f:
            data = f.read(self.max_bytes + 1)
        return None if len(data) > self.max_bytes else data

    def _rdf_metadata(self, source: InputFile, pg_id: Any) -> dict[str, Any]:
        """The PG RDF record ``pgN.rdf`` beside the file (N: ``pg_id`` or from the file
        name), parsed; empty when there is none or it is unreadable."""
        if not self.rdf:
            return {}
        import fsspec

        directory, _, name = source.path.rstrip("/").rpartition("/")
        numbers = [str(pg_id)] if pg_id else []
        match = _PG_NUMBER_IN_NAME.match(name)
        if match and match.group(1) not in numbers:
            numbers.append(match.group(1))
        for number in numbers:
            path = posixpath.join(directory, f"pg{number}.rdf") if directory else f"pg{number}.rdf"
            try:
                fs, fs_path = fsspec.core.url_to_fs(path, **(self.storage_options or {}))
                if not fs.exists(fs_path):
                    continue
                with fs.open(fs_path, "rb") as f:
                    return parse_pg_rdf(f.read())
            except (OSError, ValueError):
                continue
        return {}

    def _row(self, source: InputFile, metadata: dict[str, Any], **values: Any) -> dict[str, Any]:
        row: dict[str, Any] = {ID: source.key, SOURCE: source.path, "book_format": self.book_format}
        row.update({k: metadata.get(k) for k in METADATA_KEYS})
        row.update(values)
        return row

    def _rejected(
        self, source: InputFile, report: ReadReport, reason: str, **values: Any
    ) -> dict[str, Any]:
        report.skip(reason)
        return self._row(source, {}, **values, **{DROPPED_BY: READ_STAGE, REASON: reason})

    def output_schema(self) -> pa.Schema:
        return self.schema

    def _table(self, row: dict[str, Any]) -> pa.Table:
        return pa.Table.from_pylist([row], schema=self.output_schema())

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        report.records += 1
        report.count_type("book")
        try:
            row = self._read_book(source, report)
        except OSError as exc:
            report.damaged = f"unreadable: {type(exc).__name__}: {exc}"
            return
        report.rows += 1
        yield self._table(row)

    def _read_book(self, source: InputFile, report: ReadReport) -> dict[str, Any]:
        raw = self._read_file(source, self.file_compression)
        if raw is None:
            return self._rejected(source, report, "file_too_large")
        report.bytes_read += len(raw)
        return self._book(raw, source, report)

    def _book(self, raw: bytes, source: InputFile, report: ReadReport) -> dict[str, Any]:
        """The row of one book from the file's bytes."""
        raise NotImplementedError


class TextBookReader(_BookReader):
    """Read plain-text books (``.txt``, ``.txt.gz``...): one document per file.

    ``gutenberg``: ``auto`` (default) cuts the Project Gutenberg header, footer, licence and
    production credits when PG markers are found (see :mod:`curate.books.gutenberg`);
    ``true`` expects PG texts and rejects files without markers
    (``gutenberg_markers_missing``); ``false`` keeps the text whole.  Line endings become
    ``\\n``; nothing is unwrapped.  Bytes are decoded as UTF-8 (a BOM, else strict UTF-8),
    else in the ``Character set encoding`` the PG header declares, else as detected.
    ``rdf``: read the PG RDF record beside the file (its metadata wins over the header's).
    """

    name = "text"
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".txt.gz", ".txt.bz2", ".txt.xz", ".txt.zst")
    book_format: ClassVar[str] = "text"

    gutenberg: str | bool = "auto"

    def _book(self, raw: bytes, source: InputFile, report: ReadReport) -> dict[str, Any]:
        mode = _gutenberg_mode(self.gutenberg)
        text = decode_html(raw, declared_encoding(raw))
        metadata: dict[str, Any] = {}
        book_format = "text"
        if mode != "false":
            stripped = strip_gutenberg(text)
            if stripped.found:
                text, metadata, book_format = (
                    stripped.text,
                    dict(stripped.metadata),
                    "gutenberg_text",
                )
            elif mode == "true":
                return self._rejected(
                    source, report, "gutenberg_markers_missing", book_format="gutenberg_text"
                )
            else:
                text = stripped.text
        else:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        metadata.update(self._rdf_metadata(source, metadata.get("pg_id")))
        if not text.strip():
            return self._rejected(source, report, "empty_text", book_format=book_format)
        return self._row(source, metadata, text=text, book_format=book_format)


class EpubReader(_BookReader):
    """Read EPUB 2 / 3 books (``.epub``): one document per book, chapters in spine order.

    Chapters are separated by two blank lines, paragraphs by one (see
    :mod:`curate.books.epub` and :mod:`curate.books.xhtml_text` for what is left out:
    navigation, ``linear="no"`` items, cover / title page / copyright / colophon items,
    footnote markers, images, scripts).  ``skip_types`` lists the ``epub:type`` /
    guide / landmark types left out (``[]`` keeps them all); ``keep_nonlinear`` keeps
    ``linear="no"`` items; ``footnotes``: ``end`` (note bodies after their chapter) or
    ``drop``.  ``gutenberg``: also cut PG boilerplate found in the text (``auto``).
    Metadata: ``dc:title``, ``dc:creator`` (authors), ``dc:language``, ``dc:identifier``
    (the package's unique identifier), ``dc:rights``.  A file that is not a readable EPUB
    (not a zip, no package document) becomes a row rejected as ``unreadable_epub``, and the
    input is reported damaged with the cause.
    """

    name = "epub"
    extensions: ClassVar[tuple[str, ...]] = (".epub",)
    book_format: ClassVar[str] = "epub"
    file_compression: ClassVar[str | None] = None

    skip_types: list[str] | None = None
    keep_nonlinear: bool = False
    footnotes: str = "end"
    gutenberg: str | bool = "auto"

    def _book(self, raw: bytes, source: InputFile, report: ReadReport) -> dict[str, Any]:
        mode = _gutenberg_mode(self.gutenberg)
        skip = DEFAULT_SKIP_TYPES if self.skip_types is None else tuple(self.skip_types)
        try:
            book = read_epub(
                raw, skip_types=skip, keep_nonlinear=self.keep_nonlinear, footnotes=self.footnotes
            )
        except EpubError as exc:
            report.damaged = f"unreadable_epub: {source.path}: {exc}"
            return self._rejected(source, report, "unreadable_epub")
        text = book.text
        if mode != "false":
            stripped = strip_gutenberg(text)
            if stripped.found:
                text = stripped.text
                book.metadata = {**stripped.metadata, **book.metadata}
        metadata = {**book.metadata, **self._rdf_metadata(source, book.metadata.get("pg_id"))}
        if not text.strip():
            return self._rejected(source, report, "empty_text", chapters=0)
        return self._row(source, metadata, text=text, chapters=len(book.chapters))


class HtmlBookReader(_BookReader):
    """Read HTML books (``.htm``, ``.html``, ``.xhtml``, as Project Gutenberg's HTML
    editions): one row per file with the page in ``payload`` (``content_type`` text/html,
    ``charset`` from the XML declaration or ``<meta>``), for ``extract_html``.

    ``gutenberg``: ``auto`` (default) cuts the page between the PG start and end markers
    and drops production credits (:mod:`curate.books.pg_html`) when it has PG markers;
    ``true`` rejects pages without them; ``false`` passes the page on untouched.  Without
    the cut the PG header and licence reach the text: on 972-h.htm and 3261-h.htm,
    trafilatura (default and ``favor_precision``) and resiliparse all kept 71-72 mentions of
    Project Gutenberg, word-level F1 against the stripped plain-text edition 0.974 / 0.980.
    With it: no PG text left, F1 0.999 / 0.998 for trafilatura (recall 0.998 / 0.997: it
    drops the title-page headings) and 1.000 for resiliparse; trafilatura took 0.2-0.8 s
    per book, resiliparse 0.01-0.02 s (``extract_html``'s ``timeout_s`` default is 10 s).
    ``to_text``: convert the page to text in the reader instead (the EPUB chapter converter,
    :mod:`curate.books.xhtml_text`: keeps chapter headings and blank lines between
    paragraphs, which trafilatura drops; F1 0.9997 on both books, 0.1 s each); the row then
    has ``text`` and no payload, and ``extract_html`` passes it through.
    Metadata comes from the PG header in the page and the RDF record beside it.
    """

    name = "html"
    extensions: ClassVar[tuple[str, ...]] = (".htm", ".html", ".xhtml", ".htm.gz", ".html.gz")
    schema: ClassVar[pa.Schema] = HTML_BOOK_SCHEMA
    book_format: ClassVar[str] = "html"

    gutenberg: str | bool = "auto"
    to_text: bool = False

    def output_schema(self) -> pa.Schema:
        return BOOK_SCHEMA if self.to_text else HTML_BOOK_SCHEMA

    def _book(self, raw: bytes, source: InputFile, report: ReadReport) -> dict[str, Any]:
        mode = _gutenberg_mode(self.gutenberg)
        charset = html_charset(raw)
        metadata: dict[str, Any] = {}
        if mode != "false":
            cut = cut_gutenberg_html(raw, charset)
            if cut.found:
                raw, charset, metadata = cut.payload, cut.charset, dict(cut.metadata)
            elif mode == "true":
                return self._rejected(source, report, "gutenberg_markers_missing")
        metadata.update(self._rdf_metadata(source, metadata.get("pg_id")))
        if not self.to_text:
            return self._row(
                source, metadata, payload=raw, content_type="text/html", charset=charset
            )
        text = html_to_text(raw, charset)
        if not text.strip():
            return self._rejected(source, report, "empty_text")
        return self._row(source, metadata, text=text)
