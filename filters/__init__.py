"""curate's filter library (installed as ``curate.filters``)."""

from curate.filters.language import LanguageFilter

__all__ = ["LanguageFilter"]
