"""Turn HTML payload bytes into text: charset from headers, then meta tags, then detection."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I
)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        # HTML5 maps legacy labels (e.g. "x-sjis") to real encodings.
        from resiliparse.parse.encoding import map_encoding_to_html5

        mapped = map_encoding_to_html5(name)
        try:
            return codecs.lookup(mapped).name if mapped else None
        except LookupError:
            return None


def meta_charset(payload: bytes) -> str | None:
    match = _META_CHARSET.search(payload[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def decode_html(payload: bytes, declared_charset: str | None = None) -> str:
    """Decode an HTML payload.

    Order: the HTTP charset, then a ``<meta charset>`` in the first 4 KiB, then strict
    UTF-8, then uchardet detection (resiliparse).  A declared charset that fails to decode
    strictly is not trusted (servers often lie); detection then decides.  Never raises:
    undecodable bytes become U+FFFD.
    """
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    for candidate in (_codec(declared_charset), _codec(meta_charset(payload))):
        if candidate:
            try:
                return payload.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    detected = _codec(detect_encoding(payload)) or "cp1252"
    return bytes_to_str(payload, detected, errors="replace")
