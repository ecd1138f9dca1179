"""HTTP payload helpers: content-type sniffing and transfer/content decoding.

The decoders take a ``limit``: they stream, and stop once their output passes it, so a
decompression bomb costs no more memory than the limit (see :func:`decode_content`).
"""

from __future__ import annotations

import io
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


def decode_chunked(body: bytes, limit: int | None = None) -> bytes:
    """Undo HTTP/1.1 chunked transfer encoding; returns the input when it is not chunked.

    With ``limit``, decoding stops once the output passes ``limit`` bytes and at most
    ``limit + 1`` bytes are returned: a result longer than ``limit`` means "too large".
    """
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
            if limit is not None and len(out) > limit:
                return bytes(out[: limit + 1])
            pos = start + size + 2
    except ValueError:
        return body if not out else bytes(out)
    return bytes(out)


# Content-Encoding values and how they are undone.  fastwarc (a dependency already) has
# streaming brotli and zstd decoders whose ``read(n)`` never produces more than n bytes.
_ZLIB_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
_STREAM_DECODERS = {"br": "BrotliReader", "zstd": "ZstdReader"}


def _inflate(body: bytes, wbits: int, limit: int | None) -> bytes:
    """zlib/gzip/raw-deflate decoding that stops after ``limit + 1`` output bytes.

    Like ``zlib.decompressobj(wbits).decompress(body)`` (only the first gzip member, and
    a stream cut short yields what it has) but ``max_length`` keeps a bomb from inflating
    past the limit; raises ``zlib.error`` on data that is not of that kind.
    """
    decompressor = zlib.decompressobj(wbits)
    if limit is None:
        return decompressor.decompress(body)
    out = bytearray()
    data = body
    while True:
        out += decompressor.decompress(data, limit + 1 - len(out))
        if len(out) > limit or decompressor.eof:
            return bytes(out)
        data = decompressor.unconsumed_tail
        if not data:
            return bytes(out)


def _read_stream(reader_name: str, body: bytes, limit: int | None) -> bytes:
    """Decode ``body`` with a fastwarc stream reader, reading at most ``limit + 1`` bytes."""
    from fastwarc import stream_io

    reader = getattr(stream_io, reader_name)(io.BytesIO(body))
    try:
        return reader.read() if limit is None else reader.read(limit + 1)
    finally:
        reader.close()


def decode_content(body: bytes, content_encoding: str | None, limit: int | None = None) -> bytes:
    """Undo gzip/deflate/br/zstd content encoding; keeps the bytes when they are not encoded.

    Archived responses often carry a ``Content-Encoding`` header although the stored bytes
    were already decoded (ClueWeb09 does this), so a failed decode is not an error: the
    body is returned as it is.  ``deflate`` is tried zlib-wrapped, then raw.

    With ``limit`` the decoders stream and stop once the output passes ``limit`` bytes,
    returning at most ``limit + 1`` bytes: a result longer than ``limit`` means the decoded
    payload is too large, and a decompression bomb costs no more memory than the limit.
    """
    encoding = (content_encoding or "").strip().lower()
    if not body:
        return body
    if encoding in _ZLIB_ENCODINGS:
        # 47: gzip or zlib header, detected; -15: raw deflate (some servers send it).
        for wbits in (47, -15):
            try:
                return _inflate(body, wbits, limit)
            except zlib.error:
                continue
        return body
    reader_name = _STREAM_DECODERS.get(encoding)
    if reader_name is not None:
        try:
            return _read_stream(reader_name, body, limit)
        except (OSError, ValueError):
            return body
    return body
