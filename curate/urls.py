"""The one URL normal form of curate: :func:`url_keys`.

Two URLs with the same key name the same page for curate's purposes.  ``exact_dedup`` with
``key: url`` hashes the keys to find duplicate URLs, and ``url_filter`` compares them
(lower-cased, see below) with its blocklisted URLs.  The key of
``https://user@WWW.Example.com:443/a/./b/%7Euser/?b=2&a=1&#frag`` is
``example.com/a/b/~user?a=1&b=2``:

- Surrounding whitespace is trimmed.
- The scheme is dropped (``http`` and ``https`` pages are the same page), and so are the
  user info, the fragment and an empty port.
- The host is lower-cased, loses trailing dots and a leading ``www.`` (when a domain is
  left: ``www.com`` stays) and, when not ASCII, is IDNA-encoded (``Bücher.de`` gives
  ``xn--bcher-kva.de``, like the ``url-normalize`` package).
- A default port is dropped: 80 for ``http``, 443 for ``https``, 21 for ``ftp`` (80 and
  443 when the URL has no scheme); other ports stay (``example.com:8080``).
- The path keeps its case (paths are case-sensitive).  Percent-escapes of unreserved
  characters are decoded (``%7E`` gives ``~``), other escapes are upper-cased (``%2f`` gives
  ``%2F``), characters a URL cannot hold (spaces, non-ASCII, ``"<>\\^`{|}``) are
  percent-encoded as UTF-8, ``.`` and ``..`` segments are resolved (RFC 3986: empty
  segments stay, ``/a//b`` is not ``/a/b``), and trailing slashes are removed
  (``example.com/a/`` is ``example.com/a``; the root path is empty).
- The query gets the same escaping, except that escaped reserved characters other than
  ``+ = & #`` are decoded too (``?u=http%3A%2F%2Fx`` is ``?u=http://x``, as in
  ``url-normalize``), loses empty parameters (``a=1&&b=2``) and has its
  parameters sorted (``?b=2&a=1`` is ``?a=1&b=2``); an empty query is dropped.

Unlike ``url-normalize`` (which the tests compare the keys with on real URLs), empty path
segments are kept and ``#!`` fragments are dropped like any fragment, not rewritten into
``_escaped_fragment_`` queries; tracking parameters (``utm_*``) are kept.

Blocklist matching (``url_filter``) lower-cases the key as a separate step, so a list entry
matches regardless of case; duplicate detection does not.

Everything but the rare cases is done with Arrow compute kernels over the whole column; the
rows that need decoding or encoding (a ``%``, a character outside the URL alphabet, a dot
segment, a non-ASCII host) are fixed up in Python, only those rows.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A scheme: followed by "//", or by anything but a digit or "/" (``dns:example.com``), so
# that ``example.com:8080/x`` is a host and a port.
_SCHEME_RE = r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):(?://|[^0-9/])"
_SCHEME_STRIP_RE = r"^[A-Za-z][A-Za-z0-9+.\-]*:(//|[^0-9/])"
# //userinfo@host:port/path?query#fragment (after the scheme), every part optional.
_SPLIT_RE = (
    r"(?s)^(?://)?"
    r"(?:(?P<userinfo>[^/?#]*)@)?"
    r"(?P<host>\[[^\]/?#]*\]|[^:/?#]*)"
    r"(?::(?P<port>[0-9]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?$"
)
_DEFAULT_PORTS = {"": ("80", "443"), "http": ("80",), "https": ("443",), "ftp": ("21",)}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Escapes decoded: in a path the unreserved characters; in a query also the reserved ones
# that do not separate parameters (as ``url-normalize`` does: ``?u=http%3A%2F%2Fx`` is
# ``?u=http://x``); "+", "=", "&" and "#" stay escaped.
_PATH_DECODE = _UNRESERVED
_QUERY_DECODE = _UNRESERVED | frozenset(":/?[]@!$'()*,;")


def _needs_fix(decode: frozenset[str]) -> str:
    """The rows a path or query needs the Python fix-up for: an escape that is decoded or
    lower-case, a ``%`` that starts no escape, or a character to encode."""
    hexes = sorted({f"{ord(c):02X}" for c in decode})
    decoded = "|".join(f"[{h[0]}{h[0].lower()}][{h[1]}{h[1].lower()}]" for h in hexes)
    return (
        rf"%(?:[0-9a-f][0-9A-Fa-f]|[0-9A-F][a-f]|{decoded})"
        r"|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|[0-9A-Fa-f]?$)"
        r"|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
    )


_PATH_FIX = _needs_fix(_PATH_DECODE) + r"|(?:^|/)\.\.?(?:/|$)"
_QUERY_FIX = _needs_fix(_QUERY_DECODE)
# An escape, a "%" that starts none, or a character a URL cannot hold.
_ESCAPE_OR_UNSAFE = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]")


def _escape_component(value: str, decode: frozenset[str] = _PATH_DECODE) -> str:
    """Decode the escapes of ``decode``, upper-case other escapes, encode what a URL
    cannot hold (as UTF-8 bytes, after NFC) and a ``%`` that starts no escape."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)

    def fix(match: re.Match[str]) -> str:
        text = match.group()
        if len(text) == 3:
            char = chr(int(text[1:], 16))
            return char if char in decode else text.upper()
        return "".join(f"%{b:02X}" for b in text.encode("utf-8", "surrogatepass"))

    return _ESCAPE_OR_UNSAFE.sub(fix, value)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: resolve ``.`` and ``..`` segments (empty segments stay:
    ``/a//b`` is not ``/a/b``)."""
    segments = path.split("/")
    last = len(segments) - 1
    out: list[str] = []
    for i, segment in enumerate(segments):
        if segment in (".", ".."):
            if segment == ".." and (len(out) > 1 or (out and out[0] != "")):
                out.pop()
            if i == last:
                out.append("")
            continue
        out.append(segment)
    return "/".join(out)


def _fix_path(path: str) -> str:
    return _remove_dot_segments(_escape_component(path, _PATH_DECODE))


def _fix_query(query: str) -> str:
    return _escape_component(query, _QUERY_DECODE)


def _idna_host(host: str) -> str:
    """A non-ASCII host IDNA-encoded label by label (IDNA 2008 with UTS 46 when the ``idna``
    package is installed, else Python's IDNA 2003 codec); left as it is when it cannot be."""
    labels = [label for label in host.split(".") if label]
    try:
        import idna

        return ".".join(idna.encode(label, uts46=True).decode("ascii") for label in labels)
    except ImportError:
        pass
    except (UnicodeError, ValueError):  # idna.IDNAError is a UnicodeError
        pass
    try:
        return ".".join(label.encode("idna").decode("ascii") for label in labels)
    except UnicodeError:
        return host


def _fix_rows(values: pa.Array, pattern: str, fix) -> pa.Array:
    """``values`` with ``fix`` applied (in Python) to the rows that match ``pattern``."""
    need = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    if not pc.any(need).as_py():
        return values
    fixed = [fix(v) for v in values.filter(need).to_pylist()]
    return pc.replace_with_mask(values, need, pa.array(fixed, values.type))


def _sort_params(query: pa.Array) -> pa.Array:
    """Each query's ``&``-separated parameters, empty ones dropped, sorted (bytewise)."""
    need = pc.fill_null(pc.match_substring(query, "&"), False)
    if not pc.any(need).as_py():
        return query
    subset = query.filter(need)
    lists = pc.split_pattern(subset, "&")
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    table = pa.table({"row": parents, "param": flat}).filter(pc.greater(pc.binary_length(flat), 0))
    table = table.sort_by([("row", "ascending"), ("param", "ascending")])
    counts = np.bincount(table["row"].to_numpy(), minlength=len(subset))
    offsets = np.zeros(len(subset) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    params = table["param"].combine_chunks() if table.num_rows else pa.array([], query.type)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), params), pa.scalar("&", query.type))
    return pc.replace_with_mask(query, need, joined.cast(query.type))


def url_keys(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The key of each URL (see the module docstring); null for a null URL.

    Vectorised over the column; a ``large_string`` column gives ``large_string`` keys, any
    other string column ``string`` keys.
    """
    if isinstance(urls, pa.ChunkedArray):
        urls = urls.combine_chunks() if urls.num_chunks else pa.array([], urls.type)
    kind = pa.large_string() if pa.types.is_large_string(urls.type) else pa.string()
    urls = urls.cast(kind)
    valid = pc.is_valid(urls)
    text = pc.utf8_trim_whitespace(pc.fill_null(urls, ""))
    scheme = pc.ascii_lower(pc.fill_null(pc.struct_field(pc.extract_regex(text, _SCHEME_RE), [0]), ""))
    text = pc.replace_substring_regex(text, _SCHEME_STRIP_RE, r"\1", max_replacements=1)
    parts = pc.extract_regex(text, _SPLIT_RE)

    def part(name: str) -> pa.Array:
        return pc.fill_null(pc.struct_field(parts, name), "")

    host = pc.utf8_trim(pc.utf8_lower(part("host")), ".")
    host = _fix_rows(host, r"[^\x00-\x7f]", _idna_host)
    host = pc.replace_substring_regex(host, r"^www\.([^.]+\..+)$", r"\1", max_replacements=1)

    port = part("port")
    default = pa.array(np.zeros(len(port), dtype=bool))
    for name, numbers in _DEFAULT_PORTS.items():
        for number in numbers:
            default = pc.or_(default, pc.and_(pc.equal(scheme, name), pc.equal(port, number)))
    empty = pa.scalar("", kind)
    port = pc.if_else(
        pc.or_(default, pc.equal(port, "")), empty, pc.binary_join_element_wise(pa.scalar(":", kind), port, empty)
    )

    path = _fix_rows(part("path"), _PATH_FIX, _fix_path)
    path = pc.utf8_rtrim(path, "/")

    query = _fix_rows(part("query"), _QUERY_FIX, _fix_query)
    query = _sort_params(query)
    query = pc.if_else(
        pc.greater(pc.binary_length(query), 0), pc.binary_join_element_wise(pa.scalar("?", kind), query, empty), empty
    )

    keys = pc.binary_join_element_wise(host, port, path, query, empty)
    return pc.if_else(valid, keys, pa.scalar(None, kind)).cast(kind)


__all__ = ["url_keys"]
