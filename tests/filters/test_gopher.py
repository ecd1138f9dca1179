"""curate.filters.gopher: Gopher's quality and repetition rules (Rae et al. 2021)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa
import pytest
from curate.filters.gopher import GopherQualityFilter, GopherRepetitionFilter

from curate.registry import build_stage, get_stage_class
from curate.schema import DROPPED_BY, REASON
from curate.stage import Filter, run_stage

QUALITY_RULES = (
    "min_doc_words",
    "max_doc_words",
    "min_avg_word_length",
    "max_avg_word_length",
    "max_symbol_word_ratio",
    "max_bullet_lines_ratio",
    "max_ellipsis_lines_ratio",
    "min_alpha_words_ratio",
    "min_stop_words",
)
REPETITION_RULES = ("dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac")


def run(stage: Filter, texts: list[str | None], **columns: list[Any]) -> pa.Table:
    table = pa.table({"text": pa.array(texts, pa.large_string()), **columns})
    out, _ = run_stage(stage, table)
    return out


def only(cls: type[Filter], field: str, value: Any) -> Filter:
    """The filter with every rule disabled except ``field`` (set to ``value``)."""
    if cls is GopherQualityFilter:
        settings: dict[str, Any] = {rule: None for rule in QUALITY_RULES}
    else:
        settings = {rule: None for rule in REPETITION_RULES}
        settings.update(top_n_grams=(), dup_n_grams=())
    if field.startswith(("top_", "dup_")) and field.endswith("_gram"):
        kind, n = field.split("_")[:2]
        settings[f"{kind}_n_grams"] = ((int(n), value),)
    else:
        settings[field] = value
    return cls(**settings)


def unique_words(count: int, start: int = 0) -> list[str]:
    """Distinct alphabetic words (no repeated n-grams)."""
    return [f"w{chr(97 + (i // 26) % 26)}{chr(97 + i % 26)}x" for i in range(start, start + count)]


def para(start: int, count: int = 20) -> str:
    return " ".join(unique_words(count, start))


STOP = ["the", "and"]
# 50 words of 3 letters, two stop words
FIFTY = " ".join(STOP + ["cat"] * 48)
LONG_WORDS = " ".join(STOP + ["abcdefghij"] * 46 + ["abcdefghijklmnopq"] * 2)  # mean 10.0
HASHES = " ".join(["#"] * 6 + STOP + ["cat"] * 52)  # 6 "#" in 60 tokens
ELLIPSES = " ".join(["...", "\u2026"] * 3 + STOP + ["cat"] * 52)  # 6 ellipses in 60 tokens
BULLETS = "\n".join(["- the cat sat on a mat"] * 9 + ["the cat sat on a mat"])  # 9 of 10
ELLIPSIS_LINES = "\n".join(["the cat sat on a mat ..."] * 3 + ["the cat sat on a mat"] * 7)
ALPHA = " ".join(STOP + ["cat"] * 78 + ["123"] * 20)  # 80 of 100 tokens have a letter

# (rule field, text, column, measured value, reason, direction)
# direction "min": dropped below the threshold; "max": dropped above it.
QUALITY_EDGES = [
    ("min_doc_words", FIFTY, "gopher_word_count", 50, "too_few_words", "min", 1),
    ("max_doc_words", FIFTY, "gopher_word_count", 50, "too_many_words", "max", 1),
    ("min_avg_word_length", FIFTY, "gopher_mean_word_length", 3.0, "mean_word_length_too_low", "min", 0.01),
    ("max_avg_word_length", LONG_WORDS, "gopher_mean_word_length", 10.0, "mean_word_length_too_high", "max", 0.01),
    ("max_symbol_word_ratio", HASHES, "gopher_hash_ratio", 0.1, "too_many_hashes", "max", 0.001),
    ("max_symbol_word_ratio", ELLIPSES, "gopher_ellipsis_ratio", 0.1, "too_many_ellipses", "max", 0.001),
    ("max_bullet_lines_ratio", BULLETS, "gopher_bullet_lines_frac", 0.9, "too_many_bullet_lines", "max", 0.001),
    ("max_ellipsis_lines_ratio", ELLIPSIS_LINES, "gopher_ellipsis_lines_frac", 0.3, "too_many_ellipsis_lines", "max", 0.001),
    ("min_alpha_words_ratio", ALPHA, "gopher_alpha_words_frac", 0.8, "too_few_alpha_words", "min", 0.001),
    ("min_stop_words", FIFTY, "gopher_stop_word_count", 2, "too_few_stop_words", "min", 1),
]

REP_TEXTS = {
    # 10 paragraphs, 3 repeat an earlier one
    "paras": "\n\n".join(["ok"] * 4 + [para(20 * i) for i in range(6)]),
    # 10 lines, 3 repeat an earlier one
    "lines": "\n".join(["ok"] * 4 + [para(20 * i) for i in range(6)]),
    "para_chars": "\n\n".join([para(0), para(0), para(40), para(60), para(80)]),
    "line_chars": "\n".join([para(0), para(0), para(40), para(60), para(80)]),
    "top2": "a b a b a b c d",
    "dup5": "a b c d e a b c d e",
    "dup5_overlap": "a a a a a a a a",
}
P0 = len(para(0))
REPETITION_EDGES = [
    ("dup_para_frac", REP_TEXTS["paras"], "gopher_dup_para_frac", 0.3, "dup_para_frac"),
    ("dup_line_frac", REP_TEXTS["lines"], "gopher_dup_line_frac", 0.3, "dup_line_frac"),
    (
        "dup_para_char_frac",
        REP_TEXTS["para_chars"],
        "gopher_dup_para_char_frac",
        P0 / len(REP_TEXTS["para_chars"]),
        "dup_para_char_frac",
    ),
    (
        "dup_line_char_frac",
        REP_TEXTS["line_chars"],
        "gopher_dup_line_char_frac",
        P0 / len(REP_TEXTS["line_chars"]),
        "dup_line_char_frac",
    ),
    # "a b" 3 times: 3 * 3 chars of 15
    ("top_2_gram", REP_TEXTS["top2"], "gopher_top_2_gram_char_frac", 9 / 15, "top_2_gram"),
    # the second "a b c d e": "abcde" of 19 chars
    ("dup_5_gram", REP_TEXTS["dup5"], "gopher_dup_5_gram_char_frac", 5 / 19, "dup_5_gram"),
    # counted once, then the scan jumps 5 words and ends
    ("dup_5_gram", REP_TEXTS["dup5_overlap"], "gopher_dup_5_gram_char_frac", 5 / 15, "dup_5_gram"),
]


def edge_settings(value: float, direction: str, step: float) -> list[tuple[float, bool]]:
    """(threshold, kept) at, just past and just short of the measured value."""
    if direction == "min":
        return [(value, True), (value + step, False), (value - step, True)]
    return [(value, True), (value - step, False), (value + step, True)]


@pytest.mark.parametrize(
    "field,text,column,value,reason,direction,step",
    QUALITY_EDGES,
    ids=[f"{e[0]}-{e[4]}" for e in QUALITY_EDGES],
)
def test_quality_rule_edges(
    field: str, text: str, column: str, value: float, reason: str, direction: str, step: float
) -> None:
    for threshold, kept in edge_settings(value, direction, step):
        out = run(only(GopherQualityFilter, field, threshold), [text])
        assert out[column].to_pylist()[0] == pytest.approx(value)
        expected = None if kept else f"gopher:{reason}"
        assert out[REASON].to_pylist() == [expected], (threshold, out[column])


@pytest.mark.parametrize(
    "field,text,column,value,reason",
    REPETITION_EDGES,
    ids=[f"{e[0]}-{i}" for i, e in enumerate(REPETITION_EDGES)],
)
def test_repetition_rule_edges(field: str, text: str, column: str, value: float, reason: str) -> None:
    for threshold, kept in edge_settings(value, "max", 1e-6):
        out = run(only(GopherRepetitionFilter, field, threshold), [text])
        assert out[column].to_pylist()[0] == pytest.approx(value)
        assert out[REASON].to_pylist() == [None if kept else f"gopher:{reason}"]


def test_defaults_are_the_papers() -> None:
    q = GopherQualityFilter()
    assert (q.min_doc_words, q.max_doc_words, q.min_avg_word_length, q.max_avg_word_length) == (
        50, 100_000, 3, 10,
    )
    assert (q.max_symbol_word_ratio, q.max_bullet_lines_ratio, q.max_ellipsis_lines_ratio) == (
        0.1, 0.9, 0.3,
    )
    assert (q.min_alpha_words_ratio, q.min_stop_words) == (0.8, 2)
    r = GopherRepetitionFilter()
    assert (r.dup_line_frac, r.dup_para_frac, r.dup_line_char_frac, r.dup_para_char_frac) == (
        0.3, 0.3, 0.2, 0.2,
    )
    assert dict(r.top_n_grams) == {2: 0.2, 3: 0.18, 4: 0.16}
    assert dict(r.dup_n_grams) == {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}


GOOD = (
    "The committee met on Tuesday to discuss the budget for next year. Members agreed that "
    "the library needs new funding, and they voted to increase support for the reading "
    "program. After a long debate, the chair thanked everyone for their time and closed the "
    "meeting with a short statement about the plans that have been made."
)


# (text, expected reason with default settings): the first rule a document fails
QUALITY_ORDER = [
    (GOOD, None),
    ("too short, the end", "too_few_words"),
    (" ".join(["the", "and"] + ["xy"] * 60), "mean_word_length_too_low"),
    (GOOD + " #" * 20, "too_many_hashes"),
    (GOOD + " ..." * 20, "too_many_ellipses"),
    ("\n".join(f"- the item number {w} and more" for w in unique_words(12)), "too_many_bullet_lines"),
    ("\n".join([GOOD[:80] + "..."] * 4 + [GOOD]), "too_many_ellipsis_lines"),
    (GOOD + " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", "too_few_alpha_words"),
    (" ".join(unique_words(60)) + ". The end.", "too_few_stop_words"),
    ("", "too_few_words"),
    (None, "too_few_words"),
]


@pytest.mark.parametrize("text,reason", QUALITY_ORDER)
def test_quality_first_failing_rule(text: str | None, reason: str | None) -> None:
    out = run(GopherQualityFilter(), [text])
    assert out[REASON].to_pylist() == [None if reason is None else f"gopher:{reason}"]
    if reason is not None:
        assert out[DROPPED_BY].to_pylist() == ["gopher_quality"]


REPETITION_ORDER = [
    (GOOD, None),
    ("", "empty"),
    ("\n\n".join([GOOD[:60]] * 3 + [GOOD]), "dup_para_frac"),
    ("\n\n".join([GOOD, GOOD, para(0), para(20), para(40), para(60)]), "dup_para_char_frac"),
    ("\n".join([GOOD[:40]] * 3 + [GOOD]), "dup_line_frac"),
    ("\n".join([GOOD, GOOD, para(0), para(20), para(40), para(60)]), "dup_line_char_frac"),
    ("buy now " * 30, "top_2_gram"),
    (para(0, 40) + " " + " ".join(["one two three four five six seven"] * 5) + " " + para(100, 40), "dup_5_gram"),
    (para(0, 60) + " " + " ".join(["one two three four five six seven"] * 4) + " " + para(100, 60), "dup_10_gram"),
]


@pytest.mark.parametrize("text,reason", REPETITION_ORDER)
def test_repetition_first_failing_rule(text: str, reason: str | None) -> None:
    out = run(GopherRepetitionFilter(), [text])
    assert out[REASON].to_pylist() == [None if reason is None else f"gopher:{reason}"]


def test_columns_are_typed_and_prefixed() -> None:
    out = run(GopherQualityFilter(), [GOOD, ""])
    assert out.schema.field("gopher_word_count").type == pa.int64()
    assert out.schema.field("gopher_stop_word_count").type == pa.int64()
    assert out.schema.field("gopher_mean_word_length").type == pa.float64()
    assert out["gopher_mean_word_length"].to_pylist()[1] is None  # nothing to measure
    rep = run(GopherRepetitionFilter(), [GOOD, ""])
    names = [c for c in rep.column_names if c.startswith("gopher_")]
    assert "gopher_top_2_gram_char_frac" in names and "gopher_dup_10_gram_char_frac" in names
    assert all(rep.schema.field(c).type == pa.float64() for c in names)


def test_stop_words_follow_the_language_column() -> None:
    german = (
        "Der Rat hat am Dienstag getagt und die Pläne für das nächste Jahr besprochen. Die "
        "Mitglieder waren sich einig, dass die Bibliothek mehr Geld braucht, und sie haben "
        "mit großer Mehrheit beschlossen, das Programm zu erweitern. Nach einer langen "
        "Debatte dankte die Vorsitzende allen Anwesenden für die Zeit und die Geduld."
    )
    out = run(GopherQualityFilter(), [german, german], language=["de", "en"])
    assert out[REASON].to_pylist() == [None, "gopher:too_few_stop_words"]
    assert out["gopher_stop_word_count"].to_pylist()[0] >= 4
    forced = run(GopherQualityFilter(language="de"), [german], language=["en"])
    assert forced[REASON].to_pylist() == [None]
    custom = run(GopherQualityFilter(stop_words=["Rat", "Bibliothek"]), [german])
    assert custom["gopher_stop_word_count"].to_pylist() == [2]


def test_stop_words_are_case_sensitive() -> None:
    text = " ".join(["The", "And"] + ["cat"] * 60)
    out = run(GopherQualityFilter(), [text])
    assert out[REASON].to_pylist() == ["gopher:too_few_stop_words"]


def test_none_disables_rules() -> None:
    out = run(GopherQualityFilter(min_doc_words=None, min_stop_words=None), ["tiny text"])
    assert out[REASON].to_pylist() == [None]
    rep = run(GopherRepetitionFilter(top_n_grams=(), dup_n_grams=((5, None),)), ["buy now " * 30])
    assert rep[REASON].to_pylist() == [None]
    assert "gopher_top_2_gram_char_frac" not in rep.column_names


def test_registered_and_configurable_from_yaml_values() -> None:
    assert get_stage_class("gopher_quality") is GopherQualityFilter
    assert get_stage_class("gopher_repetition") is GopherRepetitionFilter
    stage = build_stage("gopher_repetition", {"top_n_grams": [[2, 0.5]], "dup_n_grams": []})
    out = run(stage, ["buy now " * 30])
    assert out[REASON].to_pylist() == ["gopher:top_2_gram"]
    assert all(f.kw_only for f in dataclasses.fields(GopherQualityFilter))
    assert GopherQualityFilter.__doc__ and "Rae et al. 2021" in GopherQualityFilter.__doc__
