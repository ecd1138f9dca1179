"""Damage notes and resynchronisation for WARC and ARC files.

How a file is framed (gzip members, plain WARC, or neither), the search for the next record
after garbage or a cut-short gzip member, and the notes that record damage in a
:class:`~curate.readers.base.ReadReport` (see :mod:`curate.readers.warc`).
"""

from __future__ import annotations

import re
import zlib
from typing import Any, BinaryIO, cast

from curate.readers.base import ReadReport

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
TRAILER_SLACK = 4
_MAX_DAMAGE_NOTES = 10
NO_RECORDS = "no WARC/ARC records found: not a WARC file, or damaged at the start"


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


def seekable(f: Any) -> bool:
    """Whether the stream can seek (False when asking fails)."""
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


def at_gzip_member(f: BinaryIO, offset: int) -> bool:
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


def plain_record_end(pos: int, headers: Any, content_length: str | None) -> int | None:
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


def after_record(ordinal: int) -> str:
    """Where in the file record ``ordinal`` ends, for damage notes."""
    return f"after record {ordinal}" if ordinal else "at the start"


def has_content(f: Any) -> bool:
    """Whether the stream holds anything but padding (from its start when it can seek)."""
    if not seekable(f):
        try:
            return bool(f.tell())
        except (AttributeError, OSError, ValueError):
            return False
    first, _ = scan_for_record(f, 0, OTHER)
    return first < f.seek(0, 2)


def check_gap(f: Any, end: int, next_start: int, ordinal: int, report: ReadReport) -> int | None:
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
    note_damage(report, f"skipped {upto - first} bytes of garbage {after_record(ordinal)}")
    return resume


def after_segment(
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
    where = after_record(ordinal)
    if framing == OTHER:
        if error is not None:
            note_damage(report, f"unreadable {where}: {error}")
        elif ordinal == 0 and has_content(f):
            note_damage(report, NO_RECORDS)
        return None
    problem = None
    if last_start is None:
        # Nothing readable where this segment began: look for a record past it.
        origin, search_from = seg_start, seg_start + 1
    elif framing == GZIP:
        if not at_gzip_member(f, last_start):
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
            origin = search_from = cast(int, end)  # a member without a problem has an end
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
            note_damage(report, NO_RECORDS)
        else:
            note_damage(report, f"{size - first} bytes {where} are not WARC records")
    return None
