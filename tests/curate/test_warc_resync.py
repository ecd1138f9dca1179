"""WarcReader resynchronises after garbage between records: the good records after the
damage are read, and the input is still reported as damaged with what was skipped."""

from __future__ import annotations

import random
import zlib

import fsspec
import pytest

from curate.readers import InputFile, ReadReport, WarcReader
from curate.readers.warc_resync import _SCAN_BLOCK, GZIP, PLAIN, scan_for_record
from curate.schema import ID, PAYLOAD, REASON

from .test_readers import WarcBuilder, random_page, read_all, rows_of

URLS = [f"http://ex.com/{i}" for i in range(4)]


def four_records(gzip_records: bool) -> WarcBuilder:
    b = WarcBuilder(gzip_records=gzip_records)
    for i, url in enumerate(URLS):
        b.response(url, random_page(i, words=150))
    return b


def with_garbage(b: WarcBuilder, garbage: dict[int, bytes]) -> bytes:
    """The builder's WARC with ``garbage[k]`` inserted before record k (k == 4: at the end)."""
    data = b.data()
    bounds = [*b.offsets, len(data)]
    parts = []
    for k in range(len(bounds)):
        parts.append(garbage.get(k, b""))
        if k < len(b.offsets):
            parts.append(data[bounds[k] : bounds[k + 1]])
    return b"".join(parts)


def assert_all_four(table, report, b: WarcBuilder) -> None:
    rows = rows_of(table)
    assert [r["url"] for r in rows] == URLS
    assert [r[REASON] for r in rows] == [None] * 4
    assert [r[PAYLOAD] for r in rows] == [random_page(i, words=150) for i in range(4)]
    assert [r[ID] for r in rows] == [b.ids[u] for u in URLS]
    assert report.records == 4 and report.records_by_type == {"response": 4}


_rng = random.Random(11)
GARBAGE = {
    "binary": _rng.randbytes(3000),  # no line break before the next header
    "text-lines": b"this line is not a WARC record\r\n" * 40,
    "fake-header": b"WARC/1.0 is how records start, but not here " * 20,
    "nul-and-magic": b"\x00" * 100 + b"\x1f\x8b\x08\x00junk" * 50,
    "straddles-block": _rng.randbytes(_SCAN_BLOCK - 5),  # next header across a 1 MiB block edge
    "large": _rng.randbytes(5 * _SCAN_BLOCK // 2),
}


@pytest.mark.parametrize("kind", list(GARBAGE))
@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_garbage_between_records(tmp_path, gz, kind):
    b = four_records(gz)
    garbage = GARBAGE[kind]
    path = tmp_path / ("x.warc.gz" if gz else "x.warc")
    path.write_bytes(with_garbage(b, {2: garbage}))
    table, report = read_all(WarcReader(), path)
    assert_all_four(table, report, b)
    skipped = len(garbage.lstrip(b"\r\n\t \x00"))
    assert report.damaged == f"skipped {skipped} bytes of garbage after record 2"


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_garbage_in_several_places(tmp_path, gz):
    b = four_records(gz)
    path = tmp_path / ("x.warc.gz" if gz else "x.warc")
    path.write_bytes(with_garbage(b, {0: b"leading junk " * 10, 1: GARBAGE["binary"], 3: b"\xff" * 77, 4: b"trailing junk"}))
    table, report = read_all(WarcReader(), path)
    assert_all_four(table, report, b)
    assert report.damaged.split("; ") == [
        "skipped 130 bytes of garbage at the start",
        "skipped 3000 bytes of garbage after record 1",
        "skipped 77 bytes of garbage after record 3",
        "13 bytes after record 4 are not WARC records",
    ]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_padding_is_not_damage(tmp_path, gz):
    """Blank lines or zeros between records (and at the end) are padding, not garbage."""
    b = four_records(gz)
    path = tmp_path / ("x.warc.gz" if gz else "x.warc")
    path.write_bytes(with_garbage(b, {1: b"\r\n" * 8, 3: b"\x00" * 512, 4: b"\n\n"}))
    table, report = read_all(WarcReader(), path)
    assert_all_four(table, report, b)
    assert report.damaged is None


def test_lf_only_uncompressed_warc_is_not_damaged(tmp_path):
    """Records with bare LF line endings (quirks FastWARC reads) keep their chain intact."""
    b = four_records(False)
    data = b.data()
    bounds = [*b.offsets, len(data)]
    parts = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        record = data[start:end]
        head, _, rest = record.partition(b"\r\n\r\n")
        parts.append(head.replace(b"\r\n", b"\n") + b"\n\n" + rest.removesuffix(b"\r\n\r\n") + b"\n\n")
    path = tmp_path / "lf.warc"
    path.write_bytes(b"".join(parts))
    table, report = read_all(WarcReader(), path)
    assert [r["url"] for r in rows_of(table)] == URLS
    assert report.damaged is None


def test_corrupt_gzip_member_in_the_middle(tmp_path):
    """A member whose deflate data is corrupt is lost; the members after it are read."""
    b = four_records(True)
    data = bytearray(b.data())
    start, end = b.offsets[1], b.offsets[2]
    middle = (start + end) // 2
    data[middle : middle + 40] = random.Random(5).randbytes(40)
    path = tmp_path / "corrupt.warc.gz"
    path.write_bytes(bytes(data))
    table, report = read_all(WarcReader(), path)
    rows = rows_of(table)
    good = [r for r in rows if r[REASON] is None]
    assert [r["url"] for r in good] == [URLS[0], URLS[2], URLS[3]]
    assert [r[PAYLOAD] for r in good] == [random_page(i, words=150) for i in (0, 2, 3)]
    assert all(r["url"] == URLS[1] for r in rows if r[REASON] is not None)
    assert report.damaged == f"skipped {b.offsets[2] - b.offsets[1]} bytes of garbage after record 1"


def test_garbage_in_remote_warc(tmp_path):
    """Resynchronisation works on fsspec streams too (memory:// standing in for s3://)."""
    b = four_records(True)
    fs = fsspec.filesystem("memory")
    fs.pipe("/resync/x.warc.gz", with_garbage(b, {2: GARBAGE["binary"]}))
    try:
        source = InputFile("memory://resync/x.warc.gz")
        assert not source.is_local
        report = ReadReport(source.path, source.key)
        tables = list(WarcReader().read(source, report))
    finally:
        fs.rm("/resync", recursive=True)
    import pyarrow as pa

    assert_all_four(pa.concat_tables(tables), report, b)
    assert report.damaged == "skipped 3000 bytes of garbage after record 2"


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_garbage_only_file(tmp_path, gz):
    path = tmp_path / ("x.warc.gz" if gz else "x.warc")
    path.write_bytes(GARBAGE["large"])
    table, report = read_all(WarcReader(), path)
    assert table is None
    assert report.damaged == "no WARC/ARC records found: not a WARC file, or damaged at the start"


@pytest.mark.parametrize("framing", [PLAIN, GZIP])
def test_scan_for_record(tmp_path, framing):
    b = four_records(framing == GZIP)
    junk = b"\r\n\r\n" + GARBAGE["binary"]
    data = with_garbage(b, {3: junk})
    start = b.offsets[3]
    path = tmp_path / "scan"
    path.write_bytes(data)
    with open(path, "rb") as f:
        first, found = scan_for_record(f, start, framing)
        assert (first, found) == (start + 4, start + len(junk))
        # a bounded search stops before the record
        assert scan_for_record(f, start, framing, stop=start + len(junk) - 1) == (start + 4, None)
        # from the record itself
        assert scan_for_record(f, start + len(junk), framing) == (start + len(junk), start + len(junk))
        assert scan_for_record(f, len(data), framing) == (len(data), None)


def test_header_regex_matches_versions():
    from curate.readers.warc_resync import _WARC_START

    for line in (b"WARC/1.0\r\n", b"WARC/1.1\r\n", b"WARC/0.18\r\n", b"WARC/1.0\n"):
        assert _WARC_START.match(line)
    for line in (b"WARC/1.0 x\r\n", b"WARC/2.0\r\n", b"warc/1.0\r\n"):
        assert not _WARC_START.match(line)


def test_zlib_only_member_is_not_a_record(tmp_path):
    """Gzip magic bytes followed by data that is not a WARC header are not a record."""
    member = zlib.compress(b"not a warc header at all", wbits=31)
    path = tmp_path / "m.gz"
    path.write_bytes(b"junk" + member)
    with open(path, "rb") as f:
        assert scan_for_record(f, 0, GZIP) == (0, None)


def test_whole_file_gzip_is_not_damaged(tmp_path):
    """One gzip stream over all records (not per record) has no members to check."""
    import gzip

    b = four_records(False)
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(b.data()))
    table, report = read_all(WarcReader(), path)
    assert_all_four(table, report, b)
    assert report.damaged is None
