"""curate's filter library (installed as ``curate.filters``): stages that drop or rewrite documents.

Each module holds one family of rules (``gopher``, ``c4``, ``fineweb``, ``books``, ``code``,
``url`` (with ``url_lists`` and ``url_lookup``), ``language``, ``classifier``, ``pii``, ``secrets``, ``normalize``); ``base`` holds
what the word-based filters share.  Their text helpers (word splitting, lines, sentences)
are :mod:`curate.text`.
"""

from curate.filters.books import BookQualityFilter
from curate.filters.c4 import C4QualityFilter
from curate.filters.classifier import FastTextClassifierFilter
from curate.filters.code import CodeQualityFilter
from curate.filters.fineweb import FineWebQualityFilter
from curate.filters.gopher import GopherQualityFilter, GopherRepetitionFilter
from curate.filters.language import LanguageFilter
from curate.filters.normalize import FixMojibake, NormalizeWhitespace, RemoveControlChars
from curate.filters.pii import PIIMasker
from curate.filters.secrets import SecretsRedactor
from curate.filters.url import URLFilter

__all__ = [
    "BookQualityFilter",
    "C4QualityFilter",
    "CodeQualityFilter",
    "FastTextClassifierFilter",
    "FineWebQualityFilter",
    "FixMojibake",
    "GopherQualityFilter",
    "GopherRepetitionFilter",
    "LanguageFilter",
    "NormalizeWhitespace",
    "PIIMasker",
    "RemoveControlChars",
    "SecretsRedactor",
    "URLFilter",
]
