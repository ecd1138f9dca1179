"""curate.readers.http: content-type sniffing and transfer/content decoding."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from curate.readers.http import (
    classify_payload,
    decode_chunked,
    decode_content,
    is_binary,
    looks_like_html,
    mime_of,
)

HTML = b"<!DOCTYPE html><html><head><title>t</title></head><body><p>Hello</p></body></html>"
HTML_NO_DOCTYPE = b"  \n<html><body>hi</body></html>"
HTML_FRAGMENT = b"<div>menu</div><p>Some text</p><p>more</p>"
XHTML = b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'
HTML_AFTER_COMMENT = b"<!-- generated --><!DOCTYPE html><html><body>x</body></html>"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
GZIPPED_HTML = gzip.compress(HTML)
CSS = b"body { color: red; }\n.a > .b { margin: 0 }\n"
JSON = b'{"name": "value", "items": [1, 2, 3]}'
PLAIN = b"Just some plain text, nothing to see here.\n"


@pytest.mark.parametrize(
    ("content_type", "payload", "identified", "expected"),
    [
        # HTML by content type
        pytest.param("text/html", HTML, None, None, id="text/html"),
        pytest.param("text/html; charset=utf-8", HTML, None, None, id="text/html+charset"),
        pytest.param("TEXT/HTML; Charset=UTF-8", HTML, None, None, id="uppercase-type"),
        pytest.param("application/xhtml+xml", XHTML, None, None, id="xhtml"),
        # HTML served with a vague or missing type is sniffed
        pytest.param("text/plain", HTML, None, None, id="html-as-text/plain"),
        pytest.param(None, HTML, None, None, id="html-no-type"),
        pytest.param("", HTML, None, None, id="html-empty-type"),
        pytest.param("application/octet-stream", HTML_NO_DOCTYPE, None, None, id="html-as-octet-stream"),
        pytest.param("text/plain", HTML_FRAGMENT, None, None, id="fragment-two-tags-as-text/plain"),
        pytest.param(None, HTML_AFTER_COMMENT, None, None, id="html-after-comment"),
        pytest.param("text/plain", b"<p>only one tag</p>", None, "not_html", id="one-tag-not-enough"),
        pytest.param("text/plain", PLAIN, None, "not_html", id="plain-text"),
        pytest.param(None, PLAIN, None, "not_html", id="plain-no-type"),
        # binary data labelled HTML is rejected
        pytest.param("text/html", PNG, None, "not_html", id="png-as-html"),
        pytest.param("text/html", JPEG, None, "not_html", id="jpeg-as-html"),
        pytest.param("text/html", PDF, None, "not_html", id="pdf-as-html"),
        pytest.param("text/html", GZIPPED_HTML, None, "not_html", id="gzip-bytes-as-html"),
        pytest.param("text/html", b"<html>\x00\x01\x02</html>", None, "not_html", id="nul-bytes-as-html"),
        pytest.param(None, PNG, None, "not_html", id="png-no-type"),
        # other types are not documents
        pytest.param("text/css", CSS, None, "not_html", id="css"),
        pytest.param("application/json", JSON, None, "not_html", id="json"),
        pytest.param("application/javascript", b"var a = 1;", None, "not_html", id="javascript"),
        pytest.param("image/png", PNG, None, "not_html", id="image/png"),
        pytest.param("application/json", HTML, None, "not_html", id="html-bytes-as-json"),
        pytest.param("image/png", HTML, None, "not_html", id="html-bytes-as-png"),
        # WARC-Identified-Payload-Type is preferred over the HTTP header
        pytest.param("application/octet-stream", PLAIN, "text/html", None, id="identified-html-wins"),
        pytest.param("text/html", HTML, "image/png", "not_html", id="identified-png-wins"),
        pytest.param("text/html", HTML, "application/xhtml+xml", None, id="identified-xhtml"),
        pytest.param("image/png", HTML, "text/html", None, id="identified-html-over-image"),
        pytest.param("text/html", PNG, "text/html", "not_html", id="identified-html-but-binary"),
        pytest.param("text/html", HTML, "", None, id="identified-empty-falls-back"),
        pytest.param("text/html", HTML, None, None, id="identified-missing-falls-back"),
    ],
)
def test_classify_payload(content_type, payload, identified, expected):
    assert classify_payload(content_type, payload, identified) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (HTML, True),
        (HTML_NO_DOCTYPE, True),
        (XHTML, True),
        (HTML_AFTER_COMMENT, True),
        (b"<HEAD><TITLE>x</TITLE></HEAD>", True),
        (HTML_FRAGMENT, True),
        (PLAIN, False),
        (CSS, False),
        (JSON, False),
        (b"", False),
        # the document start must be within the first KiB
        (b" " * 2000 + HTML, False),
    ],
)
def test_looks_like_html(payload, expected):
    assert looks_like_html(payload) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (PNG, True),
        (JPEG, True),
        (PDF, True),
        (GZIPPED_HTML, True),
        (b"GIF89a" + b"\x01" * 8, True),
        (b"PK\x03\x04zip", True),
        (b"text with a \x00 inside", True),
        (HTML, False),
        ("<p>naïve café – ü</p>".encode(), False),
        (b"", False),
    ],
)
def test_is_binary(payload, expected):
    assert is_binary(payload) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world", id="two-chunks"),
        pytest.param(b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", id="hex-size-upper"),
        pytest.param(b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789", id="hex-size-lower"),
        pytest.param(b"5;name=value\r\nhello\r\n0\r\n\r\n", b"hello", id="chunk-extension"),
        pytest.param(b"5 \r\nhello\r\n0\r\n\r\n", b"hello", id="size-with-space"),
        pytest.param(b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", b"hello", id="trailer-ignored"),
        pytest.param(b"5\r\nhello\r\n", b"hello", id="missing-last-chunk"),
        pytest.param(b"0\r\n\r\n", b"", id="empty"),
        pytest.param(b"", b"", id="no-bytes"),
        pytest.param(HTML, HTML, id="not-chunked-html"),
        pytest.param(b"plain text without line breaks", b"plain text without line breaks", id="not-chunked-plain"),
        pytest.param(b"%x\r\n%s\r\n0\r\n\r\n" % (len(HTML), HTML), HTML, id="html-one-chunk"),
    ],
)
def test_decode_chunked(body, expected):
    assert decode_chunked(body) == expected


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("body", "encoding", "expected"),
    [
        pytest.param(gzip.compress(HTML), "gzip", HTML, id="gzip"),
        pytest.param(gzip.compress(HTML), "x-gzip", HTML, id="x-gzip"),
        pytest.param(gzip.compress(HTML), " GZIP ", HTML, id="gzip-case-space"),
        pytest.param(zlib.compress(HTML), "deflate", HTML, id="deflate-zlib"),
        pytest.param(_raw_deflate(HTML), "deflate", HTML, id="deflate-raw"),
        pytest.param(brotli.compress(HTML), "br", HTML, id="brotli"),
        # headers that claim an encoding the stored bytes do not have (ClueWeb09 style)
        pytest.param(HTML, "gzip", HTML, id="bogus-gzip-plain-bytes"),
        pytest.param(HTML, "deflate", HTML, id="bogus-deflate-plain-bytes"),
        pytest.param(HTML, "br", HTML, id="bogus-br-plain-bytes"),
        pytest.param(b"", "gzip", b"", id="empty-gzip"),
        # no or unknown encodings keep the bytes
        pytest.param(HTML, None, HTML, id="none"),
        pytest.param(HTML, "", HTML, id="empty-header"),
        pytest.param(HTML, "identity", HTML, id="identity"),
        pytest.param(gzip.compress(HTML), None, gzip.compress(HTML), id="gzip-bytes-no-header"),
    ],
)
def test_decode_content(body, encoding, expected):
    assert decode_content(body, encoding) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html", "text/html"),
        ("text/html; charset=utf-8", "text/html"),
        ("Text/HTML; Charset=UTF-8", "text/html"),
        (" application/json ", "application/json"),
        ("application/xhtml+xml;q=0.9", "application/xhtml+xml"),
        ("", ""),
        (None, ""),
    ],
)
def test_mime_of(content_type, expected):
    assert mime_of(content_type) == expected
