"""Readers: WARC/WET/ARC, JSONL and Parquet inputs to Arrow tables with a read report."""

from __future__ import annotations

import collections
import gzip
import io
import json
import random
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from curate.readers import (
    InputFile,
    JsonlReader,
    ParquetReader,
    ReadReport,
    WarcReader,
    build_reader,
    reader_format_for,
)
from curate.readers.warc import WEB_RECORD_SCHEMA
from curate.schema import DROPPED_BY, ID, PAYLOAD, REASON, TEXT

# -- helpers ----------------------------------------------------------------------------


def read_all(reader, path) -> tuple[pa.Table | None, ReadReport]:
    """Read one input fully; the concatenated table (None when no rows) and the report."""
    source = InputFile(str(path))
    report = ReadReport(source.path, source.key)
    tables = list(reader.read(source, report))
    return (pa.concat_tables(tables) if tables else None), report


def rows_of(table: pa.Table | None) -> list[dict]:
    return table.to_pylist() if table is not None else []


def html_page(title: str, size: int = 0) -> bytes:
    body = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><p>{title}</p>"
    body += "<p>filler</p>" * (size // 13)
    return (body + "</body></html>").encode()


def random_page(seed: int, words: int = 800) -> bytes:
    """An HTML page of pseudo-random words (compresses poorly, so gzip members are large)."""
    rng = random.Random(seed)
    text = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(words))
    return f"<!DOCTYPE html><html><body><p>{text}</p></body></html>".encode()


class WarcBuilder:
    """Writes records with warcio (one gzip member per record) and remembers their ids."""

    def __init__(self, gzip_records: bool = True) -> None:
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=gzip_records)
        self.ids: dict[str, str] = {}  # url -> uuid
        self.offsets: list[int] = []

    def _write(self, record) -> None:
        self.offsets.append(self.buffer.tell())
        self.writer.write_record(record)
        url = record.rec_headers.get_header("WARC-Target-URI")
        if url:
            self.ids[url] = record.rec_headers.get_header("WARC-Record-ID").strip("<>").removeprefix("urn:uuid:")

    def response(self, url, body, status="200 OK", content_type="text/html; charset=utf-8", headers=(), warc_headers=None):
        http = StatusAndHeaders(status, [("Content-Type", content_type), *headers] if content_type else list(headers), protocol="HTTP/1.1")
        self._write(self.writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=warc_headers or {}))

    def request(self, url):
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True)
        self._write(self.writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=http))

    def record(self, url, record_type, body, content_type):
        self._write(self.writer.create_warc_record(url, record_type, payload=io.BytesIO(body), warc_content_type=content_type))

    def warcinfo(self):
        self._write(self.writer.create_warcinfo_record("test.warc.gz", {"software": "curate-tests"}))

    def data(self) -> bytes:
        return self.buffer.getvalue()

    def save(self, path: Path) -> Path:
        path.write_bytes(self.data())
        return path


# -- a synthetic WARC with one record per case --------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
HTML = html_page("hello")
BIG = html_page("big", size=5000)
CHUNKED = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (HTML[:40], HTML[40:])) + b"0\r\n\r\n"
MAX_PAYLOAD = 2000

# url: (expected reason, expected payload or None, expected text or None)
WARC_CASES: dict[str, tuple[str | None, bytes | None, str | None]] = {
    "http://ex.com/html": (None, HTML, None),
    "http://ex.com/png": ("not_html", None, None),
    "http://ex.com/empty": ("empty_payload", None, None),
    "http://ex.com/404": ("http_status_404", None, None),
    "http://ex.com/redirect": ("http_status_301", None, None),
    "http://ex.com/big": ("payload_too_large", None, None),
    "http://ex.com/chunked": (None, HTML, None),
    "http://ex.com/gzip": (None, HTML, None),
    "http://ex.com/bogus-gzip": (None, HTML, None),
    "http://ex.com/html-as-text": (None, HTML, None),
    "http://ex.com/png-as-html": ("not_html", None, None),
    "http://ex.com/css": ("not_html", None, None),
    "http://ex.com/identified-html": (None, HTML, None),
    "http://ex.com/identified-image": ("not_html", None, None),
    "http://ex.com/resource-html": (None, HTML, None),
    "http://ex.com/wet": (None, None, "Plain text from a WET file: café\n"),
    "http://ex.com/wet-empty": ("empty_payload", None, None),
}


@pytest.fixture(scope="module")
def synthetic_warc(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    b = WarcBuilder()
    b.warcinfo()
    b.request("http://ex.com/html")
    b.response("http://ex.com/html", HTML)
    b.response("http://ex.com/png", PNG, content_type="image/png")
    b.response("http://ex.com/empty", b"")
    b.response("http://ex.com/404", html_page("not found"), status="404 Not Found")
    b.response("http://ex.com/redirect", b"", status="301 Moved Permanently", headers=[("Location", "http://ex.com/")])
    b.response("http://ex.com/big", BIG)
    b.response("http://ex.com/chunked", CHUNKED, headers=[("Transfer-Encoding", "chunked")])
    b.response("http://ex.com/gzip", gzip.compress(HTML), headers=[("Content-Encoding", "gzip")])
    b.response("http://ex.com/bogus-gzip", HTML, headers=[("Content-Encoding", "gzip")])
    b.response("http://ex.com/html-as-text", HTML, content_type="text/plain")
    b.response("http://ex.com/png-as-html", PNG, content_type="text/html")
    b.response("http://ex.com/css", b"body { color: red }", content_type="text/css")
    b.response(
        "http://ex.com/identified-html",
        HTML,
        content_type="application/octet-stream",
        warc_headers={"WARC-Identified-Payload-Type": "text/html"},
    )
    b.response(
        "http://ex.com/identified-image",
        HTML,
        content_type="text/html",
        warc_headers={"WARC-Identified-Payload-Type": "image/jpeg"},
    )
    b.record("http://ex.com/resource-html", "resource", HTML, "text/html")
    b.record("http://ex.com/metadata", "metadata", b"fetchTimeMs: 12\r\n", "application/warc-fields")
    b.record("http://ex.com/wet", "conversion", "Plain text from a WET file: café\n".encode(), "text/plain")
    b.record("http://ex.com/wet-empty", "conversion", b"", "text/plain")
    path = b.save(tmp_path_factory.mktemp("warc") / "synthetic.warc.gz")
    return path, b.ids


@pytest.fixture(scope="module")
def synthetic_read(synthetic_warc):
    path, _ = synthetic_warc
    table, report = read_all(WarcReader(max_payload_bytes=MAX_PAYLOAD, batch_rows=4), path)
    return table, report


@pytest.mark.parametrize("url", list(WARC_CASES))
def test_warc_record_outcome(synthetic_read, synthetic_warc, url):
    table, _ = synthetic_read
    _, ids = synthetic_warc
    rows = [r for r in rows_of(table) if r["url"] == url]
    assert len(rows) == 1
    row = rows[0]
    reason, payload, text = WARC_CASES[url]
    assert row[REASON] == reason
    assert row[DROPPED_BY] == ("read" if reason else None)
    assert row[ID] == ids[url]
    assert row[PAYLOAD] == payload
    if text is not None:
        assert row[TEXT] == text
    if reason is None and text is None:
        assert row[TEXT] is None  # raw web rows get text from extraction, later
    assert row["source"].endswith("synthetic.warc.gz")
    assert row["date"]


def test_warc_report_counts(synthetic_read):
    table, report = synthetic_read
    assert report.damaged is None
    assert report.records_by_type == {
        "warcinfo": 1,
        "request": 1,
        "response": 14,
        "resource": 1,
        "metadata": 1,
        "conversion": 2,
    }
    assert report.records == 20
    assert report.rows == table.num_rows == len(WARC_CASES)
    expected_skips = collections.Counter(r for r, _, _ in WARC_CASES.values() if r)
    assert report.skipped == dict(expected_skips)
    assert report.bytes_read > 0
    # requests, metadata and warcinfo are counted, never rows
    assert not {r["url"] for r in rows_of(table)} & {"http://ex.com/metadata"}


def test_warc_batches_and_schema(synthetic_warc):
    path, _ = synthetic_warc
    source = InputFile(str(path))
    tables = list(WarcReader(max_payload_bytes=MAX_PAYLOAD, batch_rows=4).read(source, ReadReport(source.path, source.key)))
    assert [t.num_rows for t in tables] == [4, 4, 4, 4, 1]
    assert all(t.schema == WEB_RECORD_SCHEMA for t in tables)


def test_warc_ids_stable_across_reads(synthetic_warc):
    path, ids = synthetic_warc
    first, _ = read_all(WarcReader(), path)
    second, _ = read_all(WarcReader(batch_rows=3), path)
    assert first.column(ID).to_pylist() == second.column(ID).to_pylist()
    assert len(set(first.column(ID).to_pylist())) == first.num_rows
    assert set(first.column(ID).to_pylist()) <= set(ids.values())


@pytest.mark.parametrize(
    ("options", "url", "reason"),
    [
        ({}, "http://ex.com/big", None),  # default max_payload_bytes is 5 MB
        ({"max_payload_bytes": 50}, "http://ex.com/html", "payload_too_large"),
        ({"keep_http_errors": True}, "http://ex.com/404", None),
        ({"keep_http_errors": True}, "http://ex.com/redirect", "empty_payload"),
        ({"min_payload_bytes": 10_000}, "http://ex.com/html", "empty_payload"),
        ({"min_payload_bytes": 0}, "http://ex.com/empty", None),
    ],
)
def test_warc_reader_options(synthetic_warc, options, url, reason):
    path, _ = synthetic_warc
    table, _ = read_all(WarcReader(**options), path)
    (row,) = [r for r in rows_of(table) if r["url"] == url]
    assert row[REASON] == reason


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html; charset=utf-8", "utf-8"),
        ("text/html; charset=ISO-8859-1", "iso-8859-1"),
        ("text/html;charset=Shift_JIS", "shift_jis"),
        ("text/html", None),
        pytest.param(
            'text/html; charset="Shift_JIS"',
            "shift_jis",
        ),
    ],
)
def test_warc_charset_column(tmp_path, content_type, charset):
    b = WarcBuilder()
    b.response("http://ex.com/", HTML, content_type=content_type)
    table, _ = read_all(WarcReader(), b.save(tmp_path / "cs.warc.gz"))
    (row,) = rows_of(table)
    assert row["content_type"] == "text/html"
    assert row["charset"] == charset


def test_warc_uncompressed(tmp_path):
    b = WarcBuilder(gzip_records=False)
    b.warcinfo()
    b.response("http://ex.com/a", HTML)
    b.response("http://ex.com/b", PNG, content_type="image/png")
    table, report = read_all(WarcReader(), b.save(tmp_path / "plain.warc"))
    assert [(r["url"], r[REASON]) for r in rows_of(table)] == [("http://ex.com/a", None), ("http://ex.com/b", "not_html")]
    assert rows_of(table)[0][ID] == b.ids["http://ex.com/a"]
    assert report.damaged is None and report.records == 3


# -- damaged inputs -------------------------------------------------------------------


def _three_page_warc(gzip_records: bool = True) -> WarcBuilder:
    b = WarcBuilder(gzip_records=gzip_records)
    for i in range(3):
        b.response(f"http://ex.com/{i}", random_page(i))
    return b


def _cut_inside_last_headers(data: bytes, start: int) -> int:
    """A cut inside the last gzip member where only part of its WARC header block decompresses."""
    for cut in range(start + 1, len(data)):
        out = zlib.decompressobj(31).decompress(data[start:cut])
        if len(out) > 40:
            assert b"\r\n\r\n" not in out
            return cut
    raise AssertionError("no such cut")


def _cuts() -> list:
    def frac(f):
        return lambda data, last: last + int((len(data) - last) * f)

    return [
        pytest.param(frac(0.5), id="middle-of-last-record"),
        pytest.param(frac(0.2), id="early-in-last-payload"),
        pytest.param(frac(0.95), id="late-in-last-payload"),
        pytest.param(
            _cut_inside_last_headers,
            id="inside-last-warc-headers",
        ),
        pytest.param(
            lambda data, last: last + 12,
            id="only-gzip-header-of-last-record",
        ),
        pytest.param(
            lambda data, last: len(data) - 4,
            id="gzip-trailer-missing",
        ),
    ]


@pytest.mark.parametrize("cut_at", _cuts())
def test_warc_truncated_file(tmp_path, cut_at):
    b = _three_page_warc()
    data = b.data()
    cut = cut_at(data, b.offsets[-1])
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[:cut])
    table, report = read_all(WarcReader(), path)  # must not raise
    rows = rows_of(table)
    # every record before the damage is kept intact
    assert [(r["url"], r[REASON]) for r in rows[:2]] == [("http://ex.com/0", None), ("http://ex.com/1", None)]
    assert [r[PAYLOAD] for r in rows[:2]] == [random_page(0), random_page(1)]
    assert [r[ID] for r in rows[:2]] == [b.ids["http://ex.com/0"], b.ids["http://ex.com/1"]]
    # a partial document is never kept
    for row in rows[2:]:
        assert row[REASON] is not None or row[PAYLOAD] == random_page(2)
    assert report.damaged


@pytest.mark.parametrize("frac", [0.3, 0.5, 0.9])
def test_warc_truncated_uncompressed(tmp_path, frac):
    b = _three_page_warc(gzip_records=False)
    data = b.data()
    last = b.offsets[-1]
    path = tmp_path / "cut.warc"
    path.write_bytes(data[: last + int((len(data) - last) * frac)])
    table, report = read_all(WarcReader(), path)
    assert [r[REASON] for r in rows_of(table)] == [None, None, "truncated_payload"]
    assert report.skipped == {"truncated_payload": 1}
    assert "truncated" in report.damaged


def test_warc_trailing_garbage(tmp_path):
    b = _three_page_warc()
    path = tmp_path / "tail.warc.gz"
    path.write_bytes(b.data() + b"this is not gzip\n" * 20)
    table, report = read_all(WarcReader(), path)
    assert [r[REASON] for r in rows_of(table)] == [None, None, None]
    assert report.damaged


_GARBAGE = random.Random(7).randbytes(4000)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.warc.gz", _GARBAGE),
        ("x.warc.gz", b"this is not a WARC file at all\n" * 50),
        ("x.wet.gz", _GARBAGE),
        ("x.arc.gz", _GARBAGE),
        ("x.arc", _GARBAGE),
        ("x.warc", _GARBAGE),
    ],
)
def test_warc_garbage_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    table, report = read_all(WarcReader(), path)  # must not raise
    assert table is None
    assert report.damaged


def test_warc_missing_file(tmp_path):
    table, report = read_all(WarcReader(), tmp_path / "nope.warc.gz")
    assert table is None and report.damaged


# -- legacy ARC ------------------------------------------------------------------------


def _arc_record(url: str, content_type: str, body: bytes, date: str = "20080430204826") -> bytes:
    return f"{url} 1.2.3.4 {date} {content_type} {len(body)}\n".encode() + body + b"\n"


def _http(body: bytes, content_type: str, status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


ARC_RECORDS = [
    _arc_record(
        "filedesc://test.arc",
        "text/plain",
        b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n",
        "20080430204825",
    ),
    _arc_record("http://ex.com/a", "text/html", _http(HTML, "text/html; charset=ISO-8859-1")),
    _arc_record("http://ex.com/png", "image/png", _http(PNG, "image/png")),
    _arc_record("http://ex.com/404", "text/html", _http(HTML, "text/html", "404 Not Found")),
    _arc_record("http://ex.com/b", "text/html", _http(html_page("b"), "text/html")),
]


def test_arc_reader(tmp_path):
    path = tmp_path / "test.arc.gz"
    path.write_bytes(b"".join(gzip.compress(r) for r in ARC_RECORDS))
    table, report = read_all(WarcReader(), path)
    rows = rows_of(table)
    assert [(r["url"], r[REASON]) for r in rows] == [
        ("http://ex.com/a", None),
        ("http://ex.com/png", "not_html"),
        ("http://ex.com/404", "http_status_404"),
        ("http://ex.com/b", None),
    ]
    assert rows[0][PAYLOAD] == HTML and rows[0]["charset"] == "iso-8859-1"
    assert report.records == 5 and report.rows == 4 and report.damaged is None
    assert report.skipped == {"not_html": 1, "http_status_404": 1}
    again, _ = read_all(WarcReader(), path)
    assert table.column(ID).to_pylist() == again.column(ID).to_pylist()  # ARC ids are derived, stable
    assert len(set(table.column(ID).to_pylist())) == 4


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("cut.arc", lambda: b"".join(ARC_RECORDS)[:-60]),
        ("cut.arc.gz", lambda: b"".join(gzip.compress(r) for r in ARC_RECORDS)[:-40]),
    ],
)
def test_arc_truncated(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())
    table, report = read_all(WarcReader(), path)
    rows = rows_of(table)
    assert [r[REASON] for r in rows[:3]] == [None, "not_html", "http_status_404"]
    assert all(r[REASON] for r in rows[3:])  # the cut record is never kept
    assert report.damaged


# -- JSONL ------------------------------------------------------------------------------

JSONL_LINES: list[tuple[str, str | None]] = [
    ('{"id": "doc-1", "text": "first document", "url": "http://ex.com/1"}', None),
    ('{"text": "no id here", "metadata": {"url": "http://ex.com/2"}}', None),
    ('{"id": 3, "text": "numeric id"}', None),
    ('{"id": "doc-4", "text": "unterminated', "malformed_json"),
    ('{"id": "doc-5", "body": "text is missing"}', "missing_text"),
    ('{"id": "doc-6", "text": 42}', "missing_text"),
    ('{"id": "doc-7", "text": null}', "missing_text"),
    ('["a", "list"]', "malformed_json"),
    ("", "empty_line"),
    ('{"id": "doc-10", "text": "last document \\u00e9"}', None),
]


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.jsonl.gz"])
@pytest.mark.parametrize("batch_rows", [3, 500])
def test_jsonl_reader(tmp_path, name, batch_rows):
    path = _write_jsonl(tmp_path / name, [line for line, _ in JSONL_LINES])
    table, report = read_all(JsonlReader(batch_rows=batch_rows), path)
    rows = rows_of(table)
    key = InputFile(str(path)).key
    assert [r[REASON] for r in rows] == [reason for _, reason in JSONL_LINES]
    assert [r[DROPPED_BY] for r in rows] == ["read" if reason else None for _, reason in JSONL_LINES]
    assert [r[ID] for r in rows] == ["doc-1", f"{key}:1", "3", f"{key}:3", "doc-5", "doc-6", "doc-7", f"{key}:7", f"{key}:8", "doc-10"]
    assert [r[TEXT] for r in rows if r[REASON] is None] == ["first document", "no id here", "numeric id", "last document é"]
    assert [r["url"] for r in rows[:3]] == ["http://ex.com/1", "http://ex.com/2", None]
    assert report.records == report.rows == len(JSONL_LINES)
    assert report.skipped == {"malformed_json": 2, "missing_text": 3, "empty_line": 1}
    assert report.damaged is None
    again, _ = read_all(JsonlReader(batch_rows=7), path)
    assert again.column(ID).to_pylist() == table.column(ID).to_pylist()


def test_jsonl_field_mapping(tmp_path):
    path = _write_jsonl(
        tmp_path / "mapped.jsonl",
        [
            json.dumps({"doc_id": "a", "content": "hello", "link": "http://ex.com/a", "lang": "en", "score": 0.5, "tags": ["x"]}),
            json.dumps({"doc_id": "b", "content": "world", "lang": "de"}),
            json.dumps({"doc_id": "c", "text": "wrong field"}),
        ],
    )
    reader = JsonlReader(text_field="content", id_field="doc_id", url_field="link", fields=["lang", "score", "tags"])
    table, report = read_all(reader, path)
    rows = rows_of(table)
    assert [r[ID] for r in rows] == ["a", "b", "c"]
    assert [r[TEXT] for r in rows] == ["hello", "world", None]
    assert [r[REASON] for r in rows] == [None, None, "missing_text"]
    assert [r["url"] for r in rows] == ["http://ex.com/a", None, None]
    assert [r["lang"] for r in rows] == ["en", "de", None]
    assert [r["score"] for r in rows] == [0.5, None, None]
    assert rows[0]["tags"] == '["x"]'


def test_jsonl_corrupt_gzip(tmp_path):
    good = gzip.compress(("\n".join(json.dumps({"text": f"doc {i}"}) for i in range(200)) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(good[: len(good) // 2])
    table, report = read_all(JsonlReader(), path)  # must not raise
    assert report.damaged


# -- Parquet ----------------------------------------------------------------------------


def _write_parquet(path: Path, columns: dict, row_group_size: int = 2) -> Path:
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path


@pytest.mark.parametrize("batch_rows", [2, 3, 500])
def test_parquet_derived_ids_and_mapping(tmp_path, batch_rows):
    path = _write_parquet(
        tmp_path / "docs.parquet",
        {
            "content": ["one", "two", None, "four", "five"],
            "link": ["http://ex.com/1", None, "http://ex.com/3", "http://ex.com/4", "http://ex.com/5"],
            "lang": ["en", "fr", "de", "en", "es"],
        },
    )
    reader = ParquetReader(text_field="content", url_field="link", fields=["lang"], batch_rows=batch_rows)
    table, report = read_all(reader, path)
    rows = rows_of(table)
    key = InputFile(str(path)).key
    assert [r[ID] for r in rows] == [f"{key}:{i}" for i in range(5)]
    assert [r[TEXT] for r in rows] == ["one", "two", None, "four", "five"]
    assert [r["url"] for r in rows] == ["http://ex.com/1", None, "http://ex.com/3", "http://ex.com/4", "http://ex.com/5"]
    assert [r["lang"] for r in rows] == ["en", "fr", "de", "en", "es"]
    assert [r[REASON] for r in rows] == [None, None, "missing_text", None, None]
    assert [r[DROPPED_BY] for r in rows] == [None, None, "read", None, None]
    assert report.records == report.rows == 5
    assert report.skipped == {"missing_text": 1}
    assert report.damaged is None
    again, _ = read_all(ParquetReader(text_field="content", batch_rows=4), path)
    assert again.column(ID).to_pylist() == table.column(ID).to_pylist()


def test_parquet_id_column(tmp_path):
    path = _write_parquet(tmp_path / "ids.parquet", {"id": [10, None, 30], "text": ["a", "b", "c"]})
    table, _ = read_all(ParquetReader(), path)
    key = InputFile(str(path)).key
    assert table.column(ID).to_pylist() == ["10", f"{key}:1", "30"]
    assert table.column("url").to_pylist() == [None, None, None]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: _write_parquet(p, {"body": ["x"]}), "text_field"),
        (lambda p: p.write_bytes(b"not a parquet file at all"), "unreadable"),
    ],
)
def test_parquet_unreadable(tmp_path, make, message):
    path = tmp_path / "bad.parquet"
    make(path)
    table, report = read_all(ParquetReader(), path)
    assert table is None
    assert message in report.damaged


# -- format dispatch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a.warc.gz", "warc"),
        ("A.WARC.GZ", "warc"),
        ("a.warc", "warc"),
        ("CC-MAIN-x.warc.wet.gz", "warc"),
        ("a.arc.gz", "warc"),
        ("s3://bucket/dir/a.warc.gz", "warc"),
        ("a.jsonl", "jsonl"),
        ("a.jsonl.gz", "jsonl"),
        ("a.json.gz", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("https://h/a.jsonl.zst?sig=abc", "jsonl"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("a.txt", "text"),
        ("a.txt.gz", "text"),
        ("book.epub", "epub"),
        ("pg972-h.htm", "html"),
        ("a.csv", None),
        ("a.warc.paths.gz", None),
        ("warc", None),
    ],
)
def test_reader_format_for(path, fmt):
    assert reader_format_for(path) == fmt


@pytest.mark.parametrize(
    ("fmt", "options", "expected"),
    [
        ("warc", {"max_payload_bytes": 10}, WarcReader),
        ("jsonl", {"text_field": "content"}, JsonlReader),
        ("parquet", {}, ParquetReader),
        ("auto", {"batch_rows": 7, "text_field": "content"}, "read"),
        ("nope", {}, ValueError),
        ("auto", {"no_such_option": 1}, ValueError),
        ("warc", {"no_such_option": 1}, TypeError),
    ],
)
def test_build_reader(fmt, options, expected):
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            build_reader(fmt, options)
        return
    reader = build_reader(fmt, options)
    if isinstance(expected, str):
        assert reader.name == expected
    else:
        assert isinstance(reader, expected)


def test_auto_reader_dispatch(tmp_path, synthetic_warc):
    warc_path, _ = synthetic_warc
    jsonl = _write_jsonl(tmp_path / "d.jsonl", [json.dumps({"content": "hi"})])
    unknown = tmp_path / "notes.csv"
    unknown.write_text("hello")
    reader = build_reader("auto", {"text_field": "content", "max_payload_bytes": MAX_PAYLOAD})
    table, report = read_all(reader, jsonl)
    assert rows_of(table)[0][TEXT] == "hi"
    table, report = read_all(reader, warc_path)
    assert table.num_rows == len(WARC_CASES) and report.skipped["payload_too_large"] == 1
    table, report = read_all(reader, unknown)
    assert table is None and "unknown file type" in report.damaged


# -- real shared data -------------------------------------------------------------------

_TYPES_CC = {"warcinfo": 1, "request": 17, "response": 16, "metadata": 16}

# path under warc/: (rows, kept, records_by_type or None, damaged)
SHARED_WARC: dict[str, tuple[int, int | None, dict | None, bool]] = {
    "resiliparse/warcfile.warc.gz": (16, 16, _TYPES_CC, False),
    "resiliparse/clueweb-quirk.warc.gz": (29, 29, {"warcinfo": 1, "response": 29}, False),
    "resiliparse/clipped.warc.gz": (1, 0, {"response": 1}, True),
    "commoncrawl-whirlwind/whirlwind.warc.gz": (1, 1, {"warcinfo": 1, "request": 1, "response": 1, "metadata": 1}, False),
    "commoncrawl-whirlwind/whirlwind.warc.wet.gz": (1, 1, {"warcinfo": 1, "conversion": 1}, False),
    "commoncrawl-whirlwind/whirlwind.warc.wat.gz": (0, 0, {"warcinfo": 1, "metadata": 1}, False),
    "dolma/sample-0000.warc.gz": (24, None, None, False),
    "dolma/sample-0001.warc.gz": (17, None, None, False),
    "archivesunleashed-aut/example.warc.gz": (299, None, {"warcinfo": 1, "request": 261, "response": 299, "metadata": 261}, False),
    "archivesunleashed-aut/example.arc.gz": (299, None, None, False),
}

_shared_cache: dict[str, tuple[pa.Table | None, ReadReport]] = {}


def read_shared(shared_data: Path, rel: str) -> tuple[pa.Table | None, ReadReport]:
    if rel not in _shared_cache:
        _shared_cache[rel] = read_all(WarcReader(), shared_data / "warc" / rel)
    return _shared_cache[rel]


def test_shared_warc_table_covers_every_file(shared_data):
    root = shared_data / "warc"
    on_disk = {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.parent.name != "cc-documents" and p.suffix != ".md" and ".paths" not in p.name
    }
    assert on_disk == set(SHARED_WARC)


@pytest.mark.parametrize("rel", list(SHARED_WARC))
def test_shared_warc_file(shared_data, rel):
    rows, kept, types, damaged = SHARED_WARC[rel]
    table, report = read_shared(shared_data, rel)
    got = rows_of(table)
    assert len(got) == rows == report.rows
    if kept is not None:
        assert sum(r[REASON] is None for r in got) == kept
    if types is not None:
        assert report.records_by_type == types
    assert bool(report.damaged) is damaged
    assert report.records == sum(report.records_by_type.values())
    assert report.skipped == dict(collections.Counter(r[REASON] for r in got if r[REASON]))
    for row in got:
        assert row[ID] and row["url"]
        assert (row[DROPPED_BY] == "read") is (row[REASON] is not None)
        if row[REASON] is None:
            assert row[PAYLOAD] or row[TEXT]
    ids = [r[ID] for r in got]
    assert len(set(ids)) == len(ids)


def test_shared_common_crawl_ids_are_record_ids(shared_data):
    path = shared_data / "warc/resiliparse/warcfile.warc.gz"
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        expected = [
            r.rec_headers.get_header("WARC-Record-ID").strip("<>").removeprefix("urn:uuid:")
            for r in ArchiveIterator(f)
            if r.rec_type == "response"
        ]
    first, _ = read_shared(shared_data, "resiliparse/warcfile.warc.gz")
    second, _ = read_all(WarcReader(batch_rows=5), path)
    assert first.column(ID).to_pylist() == second.column(ID).to_pylist() == expected
    assert all(r[PAYLOAD].removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<" for r in rows_of(first))


def test_shared_clipped_is_truncated(shared_data):
    table, report = read_shared(shared_data, "resiliparse/clipped.warc.gz")
    assert [r[REASON] for r in rows_of(table)] == ["truncated_payload"]
    assert report.skipped == {"truncated_payload": 1}
    assert "truncated" in report.damaged


def test_shared_wet_conversion(shared_data):
    table, report = read_shared(shared_data, "commoncrawl-whirlwind/whirlwind.warc.wet.gz")
    (row,) = rows_of(table)
    assert row["url"] == "https://an.wikipedia.org/wiki/Escopete"
    assert row[PAYLOAD] is None
    assert row[REASON] is None
    assert "Escopete" in row[TEXT] and len(row[TEXT]) > 500
    assert row["content_type"] == "text/plain"


def test_shared_arc_matches_warc(shared_data):
    warc, _ = read_shared(shared_data, "archivesunleashed-aut/example.warc.gz")
    arc, arc_report = read_shared(shared_data, "archivesunleashed-aut/example.arc.gz")
    assert warc.num_rows == arc.num_rows == 299
    split = collections.Counter(warc.column(REASON).to_pylist())
    assert split == collections.Counter(arc.column(REASON).to_pylist())
    assert split[None] > 50 and split["not_html"] > 50
    warc_pairs = sorted((r["url"], r[REASON]) for r in warc.select(["url", REASON]).to_pylist())
    arc_pairs = sorted((r["url"], r[REASON]) for r in arc.select(["url", REASON]).to_pylist())
    assert warc_pairs == arc_pairs
    assert arc_report.records == 300  # filedesc + 299


def test_shared_dolma_resources(shared_data):
    for rel, responses in (("dolma/sample-0000.warc.gz", 22), ("dolma/sample-0001.warc.gz", 15)):
        table, report = read_shared(shared_data, rel)
        assert report.records_by_type["response"] == report.records_by_type["request"] == responses
        assert report.records_by_type.get("resource", 0) > 0
        assert sum(r[REASON] is None for r in rows_of(table)) >= responses


@pytest.mark.parametrize(
    "name",
    [
        "datajuicer-redpajama-cc-2023-06-refined.jsonl",
        "dolma-cc_en_head-0091.jsonl.gz",
        "dolma-cc_en_head-0174.jsonl.gz",
    ],
)
def test_shared_jsonl(shared_data, name):
    path = shared_data / "warc/cc-documents" / name
    first, report = read_all(JsonlReader(), path)
    second, _ = read_all(JsonlReader(batch_rows=3), path)
    rows = rows_of(first)
    assert len(rows) == report.rows == report.records == 10
    assert report.damaged is None and report.skipped == {}
    assert all(r[REASON] is None and len(r[TEXT]) > 100 for r in rows)
    ids = first.column(ID).to_pylist()
    assert ids == second.column(ID).to_pylist()
    assert len(set(ids)) == len(ids)
