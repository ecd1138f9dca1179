"""WARC, WET and legacy ARC readers.

WARC and WET files are parsed with FastWARC (about 3-4x faster than warcio on the shared
samples; see ``benchmarks/throughput.py``).  FastWARC cannot read the legacy ARC format,
so ``.arc``/``.arc.gz`` files go through warcio's ARC-to-WARC translation.

Each ``response`` (and HTML ``resource``) record becomes one row with its payload bytes;
WET ``conversion`` records become rows with ready ``text``.  Records that are not
documents (``request``, ``metadata``, ``warcinfo``) are only counted.  Responses that
cannot become documents (not HTML, empty, too large, HTTP error status, truncated) are
emitted as rows already marked dropped, so they are counted in the rejects with a reason.

Memory: at most ``max_payload_bytes + 1`` bytes of a record's payload are read; the parser
skips the rest of a larger record by streaming, without holding it.  Chunked transfer
encoding and content encodings (gzip, deflate, br, zstd) are undone by streaming decoders
that stop after the same number of bytes (:func:`curate.readers.http.decode_content`).
So a huge record or a decompression bomb (a few KB that inflate to a GiB) becomes a
``payload_too_large`` row and costs no more memory than the limit; charset decoding
later (``curate.stages.decode``) only ever sees payloads within the limit.

Damage: a truncated or corrupt file keeps every record before the damage; the damage is
recorded in the :class:`ReadReport` (and from there in ``stats.json`` and the run summary),
and the run goes on.  Garbage between records is skipped: in an uncompressed WARC the
reader looks for the next ``WARC/1.0`` or ``WARC/1.1`` header, in a per-record gzipped
``.warc.gz`` for the next gzip member that starts with one, goes on reading there, and
reports what it skipped ("skipped N bytes of garbage after record K").  The search reads
the file in 1 MiB blocks from where the last good record ended, so it streams too.  FastWARC
itself stops at garbage between gzip members, and in an uncompressed file skips garbage
lines silently (losing the record after them when the garbage does not end in a line
break); so for uncompressed files each record's start is checked against where the one
before it ended (its header block plus ``Content-Length``), which costs no file access
unless they differ.  A file without any record is reported, local or remote.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any, ClassVar

import pyarrow as pa

from curate.readers.arc import iter_arc
from curate.readers.base import READ_STAGE, ColumnBuffer, InputFile, Reader, ReadReport
from curate.readers.http import classify_payload, decode_chunked, decode_content, mime_of
from curate.readers.warc_resync import (
    OTHER,
    PLAIN,
    TRAILER_SLACK,
    after_record,
    after_segment,
    check_gap,
    file_framing,
    note_damage,
    plain_record_end,
    seekable,
)
from curate.readers.warc_rows import WEB_RECORD_SCHEMA, charset_param, derived_id, record_id_to_id
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


class WarcReader(Reader):
    """Read WARC (``.warc``, ``.warc.gz``), WET and legacy ARC files.

    ``max_payload_bytes`` drops larger responses (``payload_too_large``), counting the
    decoded payload and never reading or inflating more than one byte past it;
    ``min_payload_bytes`` drops empty ones (``empty_payload``); only 2xx responses are
    documents unless ``keep_http_errors`` is set.
    """

    extensions: ClassVar[tuple[str, ...]] = (
        ".warc",
        ".warc.gz",
        ".wet",
        ".wet.gz",
        ".warc.wet.gz",
        ".arc",
        ".arc.gz",
        ".warc.zst",
    )

    max_payload_bytes: int = 5_000_000
    min_payload_bytes: int = 1
    keep_http_errors: bool = False

    def output_schema(self) -> pa.Schema:
        return WEB_RECORD_SCHEMA

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        buffer = ColumnBuffer(WEB_RECORD_SCHEMA, self.batch_rows, self.batch_bytes)
        name = source.path.lower()
        records = iter_arc(self, source, report) if (name.endswith(".arc") or name.endswith(".arc.gz")) else self._iter_warc(source, report)
        for row in records:
            report.rows += 1
            payload = row.get(PAYLOAD)
            table = buffer.append(nbytes=len(payload) if payload else 0, **row)
            if table is not None:
                yield table
        table = buffer.flush()
        if table is not None:
            yield table

    # -- per-record decisions -----------------------------------------------------------
    def document_row(
        self,
        *,
        report: ReadReport,
        doc_id: str,
        url: str | None,
        source: str,
        date: str | None,
        content_type: str | None,
        identified_type: str | None,
        charset: str | None,
        status: int | None,
        body: bytes,
        truncated: bool,
        encodings: tuple[str | None, str | None] | None = None,
    ) -> dict[str, Any]:
        """``encodings``: an HTTP body's (Transfer-Encoding, Content-Encoding), undone here
        unless the stored body is already past ``max_payload_bytes``."""
        if encodings is not None and len(body) <= self.max_payload_bytes:
            body = self._decode_http_body(body, *encodings, truncated)
        reason = None
        if truncated:
            reason = "truncated_payload"
        elif status is not None and not (200 <= status < 300) and not self.keep_http_errors:
            reason = f"http_status_{status}"
        elif len(body) < self.min_payload_bytes:
            reason = "empty_payload"
        elif len(body) > self.max_payload_bytes:
            reason = "payload_too_large"
        else:
            reason = classify_payload(content_type, body, identified_type)
        row: dict[str, Any] = {
            ID: doc_id,
            URL: url,
            SOURCE: source,
            WARC_DATE: date,
            CONTENT_TYPE: mime_of(content_type) or None,
            CHARSET: charset,
        }
        if reason is None:
            row[PAYLOAD] = body
        else:
            report.skip(reason)
            row[DROPPED_BY] = READ_STAGE
            row[REASON] = reason
        return row

    def _decode_http_body(self, body: bytes, transfer_encoding: str | None, content_encoding: str | None, truncated: bool) -> bytes:
        """Undo chunked transfer and content encoding, stopping past ``max_payload_bytes``."""
        limit = self.max_payload_bytes
        if (transfer_encoding or "").lower() == "chunked" and not truncated:
            body = decode_chunked(body, limit)
        return decode_content(body, content_encoding, limit)

    def _warc_row(self, record: Any, headers: Any, record_type: str, ordinal: int, source: InputFile, report: ReadReport) -> dict[str, Any]:
        """The row of one document record (response, resource or WET conversion)."""
        limit = self.max_payload_bytes
        # One byte past the limit tells a too-large record; sizing the read by the declared
        # length keeps the reader from allocating limit + 1 bytes for every small record.
        declared = record.content_length
        body = record.reader.read(min(declared, limit) + 1 if declared >= 0 else limit + 1)
        report.bytes_read += len(body)
        too_large = len(body) > limit
        truncated = not too_large and len(body) < declared
        if truncated:
            note_damage(report, f"record {ordinal} ends after {len(body)} of {declared} payload bytes (truncated file)")
        doc_id = record_id_to_id(record.record_id) or derived_id(source.key, ordinal)
        url = headers.get("WARC-Target-URI")
        date = headers.get("WARC-Date")
        if record_type == "conversion":
            row = {
                ID: doc_id,
                URL: url,
                SOURCE: source.path,
                WARC_DATE: date,
                CONTENT_TYPE: mime_of(headers.get("Content-Type")) or "text/plain",
            }
            reason = "truncated_payload" if truncated else "payload_too_large" if too_large else None
            if reason is None and not body.strip():
                reason = "empty_payload"
            if not too_large:
                row[TEXT] = body.decode("utf-8", errors="replace")
            if reason is not None:
                report.skip(reason)
                row[DROPPED_BY], row[REASON] = READ_STAGE, reason
            return row
        http = record.http_headers if record.is_http else None
        if http is not None:
            content_type = record.http_content_type
            charset = charset_param(record.http_charset)
            status = http.status_code
            encodings = (http.get("Transfer-Encoding"), http.get("Content-Encoding"))
        elif record_type == "resource":
            content_type = headers.get("Content-Type")
            charset, status, encodings = None, None, None
        else:
            content_type, charset, status, encodings = None, None, None, None
        return self.document_row(
            report=report,
            doc_id=doc_id,
            url=url,
            source=source.path,
            date=date,
            content_type=content_type,
            identified_type=headers.get("WARC-Identified-Payload-Type"),
            charset=charset,
            status=status,
            body=body,
            truncated=truncated,
            encodings=encodings,
        )

    # -- WARC / WET ----------------------------------------------------------------------
    def _iter_warc(self, source: InputFile, report: ReadReport) -> Iterator[dict[str, Any]]:
        if source.is_local:
            try:
                f: Any = open(source.path.removeprefix("file://"), "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                report.damaged = f"unreadable: {exc}"
                return
        else:
            f = source.open(self.storage_options)
        try:
            framing = OTHER
            if seekable(f):
                framing = file_framing(source.path, f.read(4))
                f.seek(0)
            start: int | None = 0
            while start is not None:
                start = yield from self._read_segment(f, start, framing, source, report)
        finally:
            f.close()

    def _read_segment(
        self, f: Any, seg_start: int, framing: str, source: InputFile, report: ReadReport
    ) -> Generator[dict[str, Any], None, int | None]:
        """Read records from ``seg_start`` until the end or damage; returns where to resume
        (the next record after skipped garbage) or None when the input is done.

        ``report.records`` numbers the records across segments (record K is the K-th read).
        """
        from fastwarc.warc import ArchiveIterator

        if seg_start:
            f.seek(seg_start)
        last_start: int | None = None  # None: no record read in this segment
        expected: int | None = seg_start  # uncompressed files: where the next record begins
        error: Exception | None = None
        try:
            iterator = ArchiveIterator(f, parse_http=True, quirks_mode=True, auto_decode="none", fsspec_args=False)
            for record in iterator:
                headers = record.headers
                content_length = headers.get("Content-Length")
                if framing == PLAIN:
                    pos = record.stream_pos
                    if expected is not None and pos - expected > TRAILER_SLACK:
                        resume = check_gap(f, expected, pos, report.records, report)
                        if resume is not None:
                            return resume
                    expected = plain_record_end(pos, headers, content_length)
                last_start = record.stream_pos
                report.records += 1
                ordinal = report.records
                record_type = str(record.record_type)
                report.count_type(record_type)
                if content_length is None:
                    note_damage(report, f"record {ordinal} has no complete WARC header (truncated file)")
                if record_type not in ("response", "conversion", "resource"):
                    continue
                yield self._warc_row(record, headers, record_type, ordinal, source, report)
        except (OSError, EOFError, ValueError) as exc:
            error = exc
        try:
            return after_segment(f, framing, seg_start, last_start, expected, error, report)
        except OSError as exc:  # the stream itself failed (a remote read, say): stop here
            note_damage(report, f"unreadable {after_record(report.records)}: {error or exc}")
            return None

