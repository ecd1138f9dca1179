"""curate.filters.url: url_filter drops blocklisted domains/URLs and banned words in URLs."""

from __future__ import annotations

import gzip
import io
import pickle
import re
import tarfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from curate.filters import URLFilter
from curate.filters.url_lists import normalize_urls
from curate.filters.url_lookup import SortedLookup, host_suffixes, url_hosts

from curate.registry import build_stage, get_stage_class
from curate.schema import DROPPED_BY, REASON
from curate.stage import run_stage

DOMAIN = "url_filter:domain"
URL = "url_filter:url"
WORD = "url_filter:banned_word"
SOFT = "url_filter:soft_banned_words"
SUBWORD = "url_filter:banned_subword"
KEEP = None

# A small UT1 layout: <root>/<category>/{domains,urls}.  Test data only, written per test.
UT1 = {
    "adult": {
        "domains": "# UT1 style comment\nadult-site.com\nxxx.example.org\n\n",
        "urls": "tube.example.net/adult/videos\nfree.example.com/hot\n",
    },
    "gambling": {"domains": "casino-royal.biz\nBet.Example.NET\n", "urls": ""},
    "phishing": {"domains": "login-paypa1.com\n", "urls": "docs.example.com/phish/page.html\n"},
}


def write_ut1(root: Path, gz: bool = False) -> Path:
    for category, files in UT1.items():
        (root / category).mkdir(parents=True)
        for kind, text in files.items():
            if gz:
                (root / category / f"{kind}.gz").write_bytes(gzip.compress(text.encode()))
            else:
                (root / category / kind).write_text(text)
    return root


def write_ut1_tar(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for category, files in UT1.items():
            for kind, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(f"blacklists/{category}/{kind}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        # UT1 links some categories to others
        link = tarfile.TarInfo("blacklists/porn")
        link.type = tarfile.SYMTYPE
        link.linkname = "adult"
        tar.addfile(link)
    return path


@pytest.fixture
def ut1_dir(tmp_path: Path) -> Path:
    return write_ut1(tmp_path / "blacklists")


@pytest.fixture
def word_files(tmp_path: Path) -> dict[str, str]:
    banned = tmp_path / "banned_words.txt"
    banned.write_text("porn\nxxx\n# comment\n")
    soft = tmp_path / "soft.txt.gz"
    soft.write_bytes(gzip.compress(b"hot\ngirls\nlive\ncam\n"))
    sub = tmp_path / "subwords.txt"
    sub.write_text("2 girls 1 cup\nbadword\n")
    return {"banned_words_files": [str(banned)], "soft_banned_words_files": [str(soft)], "banned_subwords_files": [str(sub)]}


def reasons_of(stage: URLFilter, urls: list[str | None]) -> tuple[list[str | None], list[str | None]]:
    stage.validate()
    reasons, matches = stage.match(pa.array(urls, pa.string()))
    return reasons.to_pylist(), matches.to_pylist()


# url, expected reason, expected match column
UT1_CASES = [
    ("https://adult-site.com/", DOMAIN, "adult"),
    ("https://www.adult-site.com/page?q=1", DOMAIN, "adult"),  # subdomain
    ("http://a.b.c.adult-site.com", DOMAIN, "adult"),  # deep subdomain
    ("https://ADULT-SITE.COM./x", DOMAIN, "adult"),  # case and trailing dot
    ("https://user:pw@adult-site.com:8443/x", DOMAIN, "adult"),  # user info and port
    ("adult-site.com/no-scheme", DOMAIN, "adult"),
    ("https://notadult-site.com/", KEEP, None),  # not a subdomain
    ("https://adult-site.com.evil.org/", KEEP, None),  # listed domain as a label prefix
    ("https://example.org/", KEEP, None),  # parent of a listed subdomain is not blocked
    ("https://xxx.example.org/page", DOMAIN, "adult"),
    ("https://bet.example.net/", DOMAIN, "gambling"),  # list entry was upper case
    ("https://casino-royal.biz", DOMAIN, "gambling"),
    ("https://tube.example.net/adult/videos", URL, "adult"),
    ("http://www.tube.example.net/adult/videos/", URL, "adult"),  # www. and trailing slash
    ("https://tube.example.net/adult/videos#top", URL, "adult"),  # fragment
    ("https://tube.example.net/adult/videos/more", KEEP, None),  # a longer URL is another URL
    ("https://tube.example.net/adult", KEEP, None),
    ("https://docs.example.com/phish/page.html", URL, "phishing"),
    ("https://docs.example.com/PHISH/page.html", URL, "phishing"),  # compared lower-cased
    (None, KEEP, None),  # no URL: kept
    ("", KEEP, None),
    ("not a url at all", KEEP, None),
    ("http://[2001:db8::1]/x", KEEP, None),
]


@pytest.mark.parametrize("url,reason,match", UT1_CASES)
def test_ut1_directory(ut1_dir: Path, url: str | None, reason: str | None, match: str | None) -> None:
    reasons, matches = reasons_of(URLFilter(blocklists=[str(ut1_dir)]), [url])
    assert reasons == [reason]
    assert matches == [match]


@pytest.mark.parametrize("layout", ["dir", "dir-gz", "tar.gz"])
def test_ut1_layouts_give_the_same_answers(tmp_path: Path, layout: str) -> None:
    if layout == "dir":
        path = write_ut1(tmp_path / "bl")
    elif layout == "dir-gz":
        path = write_ut1(tmp_path / "bl", gz=True)
    else:
        path = write_ut1_tar(tmp_path / "blacklists.tar.gz")
    urls = [case[0] for case in UT1_CASES]
    reasons, matches = reasons_of(URLFilter(blocklists=[str(path)]), urls)
    assert reasons == [case[1] for case in UT1_CASES]
    assert matches == [case[2] for case in UT1_CASES]


@pytest.mark.parametrize(
    "categories,url,reason",
    [
        (["gambling"], "https://casino-royal.biz", DOMAIN),
        (["gambling"], "https://adult-site.com", KEEP),
        (["gambling"], "https://tube.example.net/adult/videos", KEEP),
        (["adult", "phishing"], "https://login-paypa1.com/x", DOMAIN),
        (["adult", "phishing"], "https://bet.example.net", KEEP),
    ],
)
def test_categories_select_ut1_lists(ut1_dir: Path, categories: list[str], url: str, reason: str | None) -> None:
    assert reasons_of(URLFilter(blocklists=[str(ut1_dir)], categories=categories), [url])[0] == [reason]


def test_symlinked_category_in_tarball(tmp_path: Path) -> None:
    tar = write_ut1_tar(tmp_path / "blacklists.tar.gz")
    # 'porn' links to the 'adult' folder; its files are not separate members, so only the
    # real categories are found (no crash on the link)
    stage = URLFilter(blocklists=[str(tar)], categories=["adult"])
    assert reasons_of(stage, ["https://adult-site.com"])[0] == [DOMAIN]


def test_unknown_category_is_an_error(ut1_dir: Path) -> None:
    stage = URLFilter(blocklists=[str(ut1_dir)], categories=["adult", "nonexistent"])
    with pytest.raises(ValueError, match="nonexistent"):
        stage.ensure_setup()


# (settings, url, reason, match)
WORD_CASES = [
    ("https://x.com/porn-videos", WORD, "porn"),
    ("https://x.com/PORN", WORD, "porn"),  # case-insensitive
    ("https://porn.x.com/", WORD, "porn"),  # in the host too
    ("https://x.com/pornography", KEEP, None),  # whole tokens only
    ("https://x.com/a?q=xxx&p=1", WORD, "xxx"),
    ("https://hot.com/live-girls", SOFT, "girls,hot,live"),  # three soft words >= 2 (sorted)
    ("https://hot.com/cam", SOFT, "cam,hot"),
    ("https://hot.com/hot/hot-hot", KEEP, None),  # one distinct soft word
    ("https://x.com/hotel-live", KEEP, None),  # 'hotel' is not 'hot'
    ("https://x.com/2girls1cup.html", SUBWORD, "2girls1cup"),
    ("https://x.com/2-Girls-1-Cup", SUBWORD, "2girls1cup"),  # squashed URL
    ("https://x.com/verybadwordhere", SUBWORD, "badword"),  # a substring
    ("https://x.com/porn/badword", WORD, "porn"),  # banned word wins over subword
    ("https://x.com/clean/page", KEEP, None),
]


@pytest.mark.parametrize("url,reason,match", WORD_CASES)
def test_banned_words_from_files(word_files: dict[str, str], url: str, reason: str | None, match: str | None) -> None:
    assert reasons_of(URLFilter(**word_files), [url]) == ([reason], [match])


@pytest.mark.parametrize("url,reason,match", WORD_CASES)
def test_banned_words_inline(url: str, reason: str | None, match: str | None) -> None:
    stage = URLFilter(
        banned_words=["porn", "XXX"],
        soft_banned_words=["hot", "girls", "live", "cam"],
        banned_subwords=["2 girls 1 cup", "badword"],
    )
    assert reasons_of(stage, [url]) == ([reason], [match])


@pytest.mark.parametrize(
    "threshold,url,reason",
    [(1, "https://x.com/hot", SOFT), (2, "https://x.com/hot", KEEP), (3, "https://x.com/hot-live", KEEP), (3, "https://x.com/hot-live-cam", SOFT)],
)
def test_soft_word_threshold(threshold: int, url: str, reason: str | None) -> None:
    stage = URLFilter(soft_banned_words=["hot", "live", "cam"], soft_word_threshold=threshold)
    assert reasons_of(stage, [url])[0] == [reason]


def test_rule_order_domain_first(ut1_dir: Path) -> None:
    stage = URLFilter(blocklists=[str(ut1_dir)], banned_words=["videos"], extra_urls=["adult-site.com/videos"])
    assert reasons_of(stage, ["https://adult-site.com/videos"]) == ([DOMAIN], ["adult"])


@pytest.mark.parametrize(
    "lines,url,reason",
    [
        ("0.0.0.0 tracker.example\n", "https://cdn.tracker.example/x.js", DOMAIN),  # hosts file
        ("127.0.0.1 ads.example  # comment\n", "http://ads.example", DOMAIN),
        ("*.wild.example\n", "https://a.wild.example", DOMAIN),
        (".dot.example\n", "https://dot.example", DOMAIN),
        ("Upper.Example\r\n", "https://upper.example", DOMAIN),  # CRLF and case
        ("  spaced.example  \n", "https://spaced.example", DOMAIN),
        ("93.184.216.34\n", "http://93.184.216.34/x", DOMAIN),
        ("184.216.34\n", "http://93.184.216.34/x", KEEP),  # IPs are matched whole
        ("bücher.example\n", "https://BÜCHER.example/", DOMAIN),  # non-ASCII host
        ("com\n", "https://anything.com", DOMAIN),  # a listed TLD blocks it all
    ],
)
def test_domain_list_file_formats(tmp_path: Path, lines: str, url: str, reason: str | None) -> None:
    path = tmp_path / "domains.txt"
    path.write_text(lines, encoding="utf-8")
    assert reasons_of(URLFilter(domain_files=[str(path)]), [url]) == ([reason], ["domains.txt" if reason else None])


def test_plain_url_file_and_inline_lists(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt.gz"
    path.write_bytes(gzip.compress(b"example.com/bad\n"))
    stage = URLFilter(url_files=[str(path)], extra_domains=["inline.example"], extra_urls=["https://other.example/x/"])
    reasons, matches = reasons_of(
        stage, ["https://www.example.com/bad", "http://inline.example/", "http://other.example/x", "https://example.com/"]
    )
    assert reasons == [URL, DOMAIN, URL, KEEP]
    assert matches == ["urls.txt.gz", "extra_domains", "extra_urls", None]


def test_run_stage_drops_and_writes_the_match_column(ut1_dir: Path) -> None:
    urls = ["https://ok.example/", "https://www.adult-site.com/", None, "https://x.com/porn-x"]
    table = pa.table({"id": ["a", "b", "c", "d"], "text": ["t"] * 4, "url": urls})
    stage = URLFilter(blocklists=[str(ut1_dir)], banned_words=["porn"])
    out, stats = run_stage(stage, table)
    assert out[REASON].to_pylist() == [None, DOMAIN, None, WORD]
    assert out[DROPPED_BY].to_pylist() == [None, "url_filter", None, "url_filter"]
    assert out["url_filter_match"].to_pylist() == [None, "adult", None, "porn"]
    assert stats.dropped == {DOMAIN: 1, WORD: 1}
    assert stats.rows_out == 2


def test_match_column_off_and_custom_url_column() -> None:
    table = pa.table({"text": ["t", "t"], "link": ["https://bad.example", "https://good.example"]})
    out, _ = run_stage(URLFilter(extra_domains=["bad.example"], url_column="link", match_column=None), table)
    assert out[REASON].to_pylist() == [DOMAIN, None]
    assert "url_filter_match" not in out.column_names


def test_missing_url_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="no 'url' column"):
        run_stage(URLFilter(extra_domains=["x.com"]), pa.table({"text": ["a"]}))


@pytest.mark.parametrize(
    "settings,error",
    [
        ({}, "no lists configured"),
        ({"banned_words": ["x"], "soft_word_threshold": 0}, "soft_word_threshold"),
        ({"domain_files": ["/nonexistent/domains.txt"]}, "does not exist"),
        ({"banned_words": ["x"], "categories": ["adult"]}, "categories"),
    ],
)
def test_validate_errors(settings: dict, error: str) -> None:
    with pytest.raises((ValueError, FileNotFoundError), match=error):
        URLFilter(**settings).validate()


def test_registered_and_built_from_yaml_settings(ut1_dir: Path) -> None:
    assert get_stage_class("url_filter") is URLFilter
    stage = build_stage("url_filter", {"blocklists": [str(ut1_dir)], "categories": ["adult"], "banned_words": ["porn"]})
    assert isinstance(stage, URLFilter)
    assert URLFilter.stateful


def test_pickles_without_loaded_lists(ut1_dir: Path) -> None:
    stage = URLFilter(blocklists=[str(ut1_dir)])
    stage.ensure_setup()
    clone = pickle.loads(pickle.dumps(stage))
    assert "_domains" not in clone.__dict__
    assert reasons_of(clone, ["https://adult-site.com"])[0] == [DOMAIN]


# -- building blocks -----------------------------------------------------------------------


def test_host_extraction_and_suffixes() -> None:
    hosts = url_hosts(pa.array(["https://A.B.Example.com:80/x", "ftp://u@h.org", "x.net/p?q", None, "http://1.2.3.4/"]))
    assert hosts.to_pylist() == ["a.b.example.com", "h.org", "x.net", None, "1.2.3.4"]
    values, rows = host_suffixes(hosts)
    pairs = sorted(zip(rows.tolist(), values.to_pylist()))
    assert pairs == sorted(
        [(0, "a.b.example.com"), (0, "b.example.com"), (0, "example.com"), (0, "com"), (1, "h.org"), (1, "org"),
         (2, "x.net"), (2, "net"), (4, "1.2.3.4")]
    )


def test_normalize_urls() -> None:
    got = normalize_urls(pa.array(["HTTPS://user@WWW.X.com/A/b/#f", "x.com/a?b=1", "http://x.com///"])).to_pylist()
    assert got == ["x.com/a/b", "x.com/a?b=1", "x.com"]


# -- the URL key (curate.urls), shared with exact_dedup ------------------------------------

URL_KEY_CASES = [
    # the example: host lower-cased, www., fragment and trailing slash dropped,
    # parameters sorted, path case kept
    ("https://WWW.Example.com/Path/?b=2&a=1#frag", "example.com/Path?a=1&b=2"),
    # scheme, user info and default ports
    ("HTTP://user:pw@Example.com:80/a", "example.com/a"),
    ("https://example.com:443/a", "example.com/a"),
    ("http://example.com:443/a", "example.com:443/a"),
    ("https://example.com:8443/a", "example.com:8443/a"),
    ("ftp://example.com:21/a", "example.com/a"),
    ("http://example.com:/a", "example.com/a"),
    ("example.com:8080/x", "example.com:8080/x"),
    ("//example.com/a", "example.com/a"),
    ("http://[2001:DB8::1]:80/x", "[2001:db8::1]/x"),
    ("http://[2001:db8::1]:8080/x", "[2001:db8::1]:8080/x"),
    # hosts: trailing dot, www. only when a domain is left, IDN
    ("http://example.com./a", "example.com/a"),
    ("http://www.com/", "www.com"),
    ("http://www2.example.com/", "www2.example.com"),
    ("http://Bücher.de/x", "xn--bcher-kva.de/x"),
    ("http://www.MÜNCHEN.de/", "xn--mnchen-3ya.de"),
    ("http://xn--bcher-kva.de/x", "xn--bcher-kva.de/x"),
    # percent-encoding: unreserved decoded, others upper-cased, unsafe characters encoded
    ("http://x.com/%7euser/%41b%2dc", "x.com/~user/Ab-c"),
    ("http://x.com/a%2fb%3f", "x.com/a%2Fb%3F"),
    ("http://x.com/a b/ä", "x.com/a%20b/%C3%A4"),
    ("http://x.com/100%/x%zz", "x.com/100%25/x%25zz"),
    ("http://x.com/?u=http%3a%2F%2Fy.com%2F&q=a%2Bb%26c", "x.com?q=a%2Bb%26c&u=http://y.com/"),
    ("http://x.com/?q=é", "x.com?q=%C3%A9"),
    # paths: dot segments resolved, empty segments and case kept, trailing slashes dropped
    ("http://x.com/a/./b/../c/", "x.com/a/c"),
    ("http://x.com/a/..", "x.com"),
    ("http://x.com/a//b", "x.com/a//b"),
    ("http://x.com/A/B.html", "x.com/A/B.html"),
    ("http://x.com/a/?q=1", "x.com/a?q=1"),
    ("http://x.com//", "x.com"),
    # queries: empty query and empty parameters dropped, parameters sorted
    ("http://x.com/a?", "x.com/a"),
    ("http://x.com/a?#f", "x.com/a"),
    ("http://x.com/a?c=3&&b=2&a&", "x.com/a?a&b=2&c=3"),
    ("http://x.com/a?b=1&b=0", "x.com/a?b=0&b=1"),
    ("http://x.com/a?Q=A", "x.com/a?Q=A"),
    # whitespace, empty and odd input
    ("  https://x.com/a \n", "x.com/a"),
    ("", ""),
    ("x.com", "x.com"),
    ("Not A URL", "not a url"),  # a host, lower-cased
]


@pytest.mark.parametrize(("url", "key"), URL_KEY_CASES)
def test_url_keys_edge_cases(url: str, key: str) -> None:
    from curate.urls import url_keys

    assert url_keys(pa.array([url])).to_pylist() == [key]


def test_url_keys_column_types_and_nulls() -> None:
    from curate.urls import url_keys

    urls = [u for u, _ in URL_KEY_CASES]
    keys = [k for _, k in URL_KEY_CASES]
    # one call over the whole column gives what one call per row gives
    assert url_keys(pa.array(urls)).to_pylist() == keys
    large = url_keys(pa.array([None, *urls], pa.large_string()))
    assert large.type == pa.large_string() and large.to_pylist() == [None, *keys]
    chunked = url_keys(pa.chunked_array([urls[:5], [None], urls[5:]]))
    assert chunked.type == pa.string() and chunked.to_pylist() == [*keys[:5], None, *keys[5:]]
    assert url_keys(pa.chunked_array([], pa.string())).to_pylist() == []


def _reference_key(url: str) -> str:
    """``url-normalize``'s form, with the steps the key adds on top of it: no scheme, user
    info or fragment, no ``www.``, no trailing slash, sorted non-empty parameters."""
    from urllib.parse import urlsplit

    from url_normalize import url_normalize

    parts = urlsplit(url_normalize(url))
    netloc = parts.netloc.rpartition("@")[2]
    if netloc.startswith("["):
        host, _, port = netloc.partition("]")
        host, port = host + "]", port[1:]
    else:
        host, _, port = netloc.partition(":")
    host = host.rstrip(".")
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    query = "&".join(sorted(p for p in parts.query.split("&") if p))
    return host + (f":{port}" if port else "") + parts.path.rstrip("/") + (f"?{query}" if query else "")


def _warc_urls(shared_data: Path) -> list[str]:
    """The target URIs of the shared WARCs' responses and the absolute links in them."""
    import re

    from fastwarc.warc import ArchiveIterator, WarcRecordType

    link = re.compile(rb"""(?:href|src)\s*=\s*["']?(https?://[^"'\s<>]+)""", re.IGNORECASE)
    found: set[str] = set()
    for path in sorted((shared_data / "warc").glob("*/*.warc.gz")):
        try:
            with path.open("rb") as f:
                for record in ArchiveIterator(f, record_types=WarcRecordType.response):
                    found.add(record.headers.get("WARC-Target-URI") or "")
                    found.update(m.group(1).decode("utf-8", "replace") for m in link.finditer(record.reader.read()))
        except Exception:  # noqa: BLE001 - a clipped archive (resiliparse/clipped.warc.gz)
            continue
    return sorted(found)


def test_url_keys_agree_with_url_normalize_on_real_urls(shared_data: Path) -> None:
    """Thousands of real URLs (the shared WARCs' targets and their links) get the key that
    ``url-normalize`` plus the key's documented extra steps gives.  Left out: what the key
    deliberately does differently (url-normalize drops empty path segments, ``/a//b`` ->
    ``/a/b``, and rewrites ``#!`` fragments into ``_escaped_fragment_`` queries)."""
    pytest.importorskip("url_normalize")
    from curate.urls import url_keys

    urls = [
        u for u in _warc_urls(shared_data)
        if re.match(r"(?i)https?://", u) and "#!" not in u and "//" not in u.split("://", 1)[1].split("?")[0]
    ]
    assert len(urls) > 2000
    got = url_keys(pa.array(urls)).to_pylist()
    want = [_reference_key(u) for u in urls]
    assert [(u, g, w) for u, g, w in zip(urls, got, want) if g != w] == []


@pytest.mark.parametrize(("url", "key"), URL_KEY_CASES)
def test_url_key_edge_cases_agree_with_url_normalize(url: str, key: str) -> None:
    pytest.importorskip("url_normalize")
    if not url.strip() or url == "Not A URL" or "//" in url.split("://", 1)[-1].lstrip("/").split("?")[0]:
        pytest.skip("not a URL url-normalize reads, or an empty path segment (url-normalize drops them)")
    assert _reference_key(url.strip()) == key


def test_filter_and_dedup_share_the_url_key() -> None:
    """url_filter compares the exact_dedup key, lower-cased; dedup keeps the path's case."""
    from curate.urls import url_keys as normalise_urls  # what exact_dedup hashes

    urls = pa.array([u for u, _ in URL_KEY_CASES] + ["https://WWW.Example.com/Path/?b=2&a=1#frag"])
    dedup = normalise_urls(urls)
    assert dedup.to_pylist()[-1] == "example.com/Path?a=1&b=2"
    assert normalize_urls(urls).to_pylist() == [k.lower() for k in dedup.to_pylist()]


def test_listed_url_matches_its_variants() -> None:
    stage = URLFilter(extra_urls=["Shop.example.com/Cart/?b=2&a=1"], match_column=None)
    urls = [
        "https://www.shop.example.com:443/cart?a=1&b=2#top",
        "http://user@SHOP.example.com/Cart/./?b=2&a=1&",
        "https://shop.example.com/cart?a=1&b=3",
        "https://shop.example.com/cart/more?a=1&b=2",
    ]
    reasons, _ = stage.match(pa.array(urls))
    assert reasons.to_pylist() == [URL, URL, None, None]


def test_sorted_lookup_matches_a_python_set() -> None:
    rng = np.random.default_rng(0)
    keys = [f"d{int(i)}.example" for i in rng.integers(0, 5000, 3000)]
    labels = np.arange(len(keys)) % 7
    lookup = SortedLookup(pa.array(keys), labels)
    queries = [f"d{i}.example" for i in range(0, 5000, 3)] + ["", "zzz", "a"]
    found = lookup.find(pa.array(queries))
    expected = set(keys)
    assert [f >= 0 for f in found] == [q in expected for q in queries]
    first_label = {}
    for key, label in zip(keys, labels):
        first_label.setdefault(key, label)
    for q, f in zip(queries, found):
        if f >= 0:
            assert lookup.keys[f].as_py() == q
            assert lookup.labels[f] == first_label[q]  # the first listed wins
    assert list(SortedLookup(pa.array([], pa.string()), np.array([])).find(pa.array(["x"]))) == [-1]


@pytest.mark.slow
def test_datatrove_lists_real_data() -> None:
    """The lists datatrove ships (FineWeb's UT1-derived archive, 4.5M domains): a real input.
    Loading them takes several seconds."""
    pytest.importorskip("datatrove")
    stage = URLFilter(datatrove_lists=True)
    reasons, _ = reasons_of(
        stage,
        [
            "https://www.0-1sex.com/page",  # first entry of its domain list
            "https://en.wikipedia.org/wiki/Essex",
            "https://www.bbc.co.uk/news",
            "https://example.com/free-porn",  # a banned word of datatrove's list
        ],
    )
    assert reasons == [DOMAIN, KEEP, KEEP, WORD]
