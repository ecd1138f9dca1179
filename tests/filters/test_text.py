"""curate.text: vectorised word, line and sentence splitting."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from curate.text import tokenizer
from curate.text.arrays import dense_ids, duplicate_chars
from curate.text.lines import split_lines, split_paragraphs
from curate.text.sentences import count_sentences
from curate.text.words import split_words

# text -> tokens, as spaCy's English tokenizer (spacy.blank("en")) splits them
WORD_CASES = [
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    ("Don't stop (e.g. now)...", ["Do", "n't", "stop", "(", "e.g.", "now", ")", "..."]),
    ("It costs $5.50, or 10km.", ["It", "costs", "$", "5.50", ",", "or", "10", "km", "."]),
    ("state-of-the-art results", ["state", "-", "of", "-", "the", "-", "art", "results"]),
    ("Mr. Smith met Dr.Who at 10am.", ["Mr.", "Smith", "met", "Dr.", "Who", "at", "10", "am", "."]),
    (
        "Visit http://example.com/a-b or www.test.org.",
        ["Visit", "http://example.com/a-b", "or", "www.test.org", "."],
    ),
    ("«Bonjour» dit-il", ["«", "Bonjour", "»", "dit", "-", "il"]),
    (
        "I'm sure they're here; aren't they?",
        ["I", "'m", "sure", "they", "'re", "here", ";", "are", "n't", "they", "?"],
    ),
    ("a.b.c. U.S.A. etc. vs. Inc.,", ["a.b.c", ".", "U.S.A.", "etc", ".", "vs.", "Inc.", ","]),
    ("email: john@example.com!", ["email", ":", "john@example.com", "!"]),
    ("C++ and/or w/o :) ;-)", ["C++", "and/or", "w/o", ":)", ";-)"]),
    ('("quoted")', ["(", '"', "quoted", '"', ")"]),
    ("hello...world end.Next", ["hello", "...", "world", "end", ".", "Next"]),
    ("5,000 people, 3.5 %", ["5,000", "people", ",", "3.5", "%"]),
    ("#hashtag @user", ["#", "hashtag", "@user"]),
    ("2020-01-01", ["2020", "-", "01", "-", "01"]),
    ("--- *** ===", ["---", "*", "*", "*", "=", "=", "="]),
    ("Cannot gonna", ["Can", "not", "gon", "na"]),
    ("word\u2019s and John's", ["word", "\u2019s", "and", "John", "'s"]),
    ("(Note): see Mr.Smith", ["(", "Note", "):", "see", "Mr.", "Smith"]),
    ("tabs\tand\u00a0nbsp\n\nlines", ["tabs", "and", "nbsp", "lines"]),
    ("", []),
    ("   \n ", []),
]


@pytest.fixture(params=["vectorised", "scalar"])
def affix_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the affix rules as array operations, or piece by piece (used for the few pieces
    left after the first rounds); both must split alike."""
    monkeypatch.setattr(tokenizer, "_SCALAR_TAIL", 0 if request.param == "vectorised" else 10**9)
    return request.param


@pytest.mark.parametrize("text,expected", WORD_CASES)
def test_split_words_like_spacy(text: str, expected: list[str], affix_mode: str) -> None:
    assert split_words([text]).to_lists() == [expected]


def test_split_words_many_pieces_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [text for text, _ in WORD_CASES] * 3 + ["((((((hello!!!!!!!!))))))", "=" * 80]
    monkeypatch.setattr(tokenizer, "_SCALAR_TAIL", 0)
    vectorised = split_words(texts).to_lists()
    monkeypatch.setattr(tokenizer, "_SCALAR_TAIL", 10**9)
    assert split_words(texts).to_lists() == vectorised
    assert vectorised[-1] == ["="] * 80
    assert vectorised[-2] == ["("] * 6 + ["hello"] + ["!"] * 8 + [")"] * 6


def test_split_words_batch_keeps_order_and_nulls() -> None:
    words = split_words(pa.array(["a b, c", None, "", "do."], pa.large_string()))
    assert words.to_lists() == [["a", "b", ",", "c"], [], [], ["do", "."]]
    assert words.counts().tolist() == [4, 0, 0, 2]
    assert words.lengths().tolist() == [1, 1, 1, 1, 2, 1]
    assert words.offsets().tolist() == [0, 4, 4, 4, 6]


def test_split_words_cjk_characters() -> None:
    texts = ["我们喜欢Python。", "我们喜欢Python。"]
    words = split_words(texts, cjk=np.array([True, False]))
    assert words.to_lists() == [["我", "们", "喜", "欢", "Python", "。"], ["我们喜欢Python", "。"]]


def test_split_words_matches_spacy_on_tricky_text() -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    texts = [
        "He said: \"It's 5pm!\" -- then left... (really?) [1] {x} <b>bold</b>",
        "Prices: \u20ac10, \u00a35.99, US$3; temps 20\u00b0C. Ph.D. students' work, e-mail.",
        "Q&A: don't/can't; isn't it? 'Single' and \u2018curly\u2019 quotes \u201cdouble\u201d.",
        "Stra\u00dfe M\u00fcnchen-Ost; caf\u00e9s. Z\u00fcrich's \u00e9t\u00e9 -- 1990s-era 3-4pm",
        "Call +1 555-0100 or +44; see www.x.co.uk/a?b=c&d=e#f. OK:)",
    ]
    expected = [[t.text for t in nlp(text) if t.text.strip()] for text in texts]
    assert split_words(texts).to_lists() == expected


LINE_CASES = [
    "",
    "one",
    "one\n",
    "one\n\ntwo",
    "\n",
    "a\r\nb\rc\x0bd\x0ce\x1cf\x85g\u2028h\u2029i",
    "trailing\r\n",
    "\n\nx\n\n",
]


@pytest.mark.parametrize("text", LINE_CASES)
def test_split_lines_is_splitlines(text: str) -> None:
    lines, parents = split_lines(pa.array([text, "x"]))
    got = [line for line, p in zip(lines.to_pylist(), parents.tolist()) if p == 0]
    assert got == text.splitlines()


@pytest.mark.parametrize("text", ["", "one", "\n\na\n\n\nb\nc\n\n", "  a\n\n\n\n b  ", "a\r\n\r\nb"])
def test_split_paragraphs_is_gophers_split(text: str) -> None:
    import re

    paragraphs, parents = split_paragraphs(pa.array([text, "x"]))
    got = [p for p, i in zip(paragraphs.to_pylist(), parents.tolist()) if i == 0]
    assert got == re.split(r"\n{2,}", text.strip())


SENTENCE_CASES = [
    ("One sentence here.", 1),
    ("One. Two! Three? Four.", 4),
    ("He said \"hi.\" Then left.", 2),
    ("Mr. Smith went to Washington. He stayed.", 2),
    ("Wait... what? Yes.", 2),
    ("No final mark", 1),
    ("e.g. this is one sentence, i.e. still one.", 1),
    (". Starts with a period.", 2),
    ("", 0),
]


@pytest.mark.parametrize("text,expected", SENTENCE_CASES)
def test_count_sentences(text: str, expected: int) -> None:
    assert count_sentences(split_words([text])).tolist() == [expected]


def test_dense_ids_and_duplicates() -> None:
    ids, first = dense_ids(np.array([7, 3, 7, 9, 3, 3], dtype=np.int64))
    assert first.tolist() == [True, True, False, True, False, False]
    assert ids[0] == ids[2] and ids[1] == ids[4] == ids[5] and len(set(ids.tolist())) == 3
    items = pa.array(["ab", "c", "ab", "ab", "c", ""])
    dups, chars = duplicate_chars(items, np.array([0, 0, 0, 1, 1, 1]), 2)
    assert dups.tolist() == [1, 0] and chars.tolist() == [2, 0]
