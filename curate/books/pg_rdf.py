"""Project Gutenberg RDF catalogue records (``pgNNNN.rdf``): title, authors, language.

The record's ``pgterms:ebook`` element holds ``dcterms:title`` (title and subtitle on
separate lines), ``dcterms:creator/pgterms:agent/pgterms:name`` (``"Last, First"``),
``dcterms:language/rdf:Description/rdf:value`` (an RFC 4646 tag), ``dcterms:rights`` and,
in ``rdf:about="ebooks/NNNN"``, the book number.
"""

from __future__ import annotations

import re
from typing import Any

from curate.books.languages import iso639_1

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dcterms": "http://purl.org/dc/terms/",
    "pgterms": "http://www.gutenberg.org/2009/pgterms/",
}


def person_name(name: str) -> str:
    """``"Bierce, Ambrose"`` -> ``"Ambrose Bierce"`` (catalogue order to reading order);
    names with another number of commas (``"Homer"``, ``"Byron, George Gordon Byron,
    Baron"``) are kept as they are.  Parenthesised expansions are dropped."""
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    return name


def join_title(title: str) -> str:
    """A multi-line catalogue title as one line: ``"News from Nowhere; Or, An Epoch of
    Rest\\nBeing Some Chapters..."`` -> ``"...Epoch of Rest: Being Some Chapters..."``."""
    lines = [" ".join(line.split()) for line in title.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        out += (" " if out[-1:] in ":;,." else ": ") + line
    return out


def parse_pg_rdf(data: bytes) -> dict[str, Any]:
    """``title``, ``author`` (several joined by ``"; "``), ``declared_language`` (ISO 639-1),
    ``rights`` and ``pg_id`` from an RDF record; missing fields are left out.  Raises
    ``ValueError`` when ``data`` is not such a record."""
    from lxml import etree

    try:
        root = etree.fromstring(
            data, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    ebook = root.find("pgterms:ebook", NS)
    if ebook is None:
        raise ValueError("no pgterms:ebook element")
    out: dict[str, Any] = {}
    about = ebook.get(f"{{{NS['rdf']}}}about") or ""
    number = re.search(r"(\d+)$", about)
    if number:
        out["pg_id"] = int(number.group(1))
    title = ebook.findtext("dcterms:title", namespaces=NS)
    if title and title.strip():
        out["title"] = join_title(title)
    names = [
        person_name(n.text)
        for n in ebook.findall("dcterms:creator/pgterms:agent/pgterms:name", NS)
        if n.text and n.text.strip()
    ]
    if names:
        out["author"] = "; ".join(names)
    for value in ebook.findall("dcterms:language/rdf:Description/rdf:value", NS):
        code = iso639_1(value.text)
        if code:
            out["declared_language"] = code
            break
    rights = ebook.findtext("dcterms:rights", namespaces=NS)
    if rights and rights.strip():
        out["rights"] = " ".join(rights.split())
    return out
