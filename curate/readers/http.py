"""HTTP payload helpers: content-type sniffing and transfer/content decoding."""

from __future__ import annotations

import re
import zlib

HTML_MIME_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xhtml"})
# Content types servers send when they do not know better; such payloads are sniffed.
VAGUE_MIME_TYPES = frozenset(
    {
        "",
        "text/plain",
        "application/octet-stream",
        "unknown/unknown",
        "application/unknown",
        "text/x-unknown",
        "binary/octet-stream",
        "application/x-unknown-content-type",
    }
)
# Magic numbers of binary formats a server may mislabel as text/html.
BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
    b"OggS",
    b"ID3",
)
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAG = re.compile(rb"<(?:html|head|body|title|div|p|meta)\b", re.I)


def mime_of(content_type: str | None) -> str:
    """``'text/html; charset=utf-8'`` -> ``'text/html'``."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def looks_like_html(payload: bytes) -> bool:
    """Sniff the first KiB of a payload for an HTML document start."""
    head = payload[:1024]
    if _HTML_START.match(head):
        return True
    return len(_HTML_TAG.findall(head)) >= 2


def is_binary(payload: bytes) -> bool:
    head = payload[:8]
    return any(head.startswith(magic) for magic in BINARY_MAGIC) or b"\x00" in payload[:512]


def classify_payload(content_type: str | None, payload: bytes, identified_type: str | None = None) -> str | None:
    """Return None when the payload is an HTML document, else the reason to skip it.

    The HTTP Content-Type is checked against the payload: binary data labelled HTML is
    rejected, and HTML served as ``text/plain`` or without a type is accepted.  Common
    Crawl's ``WARC-Identified-Payload-Type`` (its own sniffing) is preferred when present.
    """
    mime = mime_of(identified_type) or mime_of(content_type)
    if mime in HTML_MIME_TYPES:
        return "not_html" if is_binary(payload) else None
    if mime in VAGUE_MIME_TYPES or mime.startswith("text/"):
        if not is_binary(payload) and looks_like_html(payload):
            return None
    return "not_html"


def decode_chunked(body: bytes) -> bytes:
    """Undo HTTP/1.1 chunked transfer encoding; returns the input when it is not chunked."""
    out = bytearray()
    pos = 0
    try:
        while pos < len(body):
            end = body.index(b"\r\n", pos)
            size = int(body[pos:end].split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                return bytes(out)
            start = end + 2
            out += body[start : start + size]
            pos = start + size + 2
    except ValueError:
        return body if not out else bytes(out)
    return bytes(out)


def decode_content(body: bytes, content_encoding: str | None) -> bytes:
    """Undo gzip/deflate/br content encoding; keeps the bytes when they are not encoded.

    Archived responses often carry a ``Content-Encoding`` header although the stored bytes
    were already decoded (ClueWeb09 does this), so a failed decode is not an error.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        for wbits in (47, -15):
            try:
                return zlib.decompressobj(wbits).decompress(body)
            except zlib.error:
                continue
        return body
    if encoding == "br":
        try:
            import brotli

            return brotli.decompress(body)
        except Exception:
            return body
    return body
