"""Language names and tags as Project Gutenberg and EPUB write them, to ISO 639-1 codes.

PG text headers name the language in English (``Language: English``); RDF records and OPF
packages give a BCP 47 / RFC 4646 tag (``en``, ``en-US``).  :func:`iso639_1` maps both to
the two-letter code (``"en"``), or None when the language is unknown.
"""

from __future__ import annotations

import re

# English names of the languages with books on Project Gutenberg (its catalogue's language
# list) -> ISO 639-1.  Languages without a two-letter code are left out.
LANGUAGE_NAMES: dict[str, str] = {
    "afrikaans": "af",
    "arabic": "ar",
    "basque": "eu",
    "belarusian": "be",
    "bengali": "bn",
    "breton": "br",
    "bulgarian": "bg",
    "catalan": "ca",
    "chinese": "zh",
    "croatian": "hr",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "esperanto": "eo",
    "estonian": "et",
    "farsi": "fa",
    "finnish": "fi",
    "flemish": "nl",
    "french": "fr",
    "frisian": "fy",
    "western frisian": "fy",
    "galician": "gl",
    "gaelic": "gd",
    "scottish gaelic": "gd",
    "german": "de",
    "greek": "el",
    "modern greek": "el",
    "hebrew": "he",
    "hindi": "hi",
    "hungarian": "hu",
    "icelandic": "is",
    "indonesian": "id",
    "interlingua": "ia",
    "irish": "ga",
    "italian": "it",
    "japanese": "ja",
    "korean": "ko",
    "latin": "la",
    "latvian": "lv",
    "lithuanian": "lt",
    "macedonian": "mk",
    "malay": "ms",
    "maori": "mi",
    "norwegian": "no",
    "occitan": "oc",
    "old english": "en",
    "persian": "fa",
    "polish": "pl",
    "portuguese": "pt",
    "romanian": "ro",
    "russian": "ru",
    "sanskrit": "sa",
    "serbian": "sr",
    "slovak": "sk",
    "slovenian": "sl",
    "spanish": "es",
    "swedish": "sv",
    "tagalog": "tl",
    "tamil": "ta",
    "telugu": "te",
    "thai": "th",
    "turkish": "tr",
    "ukrainian": "uk",
    "urdu": "ur",
    "vietnamese": "vi",
    "welsh": "cy",
    "yiddish": "yi",
}

_TAG = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$")


def iso639_1(value: str | None) -> str | None:
    """``"English"``, ``"en"``, ``"en-US"`` -> ``"en"``; the first of several (``"English
    and French"``, ``"en, fr"``); None when not recognised."""
    if not value:
        return None
    first = re.split(r"\s*(?:,|;|/|\band\b|&)\s*", value.strip().lower(), maxsplit=1)[0].strip()
    match = _TAG.match(first)
    if match:
        return match.group(1)
    return LANGUAGE_NAMES.get(re.sub(r"\s+", " ", first))
