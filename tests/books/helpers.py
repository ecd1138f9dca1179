"""Reading one book with a reader, and building small EPUBs for edge cases."""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.dedup.minhash import words
from curate.readers import InputFile, ReadReport
from curate.readers.base import Reader

# Phrases of the Project Gutenberg header, footer, licence and production credits.
PG_PHRASES = (
    "gutenberg",
    "*** start",
    "***start",
    "*** end",
    "small print",
    "full license",
    "this ebook is for the use of anyone",
    "produced by",
    "this etext was",
    "transcribed from",
    "entered by",
    "internet wiretap",
    "this file should be named",
    "www.",
    "@",
)


def pg_phrases_in(text: str) -> list[str]:
    """The PG boilerplate phrases found in ``text`` (``produced by`` at a line start only:
    the Devil's Dictionary uses the words in its definitions)."""
    low = text.lower()
    found = [p for p in PG_PHRASES if p != "produced by" and p in low]
    if any(line.lower().startswith("produced by") for line in text.split("\n")):
        found.append("produced by")
    return found


def read_one(reader: Reader, path: Path | str) -> tuple[dict[str, Any], ReadReport]:
    """The single row a book reader emits for ``path``, and the read report."""
    source = InputFile(str(path))
    report = ReadReport(source.path, source.key)
    tables = list(reader.read(source, report))
    assert len(tables) == 1 and tables[0].num_rows == 1
    return tables[0].to_pylist()[0], report


def word_f1(reference: str, candidate: str) -> float:
    """F1 of the two texts' word multisets (lower-cased words as MinHash splits them)."""
    a, b = Counter(words(reference)), Counter(words(candidate))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(b.values()), common / sum(a.values())
    return 2 * precision * recall / (precision + recall)


XHTML = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>{title}</title><style>p {{ color: red; }}</style></head>
<body>{body}</body>
</html>"""


@dataclass
class Item:
    """One manifest item; in the spine unless ``spine`` is False."""

    id: str
    href: str
    body: str = ""
    linear: str | None = None
    properties: str | None = None
    media_type: str = "application/xhtml+xml"
    spine: bool = True
    raw: bytes | None = None  # the file's bytes as they are (else XHTML around ``body``)


@dataclass
class Book:
    items: list[Item]
    metadata: str = (
        '<dc:title id="t">A Small Book</dc:title>'
        '<dc:creator id="c1">Jane Roe</dc:creator>'
        "<dc:language>en-GB</dc:language>"
        '<dc:identifier id="uid">urn:uuid:1234</dc:identifier>'
        "<dc:rights>Public domain.</dc:rights>"
    )
    spine_order: list[str] | None = None  # ids in spine order (default: the items' order)
    guide: str = ""
    opf_path: str = "OEBPS/content.opf"
    container: bool = True
    container_target: str | None = None  # what container.xml points at (default opf_path)
    extra_files: dict[str, bytes] = field(default_factory=dict)


def make_epub(path: Path, book: Book) -> Path:
    """Write ``book`` as an EPUB (OCF zip: ``mimetype`` first and stored)."""
    base = book.opf_path.rsplit("/", 1)[0] + "/" if "/" in book.opf_path else ""
    manifest = "".join(
        f'<item id="{i.id}" href="{i.href}" media-type="{i.media_type}"'
        + (f' properties="{i.properties}"' if i.properties else "")
        + "/>"
        for i in book.items
    )
    by_id = {i.id: i for i in book.items}
    order = book.spine_order or [i.id for i in book.items if i.spine]
    spine = "".join(
        f'<itemref idref="{i}"'
        + (f' linear="{by_id[i].linear}"' if i in by_id and by_id[i].linear else "")
        + "/>"
        for i in order
    )
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">'
        f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">{book.metadata}</metadata>'
        f"<manifest>{manifest}</manifest><spine>{spine}</spine>{book.guide}</package>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        if book.container:
            target = book.container_target or book.opf_path
            z.writestr(
                "META-INF/container.xml",
                '<?xml version="1.0"?><container version="1.0" '
                'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                f'<rootfile full-path="{target}" media-type="application/oebps-package+xml"/>'
                "</rootfiles></container>",
            )
        if book.opf_path:
            z.writestr(book.opf_path, opf)
        for item in book.items:
            data = (
                item.raw
                if item.raw is not None
                else XHTML.format(title=item.id, body=item.body).encode()
            )
            z.writestr(base + item.href, data)
        for name, data in book.extra_files.items():
            z.writestr(name, data)
    return path
