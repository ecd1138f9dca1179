"""spaCy's tokenizer loop, run over whole Arrow arrays of whitespace-free pieces: the
affix loop (prefixes and suffixes peeled off one mark at a time, in a few vectorised passes;
the few pieces still being peeled after the first rounds are finished one by one), the
infix splits, URLs kept whole, and the last pass that re-joins special cases the rules
split.  The rules themselves are in :mod:`curate.text.word_rules`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import np_bool, np_int, take_rows
from .word_rules import (
    ASCII_INFIX,
    F_DIGIT,
    F_PERIOD_CONTEXT,
    F_PREFIX,
    F_SUFFIX,
    F_UPPER,
    INFIX,
    INFIX_CANDIDATE_RE,
    NUMBER_UNIT_GROUP_RE,
    NUMBER_UNIT_RE,
    SPECIAL_CASES,
    UNIT_SUFFIX_PY,
    char_flags,
    special_tables,
)

__all__ = ["merge_special_spans", "segment_pieces"]

_SEP = pa.scalar("\x00", pa.string())


def _flags(chars: pa.Array) -> np.ndarray:
    """:func:`char_flags` of every one-character string (0 for empty strings)."""
    encoded = pc.dictionary_encode(chars)
    table = np.array([char_flags(c) for c in encoded.dictionary.to_pylist()], dtype=np.int64)
    return table[np_int(encoded.indices)] if len(table) else np.zeros(len(chars), np.int64)


def _cut(strings: pa.Array, lengths: np.ndarray, at_end: bool) -> tuple[pa.Array, pa.Array]:
    """Cut ``lengths[i]`` characters off the start (or end) of every string: (the cut part,
    the rest)."""
    cut = pa.array([""] * len(strings), pa.string())
    rest = strings
    for k in np.unique(lengths[lengths > 0]):
        mask = pa.array(lengths == k)
        k = int(k)
        if at_end:
            cut = pc.if_else(mask, pc.utf8_slice_codeunits(strings, -k), cut)
            rest = pc.if_else(mask, pc.utf8_slice_codeunits(strings, 0, -k), rest)
        else:
            cut = pc.if_else(mask, pc.utf8_slice_codeunits(strings, 0, k), cut)
            rest = pc.if_else(mask, pc.utf8_slice_codeunits(strings, k), rest)
    return cut, rest


def _run_length(strings: pa.Array, mask: np.ndarray, pattern: str) -> np.ndarray:
    """Length of the match of ``pattern`` (one group ``g``) in the strings where ``mask``."""
    out = np.zeros(len(strings), dtype=np.int64)
    if mask.any():
        idx = np.flatnonzero(mask)
        found = pc.extract_regex(take_rows(strings, idx), pattern).field("g")
        out[idx] = np_int(pc.utf8_length(pc.fill_null(found, "")))
    return out


def _prefix_lengths(core: pa.Array) -> np.ndarray:
    """Length of the prefix spaCy's rules take off every string (0: none)."""
    first = _flags(pc.utf8_slice_codeunits(core, 0, 1))
    out = np.where(first & F_PREFIX, 1, 0)
    plus = np_bool(pc.starts_with(core, "+"))
    if plus.any():  # "+" is a prefix only when no digit follows it
        out[plus & (_flags(pc.utf8_slice_codeunits(core, 1, 2)) & F_DIGIT > 0)] = 0
    dots = np_bool(pc.starts_with(core, ".."))
    out = np.maximum(out, _run_length(core, dots, r"^(?P<g>\.+)"))
    for symbol in ("US$", "C$", "A$"):
        out[np_bool(pc.starts_with(core, symbol))] = len(symbol)
    return out


def _suffix_lengths(rest: pa.Array) -> np.ndarray:
    """Length of the suffix spaCy's rules take off every string (0: none): the leftmost
    suffix match, i.e. the longest, as all of them end at the end of the string."""
    last = pc.utf8_slice_codeunits(rest, -1)
    f_last = _flags(last)
    out = np.where(f_last & F_SUFFIX, 1, 0)
    for ending in ("'s", "'S", "\u2019s", "\u2019S", "\u2026\u2026"):
        out[np_bool(pc.ends_with(rest, ending))] = 2
    dots = np_bool(pc.ends_with(rest, ".."))
    out = np.maximum(out, _run_length(rest, dots, r"(?P<g>\.+)$"))
    digit = np_bool(pc.match_substring_regex(rest, NUMBER_UNIT_RE))
    out = np.maximum(out, _run_length(rest, digit, NUMBER_UNIT_GROUP_RE))
    period = np_bool(pc.equal(last, ".")) & (out == 0)
    if period.any():
        prev = pc.utf8_slice_codeunits(rest, -2, -1)
        prev2 = pc.utf8_slice_codeunits(rest, -3, -2)
        f_prev, f_prev2 = _flags(prev), _flags(prev2)
        degree = np_bool(pc.is_in(prev, value_set=pa.array(list("FfCcKk")))) & np_bool(
            pc.equal(prev2, "\u00b0")
        )
        split = (f_prev & F_PERIOD_CONTEXT > 0) | (
            (f_prev & F_UPPER > 0) & (f_prev2 & F_UPPER > 0)
        ) | degree
        out[period & split] = 1
    return out


_SCALAR_TAIL = 64


def _prefix_length_scalar(s: str) -> int:
    """:func:`_prefix_lengths` for one string."""
    if not s:
        return 0
    out = 1 if char_flags(s[0]) & F_PREFIX else 0
    if s[0] == "+" and len(s) > 1 and char_flags(s[1]) & F_DIGIT:
        out = 0
    if s.startswith(".."):
        out = max(out, len(s) - len(s.lstrip(".")))
    for symbol in ("US$", "C$", "A$"):
        if s.startswith(symbol):
            out = len(symbol)
    return out


def _suffix_length_scalar(s: str) -> int:
    """:func:`_suffix_lengths` for one string."""
    if not s:
        return 0
    out = 1 if char_flags(s[-1]) & F_SUFFIX else 0
    for ending in ("'s", "'S", "\u2019s", "\u2019S", "\u2026\u2026"):
        if s.endswith(ending):
            out = 2
    if s.endswith(".."):
        out = max(out, len(s) - len(s.rstrip(".")))
    unit = UNIT_SUFFIX_PY.search(s)
    if unit:
        out = max(out, len(unit.group(1)))
    if s[-1] == "." and out == 0:
        prev = s[-2] if len(s) > 1 else ""
        prev2 = s[-3] if len(s) > 2 else ""
        f_prev, f_prev2 = char_flags(prev), char_flags(prev2)
        degree = prev != "" and prev in "FfCcKk" and prev2 == "\u00b0"
        if f_prev & F_PERIOD_CONTEXT or (f_prev & F_UPPER and f_prev2 & F_UPPER) or degree:
            out = 1
    return out


def _split_affixes_scalar(core: str) -> tuple[list[str], str, list[str]]:
    """The affix loop of :func:`segment_pieces` for one string: (prefixes, what is left,
    suffixes)."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    while core and core not in SPECIAL_CASES:
        p_len = _prefix_length_scalar(core)
        prefix, rest = core[:p_len], core[p_len:]
        s_len = _suffix_length_scalar(rest)
        suffix, middle = (rest[-s_len:], rest[:-s_len]) if s_len else ("", rest)
        if not p_len and not s_len:
            break
        if p_len and rest in SPECIAL_CASES:
            prefixes.append(prefix)
            core = rest
            break
        if s_len and prefix + middle in SPECIAL_CASES:
            suffixes.insert(0, suffix)
            core = prefix + middle
            break
        if p_len:
            prefixes.append(prefix)
        if s_len:
            suffixes.insert(0, suffix)
        core = middle
    return prefixes, core, suffixes


def segment_pieces(pieces: pa.Array) -> pa.Array:
    """Tokenize whitespace-free pieces with the full rules: each piece with ``\\x00``
    between its tokens.

    spaCy's affix loop, run for all pieces at once: while a piece is not a special case,
    take off one prefix and one suffix; stop when nothing comes off, or when what is left
    after taking off only the prefix (only the suffix) is a special case.
    """
    keys, joined, _, _ = special_tables()
    n = len(pieces)
    core = pieces.cast(pa.string())
    pre = pa.array([""] * n, pa.string())  # "token\x00" items
    suf = pre  # "\x00token" items
    active = np.arange(n)
    finished: list[tuple[np.ndarray, pa.Array, pa.Array, pa.Array]] = []

    def retire(stop: np.ndarray) -> bool:
        """Move the rows where ``stop`` out of the loop; True when none is left."""
        nonlocal active, core, pre, suf
        if stop.any():
            sel = pa.array(stop)
            finished.append((active[stop], core.filter(sel), pre.filter(sel), suf.filter(sel)))
            keep = ~stop
            if not keep.any():
                active = active[:0]
                return True
            sel = pa.array(keep)
            active, core, pre, suf = active[keep], core.filter(sel), pre.filter(sel), suf.filter(sel)
        return False

    while len(active):
        if len(active) <= _SCALAR_TAIL:
            # A handful of pieces with long runs of punctuation left: finish them one by
            # one (same rules) rather than with one round of array operations per mark.
            done = [_split_affixes_scalar(c) for c in core.to_pylist()]
            pre = pc.binary_join_element_wise(
                pre, pa.array(["".join(t + "\x00" for t in d[0]) for d in done], pa.string()), ""
            )
            suf = pc.binary_join_element_wise(
                pa.array(["".join("\x00" + t for t in d[2]) for d in done], pa.string()), suf, ""
            )
            core = pa.array([d[1] for d in done], pa.string())
            retire(np.ones(len(active), dtype=bool))
            break
        stop = np_bool(pc.is_in(core, value_set=keys)) | np_bool(
            pc.equal(pc.utf8_length(core), 0)
        )
        if retire(stop):
            break
        p_len = _prefix_lengths(core)
        p, rest = _cut(core, p_len, at_end=False)
        s_len = _suffix_lengths(rest)
        s, m = _cut(rest, s_len, at_end=True)
        has_p, has_s = p_len > 0, s_len > 0
        # What is left after taking off only the prefix / only the suffix may be special.
        minus_suf = pc.binary_join_element_wise(p, m, "")
        pre_special = has_p & np_bool(pc.is_in(rest, value_set=keys))
        suf_special = ~pre_special & has_s & np_bool(pc.is_in(minus_suf, value_set=keys))
        take_p = has_p & ~suf_special
        take_s = has_s & ~pre_special
        core = pc.if_else(
            pa.array(pre_special), rest, pc.if_else(pa.array(suf_special), minus_suf, m)
        )
        pre = pc.if_else(pa.array(take_p), pc.binary_join_element_wise(pre, p, _SEP, ""), pre)
        suf = pc.if_else(pa.array(take_s), pc.binary_join_element_wise(_SEP, s, suf, ""), suf)
        if retire(~(has_p | has_s) | pre_special | suf_special):
            break


    order = np.argsort(np.concatenate([f[0] for f in finished]), kind="stable")
    core = pa.concat_arrays([f[1] for f in finished]).take(pa.array(order))
    pre = pa.concat_arrays([f[2] for f in finished]).take(pa.array(order))
    suf = pa.concat_arrays([f[3] for f in finished]).take(pa.array(order))

    # What is left: a special case, a URL, or cut at infixes.
    special_idx = pc.index_in(core, value_set=keys)
    is_special = np_bool(pc.is_valid(special_idx))
    candidate = np_bool(pc.match_substring_regex(core, INFIX_CANDIDATE_RE)) & ~is_special
    if candidate.any():
        cand_idx = np.flatnonzero(candidate)
        ascii_only = np_bool(pc.string_is_ascii(take_rows(core, cand_idx)))
        # The same rules, with character classes reduced to ASCII where the text is ASCII
        # (much cheaper regular expressions to build).
        for patterns, rows in ((ASCII_INFIX, cand_idx[ascii_only]), (INFIX, cand_idx[~ascii_only])):
            if not len(rows):
                continue
            url_re, plain_re, context_res = patterns
            url = np_bool(pc.match_substring_regex(take_rows(core, rows), url_re))
            split_idx = rows[~url]
            if not len(split_idx):
                continue
            sub = take_rows(core, split_idx)
            sub = pc.replace_substring_regex(sub, plain_re, "\x00\\1\x00")
            for pattern in context_res:
                for _ in range(2):  # again, for infixes sharing a context character
                    sub = pc.replace_substring_regex(sub, pattern, "\\1\\4\x00\\2\\5\x00\\3\\6")
            mask = np.zeros(len(core), dtype=bool)
            mask[split_idx] = True
            core = pc.replace_with_mask(core, pa.array(mask), sub)
    if is_special.any():
        core = pc.if_else(pa.array(is_special), pc.take(joined, special_idx), core)
    return pc.binary_join_element_wise(pre, core, suf, "")


def merge_special_spans(tokens: pa.Array, piece: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """spaCy's last pass: runs of 2-5 tokens of one piece that spell a special case
    containing punctuation (``Mr`` ``.`` from ``Mr.Smith``, ``)`` ``:``) become that special
    case's tokens.  Longest runs first, then leftmost; a run touching one already taken is
    skipped."""
    _, _, _, merge_keys = special_tables()
    n = len(tokens)
    matches: list[tuple[int, int]] = []  # (length, start)
    for width in range(5, 1, -1):
        if n < width:
            continue
        starts = np.flatnonzero(piece[: n - width + 1] == piece[width - 1 :])
        if not len(starts):
            continue
        parts = [take_rows(tokens, starts + k) for k in range(width)]
        joined = pc.binary_join_element_wise(*parts, "")
        hit = np_bool(pc.is_in(joined, value_set=merge_keys))
        matches.extend((width, int(i)) for i in starts[hit])
    if not matches:
        return tokens, piece
    # Few matches per batch: resolve them in order, as spaCy does.
    seen: set[int] = set()
    accepted: list[tuple[int, int]] = []
    for width, start in sorted(matches, key=lambda m: (-m[0], m[1])):
        if start not in seen and start + width - 1 not in seen:
            accepted.append((start, width))
        seen.update(range(start, start + width))
    accepted.sort()
    keep = np.ones(n, dtype=bool)
    replace_at: list[int] = []
    replace_with: list[str] = []
    values = tokens.to_pylist() if len(accepted) > 64 else None
    for start, width in accepted:
        run = values[start : start + width] if values is not None else take_rows(
            tokens, np.arange(start, start + width)).to_pylist()
        rule = SPECIAL_CASES["".join(run)]
        # The special case's tokens replace the run's first len(rule) tokens; the rest go.
        if len(rule) > width:
            continue  # not in spaCy's rules for these strings
        for k, token in enumerate(rule):
            replace_at.append(start + k)
            replace_with.append(token)
        keep[start + len(rule) : start + width] = False
    mask = np.zeros(n, dtype=bool)
    mask[replace_at] = True
    order = np.argsort(replace_at, kind="stable")
    tokens = pc.replace_with_mask(
        tokens, pa.array(mask), pa.array([replace_with[i] for i in order], tokens.type)
    )
    return tokens.filter(pa.array(keep)), piece[keep]
