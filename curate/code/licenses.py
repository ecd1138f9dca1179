"""Licence detection: a repository's licence file to an SPDX id, and per-file SPDX headers.

Two matchers, tried in order on the licence text:

1. Whole-text match against the licence texts ``identify`` bundles (choosealicense.com's
   35 texts, with the copyright lines dropped and whitespace normalised): an exact match,
   else the nearest text within 5% edit distance (``ukkonen``).  This is
   ``identify.identify.license_id`` on text in memory; it is skipped when ``identify``
   or ``ukkonen`` is not installed (``pip install 'curate[code]'``: ``identify[license]<3``).
2. The title or a distinctive sentence of a well-known licence (``Apache License,
   Version 2.0``, ``PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2``, the MIT grant ...),
   the earliest in the file winning.  This catches licence files with extra text
   (Python's history of licences, an Apache appendix filled in, GPL with a preamble of
   the project's own) and licences ``identify`` does not bundle (PSF-2.0).
"""

from __future__ import annotations

import math
import re
import sys
from functools import lru_cache

# Names of licence files at a repository's root, compared case-insensitively.  The
# plain names first: when a repository has several, the first one found decides.
LICENSE_STEMS = ("license", "licence", "copying", "unlicense")
LICENSE_SUFFIXES = ("", ".md", ".txt", ".rst", ".markdown")
SECONDARY_RANK = 10

_COPYRIGHT = re.compile(r"^\s*(?:Copyright|\(C\)|©).*$", re.IGNORECASE | re.MULTILINE)
_SPACE = re.compile(r"\s+")

# (SPDX id, phrase); whitespace in the text is normalised to single spaces first.
_PHRASES: tuple[tuple[str, str], ...] = (
    ("AGPL-3.0", r"GNU AFFERO GENERAL PUBLIC LICENSE Version 3"),
    ("LGPL-3.0", r"GNU LESSER GENERAL PUBLIC LICENSE Version 3"),
    ("LGPL-2.1", r"GNU LESSER GENERAL PUBLIC LICENSE Version 2\.1"),
    ("LGPL-2.0", r"GNU LIBRARY GENERAL PUBLIC LICENSE Version 2"),
    ("GPL-3.0", r"GNU GENERAL PUBLIC LICENSE Version 3"),
    ("GPL-2.0", r"GNU GENERAL PUBLIC LICENSE Version 2"),
    ("Apache-2.0", r"Apache License,? Version 2\.0"),
    ("Apache-2.0", r"Version 2\.0, January 2004 https?://www\.apache\.org/licenses/"),
    ("MPL-2.0", r"Mozilla Public License,? (?:Version|v\.?) ?2\.0"),
    ("PSF-2.0", r"PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2"),
    ("BSL-1.0", r"Boost Software License - Version 1\.0"),
    ("EPL-2.0", r"Eclipse Public License - v 2\.0"),
    ("EPL-1.0", r"Eclipse Public License - v 1\.0"),
    ("Unlicense", r"This is free and unencumbered software released into the public domain"),
    ("CC0-1.0", r"CC0 1\.0 Universal"),
    ("WTFPL", r"DO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE"),
    (
        "ISC",
        r"Permission to use, copy, modify, and(?:/or)? distribute this software for any purpose "
        r"with or without fee is hereby granted, provided that the above copyright notice",
    ),
    (
        "0BSD",
        r"Permission to use, copy, modify, and/or distribute this software for any purpose "
        r"with or without fee is hereby granted\. THE SOFTWARE IS PROVIDED",
    ),
    ("MIT", r"Permission is hereby granted, free of charge, to any person obtaining a copy"),
    ("Zlib", r"This software is provided ['‘]as-is['’], without any express or implied warranty"),
    (
        "BSD-3-Clause",
        r"Redistribution and use in source and binary forms.{0,1200}?"
        r"(?:Neither the name|The names? of (?:the )?(?:author|contributor|copyright))",
    ),
    ("BSD-2-Clause", r"Redistribution and use in source and binary forms"),
)
_PHRASE_PATTERNS = tuple((spdx, re.compile(p, re.IGNORECASE | re.DOTALL)) for spdx, p in _PHRASES)

_SPDX_HEADER = re.compile(
    r"SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+?)\s*(?:\*/|-->|\*\)|#\}|;|$)", re.MULTILINE
)
# Where per-file SPDX headers are looked for.
HEADER_BYTES = 4096


def is_license_file(path: str) -> bool:
    """Whether ``path`` is a licence file at the repository root (``LICENSE``, ``COPYING.txt``)."""
    if "/" in path:
        return False
    return license_file_rank(path) is not None


def license_file_rank(name: str) -> int | None:
    """Preference of a root file name as the licence file (lower first), None if it is not one.

    ``COPYING.LESSER`` (an LGPL project's licence beside the GPL text it builds on) ranks
    first, then ``LICENSE``/``LICENCE``/``COPYING``/``UNLICENSE`` with a plain suffix
    (``.md``, ``.txt`` ...), then per-licence files such as ``LICENSE-MIT`` or
    ``LICENSE.APACHE`` (ranks from ``SECONDARY_RANK`` on).
    """
    lowered = name.lower()
    for rank, stem in enumerate(LICENSE_STEMS):
        if lowered.startswith(stem):
            rest = lowered[len(stem) :]
            if rest in LICENSE_SUFFIXES:
                return rank + 1
            if rest[:1] in ("-", "_", "."):
                return -1 if "lesser" in rest or "lgpl" in rest else SECONDARY_RANK + rank
    return None


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", _COPYRIGHT.sub("", text)).strip()


# identify's version range whose ``identify.vendor.licenses.LICENSES`` layout this module
# reads; pyproject.toml's ``code`` extra pins the same range.
IDENTIFY_REQUIREMENT = "identify[license]>=2.5,<3"


@lru_cache(maxsize=1)
def _bundled_licenses() -> tuple[tuple[str, str], ...]:
    """identify's licence texts, normalised; empty when identify or ukkonen is missing.

    ``identify.vendor.licenses.LICENSES`` is not a public API of identify: it is read here
    because identify's public ``identify.identify.license_id(filename)`` takes a file path
    (curate has the text in memory, from a git blob or an archive member) and normalises
    all 35 texts again on every call, where this module normalises them once.  The table
    is a tuple of (SPDX id, licence text) pairs in identify 2.x; pyproject pins
    ``identify<3`` and tests/code/test_licenses.py checks that shape, so a release that
    moves it fails there and here with a message, not with silently weaker matching.
    """
    try:
        import identify  # noqa: F401
        import ukkonen  # noqa: F401
    except ImportError:
        return ()  # the phrase rules alone (pip install 'curate[code]' adds the whole-text match)
    try:
        from identify.vendor.licenses import LICENSES

        return tuple((str(spdx), _normalise(text)) for spdx, text in LICENSES)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("identify")
        except PackageNotFoundError:
            installed = "(version unknown)"
        raise ImportError(
            f"curate.code.licenses: identify {installed} has no identify.vendor.licenses.LICENSES "
            f"table of (SPDX id, text) pairs ({exc}); install {IDENTIFY_REQUIREMENT!r} "
            "(pip install 'curate[code]')"
        ) from exc


def match_bundled(text: str) -> str | None:
    """The bundled licence whose text ``text`` is, within 5% edit distance; None otherwise."""
    bundled = _bundled_licenses()
    norm = _normalise(text)
    if not bundled or not norm:
        return None
    import ukkonen

    cutoff = math.ceil(0.05 * len(norm))
    best, best_distance = None, sys.maxsize
    for spdx, reference in bundled:
        if norm == reference:
            return spdx
        if abs(len(norm) - len(reference)) / len(norm) > 0.05:
            continue
        distance = ukkonen.distance(norm, reference, cutoff)
        if distance < cutoff and distance < best_distance:
            best, best_distance = spdx, distance
    return best


def match_phrases(text: str) -> str | None:
    """The licence whose title or distinctive sentence comes first in ``text``; None if none."""
    norm = _SPACE.sub(" ", text)
    best: tuple[int, str] | None = None
    for spdx, pattern in _PHRASE_PATTERNS:
        match = pattern.search(norm)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), spdx)
    return best[1] if best else None


def detect_license(text: str) -> str | None:
    """The SPDX id of the licence ``text`` is, or None: see the module docstring."""
    return match_bundled(text) or match_phrases(text)


def spdx_header(head: str) -> str | None:
    """The expression of an ``SPDX-License-Identifier:`` line near the top of a file, or None."""
    match = _SPDX_HEADER.search(head[:HEADER_BYTES])
    if not match:
        return None
    value = match.group(1).strip()
    return value or None
