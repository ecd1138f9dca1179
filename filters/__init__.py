"""curate's filter library (installed as ``curate.filters``)."""

from curate.filters.classifier import FastTextClassifierFilter
from curate.filters.language import LanguageFilter
from curate.filters.normalize import FixMojibake, NormalizeWhitespace, RemoveControlChars
from curate.filters.pii import PIIMasker
from curate.filters.url import URLFilter

__all__ = [
    "FastTextClassifierFilter",
    "FixMojibake",
    "LanguageFilter",
    "NormalizeWhitespace",
    "PIIMasker",
    "RemoveControlChars",
    "URLFilter",
]
