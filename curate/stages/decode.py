"""Turn HTML payload bytes into text, the way a browser would.

Order (WHATWG encoding sniffing, simplified): a byte-order mark, then the HTTP charset,
then a ``<meta charset>`` in the first 4 KiB, then strict UTF-8, then uchardet detection
(resiliparse).  Labels are mapped as HTML5 does (``iso-8859-1`` means windows-1252,
``Shift_JIS`` means the Microsoft superset cp932), and a ``<meta>`` claiming UTF-16 on an
ASCII-compatible page is read as UTF-8.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# HTML5 names -> the Python codec that implements the WHATWG decoder (the supersets
# browsers use under the legacy names).
_PYTHON_CODEC = {
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
}
_UTF8_LABELS = frozenset({"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"})


def codec_for_label(label: str | None, from_meta: bool = False) -> str | None:
    """The Python codec for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").strip().lower()
    if not label:
        return None
    from resiliparse.parse.encoding import map_encoding_to_html5

    mapped = map_encoding_to_html5(label)
    try:
        known = codecs.lookup(label).name
    except LookupError:
        known = None
    if known is None and (not mapped or (mapped == "utf-8" and label not in _UTF8_LABELS)):
        return None  # resiliparse maps unknown labels to utf-8; treat them as unknown
    name = (mapped or known or "").lower()
    name = _PYTHON_CODEC.get(name, name)
    if from_meta and name.replace("_", "-").startswith("utf-16"):
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def meta_charset(payload: bytes) -> str | None:
    match = _META_CHARSET.search(payload[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def decode_html(payload: bytes, declared_charset: str | None = None) -> str:
    """Decode an HTML payload; never raises (undecodable bytes become U+FFFD).

    A declared charset that fails to decode strictly is not trusted (servers often lie);
    detection then decides.
    """
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    for bom, codec in _BOMS:
        if payload.startswith(bom):
            return payload.decode(codec, errors="replace")
    candidates = (codec_for_label(declared_charset), codec_for_label(meta_charset(payload), from_meta=True))
    for candidate in candidates:
        if candidate:
            try:
                return payload.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    detected = codec_for_label(detect_encoding(payload)) or "cp1252"
    return bytes_to_str(payload, detected, errors="replace")
