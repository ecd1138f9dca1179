"""Mask personal data in ``text``: email addresses, phone numbers and IP addresses.

All matching is RE2 through ``pyarrow.compute`` (``count_substring_regex`` then
``replace_substring_regex``), so a batch is masked without a Python loop.  RE2 has no
look-around, so the patterns take the character before a match as a capture group and
put it back; ranges that must not be masked are first marked with a private sentinel
character that the patterns refuse, and the marks are removed afterwards.

Sources: datatrove's ``PIIFormatter`` (email and IPv4 patterns, public-IP-only masking),
the StarCoder/BigCode PII pipeline (Li et al. 2023, placeholders such as
``<EMAIL_ADDRESS>``), and the IANA special-purpose address registries (RFC 6890) for the
ranges that identify no one.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Stage

# A noncharacter (U+FDD0): it does not occur in real text, and Arrow strings carry it
# fine.  Inserted before a span to protect it from the masking patterns, removed after.
SENTINEL = "\ufdd0"
SENTINEL_RE = r"\x{FDD0}"  # the same character in an RE2 pattern
_S = SENTINEL_RE

# -- emails -------------------------------------------------------------------------------
# The practical subset of RFC 5322: a dot-separated local part of letters, digits and
# ``_ % + -`` (not the quotes, slashes, ``=`` and ``?`` datatrove also accepts, which
# swallow ``?email=`` of a query string), then a domain whose last label is a letters-only
# TLD of 2+ letters (or an IDN ``xn--`` TLD).  ``user@localhost`` and ``user@10.0.0.1`` are
# not emails (the latter is left to the IP rule).
_LOCAL = r"[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = rf"\b{_LOCAL}@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9\-]{{1,59}})\b"
# Retina image names (``logo@2x.png``, ``icon@1.5x.webp``) look like emails: protect them.
EMAIL_PROTECT_RE = r"@([0-9]+(?:\.[0-9]+)?x\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?)\b)"

# -- IP addresses -------------------------------------------------------------------------
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A dotted quad of octets without leading zeros (``01.02.03.04`` is not an address), not
# preceded by a letter, digit, ``_`` or ``.`` (``v1.2.3.4``, ``x.1.2.3.4``) nor followed by
# a letter, digit or ``_``.  Runs of five or more dotted numbers (``1.2.3.4.5``, versions
# and OIDs) are protected first, so no address is taken out of them.
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
IPV4_RE = rf"(^|[^A-Za-z0-9_.{_S}])({_IPV4})\b"
DOTTED_RUN_PROTECT_RE = r"(^|[^A-Za-z0-9_.])([0-9]+(?:\.[0-9]+){4,})"

# Ranges that identify no host on the public internet (RFC 6890 and friends): "this
# network" 0/8, private 10/8, 172.16/12, 192.168/16, shared CGNAT 100.64/10, loopback
# 127/8, link-local 169.254/16, IETF 192.0.0/24, the documentation nets 192.0.2/24,
# 198.51.100/24, 203.0.113/24, benchmarking 198.18/15, multicast 224/4 and reserved 240/4
# (which holds 255.255.255.255 and the netmasks 255.x).
_NON_PUBLIC_V4 = (
    r"(?:0|10|127)\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|100\.(?:6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|169\.254\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|172\.(?:1[6-9]|2[0-9]|3[01])\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|192\.168\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|192\.0\.[02]\.[0-9]{1,3}"
    r"|198\.1[89]\.[0-9]{1,3}\.[0-9]{1,3}"
    r"|198\.51\.100\.[0-9]{1,3}"
    r"|203\.0\.113\.[0-9]{1,3}"
    r"|(?:22[4-9]|2[3-5][0-9])\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
)
IPV4_PROTECT_RE = rf"(^|[^A-Za-z0-9_.])((?:{_NON_PUBLIC_V4})\b)"

_H = r"[0-9A-Fa-f]{1,4}"


def _ipv6_pattern() -> str:
    """Global unicast IPv6 (2000::/3: the first group is 4 hex digits starting with 2 or 3),
    full (8 groups) or compressed with ``::`` (at least one group on each side).

    Only global unicast is masked: loopback ``::1``, link-local ``fe80::``, unique-local
    ``fc00::/7`` and multicast ``ff00::/8`` identify no one, and requiring a leading
    ``2xxx``/``3xxx`` group keeps C++ ``std::vector`` and ``a::b`` out.
    """
    first = r"[23][0-9A-Fa-f]{3}"
    forms = [rf"{first}(?::{_H}){{7}}"]
    for left in range(7, 0, -1):  # groups before '::', including the first
        right_max = 7 - left
        if right_max < 1:
            continue
        forms.append(rf"{first}(?::{_H}){{{left - 1}}}::{_H}(?::{_H}){{0,{right_max - 1}}}")
    return "(?:" + "|".join(forms) + ")"


_IPV6 = _ipv6_pattern()
IPV6_RE = rf"(^|[^0-9A-Za-z_:.{_S}])({_IPV6})\b"
# The documentation prefix 2001:db8::/32 (RFC 3849).
IPV6_PROTECT_RE = r"(^|[^0-9A-Za-z_:.])(2001:0{0,3}[dD][bB]8:)"

# -- phone numbers ------------------------------------------------------------------------
# Phone-shaped numbers are masked whether or not the number is assigned or even valid: a
# user masking PII wants ``(555) 123-4567`` gone although ``123`` is no NANP exchange code.
# A separator is one space, no-break space, dot or hyphen.  The shapes:
#  * North American: a 3-digit area code (2-9 first, as every NANP area code; in brackets or
#    followed by a separator), any 3-digit exchange, a separator, 4 digits:
#    ``(283) 182-3829``, ``(283)-182-3829``, ``(283)182-3829``, ``283-182-3829``,
#    ``283.182.3829``, ``283 182-3829``, ``283 182 3829``; optionally after ``+1``, ``1-``,
#    ``1 `` or ``1.``; also E.164 ``+12831823829``.  Not bare runs (``2831823829``), not
#    area codes starting 0 or 1 (``123-456-7890``), not 7-digit local numbers.
#  * international: ``+`` and a country code, then a separator, an optional trunk ``(0)``
#    or bracketed area code, and digit groups: 3+ groups (``+33 1 23 45 67 89``,
#    ``+44 20 7946 0958``), or 2 groups of which the second has 5+ digits or of 3+ and 4+
#    digits (``+49 30 123456``, ``+354 555 1234``), or one of 7-12 digits
#    (``+91 9876543210``); ``+(44) ...``; or E.164 without separators, 7-15 digits
#    (``+442079460958``).
#  * an extension right after either (``ext. 123``, ``Ext: 12``, ``extension 12``,
#    ``x123``) is part of the number and masked with it.
# Guards (RE2 has no look-around: the character(s) before a number are captured and put
# back, and spans that must stay are protected with the sentinel first):
#  * left: a number starting with a digit may not touch a letter, digit, ``_``, ``+``, ``-``
#    or ``.`` (``a415-555-2671``, ``978-415-555-2671``); one starting with ``(`` or ``+``
#    may touch a letter (``Tel(415) 555-2671``, ``India+91 ...``, glued by HTML extraction)
#    but not a digit or ``+``; the all-space form may not follow a digit and a space
#    (``100 200 400 800 1600``: a list of numbers).
#  * right: no letter, digit or ``_`` (``\b``); a North American number followed by ``-``
#    or ``.`` and a digit (``415-555-2671-22``, ``1-800-555-0199.5``: part numbers,
#    ISBN-like codes, versions) or, in the all-space form, by a space and 3+ digits, is
#    protected and kept whole.
_SEP = r"[ .\-\x{00A0}]"
_SP = r"[ \x{00A0}]"
_AREA = r"[2-9][0-9]{2}"
_TAIL = rf"[0-9]{{3}}{_SEP}[0-9]{{4}}"  # exchange and line number
_NANP_BODY = rf"(?:\({_AREA}\){_SEP}?|{_AREA}{_SEP}){_TAIL}"
# Digit-first forms with a dot or hyphen in them (the strict left guard).
_NANP_DIGIT = (
    rf"(?:1{_SEP})?{_AREA}(?:[.\-]{_TAIL}|{_SP}[0-9]{{3}}[.\-][0-9]{{4}})"
    rf"|1{_SEP}?\({_AREA}\){_SEP}?{_TAIL}"
)
# The all-space form ``415 555 2671`` / ``1 415 555 2671`` (its own left guard).
_NANP_SPACED = rf"(?:1{_SP})?{_AREA}{_SP}[0-9]{{3}}{_SP}[0-9]{{4}}"
# Forms that start with ``(`` or ``+`` (the loose left guard).
_NANP_MARKED = rf"\({_AREA}\){_SEP}?{_TAIL}|\+1{_SEP}?{_NANP_BODY}|\+1{_AREA}[0-9]{{7}}"
_GROUPS = (
    rf"[0-9]{{1,5}}(?:{_SEP}[0-9]{{2,8}}){{2,5}}"
    rf"|[0-9]{{1,5}}{_SEP}[0-9]{{5,8}}"
    rf"|[0-9]{{3,5}}{_SEP}[0-9]{{4,8}}"
    rf"|[0-9]{{7,12}}"
)
_INTL = (
    rf"(?:\+[1-9][0-9]{{0,2}}(?:{_SEP}?\(0\){_SEP}?|{_SEP})|\+\([1-9][0-9]{{0,2}}\){_SEP}?)(?:{_GROUPS})"
    rf"|\+[1-9][0-9]{{0,2}}{_SEP}?\([0-9]{{1,4}}\){_SEP}?"
    rf"(?:[0-9]{{2,8}}(?:{_SEP}[0-9]{{2,8}}){{1,4}}|[0-9]{{5,8}})"
    rf"|\+[1-9][0-9]{{6,14}}"
)
_EXT = r"(?:,? ?(?i:ext(?:ension)?\.?:?|x) ?[0-9]{1,6})?"
_STRICT_LEFT = rf"(^|[^A-Za-z0-9_+\-.{_S}])"
_SPACED_LEFT = rf"(^{_SP}?|[^A-Za-z0-9_+\-.{_S} \x{{00A0}}]|[^0-9{_S}]{_SP})"
_LOOSE_LEFT = rf"(^|[^0-9+{_S}])"
# Three alternatives: groups 1, 3 and 5 are the context before the number, 2, 4 and 6 the
# number (a group of an alternative that did not match is empty in a rewrite).
PHONE_RE = (
    rf"{_STRICT_LEFT}((?:{_NANP_DIGIT}){_EXT})\b"
    rf"|{_SPACED_LEFT}({_NANP_SPACED}{_EXT})\b"
    rf"|{_LOOSE_LEFT}((?:{_NANP_MARKED}|{_INTL}){_EXT})\b"
)
PHONE_PROTECT_RE = (
    rf"{_STRICT_LEFT}((?:{_NANP_DIGIT})[.\-][0-9])"
    rf"|{_SPACED_LEFT}({_NANP_SPACED}(?:[.\-][0-9]|{_SP}[0-9]{{3}}))"
    rf"|{_LOOSE_LEFT}((?:{_NANP_MARKED})[.\-][0-9])"
)
_CONTEXT, _NUMBER = r"\1\3\5", r"\2\4\6"


def _protect_phones(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Put the sentinel before the spans of ``PHONE_PROTECT_RE``."""
    return pc.replace_substring_regex(text, PHONE_PROTECT_RE, rf"{_CONTEXT}{SENTINEL}{_NUMBER}")


# A second noncharacter, put before each phone placeholder while the phones are counted.
_COUNT_MARK = "\ufdd1"


def _mask_phones(
    text: pa.ChunkedArray | pa.Array, placeholder: str
) -> tuple[pa.ChunkedArray | pa.Array, pa.ChunkedArray | pa.Array]:
    """Mask phone numbers with ``placeholder`` (literal); returns the text, which may hold
    the sentinel (see ``_unprotect``), and the int32 count per text.

    One ``count`` pass over every text finds those with a phone-shaped match; protection,
    replacement and counting run on those texts only (protection can only remove matches)
    and are put back in place with ``replace_with_mask``, per Arrow chunk.  The count is
    of the placeholders written, each behind a mark (U+FDD1, removed from the text before
    and after), from the byte lengths with and without the marks: ``count_substring_regex``
    restarts its search after a match as at the start of a text, so ``^`` of the
    left-context group would count a number glued to the one before (``...-90+1 (929)
    ...``) that the replacement rightly keeps."""
    if isinstance(text, pa.ChunkedArray):
        parts = [_mask_phones(chunk, placeholder) for chunk in text.chunks]
        return (
            pa.chunked_array([p[0] for p in parts], text.type),
            pa.chunked_array([p[1] for p in parts], pa.int32()),
        )
    counts = pc.count_substring_regex(text, PHONE_RE).cast(pa.int32())
    hit = pc.fill_null(pc.greater(counts, 0), False)
    if not pc.any(hit).as_py():
        return text, counts
    sub = pc.replace_substring(_protect_phones(pc.filter(text, hit)), _COUNT_MARK, "")
    sub = pc.replace_substring_regex(sub, PHONE_RE, _CONTEXT + _rewrite(_COUNT_MARK + placeholder))
    unmarked = pc.replace_substring(sub, _COUNT_MARK, "")
    marks = pc.subtract(pc.binary_length(sub), pc.binary_length(unmarked))  # bytes of marks
    sub_counts = pc.divide(marks, len(_COUNT_MARK.encode())).cast(pa.int32())
    return pc.replace_with_mask(text, hit, unmarked), pc.replace_with_mask(counts, hit, sub_counts)


def _rewrite(placeholder: str) -> str:
    """A literal for an RE2 rewrite string (backslashes are its escape character)."""
    return placeholder.replace("\\", "\\\\")


def _mask(
    text: pa.ChunkedArray | pa.Array, pattern: str, rewrite: str
) -> tuple[pa.ChunkedArray | pa.Array, pa.ChunkedArray | pa.Array]:
    counts = pc.count_substring_regex(text, pattern)
    if pc.sum(counts).as_py():
        text = pc.replace_substring_regex(text, pattern, rewrite)
    return text, counts


def _protect(text: pa.ChunkedArray | pa.Array, pattern: str) -> pa.ChunkedArray | pa.Array:
    """Put the sentinel before group 2 of ``pattern`` (group 1 is the context before it)."""
    return pc.replace_substring_regex(text, pattern, rf"\1{SENTINEL}\2")


def _unprotect(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return pc.replace_substring(text, SENTINEL, "")


@register
class PIIMasker(Stage):
    """Replace email addresses, phone numbers and IP addresses in ``text`` with
    placeholders, and count them per document.

    Changes ``text``; drops nothing.  Writes int32 columns ``pii_emails``, ``pii_phones``
    and ``pii_ips`` (IPv4 and IPv6) with the number of replacements (0 when a kind is
    off).

    What is masked, and what deliberately is not (precision over recall: a masked
    version number or date damages training text and is not recoverable):

    * emails: ``local@domain.tld`` with a letters-only TLD.  Not ``user@localhost``, not
      retina image names like ``logo@2x.png``.
    * IPv4: dotted quads without leading zeros; only *public* addresses by default, as
      datatrove does (``only_remove_public_ips``): private (10/8, 172.16/12, 192.168/16), loopback, link-local,
      CGNAT, documentation (192.0.2/24, 198.51.100/24, 203.0.113/24), benchmarking,
      multicast and reserved ranges (netmasks such as 255.255.255.0) identify no one and
      fill networking tutorials; ``mask_private_ips: true`` masks them too.  Quads glued
      to letters or more dots (``v1.2.3.4``, ``1.2.3.4.5``) are taken for versions and
      kept; a bare ``1.2.3.4`` in software text is ambiguous and is masked when public.
    * IPv6: global unicast (2000::/3) only, full or ``::``-compressed, except the
      documentation prefix 2001:db8::/32 (masked too with ``mask_private_ips``).
      Loopback, link-local, unique-local and multicast IPv6 are never masked, and
      requiring a leading ``2xxx:``/``3xxx:`` group keeps C++ ``a::b`` out.  Embedded
      IPv4 forms (``::ffff:1.2.3.4``) are left to the IPv4 rule.
    * phones: anything shaped like a phone number, valid or not (``(555) 123-4567`` is
      masked though 123 is no NANP exchange): North American ``(283) 182-3829``,
      ``(283)-182-3829``, ``283-182-3829``, ``283.182.3829``, ``283 182 3829``, with an
      optional ``+1``/``1-``/``1 `` prefix, and E.164 ``+12831823829``; international
      numbers written with ``+`` and a country code, in groups separated by spaces, dots
      or hyphens, with an optional ``(0)`` or bracketed area code (``+44 (0)20 7946 0958``,
      ``+33 1 23 45 67 89``, ``+91 98765 43210``), or E.164 ``+442079460958``.  An
      extension written right after the number (``ext. 123``, ``x123``) is masked with
      it.  Not bare digit runs (``5551234567`` is as likely an ID or an amount), not
      area codes starting 0 or 1 (``123-456-7890``), not 7-digit local numbers, not
      national formats of other countries without ``+`` (``020 7946 0958``; ambiguous with
      numbers in tables), not dates (``2024-01-15``, ``15.01.2024``), versions, prices,
      ISBNs, card-like numbers, times, year ranges or coordinates; a North American shape
      glued to more digit groups (``415-555-2671-22``, ``100 200 400 800 1600``) is kept
      whole.

    Placeholders are settings (``email_placeholder``, ``phone_placeholder``,
    ``ip_placeholder``, taken literally); set a ``mask_*`` setting to false to leave a kind
    alone.  Masking runs emails, then IPs, then phones, so an address is never half-taken
    by another rule.  Known limits: an international number takes up to six digit groups
    after its country code, so a number right after it may go with it
    (``+44 20 7946 0958 2019``); an international number
    with 5+ dotted groups (``+33.1.42.83.62.17``) is kept, as the IP rule protects dotted
    runs (``1.2.3.4.5``) from it; a number glued to a letter on its right
    (``555-2671Sales``) is kept; the noncharacter U+FDD0, used internally as a marker, is
    removed from texts that contain it, and so is U+FDD1 from texts with a phone number.
    """

    mask_emails: bool = True
    mask_phones: bool = True
    mask_ips: bool = True
    mask_private_ips: bool = False
    email_placeholder: str = "<EMAIL_ADDRESS>"
    phone_placeholder: str = "<PHONE_NUMBER>"
    ip_placeholder: str = "<IP_ADDRESS>"
    text_column: str = TEXT
    count_columns: bool = True

    def mask(self, text: pa.ChunkedArray | pa.Array) -> tuple[pa.ChunkedArray | pa.Array, dict[str, pa.Array]]:
        """Mask ``text``; returns the new text and the int32 counts per kind."""
        n = len(text)
        zeros = pa.array([0] * n, pa.int32()) if n else pa.array([], pa.int32())
        counts: dict[str, pa.Array] = {"pii_emails": zeros, "pii_phones": zeros, "pii_ips": zeros}
        protected = False
        if self.mask_emails:
            if pc.any(pc.match_substring_regex(text, EMAIL_PROTECT_RE)).as_py():
                text = pc.replace_substring_regex(text, EMAIL_PROTECT_RE, rf"@{SENTINEL}\1")
                protected = True
            text, found = _mask(text, EMAIL_RE, _rewrite(self.email_placeholder))
            counts["pii_emails"] = found
        if self.mask_ips:
            ip = _rewrite(self.ip_placeholder)
            text = _protect(text, DOTTED_RUN_PROTECT_RE)
            protected = True
            if not self.mask_private_ips:
                text = _protect(text, IPV4_PROTECT_RE)
                text = _protect(text, IPV6_PROTECT_RE)
            text, v4 = _mask(text, IPV4_RE, rf"\1{ip}")
            text, v6 = _mask(text, IPV6_RE, rf"\1{ip}")
            counts["pii_ips"] = pc.add(v4, v6)
        if self.mask_phones:
            text, found = _mask_phones(text, self.phone_placeholder)
            protected = True
            counts["pii_phones"] = found
        if protected:
            text = _unprotect(text)
        return text, {k: pc.fill_null(v, 0).cast(pa.int32()) for k, v in counts.items()}

    def process(self, table: pa.Table) -> pa.Table:
        idx = table.schema.get_field_index(self.text_column)
        if idx < 0:
            raise ValueError(f"pii_masker: the batch has no {self.text_column!r} column")
        text, counts = self.mask(table[self.text_column])
        table = table.set_column(idx, self.text_column, text.cast(table.schema.field(idx).type))
        if self.count_columns:
            for name, values in counts.items():
                i = table.schema.get_field_index(name)
                table = table.set_column(i, name, values) if i >= 0 else table.append_column(name, values)
        return table
