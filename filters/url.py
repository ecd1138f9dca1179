"""Drop documents by their URL: blocklisted domains and URLs, banned words in the URL.

The rules follow datatrove's ``URLFilter`` (Penedo et al. 2024, FineWeb, section 3.1),
which uses the UT1 blocklists of the Universite Toulouse 1 Capitole
(https://dsi.ut-capitole.fr/blacklists/) and lists of banned words.  curate ships no list
data: point the settings at list files, or set ``datatrove_lists: true`` to use the lists
that the ``datatrove`` package ships (the FineWeb ones).
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import URL
from curate.stage import Stage, mark_dropped, require
from curate.urls import url_keys

REASON_DOMAIN = "url_filter:domain"
REASON_URL = "url_filter:url"
REASON_BANNED_WORD = "url_filter:banned_word"
REASON_SOFT_BANNED = "url_filter:soft_banned_words"
REASON_BANNED_SUBWORD = "url_filter:banned_subword"

# scheme, then optional user info, then the host (a bracketed IPv6 literal or up to the
# first ':', '/', '?' or '#').  Also accepts scheme-less "example.com/path".
_HOST_RE = r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^/?#@]*@)?(?P<host>\[[^\]]*\]|[^:/?#]*)"
_IPV4_RE = r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$"
# URL tokens as datatrove splits them: runs of ASCII letters and digits.
_NON_ALNUM_RE = r"[^a-z0-9]+"


# Settings that name list files, and settings that hold list entries inline.
_LIST_FILE_SETTINGS = (
    "blocklists",
    "domain_files",
    "url_files",
    "banned_words_files",
    "soft_banned_words_files",
    "banned_subwords_files",
)
_INLINE_LIST_SETTINGS = ("extra_domains", "extra_urls", "banned_words", "soft_banned_words", "banned_subwords")


# -- reading lists ------------------------------------------------------------------------


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [str(value)]
    return [str(v) for v in value]


def _text(data: bytes) -> pa.Array:
    """A whole list file as a one-element Arrow string, without copying valid UTF-8."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        text = pa.array([data.decode("utf-8", errors="replace")], pa.large_string())
    return text


def _has(text: pa.Array, pattern: str) -> bool:
    return bool(pc.match_substring_regex(text, pattern)[0].as_py())


def _split_lines(text: pa.Array, lower: bool = False) -> pa.Array:
    """Stripped, non-empty, non-comment lines.  Whole-file checks first, so the usual
    clean file (one lower-case entry per line) costs one split."""
    if _has(text, "\r"):
        text = pc.replace_substring(text, "\r", "")
    if lower and _has(text, r"[A-Z]|[^\x00-\x7F]"):
        text = pc.utf8_lower(text)
    lines = pc.list_flatten(pc.split_pattern(text, "\n"))
    if _has(text, r"(?:^|\n)[ \t\f\v]|[ \t\f\v](?:\n|$)"):
        lines = pc.utf8_trim_whitespace(lines)
    keep = pc.greater(pc.binary_length(lines), 0)
    if _has(text, r"(?:^|\n)[ \t]*#"):
        keep = pc.and_(keep, pc.invert(pc.starts_with(lines, "#")))
    return lines.filter(keep)


def _lines(data: bytes) -> pa.Array:
    """The entries of a list file (plain or gzipped): one a line, ``#`` comments."""
    return _split_lines(_text(data))


def _domain_lines(data: bytes) -> pa.Array:
    """The entries of a domain list, normalised (see :func:`normalize_domains`)."""
    text = _text(data)
    lines = _split_lines(text, lower=True)
    if _has(text, r"[ \t#*]|\n\.|\.\n|^\.|\.$"):
        lines = normalize_domains(lines)
    return lines


def _read_bytes(path: str) -> bytes:
    import fsspec

    with fsspec.open(path, "rb") as f:
        return f.read()


def _is_archive(path: str) -> bool:
    return path.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz"))


def _iter_ut1(path: str) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
    """Yield ``(category, kind, read)`` for each ``domains``/``urls`` file of a UT1 layout.

    The layout is ``<root>/<category>/domains`` and ``<root>/<category>/urls`` (either may
    be gzipped: ``domains.gz``), as a directory or a tar archive.  Files directly under the
    root (datatrove's flat archive) get the root's name as their category.  ``read()``
    returns the file's bytes; call it during the iteration (unwanted categories are never
    read).
    """
    root_name = Path(path.rstrip("/")).name
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"):
        if root_name.endswith(suffix):
            root_name = root_name[: -len(suffix)]
            break

    def kind_of(name: str) -> str | None:
        base = name[:-3] if name.endswith(".gz") else name
        return base if base in ("domains", "urls") else None

    if _is_archive(path):
        with tarfile.open(fileobj=io.BytesIO(_read_bytes(path)), mode="r:*") as tar:
            for member in tar.getmembers():
                parts = [p for p in member.name.split("/") if p not in ("", ".")]
                kind = kind_of(parts[-1]) if parts else None
                if kind is None or not (member.isfile() or member.issym() or member.islnk()):
                    continue
                try:
                    handle = tar.extractfile(member)
                except (KeyError, tarfile.TarError):
                    continue  # a link to a file the archive does not hold
                if handle is None:
                    continue
                category = parts[-2] if len(parts) >= 2 else root_name
                yield category, kind, handle.read
        return
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"url_filter: blocklist {path} is neither a directory nor a tar archive")
    for file in sorted(root.rglob("*")):
        kind = kind_of(file.name)
        if kind is None or not file.is_file():
            continue
        category = root_name if file.parent == root else file.parent.name
        yield category, kind, file.read_bytes


def normalize_domains(values: pa.Array) -> pa.Array:
    """Lower-case list entries and strip what is not part of a domain.

    Accepts hosts-file lines (``0.0.0.0 example.com``), leading ``*.`` or ``.`` wildcards,
    trailing dots and inline ``# comments``; drops entries left empty or with spaces.
    """
    values = pc.utf8_lower(values)
    values = pc.replace_substring_regex(values, r"\s+#.*$", "")
    values = pc.replace_substring_regex(values, r"^(?:0\.0\.0\.0|127\.0\.0\.1)\s+", "")
    values = pc.replace_substring_regex(values, r"^\*?\.+|\.+$", "")
    values = pc.utf8_trim_whitespace(values)
    keep = pc.and_(pc.greater(pc.utf8_length(values), 0), pc.invert(pc.match_substring_regex(values, r"\s")))
    return values.filter(keep)


def normalize_urls(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The form URLs and list entries are compared in: curate's URL key
    (:func:`curate.urls.url_keys`: no scheme, user info, ``www.``, default port, fragment or
    trailing slash, escapes normalised, query parameters sorted; UT1 lists URLs as
    ``host/path``), then lower-cased, so that matching a blocklist ignores case."""
    return pc.utf8_lower(url_keys(values))


def normalize_word(values: pa.Array) -> pa.Array:
    """datatrove's word normalisation: lower case, ASCII letters and digits only."""
    values = pc.replace_substring_regex(pc.utf8_lower(values), _NON_ALNUM_RE, "")
    return pc.filter(values, pc.greater(pc.utf8_length(values), 0))


# -- lookups ------------------------------------------------------------------------------


class SortedLookup:
    """Exact string membership for large lists, vectorised.

    ``pc.is_in`` rebuilds its hash table from the value set on every call, which costs
    seconds per batch for a 4.5 million domain list; a Python set costs ~0.5 GB per worker.
    This keeps the keys once as a sorted, deduplicated Arrow array and answers a batch of
    queries with a binary search over all of them at once (``log2(n)`` rounds of
    ``take`` + ``less``): ~5 ms for 1,500 queries against 4.5 million keys.
    """

    def __init__(self, keys: pa.Array, labels: np.ndarray) -> None:
        keys = keys.cast(pa.large_string())
        # a stable sort: of equal keys, the one listed first comes first and is kept
        order = pc.sort_indices(keys)
        keys = keys.take(order)
        labels = np.asarray(labels)[order.to_numpy()]
        if len(keys) > 1:
            # Keep the first of equal keys (a domain in two categories reports the one
            # loaded first).
            keep = np.ones(len(keys), dtype=bool)
            keep[1:] = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1)).to_numpy(
                zero_copy_only=False
            )
            keys = keys.filter(pa.array(keep))
            labels = labels[keep]
        self.keys = keys
        self.labels = labels

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, values: pa.Array) -> np.ndarray:
        """Index of each value in ``keys`` (-1 when absent; null values are absent)."""
        n_keys = len(self.keys)
        n = len(values)
        if n_keys == 0 or n == 0:
            return np.full(n, -1, dtype=np.int64)
        values = pc.fill_null(values.cast(pa.large_string()), "")
        lo = np.zeros(n, dtype=np.int64)
        hi = np.full(n, n_keys, dtype=np.int64)
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            probe = self.keys.take(pa.array(np.minimum(mid, n_keys - 1)))
            less = pc.less(probe, values).to_numpy(zero_copy_only=False)
            lo = np.where(active & less, mid + 1, lo)
            hi = np.where(active & ~less, mid, hi)
        idx = np.minimum(lo, n_keys - 1)
        found = pc.equal(self.keys.take(pa.array(idx)), values).to_numpy(zero_copy_only=False)
        return np.where(found & (lo < n_keys), idx, -1)


def _first_per_row(rows: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``n`` rows: whether ``rows`` names it, and the first such value."""
    has = np.zeros(n, dtype=bool)
    out = np.full(n, None, dtype=object)
    if len(rows):
        uniq, first = np.unique(rows, return_index=True)
        has[uniq] = True
        out[uniq] = values[first]
    return has, out


def url_hosts(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The lower-cased host of each URL, without a trailing dot (null for null URLs)."""
    lowered = pc.utf8_lower(urls)
    hosts = pc.struct_field(pc.extract_regex(lowered, _HOST_RE), [0])
    hosts = pc.utf8_rtrim(hosts, ".")
    if isinstance(hosts, pa.ChunkedArray):
        hosts = hosts.combine_chunks()
    return hosts


def host_suffixes(hosts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Each host and its parent domains, most specific first, with the row each came from.

    ``a.b.example.com`` gives ``a.b.example.com``, ``b.example.com``, ``example.com`` and
    ``com``.  IPv4 hosts give only themselves.  Null and empty hosts give nothing.
    """
    valid = pc.fill_null(pc.greater(pc.utf8_length(hosts), 0), False)
    rows = np.flatnonzero(valid.to_numpy(zero_copy_only=False))
    current = hosts.filter(valid)
    is_ip = pc.match_substring_regex(current, _IPV4_RE).to_numpy(zero_copy_only=False)
    out_values = [current]
    out_rows = [rows]
    mask = pc.and_(pc.match_substring(current, "."), pa.array(~is_ip))
    while True:
        m = mask.to_numpy(zero_copy_only=False)
        if not m.any():
            break
        current = pc.replace_substring_regex(current.filter(mask), r"^[^.]*\.", "", max_replacements=1)
        rows = rows[m]
        out_values.append(current)
        out_rows.append(rows)
        mask = pc.match_substring(current, ".")
    return pa.concat_arrays([v.cast(pa.large_string()) for v in out_values]), np.concatenate(out_rows)


# -- the stage ----------------------------------------------------------------------------


@register
class URLFilter(Stage):
    """Drop documents whose URL is blocklisted or contains banned words.

    Rules, in the order they are checked (the first that applies is the reason):

    ``url_filter:domain``            the URL's host, or a parent domain of it, is listed
                                     (``example.com`` blocks ``www.example.com`` and
                                     ``a.b.example.com``, not ``notexample.com``).
    ``url_filter:url``               the URL is listed.  URLs and list entries are compared
                                     as their :func:`curate.urls.url_keys` (the key
                                     ``exact_dedup`` uses: no scheme, user info, ``www.``,
                                     default port, fragment or trailing slash; UT1's
                                     ``host/path`` form), lower-cased, so
                                     ``https://www.X.com/a/`` matches ``x.com/a``.
    ``url_filter:banned_word``       a URL token (a run of ASCII letters and digits of the
                                     lower-cased URL) is a banned word: whole tokens only,
                                     so ``sex`` bans ``/sex-videos`` but not ``/essex``.
    ``url_filter:soft_banned_words`` at least ``soft_word_threshold`` distinct soft-banned
                                     words are URL tokens.
    ``url_filter:banned_subword``    a banned subword occurs anywhere in the URL reduced to
                                     its lower-cased letters and digits (datatrove's
                                     ``banned_subwords``; ``2 girls 1 cup`` -> ``2girls1cup``).

    These are datatrove's ``URLFilter`` rules (FineWeb, Penedo et al. 2024), which
    lower-cases nothing in the URL; here matching ignores case.  Documents without a URL are
    kept.  The ``match_column`` (default ``url_filter_match``) of a dropped row says what
    matched: the list category for domains and URLs, the word(s) for words.

    Lists (curate ships none; every path may be local or remote, plain or gzipped):

    ``blocklists``      UT1 layouts: a directory, or a ``.tar.gz`` of it, with one folder per
                        category each holding ``domains`` and ``urls`` files (one entry per
                        line, ``#`` comments).  ``categories`` picks some (``[adult,
                        gambling]``); by default all are used.
    ``domain_files`` / ``url_files``  plain lists (hosts-file lines ``0.0.0.0 x.com`` too).
    ``banned_words_files`` / ``soft_banned_words_files`` / ``banned_subwords_files``
    ``extra_domains`` / ``extra_urls`` / ``banned_words`` / ``soft_banned_words`` /
    ``banned_subwords``  entries given inline.
    ``datatrove_lists`` also load the lists that ship with the ``datatrove`` package: its
                        UT1-derived domains/URLs archive and its banned, soft-banned and
                        banned-sub-word lists (FineWeb's configuration).

    Lists are loaded once per worker (``setup``); a 4.5 million domain list takes a few
    seconds and ~0.2 GB, and is looked up with a vectorised binary search.
    """

    stateful = True

    blocklists: list[str] | None = None
    categories: list[str] | None = None
    domain_files: list[str] | None = None
    url_files: list[str] | None = None
    banned_words_files: list[str] | None = None
    soft_banned_words_files: list[str] | None = None
    banned_subwords_files: list[str] | None = None
    extra_domains: list[str] | None = None
    extra_urls: list[str] | None = None
    banned_words: list[str] | None = None
    soft_banned_words: list[str] | None = None
    banned_subwords: list[str] | None = None
    soft_word_threshold: int = 2
    datatrove_lists: bool = False
    url_column: str = URL
    match_column: str | None = "url_filter_match"

    # -- configuration -----------------------------------------------------------------
    def _local_paths(self) -> list[str]:
        paths = []
        for attr in _LIST_FILE_SETTINGS:
            paths += _as_list(getattr(self, attr))
        return [p for p in paths if "://" not in p]

    def validate(self) -> None:
        super().validate()
        if self.soft_word_threshold < 1:
            raise ValueError("url_filter: soft_word_threshold must be at least 1")
        if self.datatrove_lists:
            require("datatrove", extra="datatrove")
        for path in self._local_paths():
            if not Path(path).exists():
                raise FileNotFoundError(f"url_filter: list {path} does not exist")
        if self.categories is not None and not _as_list(self.blocklists) and not self.datatrove_lists:
            raise ValueError("url_filter: 'categories' selects from 'blocklists', which is not set")
        has_rule = self.datatrove_lists or any(
            _as_list(getattr(self, attr)) for attr in (*_LIST_FILE_SETTINGS, *_INLINE_LIST_SETTINGS)
        )
        if not has_rule:
            raise ValueError("url_filter: no lists configured (set blocklists, domain_files, banned_words, ...)")

    def _datatrove_assets(self) -> Path:
        require("datatrove", extra="datatrove")
        from datatrove.utils._import_utils import ASSETS_PATH

        return Path(ASSETS_PATH)

    def setup(self) -> None:
        categories: list[str] = []
        domain_parts: list[tuple[pa.Array, int]] = []
        url_parts: list[tuple[pa.Array, int]] = []

        def category_code(name: str) -> int:
            if name not in categories:
                categories.append(name)
            return categories.index(name)

        blocklists = _as_list(self.blocklists)
        if self.datatrove_lists:
            blocklists.append(str(self._datatrove_assets() / "url_filterblacklistsv0_3_0.tar.gz"))
        wanted = set(_as_list(self.categories)) if self.categories is not None else None
        seen: set[str] = set()
        for path in blocklists:
            for category, kind, read in _iter_ut1(path):
                seen.add(category)
                if wanted is not None and category not in wanted:
                    continue
                if kind == "domains":
                    domain_parts.append((_domain_lines(read()), category_code(category)))
                else:
                    url_parts.append((normalize_urls(_lines(read())), category_code(category)))
        if wanted is not None and wanted - seen:
            raise ValueError(
                f"url_filter: categories {sorted(wanted - seen)} are not in the blocklists "
                f"(found: {sorted(seen)})"
            )
        for path in _as_list(self.domain_files):
            domain_parts.append((_domain_lines(_read_bytes(path)), category_code(Path(path).name)))
        for path in _as_list(self.url_files):
            url_parts.append((normalize_urls(_lines(_read_bytes(path))), category_code(Path(path).name)))
        if self.extra_domains:
            inline = pa.array(_as_list(self.extra_domains), pa.large_string())
            domain_parts.append((normalize_domains(inline), category_code("extra_domains")))
        if self.extra_urls:
            inline = pa.array(_as_list(self.extra_urls), pa.large_string())
            url_parts.append((normalize_urls(inline), category_code("extra_urls")))

        self._categories = np.array(categories + [None], dtype=object)
        self._domains = self._build_lookup(domain_parts)
        self._urls = self._build_lookup(url_parts)

        assets = self._datatrove_assets() if self.datatrove_lists else None
        self._banned = self._word_set(self.banned_words, self.banned_words_files, assets, "banned_words.txt")
        self._soft = self._word_set(
            self.soft_banned_words, self.soft_banned_words_files, assets, "soft_banned_words.txt"
        )
        subwords = self._word_set(
            self.banned_subwords, self.banned_subwords_files, assets, "banned_subwords.txt"
        )
        self._subword_re = (
            "(?P<word>" + "|".join(_re2_escape(w) for w in sorted(subwords.to_pylist(), key=len, reverse=True)) + ")"
            if len(subwords)
            else None
        )

    @staticmethod
    def _build_lookup(parts: list[tuple[pa.Array, int]]) -> SortedLookup:
        keys = [values.cast(pa.large_string()) for values, _ in parts]
        codes = [np.full(len(values), code, dtype=np.int32) for values, code in parts]
        if not keys:
            return SortedLookup(pa.array([], pa.large_string()), np.array([], dtype=np.int32))
        return SortedLookup(pa.concat_arrays(keys), np.concatenate(codes))

    @staticmethod
    def _word_set(inline: list[str] | None, files: list[str] | None, assets: Path | None, asset: str) -> pa.Array:
        parts = [pa.array(_as_list(inline), pa.large_string())]
        paths = _as_list(files) + ([str(assets / asset)] if assets is not None else [])
        parts += [_lines(_read_bytes(p)).cast(pa.large_string()) for p in paths]
        return pc.unique(normalize_word(pa.concat_arrays(parts)))

    # -- matching ----------------------------------------------------------------------
    def match(self, urls: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
        """``(reasons, matches)`` for each URL: a null reason keeps the row."""
        self.ensure_setup()
        if isinstance(urls, pa.ChunkedArray):
            urls = urls.combine_chunks()
        urls = urls.cast(pa.large_string())
        n = len(urls)
        decided = np.zeros(n, dtype=bool)
        reasons = np.full(n, None, dtype=object)
        matches = np.full(n, None, dtype=object)

        def assign(hit: np.ndarray, reason: str, what: np.ndarray) -> None:
            new = hit & ~decided
            reasons[new] = reason
            matches[new] = what[new]
            decided[new] = True

        if len(self._domains):
            candidates, rows = host_suffixes(url_hosts(urls))
            found = self._domains.find(candidates)
            hit = found >= 0
            has, category = _first_per_row(rows[hit], self._categories[self._domains.labels[found[hit]]], n)
            assign(has, REASON_DOMAIN, category)

        if len(self._urls) and not decided.all():
            todo = np.flatnonzero(~decided)  # the key is costly: only rows still undecided
            found = np.full(n, -1, np.int64)
            found[todo] = self._urls.find(normalize_urls(urls.take(pa.array(todo))))
            hit = found >= 0
            category = np.full(n, None, dtype=object)
            category[hit] = self._categories[self._urls.labels[found[hit]]]
            assign(hit, REASON_URL, category)

        if (len(self._banned) or len(self._soft)) and not decided.all():
            tokens = pc.split_pattern_regex(pc.utf8_lower(urls), _NON_ALNUM_RE)
            flat = pc.list_flatten(tokens)
            parents = pc.list_parent_indices(tokens).to_numpy()
            if len(self._banned):
                hit = pc.is_in(flat, value_set=self._banned).to_numpy(zero_copy_only=False)
                words = np.asarray(flat.filter(pa.array(hit)).to_pylist(), dtype=object)
                has, first = _first_per_row(parents[hit], words, n)
                assign(has, REASON_BANNED_WORD, first)
            if len(self._soft):
                index = pc.index_in(flat, value_set=self._soft)
                valid = pc.is_valid(index)
                rows = parents[valid.to_numpy(zero_copy_only=False)].astype(np.int64)
                word = index.filter(valid).to_numpy().astype(np.int64)
                # distinct (row, word) pairs: datatrove counts the words of a set
                n_soft = len(self._soft)
                pairs = np.unique(rows * n_soft + word)
                pair_rows = pairs // n_soft
                over = np.bincount(pair_rows, minlength=n) >= self.soft_word_threshold
                joined = np.full(n, None, dtype=object)
                soft_words = self._soft.to_pylist()
                # a Python loop over dropped rows only, to name their words
                for row in np.flatnonzero(over & ~decided):
                    joined[row] = ",".join(sorted(soft_words[w] for w in pairs[pair_rows == row] % n_soft))
                assign(over, REASON_SOFT_BANNED, joined)

        if self._subword_re is not None and not decided.all():
            squashed = pc.replace_substring_regex(pc.utf8_lower(urls), _NON_ALNUM_RE, "")
            found = pc.struct_field(pc.extract_regex(squashed, self._subword_re), [0])
            hit = pc.is_valid(found).to_numpy(zero_copy_only=False)
            words = np.full(n, None, dtype=object)
            words[hit] = found.filter(pa.array(hit)).to_pylist()
            assign(hit, REASON_BANNED_SUBWORD, words)

        return pa.array(reasons.tolist(), pa.string()), pa.array(matches.tolist(), pa.string())

    def process(self, table: pa.Table) -> pa.Table:
        if self.url_column not in table.column_names:
            raise ValueError(
                f"url_filter: the batch has no {self.url_column!r} column "
                f"(columns: {table.column_names}); set url_column"
            )
        reasons, matches = self.match(table[self.url_column])
        if self.match_column:
            idx = table.schema.get_field_index(self.match_column)
            if idx >= 0:
                table = table.set_column(idx, self.match_column, matches)
            else:
                table = table.append_column(self.match_column, matches)
        return mark_dropped(table, reasons)


def _re2_escape(word: str) -> str:
    """Escape a literal for RE2 (words are already ASCII letters and digits)."""
    return "".join(c if c.isalnum() else "\\" + c for c in word)
