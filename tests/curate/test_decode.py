"""curate.stages.decode: HTML payload bytes to text."""

from __future__ import annotations

import random
import re

import pyarrow as pa
import pytest

from curate.readers import InputFile, ReadReport, WarcReader
from curate.stages.decode import decode_html, meta_charset

LATIN = "<html><body><p>Grüße aus Köln, naïve café, àéîõü ß ÆØÅ</p></body></html>"
SMART = "<html><body><p>“Smart quotes” cost 5 € — and that’s naïve…</p></body></html>"
JAPANESE = (
    "<html><head><title>日本語のページ</title></head><body>"
    "<p>こんにちは、世界。これは日本語のテキストです。東京都渋谷区の天気は晴れです。</p>"
    "<p>ご不明な点がございましたら、お気軽にお問い合わせください。</p></body></html>"
)
RUSSIAN = "<html><body><p>Привет, мир! Это страница на русском языке, написанная в кодировке.</p></body></html>"
CHINESE = "<html><body><p>你好，世界。这是一个用简体中文写的网页，用于测试字符编码检测。</p></body></html>"


def _with_meta(charset: str, body: str) -> str:
    return f'<html><head><meta charset="{charset}"><title>t</title></head><body>{body}</body></html>'


def _with_http_equiv(charset: str, body: str) -> str:
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; '
        f'charset={charset}"></head><body>{body}</body></html>'
    )


@pytest.mark.parametrize(
    ("payload", "declared", "expected"),
    [
        pytest.param(LATIN.encode("utf-8"), "utf-8", LATIN, id="utf8-declared"),
        pytest.param(LATIN.encode("utf-8"), "UTF-8", LATIN, id="utf8-declared-upper"),
        pytest.param(LATIN.encode("utf-8"), "utf8", LATIN, id="utf8-alias"),
        pytest.param(LATIN.encode("utf-8"), '"utf-8"', LATIN, id="utf8-quoted"),
        pytest.param(LATIN.encode("utf-8"), None, LATIN, id="utf8-undeclared"),
        pytest.param(JAPANESE.encode("utf-8"), None, JAPANESE, id="utf8-japanese-undeclared"),
        pytest.param(LATIN.encode("latin-1"), "ISO-8859-1", LATIN, id="latin1-http-charset"),
        pytest.param(LATIN.encode("latin-1"), "iso-8859-1", LATIN, id="latin1-http-charset-lower"),
        pytest.param(LATIN.encode("cp1252"), "windows-1252", LATIN, id="cp1252-http-charset"),
        pytest.param(SMART.encode("cp1252"), "windows-1252", SMART, id="cp1252-smart-quotes"),
        pytest.param(
            _with_meta("iso-8859-1", "Grüße café").encode("latin-1"),
            None,
            _with_meta("iso-8859-1", "Grüße café"),
            id="meta-charset-only",
        ),
        pytest.param(
            _with_http_equiv("windows-1252", "“café” €").encode("cp1252"),
            None,
            _with_http_equiv("windows-1252", "“café” €"),
            id="meta-http-equiv-only",
        ),
        pytest.param(
            _with_meta("shift_jis", "こんにちは世界").encode("shift_jis"),
            None,
            _with_meta("shift_jis", "こんにちは世界"),
            id="meta-charset-shift-jis",
        ),
        pytest.param(JAPANESE.encode("shift_jis"), "Shift_JIS", JAPANESE, id="shift-jis-http-charset"),
        pytest.param(JAPANESE.encode("shift_jis"), "x-sjis", JAPANESE, id="shift-jis-legacy-label"),
        pytest.param(JAPANESE.encode("shift_jis"), None, JAPANESE, id="shift-jis-detected"),
        pytest.param(JAPANESE.encode("euc-jp"), "EUC-JP", JAPANESE, id="euc-jp-http-charset"),
        pytest.param(RUSSIAN.encode("cp1251"), "windows-1251", RUSSIAN, id="cp1251-http-charset"),
        pytest.param(CHINESE.encode("gb2312"), "gb2312", CHINESE, id="gb2312-http-charset"),
        # a declared charset that fails to decode is not trusted
        pytest.param(SMART.encode("cp1252"), "utf-8", SMART, id="header-lies-utf8-is-cp1252"),
        pytest.param(LATIN.encode("cp1252"), "utf-8", LATIN, id="header-lies-utf8-is-latin"),
        pytest.param(JAPANESE.encode("utf-8"), "ascii", JAPANESE, id="header-lies-ascii-is-utf8"),
        pytest.param(LATIN.encode("utf-8"), "no-such-charset", LATIN, id="unknown-charset-label"),
        pytest.param(
            _with_meta("utf-8", "“café”").encode("cp1252"),
            None,
            _with_meta("utf-8", "“café”"),
            id="meta-lies-utf8-is-cp1252",
        ),
        # the HTTP charset wins over the meta tag
        pytest.param(
            _with_meta("iso-8859-1", "Привет").encode("cp1251"),
            "windows-1251",
            _with_meta("iso-8859-1", "Привет"),
            id="http-charset-beats-meta",
        ),
        pytest.param(b"", None, "", id="empty"),
        pytest.param(b"", "utf-8", "", id="empty-declared"),
    ],
)
def test_decode_html(payload, declared, expected):
    assert decode_html(payload, declared) == expected


_SJIS_NEC = (
    "<html><head><title>お知らせ</title></head><body>"
    "<p>①営業時間のご案内です。東京都渋谷区の店舗は午前十時から午後八時まで営業しております。</p>"
    "<p>②ご不明な点がございましたら、お気軽にお問い合わせください。㈱テスト</p></body></html>"
)


@pytest.mark.parametrize(
    ("payload", "declared", "expected"),
    [
        pytest.param(
            SMART.encode("cp1252"),
            "ISO-8859-1",
            SMART,
            id="latin1-label-is-cp1252",
        ),
        pytest.param(
            _SJIS_NEC.encode("cp932"),
            "Shift_JIS",
            _SJIS_NEC,
            id="shift-jis-label-is-cp932",
        ),
        pytest.param(
            b'<html><head><meta charset="utf-16"></head><body>hello world!</body></html>',
            None,
            '<html><head><meta charset="utf-16"></head><body>hello world!</body></html>',
            id="meta-utf16-means-utf8",
        ),
        pytest.param(
            b"\xef\xbb\xbf" + "<p>café</p>".encode(),
            "iso-8859-1",
            "<p>café</p>",
            id="utf8-bom-beats-header",
        ),
    ],
)
def test_decode_html_whatwg_labels(payload, declared, expected):
    assert decode_html(payload, declared) == expected


_rng = random.Random(1234)
GARBAGE = [
    pytest.param(bytes(range(256)), id="all-bytes"),
    pytest.param(_rng.randbytes(4096), id="random-4k"),
    pytest.param(b"\x80\x81\xfe\xff" * 100, id="high-bytes"),
    pytest.param(b"\xff\xfe\x00\xd8", id="lone-surrogate-utf16ish"),
    pytest.param(b"\xe3\x81", id="cut-utf8-sequence"),
    pytest.param(b'<meta charset="utf-8">\xff\xfe\xfd', id="meta-utf8-invalid-bytes"),
]


@pytest.mark.parametrize("payload", GARBAGE)
@pytest.mark.parametrize("declared", [None, "utf-8", "shift_jis", "no-such-charset", "", "utf-16"])
def test_decode_html_never_raises(payload, declared):
    text = decode_html(payload, declared)
    assert isinstance(text, str)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'<meta charset="utf-8">', "utf-8"),
        (b"<meta charset=Shift_JIS>", "Shift_JIS"),
        (b"<META CHARSET='windows-1251'>", "windows-1251"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=euc-jp">', "euc-jp"),
        (b'<meta content="text/html;charset=gb2312" http-equiv="content-type">', "gb2312"),
        (b"<html><body>no meta</body></html>", None),
        (b" " * 5000 + b'<meta charset="utf-8">', None),  # only the first 4 KiB is looked at
        (b"", None),
    ],
)
def test_meta_charset(payload, expected):
    assert meta_charset(payload) == expected


# -- real data --------------------------------------------------------------------------


def _read_rows(path) -> list[dict]:
    source = InputFile(str(path))
    tables = list(WarcReader().read(source, ReadReport(source.path, source.key)))
    return pa.concat_tables(tables).to_pylist()


def test_decode_clueweb_japanese(shared_data):
    """ClueWeb09 Japanese pages (EUC-JP) decode to Japanese text without U+FFFD."""
    rows = _read_rows(shared_data / "warc/resiliparse/clueweb-quirk.warc.gz")
    assert len(rows) == 29
    for row in rows:
        text = decode_html(row["payload"], row["charset"])
        assert "\ufffd" not in text, row["url"]
        assert len(re.findall("[\u3040-\u309f]", text)) > 50, row["url"]  # hiragana


@pytest.mark.parametrize(
    ("charset", "script"),
    [
        ("windows-1251", "[\u0400-\u04ff]"),  # Cyrillic
        ("gb2312", "[\u4e00-\u9fff]"),  # CJK ideographs
    ],
)
def test_decode_common_crawl_charsets(shared_data, charset, script):
    rows = [r for r in _read_rows(shared_data / "warc/resiliparse/warcfile.warc.gz") if r["charset"] == charset]
    assert rows, f"no {charset} page in warcfile.warc.gz"
    for row in rows:
        text = decode_html(row["payload"], row["charset"])
        assert len(re.findall(script, text)) > 20, row["url"]


def test_decode_common_crawl_all_pages(shared_data):
    rows = _read_rows(shared_data / "warc/resiliparse/warcfile.warc.gz")
    assert len(rows) == 16
    for row in rows:
        text = decode_html(row["payload"], row["charset"])
        assert "<" in text and text.count("\ufffd") < 0.01 * len(text), row["url"]
