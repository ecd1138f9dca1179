"""Bytes to text for source files, and what counts as binary.

Policy (documented for the ``binary`` skip reason):

* A byte-order mark decides: UTF-8 (dropped), UTF-16 or UTF-32 (decoded).
* Else a NUL byte in the first 8,000 bytes (git's own test) means binary.
* Else the bytes are decoded as UTF-8; failing that as Windows-1252 (Latin-1 for the
  five bytes cp1252 leaves undefined), accepted only when at most 30% of the bytes are
  non-ASCII: legacy Latin-1 sources decode, random bytes do not.
* Decoded text with more than 1% control characters (besides tab, newlines, form feed,
  vertical tab and escape) in its first 8,000 characters is binary too.
"""

from __future__ import annotations

import codecs
import re

SNIFF_BYTES = 8000
MAX_NON_ASCII_SHARE = 0.30
MAX_CONTROL_SHARE = 0.01

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
# Latin-1 decoding maps bytes 0x80-0x9F to C1 controls; cp1252 has letters there (but five).
_LATIN1_TO_CP1252 = {
    0x80 + i: ch
    for i, ch in enumerate(bytes(range(0x80, 0xA0)).decode("cp1252", errors="replace"))
    if ch != "\ufffd"
}


def decode_source(data: bytes) -> str | None:
    """The text of a source file, or None when it is binary (see the module docstring)."""
    text = _decode(data)
    if text is None:
        return None
    sample = text[:SNIFF_BYTES]
    if sample and len(_CONTROL.findall(sample)) > MAX_CONTROL_SHARE * len(sample):
        return None
    return text


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data[:SNIFF_BYTES]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(data) - len(data.translate(None, _HIGH_BYTES)) > MAX_NON_ASCII_SHARE * len(data):
        return None
    return data.decode("latin-1").translate(_LATIN1_TO_CP1252)


def count_lines(text: str) -> int:
    """Number of lines, a last line without newline counting as one."""
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)
