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

import hashlib
import re
import zlib
from collections.abc import Generator, Iterator
from typing import Any, BinaryIO, ClassVar

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

# How a file is framed, for finding the next record after damage.
GZIP = "gzip"  # gzip members (per-record .warc.gz, also .arc.gz)
PLAIN = "plain"  # uncompressed WARC
OTHER = "other"  # zstd, lz4, or a stream that cannot seek: no resynchronisation

# Bytes that may pad records (record trailers, blank lines, zero-filled tails).
_PADDING = b"\r\n\t \x00"
# A WARC record's first line (versions 1.0 and 1.1, and the 0.1x drafts ClueWeb09 uses).
_WARC_START = re.compile(rb"WARC/(?:1\.[01]|0\.1[0-9])\r?\n")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_BLOCK = 1 << 20
_SCAN_OVERLAP = 16  # longer than any match, so none is split between two blocks unseen
# Bytes allowed between a record's block and the next record (the "\r\n\r\n" trailer).
_TRAILER_SLACK = 4
_MAX_DAMAGE_NOTES = 10
_NO_RECORDS = "no WARC/ARC records found: not a WARC file, or damaged at the start"


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


def _charset_param(value: str | None) -> str | None:
    """``'"Shift_JIS"'`` -> ``'shift_jis'`` (quoted parameters happen)."""
    if not value:
        return None
    value = value.strip().strip("\"'").strip().lower()
    return value or None


# -- damage and resynchronisation helpers -----------------------------------------------


def note_damage(report: ReadReport, message: str) -> None:
    """Add ``message`` to ``report.damaged`` (messages joined by "; ", at most ten)."""
    if report.damaged is None:
        report.damaged = message
        return
    notes = report.damaged.count("; ") + 1
    if notes < _MAX_DAMAGE_NOTES:
        report.damaged += f"; {message}"
    elif notes == _MAX_DAMAGE_NOTES:
        report.damaged += "; more damage not listed"


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def file_framing(name: str, head: bytes) -> str:
    """:data:`GZIP`, :data:`PLAIN` or :data:`OTHER` from the first bytes, else the name."""
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"WARC/"):
        return PLAIN
    if head.startswith((b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18")):  # zstd, lz4 frames
        return OTHER
    name = name.lower()
    if name.endswith(".gz"):
        return GZIP
    if name.endswith((".zst", ".lz4")):
        return OTHER
    return PLAIN


def gzip_member_end(f: BinaryIO, start: int) -> tuple[int | None, str | None]:
    """End offset of the gzip member starting at ``start``, or None and what is wrong.

    Streams the member through zlib in 1 MiB steps and drops the output, so a member of
    any size costs a few MiB.
    """
    f.seek(start)
    decompressor = zlib.decompressobj(31)
    consumed = 0
    while True:
        block = f.read(_SCAN_BLOCK)
        if not block:
            return None, f"the gzip member at byte {start} is cut short (truncated file)"
        data = block
        try:
            while data:
                decompressor.decompress(data, _SCAN_BLOCK)
                if decompressor.eof:
                    return start + consumed + len(block) - len(decompressor.unused_data), None
                data = decompressor.unconsumed_tail
        except zlib.error as exc:
            return None, f"corrupt gzip data in the member at byte {start}: {exc}"
        consumed += len(block)


def _at_gzip_member(f: BinaryIO, offset: int) -> bool:
    """Whether a gzip member header starts at ``offset``."""
    f.seek(offset)
    return f.read(3) == _GZIP_MAGIC


def _gzip_member_is_record(f: BinaryIO, offset: int) -> bool:
    """Whether a gzip member starts at ``offset`` and its data starts with a WARC header."""
    f.seek(offset)
    try:
        head = zlib.decompressobj(31).decompress(f.read(4096), 64)
    except zlib.error:
        return False
    return _WARC_START.match(head) is not None


def scan_for_record(
    f: BinaryIO, start: int, framing: str, search_from: int | None = None, stop: int | None = None
) -> tuple[int, int | None]:
    """Look for the next record from ``start`` (up to ``stop``, else the end of the file).

    Returns the offset of the first byte at or after ``start`` that is not padding (or
    where the search ended) and the offset where the next record starts (``None`` when
    there is none).  The record search begins at ``search_from`` when that is later; for
    :data:`GZIP` a record is a gzip member whose data starts with a WARC header, for
    :data:`PLAIN` a ``WARC/1.x`` line, and :data:`OTHER` is never searched.  Reads the
    file in 1 MiB blocks.
    """
    stop = stop if stop is not None else 1 << 62
    first = start
    while first < stop:
        f.seek(first)
        block = f.read(min(_SCAN_BLOCK, stop - first))
        if not block:
            break
        stripped = block.lstrip(_PADDING)
        first += len(block) - len(stripped)
        if stripped:
            break
    if first >= stop or framing == OTHER:
        return first, None
    pos = max(first, search_from or 0)
    while pos < stop:
        f.seek(pos)
        want = min(_SCAN_BLOCK, stop - pos)
        block = f.read(want)
        if not block:
            break
        if framing == PLAIN:
            match = _WARC_START.search(block)
            if match is not None:
                return first, pos + match.start()
        else:
            at = block.find(_GZIP_MAGIC)
            while at >= 0:
                if _gzip_member_is_record(f, pos + at):
                    return first, pos + at
                at = block.find(_GZIP_MAGIC, at + 1)
        if len(block) < want:
            break
        pos += max(len(block) - _SCAN_OVERLAP, 1)
    return first, None


def _plain_record_end(pos: int, headers: Any, content_length: str | None) -> int | None:
    """Where an uncompressed record's block ends: its start, header block and length.

    FastWARC keeps each record's header block as read (its pickled state), so its length
    is exact for any line endings; None when that is not available.
    """
    try:
        raw = headers.__getstate__()[0]
        if not isinstance(raw, bytes) or not raw.startswith(b"WARC/"):
            return None
        return pos + len(raw) + int(content_length or "")
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def _after(ordinal: int) -> str:
    return f"after record {ordinal}" if ordinal else "at the start"


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
            charset = _charset_param(record.http_charset)
            status = http.status_code
            encodings = (http.get("Transfer-Encoding"), http.get("Content-Encoding"))
        elif record_type == "resource":
            content_type = headers.get("Content-Type")
            charset, status, encodings = None, None, None
        else:
            content_type, charset, status, encodings = None, None, None, None
        return self._document_row(
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
            if _seekable(f):
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
                    if expected is not None and pos - expected > _TRAILER_SLACK:
                        resume = self._check_gap(f, expected, pos, report.records, report)
                        if resume is not None:
                            return resume
                    expected = _plain_record_end(pos, headers, content_length)
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
            return self._after_segment(f, framing, seg_start, last_start, expected, error, report)
        except OSError as exc:  # the stream itself failed (a remote read, say): stop here
            note_damage(report, f"unreadable {_after(report.records)}: {error or exc}")
            return None

    @staticmethod
    def _check_gap(f: Any, end: int, next_start: int, ordinal: int, report: ReadReport) -> int | None:
        """Bytes FastWARC skipped between the record ending at ``end`` and the next one.

        Padding is fine.  Anything else is reported; when a record header hides in the
        skipped bytes (FastWARC missed it), returns its offset to resume reading there.
        """
        here = f.tell()
        try:
            first, resume = scan_for_record(f, end, PLAIN, stop=next_start)
        finally:
            f.seek(here)
        if first >= next_start:
            return None
        upto = resume if resume is not None else next_start
        note_damage(report, f"skipped {upto - first} bytes of garbage {_after(ordinal)}")
        return resume

    @staticmethod
    def _after_segment(
        f: Any,
        framing: str,
        seg_start: int,
        last_start: int | None,
        expected: int | None,
        error: Exception | None,
        report: ReadReport,
    ) -> int | None:
        """After the parser stopped: find the next record past any damage, or report why
        the input ends here.  Returns the offset to resume at, or None."""
        ordinal = report.records
        where = _after(ordinal)
        if framing == OTHER:
            if error is not None:
                note_damage(report, f"unreadable {where}: {error}")
            elif ordinal == 0 and _has_content(f):
                note_damage(report, _NO_RECORDS)
            return None
        problem = None
        if last_start is None:
            # Nothing readable where this segment began: look for a record past it.
            origin, search_from = seg_start, seg_start + 1
        elif framing == GZIP:
            if not _at_gzip_member(f, last_start):
                # One gzip stream holds many records (not per-record gzip): there is no
                # member to check or to resume at, and the parser read what it could.
                if error is not None:
                    note_damage(report, f"unreadable {where}: {error}")
                return None
            end, problem = gzip_member_end(f, last_start)
            if problem is not None:
                note_damage(report, f"record {ordinal}: {problem}")
                origin = search_from = last_start + 1
            else:
                origin = search_from = end
        elif expected is not None:
            origin = search_from = expected
        else:
            origin = search_from = last_start + 1
        first, resume = scan_for_record(f, origin, framing, search_from)
        if resume is not None:
            # Nothing but padding before the next record (the parser stops at padding
            # between gzip members) is no damage.  Were that record unreadable itself,
            # reading from it yields no record and the next search starts past it.
            if resume > first and problem is None:
                note_damage(report, f"skipped {resume - first} bytes of garbage {where}")
            return resume
        if problem is not None:
            return None
        # No record follows.  Anything but padding up to the end is damage; an error the
        # parser raised over padding alone (after a complete last record) is not.
        size = f.seek(0, 2)
        if first < size:
            if ordinal == 0:
                note_damage(report, _NO_RECORDS)
            else:
                note_damage(report, f"{size - first} bytes {where} are not WARC records")
        return None

    # -- legacy ARC ----------------------------------------------------------------------
    def _iter_arc(self, source: InputFile, report: ReadReport) -> Iterator[dict[str, Any]]:
        from warcio.archiveiterator import ArchiveIterator

        stream = source.open(self.storage_options)
        ordinal = 0
        last_offset = 0
        limit = self.max_payload_bytes
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
                    charset = _charset_param(content_type.lower().split("charset=", 1)[1].split(";")[0])
                # ARC has no record ids (warcio invents random ones): use the position.
                doc_id = derived_id(source.key, ordinal)
                truncated = not too_large and expected is not None and record.raw_stream.limit not in (None, 0)
                if truncated:
                    note_damage(report, f"record {ordinal} ends before its declared length (truncated file)")
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
                    encodings=(http.get_header("Transfer-Encoding"), http.get_header("Content-Encoding")) if http else None,
                )
        except Exception as exc:  # warcio raises many types on damaged ARC/WARC input
            note_damage(report, f"unreadable after record {ordinal}: {type(exc).__name__}: {exc}")
        try:
            if report.damaged is None and _seekable(stream):
                if ordinal == 0 and _has_content(stream):
                    report.damaged = _NO_RECORDS
                elif ordinal and file_framing(source.path, b"") == GZIP and _at_gzip_member(stream, last_offset):
                    report.damaged = gzip_member_end(stream, last_offset)[1]
        finally:
            stream.close()


def _has_content(f: Any) -> bool:
    """Whether the stream holds anything but padding (from its start when it can seek)."""
    if not _seekable(f):
        try:
            return bool(f.tell())
        except (AttributeError, OSError, ValueError):
            return False
    first, _ = scan_for_record(f, 0, OTHER)
    return first < f.seek(0, 2)
