"""WARC, WET and legacy ARC readers.

WARC and WET files are parsed with FastWARC (about 3-4x faster than warcio on the shared
samples; see ``benchmarks/throughput.py``).  FastWARC cannot read the legacy ARC format,
so ``.arc``/``.arc.gz`` files go through warcio's ARC-to-WARC translation.

Each ``response`` (and HTML ``resource``) record becomes one row with its payload bytes;
WET ``conversion`` records become rows with ready ``text``.  Records that are not
documents (``request``, ``metadata``, ``warcinfo``) are only counted.  Responses that
cannot become documents (not HTML, empty, too large, HTTP error status, truncated) are
emitted as rows already marked dropped, so they are counted in the rejects with a reason.

Damage: a truncated or corrupt file keeps every record before the damage; the damage is
recorded in the :class:`ReadReport` (and from there in ``stats.json`` and the run summary),
and the run goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa

from curate.readers.base import READ_STAGE, ColumnBuffer, InputFile, Reader, ReadReport
from curate.readers.http import classify_payload, decode_chunked, decode_content, mime_of
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


def gzip_tail_damage(path: str, offset: int) -> str | None:
    """Check that every gzip member from ``offset`` to the end of a local file is complete.

    Readers stop quietly at a truncated last member; decompressing just the tail (from the
    last record they returned) tells a complete file from a cut one at little cost.
    """
    import zlib

    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    while data:
        decompressor = zlib.decompressobj(31)
        try:
            decompressor.decompress(data)
        except zlib.error as exc:
            return f"corrupt gzip data after byte {offset}: {exc}"
        if not decompressor.eof:
            return f"the gzip stream ends early (file cut after byte {offset})"
        data = decompressor.unused_data
        if data.strip(b"\x00") == b"":
            return None
    return None


def _charset_param(value: str | None) -> str | None:
    """``'"Shift_JIS"'`` -> ``'shift_jis'`` (quoted parameters happen)."""
    if not value:
        return None
    value = value.strip().strip("\"'").strip().lower()
    return value or None


class WarcReader(Reader):
    """Read WARC (``.warc``, ``.warc.gz``), WET and legacy ARC files.

    ``max_payload_bytes`` drops larger responses (``payload_too_large``); ``min_payload_bytes``
    drops empty ones (``empty_payload``); only 2xx responses are documents unless
    ``keep_http_errors`` is set.
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

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        buffer = ColumnBuffer(WEB_RECORD_SCHEMA, self.batch_rows, self.batch_bytes)
        name = source.path.lower()
        records = self._iter_arc(source, report) if (name.endswith(".arc") or name.endswith(".arc.gz")) else self._iter_warc(source, report)
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
    def _document_row(
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
    ) -> dict[str, Any]:
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

    def _iter_warc(self, source: InputFile, report: ReadReport) -> Iterator[dict[str, Any]]:
        from fastwarc.warc import ArchiveIterator

        stream: Any
        if source.is_local:
            stream = source.path.removeprefix("file://")
            fsspec_args: Any = False
        else:
            stream = source.open(self.storage_options)
            fsspec_args = False
        ordinal = 0
        last_offset = 0
        try:
            iterator = ArchiveIterator(
                stream, parse_http=True, quirks_mode=True, auto_decode="none", fsspec_args=fsspec_args
            )
            for record in iterator:
                ordinal += 1
                last_offset = record.stream_pos
                report.records += 1
                record_type = str(record.record_type)
                report.count_type(record_type)
                headers = record.headers
                if headers.get("Content-Length") is None and report.damaged is None:
                    report.damaged = f"record {ordinal} has no complete WARC header (truncated file)"
                if record_type not in ("response", "conversion", "resource"):
                    continue
                body = record.reader.read()
                report.bytes_read += len(body)
                truncated = len(body) < record.content_length
                if truncated and report.damaged is None:
                    report.damaged = (
                        f"record {ordinal} ends after {len(body)} of {record.content_length} "
                        "payload bytes (truncated file)"
                    )
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
                        TEXT: body.decode("utf-8", errors="replace"),
                    }
                    if truncated or not body.strip():
                        reason = "truncated_payload" if truncated else "empty_payload"
                        report.skip(reason)
                        row[DROPPED_BY], row[REASON] = READ_STAGE, reason
                    yield row
                    continue
                http = record.http_headers if record.is_http else None
                if http is not None:
                    content_type = record.http_content_type
                    charset = _charset_param(record.http_charset)
                    status = http.status_code
                    if (http.get("Transfer-Encoding") or "").lower() == "chunked" and not truncated:
                        body = decode_chunked(body)
                    body = decode_content(body, http.get("Content-Encoding"))
                elif record_type == "resource":
                    content_type = headers.get("Content-Type")
                    charset, status = None, None
                else:
                    content_type, charset, status = None, None, None
                yield self._document_row(
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
                )
        except (OSError, EOFError, ValueError) as exc:
            report.damaged = f"unreadable after record {ordinal}: {exc}"
        finally:
            if not isinstance(stream, str):
                stream.close()
        self._check_end(source, report, ordinal, last_offset)

    @staticmethod
    def _check_end(source: InputFile, report: ReadReport, ordinal: int, last_offset: int) -> None:
        """Report damage the parser passed over silently: a cut gzip tail, or no records."""
        if report.damaged is not None:
            return
        if ordinal == 0:
            size = source.size
            if source.is_local:
                import os

                size = os.path.getsize(source.path.removeprefix("file://"))
            if size:
                report.damaged = "no WARC/ARC records found: not a WARC file, or damaged at the start"
            return
        if source.is_local and source.path.lower().endswith(".gz"):
            damage = gzip_tail_damage(source.path.removeprefix("file://"), last_offset)
            if damage:
                report.damaged = damage

    def _iter_arc(self, source: InputFile, report: ReadReport) -> Iterator[dict[str, Any]]:
        from warcio.archiveiterator import ArchiveIterator

        stream = source.open(self.storage_options)
        ordinal = 0
        last_offset = 0
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
                body = record.content_stream().read()
                last_offset = iterator.get_record_offset()
                report.bytes_read += len(body)
                url = record.rec_headers.get_header("WARC-Target-URI")
                date = record.rec_headers.get_header("WARC-Date")
                content_type = record.http_headers.get_header("Content-Type") if record.http_headers else record.rec_headers.get_header("Content-Type")
                status_line = record.http_headers.get_statuscode() if record.http_headers else None
                status = int(status_line) if status_line and status_line.isdigit() else None
                charset = None
                if content_type and "charset=" in content_type.lower():
                    charset = _charset_param(content_type.lower().split("charset=", 1)[1].split(";")[0])
                # ARC has no record ids (warcio invents random ones): use the position.
                doc_id = derived_id(source.key, ordinal)
                truncated = expected is not None and record.raw_stream.limit not in (None, 0)
                if truncated and report.damaged is None:
                    report.damaged = f"record {ordinal} ends before its declared length (truncated file)"
                yield self._document_row(
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
                )
        except Exception as exc:  # warcio raises many types on damaged ARC/WARC input
            report.damaged = f"unreadable after record {ordinal}: {type(exc).__name__}: {exc}"
        finally:
            stream.close()
        self._check_end(source, report, ordinal, last_offset)
