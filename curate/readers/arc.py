"""Legacy ARC files (``.arc``, ``.arc.gz``): FastWARC cannot read them, so they go through
warcio's ARC-to-WARC translation, one row per response record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from curate.readers.base import InputFile, ReadReport
from curate.readers.warc_resync import (
    GZIP,
    NO_RECORDS,
    at_gzip_member,
    file_framing,
    gzip_member_end,
    has_content,
    note_damage,
    seekable,
)
from curate.readers.warc_rows import charset_param, derived_id

if TYPE_CHECKING:
    from curate.readers.warc import WarcReader


def iter_arc(reader: WarcReader, source: InputFile, report: ReadReport) -> Iterator[dict[str, Any]]:
    """The rows of a legacy ARC file's response records, read through warcio's ARC-to-WARC
    translation; ``reader.document_row`` decides each row, as for a WARC record."""
    from warcio.archiveiterator import ArchiveIterator

    stream = source.open(reader.storage_options)
    ordinal = 0
    last_offset = 0
    limit = reader.max_payload_bytes
    try:
        iterator = ArchiveIterator(stream, arc2warc=True)
        for record in iterator:
            ordinal += 1
            report.records += 1
            record_type = record.rec_type
            report.count_type(record_type)
            if record_type != "response":
                continue
            expected = record.length
            # The stored payload, at most limit + 1 bytes of it; warcio skips the rest.
            body = record.raw_stream.read(limit + 1)
            last_offset = iterator.get_record_offset()
            report.bytes_read += len(body)
            too_large = len(body) > limit
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
            http = record.http_headers
            content_type = http.get_header("Content-Type") if http else record.rec_headers.get_header("Content-Type")
            status_line = http.get_statuscode() if http else None
            status = int(status_line) if status_line and status_line.isdigit() else None
            charset = None
            if content_type and "charset=" in content_type.lower():
                charset = charset_param(content_type.lower().split("charset=", 1)[1].split(";")[0])
            # ARC has no record ids (warcio invents random ones): use the position.
            doc_id = derived_id(source.key, ordinal)
            truncated = not too_large and expected is not None and record.raw_stream.limit not in (None, 0)
            if truncated:
                note_damage(report, f"record {ordinal} ends before its declared length (truncated file)")
            yield reader.document_row(
                report=report,
                doc_id=doc_id,
                url=url,
                source=source.path,
                date=date,
                content_type=content_type,
                identified_type=None,
                charset=charset,
                status=status,
                body=body,
                truncated=bool(truncated),
                encodings=(http.get_header("Transfer-Encoding"), http.get_header("Content-Encoding")) if http else None,
            )
    except Exception as exc:  # warcio raises many types on damaged ARC/WARC input
        note_damage(report, f"unreadable after record {ordinal}: {type(exc).__name__}: {exc}")
    try:
        if report.damaged is None and seekable(stream):
            if ordinal == 0 and has_content(stream):
                report.damaged = NO_RECORDS
            elif ordinal and file_framing(source.path, b"") == GZIP and at_gzip_member(stream, last_offset):
                report.damaged = gzip_member_end(stream, last_offset)[1]
    finally:
        stream.close()
