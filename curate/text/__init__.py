"""Vectorised text splitting for the heuristic quality filters: words, lines, paragraphs,
sentences.

Everything here works on whole Arrow arrays of texts at once (RE2 regular expressions from
``pyarrow.compute`` plus numpy); nothing loops over documents in Python.  Character classes
are written for RE2, which has no look-behind: where a rule needs the character before a
match, the pattern captures it and puts it back.  The word splitter follows spaCy's English
tokenizer (see :mod:`curate.text.words`).

This package is a leaf library (numpy, pyarrow, re, unicodedata); it imports nothing else
from curate.  Import names from the module that holds them; the package re-exports nothing.

Modules:

- ``chars``: character sets (Python whitespace, sentence terminals, Gopher's symbol
  characters) and :func:`~curate.text.chars.char_class` (a set of characters as an RE2 class).
- ``arrays``: Arrow / numpy helpers (one string array from any input, per-group sums, arrays
  as numpy, list flattening, repeated-item numbering).
- ``lines``: ``str.splitlines()`` lines, Gopher's paragraphs, ``str.strip()`` of every text.
- ``word_rules``: spaCy's English tokenizer rules for RE2 (affix character classes, infix
  and URL patterns, special cases such as contractions and abbreviations).
- ``tokenizer``: spaCy's affix / infix / special-case loop, run over arrays of
  whitespace-free pieces.
- ``words``: :func:`~curate.text.words.split_words`, :func:`~curate.text.words.count_words`
  and :class:`~curate.text.words.Words` (the word tokens of a batch of texts).
- ``sentences``: :func:`~curate.text.sentences.count_sentences`, spaCy's sentencizer count.
- ``languages``: per-row language codes and which of them count Han / Kana characters as
  words (Chinese, Japanese).
- ``scores``: per-row filter scores and rule decisions (ratios, nullable float columns,
  limits, the first rule each row fails).
"""
