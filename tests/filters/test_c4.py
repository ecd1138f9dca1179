"""curate.filters.c4: C4's line and document rules (Raffel et al. 2020)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from curate.filters.c4 import C4QualityFilter

from curate.registry import get_stage_class
from curate.schema import REASON
from curate.stage import run_stage

S = "This is a complete sentence."  # 5 words, one sentence
FIVE = " ".join([S] * 5)  # one line, five sentences


def run(stage: C4QualityFilter, texts: list[str | None], **columns: list[Any]) -> pa.Table:
    table = pa.table({"text": pa.array(texts, pa.large_string()), **columns})
    out, _ = run_stage(stage, table)
    return out


def cleaned(text: str, **settings: Any) -> str | None:
    """The text C4 keeps of ``text`` (None: the document is dropped)."""
    settings.setdefault("min_num_sentences", None)
    out = run(C4QualityFilter(**settings), [text])
    return out["text"].to_pylist()[0] if out[REASON].to_pylist() == [None] else None


# (line, kept with default line rules)
LINE_CASES = [
    ("A line that ends well.", True),
    ("Does it ask a question?", True),
    ("It shouts at you!", True),
    ('She said "stop."', True),
    ("It was 'fine'", True),
    ("No terminal punctuation here", False),
    ("It trails off...", False),
    ("Two words.", False),  # fewer than 3 words
    ("Three words here.", True),
    ("Please enable JavaScript in your browser.", False),
    ("Read our Privacy Policy for details.", False),
    ("This site uses cookies to work.", False),
    ("See the terms of use below.", False),
    ("A cited claim is here.[1]", True),  # the citation goes, the period stays last
    ("Claim [citation needed] holds here.", True),
    ("   Surrounding spaces are stripped.   ", True),
    ("A word " + "x" * 1000 + " that is exactly long enough.", True),
    ("A word " + "x" * 1001 + " that is too long.", False),
]


@pytest.mark.parametrize("line,kept", LINE_CASES, ids=[c[0][:30] for c in LINE_CASES])
def test_line_rules(line: str, kept: bool) -> None:
    text = f"{FIVE}\n{line}"
    out = run(C4QualityFilter(min_num_sentences=None), [text])
    assert out["c4_lines_removed"].to_pylist() == [0 if kept else 1]
    if kept:
        import re

        expected = re.sub(r"\[\d*\]|\[edit\]|\[citation needed\]", "", line.strip())
        assert out["text"].to_pylist() == [f"{FIVE}\n{expected}"]
    else:
        assert out["text"].to_pylist() == [FIVE]


@pytest.mark.parametrize(
    "setting,value,line",
    [
        ("filter_no_terminal_punct", False, "No terminal punctuation here"),
        ("filter_javascript", False, "Please enable JavaScript in your browser."),
        ("filter_policy", False, "Read our Privacy Policy for details."),
        ("min_words_per_line", None, "Two words."),
        ("min_words_per_line", 2, "Two words."),
        ("max_word_length", None, "A word " + "x" * 1001 + " that is too long."),
    ],
)
def test_line_rules_can_be_disabled(setting: str, value: Any, line: str) -> None:
    assert cleaned(f"{FIVE}\n{line}", **{setting: value}) == f"{FIVE}\n{line}"


def test_citations_removed_before_the_punctuation_rule() -> None:
    assert cleaned(f"{FIVE}[2]") == FIVE
    # kept, the citation ends the line, which then lacks terminal punctuation
    assert cleaned(f"{FIVE}[2]", remove_citations=False) == ""
    assert cleaned(f"{FIVE}[2]", remove_citations=False, filter_no_terminal_punct=False) == f"{FIVE}[2]"


@pytest.mark.parametrize(
    "sentences,min_sentences,kept",
    [(4, 5, False), (5, 5, True), (6, 5, True), (1, 1, True), (0, 1, False), (0, None, True)],
)
def test_min_num_sentences_edges(sentences: int, min_sentences: int | None, kept: bool) -> None:
    text = "\n".join(["Menu", " ".join([S] * sentences), "Footer links"])
    out = run(C4QualityFilter(min_num_sentences=min_sentences), [text])
    assert out[REASON].to_pylist() == [None if kept else "c4:too_few_sentences"]
    if min_sentences is not None:
        assert out["c4_sentence_count"].to_pylist() == [sentences]


def test_sentences_are_counted_like_spacy() -> None:
    text = "Mr. Smith went to Washington. He said: \"It's fine.\" Then he left! Really? Yes, e.g. today."
    out = run(C4QualityFilter(), [text])
    assert out["c4_sentence_count"].to_pylist() == [5]


DOC_CASES = [
    # (text, reason): lorem ipsum / curly bracket only count on lines that pass the line rules
    (f"{FIVE}\nLorem ipsum dolor sit amet.", "c4:lorem_ipsum"),
    (f"{FIVE}\nlorem ipsum without a final stop", None),
    (f"{FIVE}\nThe code is {{x: 1}} here.", "c4:curly_bracket"),
    (f"{FIVE}\nfunction() {{ return 1 }}", None),
    (f"{FIVE}\nEnable javascript {{now}} please.", None),  # the javascript line goes first
    (f"The code is {{x: 1}} here.\nLorem ipsum dolor sit amet.\n{FIVE}", "c4:curly_bracket"),
    (f"Lorem ipsum dolor sit amet.\nThe code is {{x: 1}} here.\n{FIVE}", "c4:lorem_ipsum"),
    ("Short page.", "c4:too_few_sentences"),
    ("", "c4:too_few_sentences"),
    (None, "c4:too_few_sentences"),
]


@pytest.mark.parametrize("text,reason", DOC_CASES)
def test_document_rules(text: str | None, reason: str | None) -> None:
    out = run(C4QualityFilter(), [text])
    assert out[REASON].to_pylist() == [reason]


def test_document_switches() -> None:
    text = f"{FIVE}\nLorem ipsum {{dolor}} sit amet."
    assert run(C4QualityFilter(filter_lorem_ipsum=False), [text])[REASON].to_pylist() == [
        "c4:curly_bracket"
    ]
    both_off = C4QualityFilter(filter_lorem_ipsum=False, filter_curly_bracket=False)
    assert run(both_off, [text])[REASON].to_pylist() == [None]


def test_kept_text_replaced_dropped_text_untouched() -> None:
    kept = f"Home | About\n{FIVE}\nCopyright 2024"
    dropped = "Home | About\nShort page.\nCopyright"
    out = run(C4QualityFilter(), [kept, dropped], id=["a", "b"])
    rows = {r["id"]: r for r in out.to_pylist()}
    assert rows["a"]["text"] == FIVE and rows["a"]["c4_lines_removed"] == 2
    assert rows["a"]["c4_line_count"] == 3
    assert rows["b"]["text"] == dropped and rows["b"][REASON] == "c4:too_few_sentences"
    assert out.schema.field("text").type == pa.large_string()


def test_line_breaks_are_splitlines() -> None:
    text = "\r\n".join([S] * 3) + "\u2028" + " ".join([S] * 2)
    out = run(C4QualityFilter(), [text])
    assert out[REASON].to_pylist() == [None]
    assert out["text"].to_pylist() == ["\n".join([S] * 3 + [" ".join([S] * 2)])]


def test_registry_and_defaults() -> None:
    stage = get_stage_class("c4_quality")()
    assert isinstance(stage, C4QualityFilter)
    assert (stage.min_num_sentences, stage.min_words_per_line, stage.max_word_length) == (5, 3, 1000)
    assert stage.remove_citations and stage.filter_no_terminal_punct and stage.filter_policy
    assert stage.filter_lorem_ipsum and stage.filter_javascript and stage.filter_curly_bracket
