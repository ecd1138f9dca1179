"""Bounded reading of WARC records: decompression bombs and huge records cost at most
``max_payload_bytes`` of memory, are rejected as ``payload_too_large``, and the records
after them are still read.

Each WARC is read by :class:`WarcReader` in a child process whose peak RSS (``VmHWM``
from ``/proc/self/status``, else ``ru_maxrss``) is compared with its peak right after
importing the reader.  The bombs
are built by streaming zeros through the compressors, so the test itself never holds
the inflated bytes either.
"""

from __future__ import annotations

import functools
import io
import json
import subprocess
import sys
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from curate.readers import InputFile, ReadReport, WarcReader
from curate.readers.http import decode_chunked, decode_content
from curate.schema import PAYLOAD, REASON, TEXT, URL

GIB = 1 << 30
MAX_PAYLOAD = 5_000_000  # WarcReader's default max_payload_bytes
# Peak RSS allowed above the RSS after importing the reader.  Without bounds the 1 GiB
# bombs take the reader past 1 GB (see the module docstring of curate.readers.warc).
RSS_HEADROOM_MB = 400
HTML = b"<!DOCTYPE html><html><head><title>after</title></head><body><p>The next record.</p></body></html>"
_ZEROS = bytes(1 << 20)


def _zeros(total: int) -> Iterator[bytes]:
    for _ in range(total // len(_ZEROS)):
        yield _ZEROS
    if total % len(_ZEROS):
        yield _ZEROS[: total % len(_ZEROS)]


@functools.cache
def gzip_bomb(size: int, wbits: int = 31) -> bytes:
    """Zeros compressed in a stream: gzip (31), zlib (15) or raw deflate (-15)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [compressor.compress(chunk) for chunk in _zeros(size)]
    parts.append(compressor.flush())
    return b"".join(parts)


def brotli_bomb(size: int) -> bytes:
    brotli = pytest.importorskip("brotli")
    compressor = brotli.Compressor(quality=5)
    parts = [compressor.process(chunk) for chunk in _zeros(size)]
    parts.append(compressor.finish())
    return b"".join(parts)


def zstd_bomb(size: int) -> bytes:
    """Zeros as a zstd frame, written by pyarrow's codec (independent of the reader's)."""
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as stream:
        for chunk in _zeros(size):
            stream.write(chunk)
    return sink.getvalue().to_pybytes()


def chunked(body: bytes, size: int = 65536) -> bytes:
    """HTTP/1.1 chunked transfer framing of ``body``."""
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def _write_response(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]]) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), *headers], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def bomb_warc(path: Path, body: bytes, headers: list[tuple[str, str]]) -> Path:
    """A per-record gzipped WARC: the bomb response, then an ordinary HTML response."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        _write_response(writer, "http://ex.com/bomb", body, headers)
        _write_response(writer, "http://ex.com/after", HTML, [])
    return path


def huge_record_warc(path: Path, size: int) -> Path:
    """A WARC whose first response stores ``size`` payload bytes (one gzip member, written
    by streaming), then an ordinary HTML response."""
    http_head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {size}\r\n\r\n".encode()
    warc_head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
        "WARC-Date: 2024-05-01T00:00:00Z\r\nWARC-Target-URI: http://ex.com/bomb\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http_head) + size}\r\n\r\n"
    ).encode()
    with open(path, "wb") as f:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
        f.write(compressor.compress(warc_head + http_head))
        for chunk in _zeros(size):
            f.write(compressor.compress(chunk))
        f.write(compressor.compress(b"\r\n\r\n") + compressor.flush())
        _write_response(WARCWriter(f, gzip=True), "http://ex.com/after", HTML, [])
    return path


def arc_bomb(path: Path, body: bytes, headers: list[tuple[str, str]]) -> Path:
    """A legacy ARC (.arc.gz, a gzip member per record) with the bomb response first."""

    def arc_record(url: str, http_body: bytes, http_headers: list[tuple[str, str]]) -> bytes:
        head = "".join(f"{k}: {v}\r\n" for k, v in [("Content-Type", "text/html"), *http_headers])
        http = f"HTTP/1.1 200 OK\r\n{head}\r\n".encode() + http_body
        return f"{url} 1.2.3.4 20080430204826 text/html {len(http)}\n".encode() + http + b"\n"

    filedesc = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [
        f"filedesc://bomb.arc 0.0.0.0 20080430204825 text/plain {len(filedesc)}\n".encode() + filedesc + b"\n",
        arc_record("http://ex.com/bomb", body, headers),
        arc_record("http://ex.com/after", HTML, []),
    ]
    path.write_bytes(b"".join(zlib.compress(r, wbits=31) for r in records))
    return path


# The child reads one WARC with the reader's defaults and prints what it saw.
CHILD = r"""
import json, resource, sys

def peak_kb():
    # VmHWM is this process's own peak; ru_maxrss also keeps the peak of the process that
    # forked it (Linux carries it across exec), which would hide small figures.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from curate.readers.base import InputFile, ReadReport
from curate.readers.warc import WarcReader
import pyarrow as pa
from curate.schema import PAYLOAD, REASON, URL
baseline = peak_kb()
source = InputFile(sys.argv[1])
report = ReadReport(source.path, source.key)
rows = []
for table in WarcReader().read(source, report):
    rows += table.select([URL, REASON, PAYLOAD]).to_pylist()
peak = peak_kb()
print(json.dumps({
    "baseline_mb": baseline / 1024, "peak_mb": peak / 1024,
    "rows": [(r[URL], r[REASON], len(r[PAYLOAD] or b"")) for r in rows],
    "after_payload_ok": any(r[PAYLOAD] == sys.argv[2].encode() for r in rows),
    "skipped": report.skipped, "damaged": report.damaged,
}))
"""


def read_in_child(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), HTML.decode()], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


BOMBS: dict[str, Callable[[], tuple[bytes, list[tuple[str, str]]]]] = {
    "gzip-1GiB": lambda: (gzip_bomb(GIB), [("Content-Encoding", "gzip")]),
    "brotli-1GiB": lambda: (brotli_bomb(GIB), [("Content-Encoding", "br")]),
    "zstd-1GiB": lambda: (zstd_bomb(GIB), [("Content-Encoding", "zstd")]),
    "chunked-gzip-1GiB": lambda: (
        chunked(gzip_bomb(GIB)),
        [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
    ),
}


@pytest.mark.parametrize("case", [*BOMBS, "stored-600MB", "arc-gzip-1GiB", "arc-brotli-1GiB"])
def test_bomb_is_bounded_and_rejected(tmp_path, case):
    if case == "stored-600MB":
        path = huge_record_warc(tmp_path / "huge.warc.gz", 600 << 20)
    elif case.startswith("arc-"):
        body, headers = BOMBS[case.removeprefix("arc-")]()
        path = arc_bomb(tmp_path / "bomb.arc.gz", body, headers)
    else:
        body, headers = BOMBS[case]()
        path = bomb_warc(tmp_path / "bomb.warc.gz", body, headers)
    seen = read_in_child(path)
    grown = seen["peak_mb"] - seen["baseline_mb"]
    print(f"{case}: file {path.stat().st_size} bytes, peak RSS {seen['peak_mb']:.0f} MB, {grown:.0f} MB above the import")
    assert grown < RSS_HEADROOM_MB, seen
    assert [(url, reason) for url, reason, _ in seen["rows"]] == [
        ("http://ex.com/bomb", "payload_too_large"),
        ("http://ex.com/after", None),
    ]
    assert seen["after_payload_ok"]
    assert seen["skipped"] == {"payload_too_large": 1}
    assert seen["damaged"] is None


# -- decode_content / decode_chunked limits (in process, small) ---------------------------

_PAGE = HTML * 200  # 19 KB


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _encoded(encoding: str, data: bytes) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return zlib.compress(data, wbits=31)
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "deflate-raw":
        return _raw_deflate(data)
    if encoding == "br":
        return pytest.importorskip("brotli").compress(data)
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as stream:
        stream.write(data)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "deflate-raw", "br", "zstd"])
@pytest.mark.parametrize(
    ("limit", "expected_len"),
    [
        pytest.param(None, len(_PAGE), id="no-limit"),
        pytest.param(len(_PAGE), len(_PAGE), id="limit-equal"),
        pytest.param(len(_PAGE) + 1, len(_PAGE), id="limit-above"),
        pytest.param(len(_PAGE) - 1, len(_PAGE), id="limit-one-below"),
        pytest.param(1000, 1001, id="limit-far-below"),
    ],
)
def test_decode_content_limit(encoding, limit, expected_len):
    """Output stops after ``limit + 1`` bytes: longer than the limit means too large."""
    header = "deflate" if encoding == "deflate-raw" else encoding
    out = decode_content(_encoded(encoding, _PAGE), header, limit=limit)
    assert len(out) == expected_len
    assert _PAGE.startswith(out)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_decode_content_bomb_in_process(encoding):
    """A 256 MiB bomb decodes to limit + 1 bytes (quickly, without inflating it all)."""
    size = 256 << 20
    body = {"gzip": gzip_bomb, "deflate": lambda n: gzip_bomb(n, 15), "br": brotli_bomb, "zstd": zstd_bomb}[encoding](size)
    out = decode_content(body, encoding, limit=MAX_PAYLOAD)
    assert len(out) == MAX_PAYLOAD + 1 and not out.strip(b"\x00")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_decode_content_undecodable_kept(encoding):
    """A body that does not decode is kept as it is, limit or not."""
    assert decode_content(HTML, encoding, limit=10) == HTML
    assert decode_content(b"", encoding, limit=10) == b""


def test_decode_chunked_limit():
    body = chunked(_PAGE, 1000)
    assert decode_chunked(body) == _PAGE
    assert decode_chunked(body, limit=len(_PAGE)) == _PAGE
    out = decode_chunked(body, limit=2500)
    assert len(out) == 2501 and _PAGE.startswith(out)


# -- the reader's limit on small records (in process) -------------------------------------


def _read(path: Path, **options) -> tuple[list[dict], ReadReport]:
    source = InputFile(str(path))
    report = ReadReport(source.path, source.key)
    tables = list(WarcReader(**options).read(source, report))
    return (pa.concat_tables(tables).to_pylist() if tables else []), report


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        pytest.param(_PAGE[:1000], [], None, id="stored-at-limit"),
        pytest.param(_PAGE[:1001], [], "payload_too_large", id="stored-one-over"),
        pytest.param(zlib.compress(_PAGE[:1000], wbits=31), [("Content-Encoding", "gzip")], None, id="gzip-decodes-to-limit"),
        pytest.param(zlib.compress(_PAGE[:1001], wbits=31), [("Content-Encoding", "gzip")], "payload_too_large", id="gzip-decodes-one-over"),
        pytest.param(chunked(_PAGE[:1001], 100), [("Transfer-Encoding", "chunked")], "payload_too_large", id="chunked-over"),
        pytest.param(chunked(_PAGE[:900], 100), [("Transfer-Encoding", "chunked")], None, id="chunked-under"),
    ],
)
def test_reader_limit_counts_decoded_bytes(tmp_path, body, headers, reason):
    path = bomb_warc(tmp_path / "small.warc.gz", body, headers)
    rows, report = _read(path, max_payload_bytes=1000)
    assert [(r[URL], r[REASON]) for r in rows] == [("http://ex.com/bomb", reason), ("http://ex.com/after", None)]
    if reason is None:
        assert rows[0][PAYLOAD] == _PAGE[: len(rows[0][PAYLOAD])]
    else:
        assert rows[0][PAYLOAD] is None
    assert report.damaged is None


def test_reader_limit_on_wet_conversion(tmp_path):
    path = tmp_path / "x.wet.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, size in (("http://ex.com/long", 1001), ("http://ex.com/short", 1000)):
            text = ("word " * 300).encode()[:size]
            writer.write_record(writer.create_warc_record(url, "conversion", payload=io.BytesIO(text), warc_content_type="text/plain"))
    rows, report = _read(path, max_payload_bytes=1000)
    assert [(r[URL], r[REASON]) for r in rows] == [("http://ex.com/long", "payload_too_large"), ("http://ex.com/short", None)]
    assert rows[0][TEXT] is None and len(rows[1][TEXT]) == 1000
    assert report.skipped == {"payload_too_large": 1}
