"""Drop documents by their URL: blocklisted domains and URLs, banned words in the URL.

The rules follow datatrove's ``URLFilter`` (Penedo et al. 2024, FineWeb, section 3.1),
which uses the UT1 blocklists of the Universite Toulouse 1 Capitole
(https://dsi.ut-capitole.fr/blacklists/) and lists of banned words.  curate ships no list
data: point the settings at list files, or set ``datatrove_lists: true`` to use the lists
that the ``datatrove`` package ships (the FineWeb ones).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from curate.filters.url_lists import (
    INLINE_LIST_SETTINGS,
    LIST_FILE_SETTINGS,
    NON_ALNUM_RE,
    as_list,
    datatrove_assets,
    domain_entries,
    iter_ut1,
    list_entries,
    normalize_domains,
    normalize_urls,
    normalize_word,
    read_bytes,
)
from curate.filters.url_lookup import SortedLookup, first_per_row, host_suffixes, url_hosts

from curate.registry import register
from curate.schema import URL
from curate.stage import Stage, mark_dropped, require

REASON_DOMAIN = "url_filter:domain"
REASON_URL = "url_filter:url"
REASON_BANNED_WORD = "url_filter:banned_word"
REASON_SOFT_BANNED = "url_filter:soft_banned_words"
REASON_BANNED_SUBWORD = "url_filter:banned_subword"


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
        for attr in LIST_FILE_SETTINGS:
            paths += as_list(getattr(self, attr))
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
        if self.categories is not None and not as_list(self.blocklists) and not self.datatrove_lists:
            raise ValueError("url_filter: 'categories' selects from 'blocklists', which is not set")
        has_rule = self.datatrove_lists or any(
            as_list(getattr(self, attr)) for attr in (*LIST_FILE_SETTINGS, *INLINE_LIST_SETTINGS)
        )
        if not has_rule:
            raise ValueError("url_filter: no lists configured (set blocklists, domain_files, banned_words, ...)")
    def setup(self) -> None:
        categories: list[str] = []
        domain_parts: list[tuple[pa.Array, int]] = []
        url_parts: list[tuple[pa.Array, int]] = []

        def category_code(name: str) -> int:
            if name not in categories:
                categories.append(name)
            return categories.index(name)

        blocklists = as_list(self.blocklists)
        if self.datatrove_lists:
            blocklists.append(str(datatrove_assets() / "url_filterblacklistsv0_3_0.tar.gz"))
        wanted = set(as_list(self.categories)) if self.categories is not None else None
        seen: set[str] = set()
        for path in blocklists:
            for category, kind, read in iter_ut1(path):
                seen.add(category)
                if wanted is not None and category not in wanted:
                    continue
                if kind == "domains":
                    domain_parts.append((domain_entries(read()), category_code(category)))
                else:
                    url_parts.append((normalize_urls(list_entries(read())), category_code(category)))
        if wanted is not None and wanted - seen:
            raise ValueError(
                f"url_filter: categories {sorted(wanted - seen)} are not in the blocklists "
                f"(found: {sorted(seen)})"
            )
        for path in as_list(self.domain_files):
            domain_parts.append((domain_entries(read_bytes(path)), category_code(Path(path).name)))
        for path in as_list(self.url_files):
            url_parts.append((normalize_urls(list_entries(read_bytes(path))), category_code(Path(path).name)))
        if self.extra_domains:
            inline = pa.array(as_list(self.extra_domains), pa.large_string())
            domain_parts.append((normalize_domains(inline), category_code("extra_domains")))
        if self.extra_urls:
            inline = pa.array(as_list(self.extra_urls), pa.large_string())
            url_parts.append((normalize_urls(inline), category_code("extra_urls")))

        self._categories = np.array(categories + [None], dtype=object)
        self._domains = self._build_lookup(domain_parts)
        self._urls = self._build_lookup(url_parts)

        assets = datatrove_assets() if self.datatrove_lists else None
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
        parts = [pa.array(as_list(inline), pa.large_string())]
        paths = as_list(files) + ([str(assets / asset)] if assets is not None else [])
        parts += [list_entries(read_bytes(p)).cast(pa.large_string()) for p in paths]
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
            has, category = first_per_row(rows[hit], self._categories[self._domains.labels[found[hit]]], n)
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
            tokens = pc.split_pattern_regex(pc.utf8_lower(urls), NON_ALNUM_RE)
            flat = pc.list_flatten(tokens)
            parents = pc.list_parent_indices(tokens).to_numpy()
            if len(self._banned):
                hit = pc.is_in(flat, value_set=self._banned).to_numpy(zero_copy_only=False)
                words = np.asarray(flat.filter(pa.array(hit)).to_pylist(), dtype=object)
                has, first = first_per_row(parents[hit], words, n)
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
            squashed = pc.replace_substring_regex(pc.utf8_lower(urls), NON_ALNUM_RE, "")
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
