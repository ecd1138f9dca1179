"""Stop-word lists for Gopher's stop-word rule, one per language.

Gopher (Rae et al. 2021, appendix A) keeps a document only if it contains at least two of
the English words *the, be, to, of, and, that, have, with*: real prose is full of these
function words, boilerplate, lists and keyword spam are not.  The English list is the
paper's.  The other lists were written for curate in the same spirit: eight to ten of the
most frequent function words of the language (articles, the commonest prepositions,
conjunctions and forms of "to be"), chosen so that ordinary running text of a few dozen
words contains several of them, while none is common in navigation text or lists.

Matching is exact and case-sensitive on word tokens (as in the reference implementation):
a capitalised sentence-initial "The" does not count.  A document's ``language`` (ISO 639-1
code) selects its list; languages without a list use the English one.
"""

from __future__ import annotations

STOP_WORDS: dict[str, tuple[str, ...]] = {
    # Gopher's list (Rae et al. 2021, appendix A.1.1).
    "en": ("the", "be", "to", "of", "and", "that", "have", "with"),
    # German: articles, "und", "zu", "von", "mit", "ist", "nicht".
    "de": ("der", "die", "das", "und", "zu", "von", "mit", "ist", "nicht", "ein"),
    # French: articles, "de", "et", "est", "que", "pour", "dans".
    "fr": ("le", "la", "les", "de", "et", "est", "un", "une", "que", "pour", "dans"),
    # Spanish: articles, "de", "que", "y", "en", "se", "por", "con".
    "es": ("el", "la", "los", "de", "que", "y", "en", "se", "por", "con"),
    # Italian: articles, "di", "che", "e", "per", "non", "con", "sono".
    "it": ("il", "la", "di", "che", "e", "un", "per", "non", "con", "sono"),
    # Portuguese: articles, "de" and its contractions, "que", "e", "em", "para".
    "pt": ("o", "a", "de", "que", "e", "do", "da", "em", "um", "para"),
    # Dutch: articles, "en", "van", "is", "dat", "op", "te", "met".
    "nl": ("de", "het", "een", "en", "van", "is", "dat", "op", "te", "met"),
}

DEFAULT_LANGUAGE = "en"


def stop_words_language(language: str | None) -> str:
    """The language whose list applies to ``language`` (ISO 639-1; a region suffix such as
    ``pt-BR`` is ignored): itself when there is a list, else English."""
    if language:
        code = language.replace("_", "-").split("-")[0].lower()
        if code in STOP_WORDS:
            return code
    return DEFAULT_LANGUAGE


def stop_words_for(language: str | None) -> tuple[str, ...]:
    """The stop-word list for ``language`` (English when there is none)."""
    return STOP_WORDS[stop_words_language(language)]
