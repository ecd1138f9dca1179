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
# Two shapes only, chosen for precision (see PIIMasker):
#  * international: ``+`` and a country code, then 6-16 digits in groups separated by
#    single spaces, dots or hyphens, with an optional area code in parentheses;
#  * North American: ``(555) 123-4567``, ``555-123-4567``, ``555.123.4567`` (the same
#    separator is not enforced), optionally after ``1-`` / ``1 ``.
# Neither may touch a letter, digit or ``_`` on the left or a digit on the right.
_SEP = r"[ .\-]"
_INTL = rf"\+[1-9][0-9]{{0,2}}(?:{_SEP}?\([0-9]{{1,4}}\))?{_SEP}?[0-9]{{1,4}}(?:{_SEP}?[0-9]{{2,4}}){{3,6}}"
_NANP = r"(?:1[ \-.])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[\-.])[2-9][0-9]{2}[\-.][0-9]{4}"
PHONE_RE = rf"(^|[^A-Za-z0-9_+\-.])((?:{_INTL}|{_NANP}))\b"


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
    * phones: international numbers written with ``+`` and a country code, and North
      American ``(555) 123-4567`` / ``555-123-4567`` / ``555.123.4567``.  Not bare digit
      runs (``5551234567`` is as likely an ID or an amount), not national formats of other
      countries without ``+`` (``020 7946 0958``; ambiguous with numbers in tables), not
      dates (``2024-01-15``, ``15.01.2024``), ISBNs, times or number ranges.

    Placeholders are settings (``email_placeholder``, ``phone_placeholder``,
    ``ip_placeholder``, taken literally); set a ``mask_*`` setting to false to leave a kind
    alone.  Masking runs emails, then IPs, then phones, so an address is never half-taken
    by another rule.  Known limits: a phone number followed by more digit groups
    (``415-555-2671-22``) is masked up to its fourth group; the noncharacter U+FDD0, used
    internally as a marker, is removed from texts that contain it.
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
            text, found = _mask(text, PHONE_RE, rf"\1{_rewrite(self.phone_placeholder)}")
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
