"""curate's filter library (installed as ``curate.filters``)."""

from curate.filters.c4 import C4QualityFilter
from curate.filters.classifier import FastTextClassifierFilter
from curate.filters.fineweb import FineWebQualityFilter
from curate.filters.gopher import GopherQualityFilter, GopherRepetitionFilter
from curate.filters.language import LanguageFilter
from curate.filters.normalize import FixMojibake, NormalizeWhitespace, RemoveControlChars
from curate.filters.pii import PIIMasker
from curate.filters.url import URLFilter

__all__ = [
    "C4QualityFilter",
    "FastTextClassifierFilter",
    "FineWebQualityFilter",
    "FixMojibake",
    "GopherQualityFilter",
    "GopherRepetitionFilter",
    "LanguageFilter",
    "NormalizeWhitespace",
    "PIIMasker",
    "RemoveControlChars",
    "URLFilter",
]
