"""EPUB 2 / EPUB 3 books to text: chapters in reading order and the package metadata.

The OCF container (a zip) names the package document (OPF) in
``META-INF/container.xml``; the OPF lists the files (manifest), the reading order (spine)
and the Dublin Core metadata (EPUB 3.3, sections 3-5; OPF 2.0.1 for EPUB 2).  When the
container file is missing or points nowhere, the first ``.opf`` in the archive is used.

Spine items are read in order and converted with :mod:`curate.books.xhtml_text`; left out
(counted in :attr:`EpubBook.skipped` by reason):

- ``nonlinear``: ``linear="no"`` items (covers, pop-up notes), unless ``keep_nonlinear``;
- ``nav``: the EPUB 3 navigation document (``properties="nav"``) and the EPUB 2 NCX;
- ``not_xhtml``: spine items that are not (X)HTML (SVG pages, images);
- a ``skip_types`` name (``copyright-page``, ``titlepage``, ``colophon``, ``toc``...):
  items the EPUB 2 ``<guide>`` or the EPUB 3 ``landmarks`` nav types that way, or whose
  body / top-level section carries that ``epub:type`` and no text is left once such
  sections are removed;
- ``missing_item`` / ``missing_file`` / ``unreadable_item`` / ``empty`` / ``encrypted``:
  broken references, undecodable documents, documents without text (image-only pages),
  and documents ``META-INF/encryption.xml`` lists as encrypted (DRM; font obfuscation is
  not encryption of text and is ignored).

Chapters are joined with two blank lines (paragraphs inside a chapter are separated by one).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urldefrag

from curate.books.languages import iso639_1
from curate.books.xhtml_text import DEFAULT_SKIP_TYPES, OPS_NS, parse_xhtml, xhtml_to_text

CHAPTER_SEPARATOR = "\n\n\n"
XHTML_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/xml", "text/xml"})
NCX_TYPE = "application/x-dtbncx+xml"
# A spine document larger than this is not read (a zip bomb or a broken file).
MAX_ITEM_BYTES = 64 << 20
# Font obfuscation algorithms (IDPF, Adobe): they scramble fonts, not text.
FONT_OBFUSCATION = frozenset(
    {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
)
_PG_ID = re.compile(r"gutenberg\.org/(?:ebooks/|files/|etext/|cache/epub/)?(\d+)", re.I)


class EpubError(ValueError):
    """The file is not a readable EPUB (not a zip, no package document, broken OPF)."""


@dataclass
class Chapter:
    href: str
    text: str
    heading: str | None = None


@dataclass
class EpubBook:
    chapters: list[Chapter]
    metadata: dict[str, Any]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return CHAPTER_SEPARATOR.join(c.text for c in self.chapters)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c.tag) == name]


def _first(el: Any, name: str) -> Any:
    return next(iter(_children(el, name)), None)


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _resolve(base_dir: str, href: str) -> tuple[str, str]:
    """``href`` relative to ``base_dir`` as a path in the zip, and its fragment."""
    path, fragment = urldefrag(href)
    return posixpath.normpath(posixpath.join(base_dir, unquote(path))) if path else "", fragment


def _opf_path(archive: zipfile.ZipFile) -> str:
    from lxml import etree

    names = set(archive.namelist())
    if "META-INF/container.xml" in names:
        try:
            container = etree.fromstring(archive.read("META-INF/container.xml"))
            for el in container.iter():
                if _local(el.tag) == "rootfile":
                    path = el.get("full-path")
                    if path in names:
                        return path
        except etree.XMLSyntaxError:
            pass
    candidates = sorted(n for n in names if n.lower().endswith(".opf"))
    if not candidates:
        raise EpubError(
            "no package document (META-INF/container.xml names none and there is no .opf)"
        )
    return candidates[0]


def _refinements(metadata: Any) -> dict[str, dict[str, str]]:
    """EPUB 3 ``<meta refines="#id" property="...">`` values by element id."""
    out: dict[str, dict[str, str]] = {}
    for meta in _children(metadata, "meta"):
        target, prop = meta.get("refines"), meta.get("property")
        if target and prop and target.startswith("#"):
            out.setdefault(target[1:], {})[prop] = _text(meta)
    return out


def package_metadata(package: Any) -> dict[str, Any]:
    """``title``, ``author``, ``declared_language``, ``identifier``, ``rights``, ``pg_id``
    from the OPF's Dublin Core elements (missing ones left out)."""
    metadata = _first(package, "metadata")
    out: dict[str, Any] = {}
    if metadata is None:
        return out
    refines = _refinements(metadata)

    def role(el: Any) -> str | None:
        attrs = {_local(k): v for k, v in el.attrib.items()}
        return attrs.get("role") or refines.get(el.get("id") or "", {}).get("role")

    titles = [t for t in _children(metadata, "title") if _text(t)]
    main = [t for t in titles if refines.get(t.get("id") or "", {}).get("title-type") == "main"]
    if titles:
        out["title"] = _text((main or titles)[0])
    creators = [c for c in _children(metadata, "creator") if _text(c)]
    authors = [c for c in creators if role(c) in (None, "aut")] or creators
    if authors:
        out["author"] = "; ".join(_text(c) for c in authors)
    for language in _children(metadata, "language"):
        code = iso639_1(_text(language))
        if code:
            out["declared_language"] = code
            break
    identifiers = [i for i in _children(metadata, "identifier") if _text(i)]
    unique = package.get("unique-identifier")
    chosen = [i for i in identifiers if unique and i.get("id") == unique] or identifiers
    if chosen:
        out["identifier"] = _text(chosen[0])
    rights = [_text(r) for r in _children(metadata, "rights") if _text(r)]
    if rights:
        out["rights"] = " ".join(rights)
    for el in identifiers + _children(metadata, "source"):
        match = _PG_ID.search(_text(el))
        if match:
            out["pg_id"] = int(match.group(1))
            break
    return out


def _typed_targets(
    package: Any, base_dir: str, manifest: dict[str, dict[str, str]], archive: zipfile.ZipFile
) -> dict[str, set[str]]:
    """Structural types of documents (``path``) and fragments (``path#id``) from the EPUB 2
    guide and the EPUB 3 landmarks."""
    out: dict[str, set[str]] = {}

    def add(path: str, fragment: str, kind: str) -> None:
        if path:
            out.setdefault(f"{path}#{fragment}" if fragment else path, set()).add(kind.lower())

    guide = _first(package, "guide")
    if guide is not None:
        for ref in _children(guide, "reference"):
            if ref.get("type") and ref.get("href"):
                add(*_resolve(base_dir, ref.get("href")), ref.get("type").split(":")[-1])
    for item in manifest.values():
        if "nav" not in item["properties"].split() or item["path"] not in archive.namelist():
            continue
        try:
            nav_doc = parse_xhtml(archive.read(item["path"]))
        except Exception:
            continue
        nav_dir = posixpath.dirname(item["path"])
        for nav in nav_doc.iter():
            if _local(nav.tag) != "nav" or "landmarks" not in (
                nav.get(f"{{{OPS_NS}}}type") or nav.get("epub:type") or ""
            ):
                continue
            for link in nav.iter():
                kind = link.get(f"{{{OPS_NS}}}type") or link.get("epub:type")
                if _local(link.tag) == "a" and kind and link.get("href"):
                    for token in kind.split():
                        add(*_resolve(nav_dir, link.get("href")), token.split(":")[-1])
    return out


def _encrypted_paths(archive: zipfile.ZipFile) -> set[str]:
    """Files ``META-INF/encryption.xml`` lists as encrypted (DRM), fonts aside (the IDPF and
    Adobe font obfuscation only scrambles fonts, never text)."""
    from lxml import etree

    if "META-INF/encryption.xml" not in archive.namelist():
        return set()
    try:
        root = etree.fromstring(archive.read("META-INF/encryption.xml"))
    except etree.XMLSyntaxError:
        return set()
    out = set()
    for data in root.iter():
        if _local(data.tag) != "encrypteddata":
            continue
        method = next(
            (m.get("Algorithm", "") for m in data.iter() if _local(m.tag) == "encryptionmethod"), ""
        )
        if method in FONT_OBFUSCATION:
            continue
        for ref in data.iter():
            if _local(ref.tag) == "cipherreference" and ref.get("URI"):
                out.add(posixpath.normpath(unquote(ref.get("URI"))))
    return out


def read_epub(
    data: bytes,
    *,
    skip_types: tuple[str, ...] | list[str] = DEFAULT_SKIP_TYPES,
    keep_nonlinear: bool = False,
    footnotes: str = "end",
) -> EpubBook:
    """Read an EPUB from its bytes.  Raises :class:`EpubError` when it cannot be read
    (not a zip, no or a broken package document, a corrupt archive)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise EpubError(f"not a zip archive: {exc}") from exc
    try:
        with archive:
            return _read_package(archive, skip_types, keep_nonlinear, footnotes)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise EpubError(f"corrupt archive: {type(exc).__name__}: {exc}") from exc


def _read_package(
    archive: zipfile.ZipFile,
    skip_types: tuple[str, ...] | list[str],
    keep_nonlinear: bool,
    footnotes: str,
) -> EpubBook:
    from lxml import etree

    opf_path = _opf_path(archive)
    try:
        package = etree.fromstring(
            archive.read(opf_path),
            parser=etree.XMLParser(resolve_entities=False, no_network=True, recover=True),
        )
    except etree.XMLSyntaxError as exc:
        raise EpubError(f"unreadable package document {opf_path}: {exc}") from exc
    if package is None or _local(package.tag) != "package":
        raise EpubError(f"{opf_path} is not an OPF package document")
    base_dir = posixpath.dirname(opf_path)
    manifest: dict[str, dict[str, str]] = {}
    manifest_el = _first(package, "manifest")
    for item in _children(manifest_el, "item") if manifest_el is not None else []:
        if item.get("id") and item.get("href"):
            manifest[item.get("id")] = {
                "path": _resolve(base_dir, item.get("href"))[0],
                "media_type": (item.get("media-type") or "").lower(),
                "properties": item.get("properties") or "",
            }
    spine = _first(package, "spine")
    if spine is None:
        raise EpubError(f"{opf_path} has no spine")
    skip = {t.lower() for t in skip_types}
    typed = _typed_targets(package, base_dir, manifest, archive)
    names = set(archive.namelist())
    encrypted = _encrypted_paths(archive)
    book = EpubBook(chapters=[], metadata=package_metadata(package))

    def skipped(reason: str) -> None:
        book.skipped[reason] = book.skipped.get(reason, 0) + 1

    ncx_id = spine.get("toc")
    for ref in _children(spine, "itemref"):
        item = manifest.get(ref.get("idref") or "")
        if item is None:
            skipped("missing_item")
            continue
        if (ref.get("linear") or "yes").strip().lower() == "no" and not keep_nonlinear:
            skipped("nonlinear")
            continue
        if (
            "nav" in item["properties"].split()
            or item["media_type"] == NCX_TYPE
            or ref.get("idref") == ncx_id
        ):
            skipped("nav")
            continue
        if item["media_type"] not in XHTML_TYPES:
            skipped("not_xhtml")
            continue
        doc_types = typed.get(item["path"], set()) & skip
        if doc_types:
            skipped(sorted(doc_types)[0])
            continue
        if item["path"] not in names:
            skipped("missing_file")
            continue
        if item["path"] in encrypted:
            skipped("encrypted")
            continue
        if archive.getinfo(item["path"]).file_size > MAX_ITEM_BYTES:
            skipped("item_too_large")
            continue
        fragments = [
            key.split("#", 1)[1]
            for key, kinds in typed.items()
            if key.startswith(item["path"] + "#") and kinds & skip
        ]
        try:
            chapter = xhtml_to_text(
                archive.read(item["path"]), skip_types=skip, skip_ids=fragments, footnotes=footnotes
            )
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise
        except Exception:  # one broken chapter must not lose the book
            skipped("unreadable_item")
            continue
        if not chapter.text.strip():
            kinds = (chapter.types | chapter.skipped_types) & skip
            skipped(sorted(kinds)[0] if kinds else "empty")
            continue
        book.chapters.append(Chapter(href=item["path"], text=chapter.text, heading=chapter.heading))
    return book
