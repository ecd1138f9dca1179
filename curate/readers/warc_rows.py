"""Rows from web archive records: the row schema, record ids and the charset parameter.

Shared by the WARC/WET reader (:mod:`curate.readers.warc`) and the legacy ARC reading
(:mod:`curate.readers.arc`).
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from curate.schema import (
    CHARSET,
    CONTENT_TYPE,
    DROPPED_BY,
    ID,
    PAYLOAD,
    REASON,
    SOURCE,
    TEXT,
    URL,
    WARC_DATE,
)

WEB_RECORD_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string()),
        pa.field(URL, pa.string()),
        pa.field(SOURCE, pa.string()),
        pa.field(WARC_DATE, pa.string()),
        pa.field(CONTENT_TYPE, pa.string()),
        pa.field(CHARSET, pa.string()),
        pa.field(PAYLOAD, pa.large_binary()),
        pa.field(TEXT, pa.large_string()),
        pa.field(DROPPED_BY, pa.string()),
        pa.field(REASON, pa.string()),
    ]
)


def record_id_to_id(record_id: str | None) -> str | None:
    """``<urn:uuid:1234-...>`` -> ``1234-...``."""
    if not record_id:
        return None
    value = record_id.strip().strip("<>")
    if value.startswith("urn:uuid:"):
        value = value[len("urn:uuid:") :]
    return value


def derived_id(input_key: str, ordinal: int) -> str:
    """Stable id for records without their own: input key plus record position."""
    return hashlib.sha1(f"{input_key}#{ordinal}".encode()).hexdigest()[:32]


def charset_param(value: str | None) -> str | None:
    """``'"Shift_JIS"'`` -> ``'shift_jis'`` (quoted parameters happen)."""
    if not value:
        return None
    value = value.strip().strip("\"'").strip().lower()
    return value or None

