"""curate.filters.fineweb: FineWeb's quality rules (Penedo et al. 2024)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from curate.filters.fineweb import FineWebQualityFilter

from curate.registry import get_stage_class
from curate.schema import REASON
from curate.stage import run_stage

RULES = ("line_punct_thr", "short_line_thr", "char_duplicates_ratio", "new_line_ratio")
LONG = "this line is long enough to not count as a short one"  # 52 characters


def run(stage: FineWebQualityFilter, texts: list[str | None], **columns: list[Any]) -> pa.Table:
    table = pa.table({"text": pa.array(texts, pa.large_string()), **columns})
    out, _ = run_stage(stage, table)
    return out


def only(field: str, value: float) -> FineWebQualityFilter:
    settings: dict[str, Any] = {rule: None for rule in RULES}
    settings[field] = value
    return FineWebQualityFilter(**settings)


def lines(*items: str) -> str:
    return "\n".join(items)


# 3 of 25 non-blank lines end in terminal punctuation: 0.12 (blank lines do not count)
PUNCT = lines(*([LONG + "."] * 3 + [LONG + f" {i}" for i in range(22)] + ["", "   "]))
# 3 of 4 lines have at most 30 characters (the limit itself counts as short)
SHORT = lines("a" * 30, "b" * 10, "c", LONG)
# the second "dup line" (8 chars) of 8 + 8 + 52 + 52 = 120 characters, newlines aside
DUP = lines("dup line", "dup line", LONG, LONG.upper())
# 3 newlines for 12 words
LIST = lines("one two three", "four five six", "seven eight nine", "ten eleven twelve")

# (rule, text, column, value, reason, direction): "min" drops below, "max" above
EDGES = [
    ("line_punct_thr", PUNCT, "fineweb_line_punct_ratio", 0.12, "line_punct_ratio", "min"),
    ("short_line_thr", SHORT, "fineweb_short_line_ratio", 0.75, "short_line_ratio", "max"),
    ("char_duplicates_ratio", DUP, "fineweb_char_dup_ratio", 8 / 120, "char_dup_ratio", "max"),
    ("new_line_ratio", LIST, "fineweb_list_ratio", 3 / 12, "list_ratio", "max"),
]


@pytest.mark.parametrize("field,text,column,value,reason,direction", EDGES, ids=[e[0] for e in EDGES])
def test_rule_edges(field: str, text: str, column: str, value: float, reason: str, direction: str) -> None:
    step = 1e-6 if direction == "max" else -1e-6
    for threshold, kept in ((value, True), (value - step, False), (value + step, True)):
        out = run(only(field, threshold), [text])
        assert out[column].to_pylist()[0] == pytest.approx(value)
        assert out[REASON].to_pylist() == [None if kept else f"fineweb:{reason}"], threshold


def test_short_line_length_setting() -> None:
    out = run(FineWebQualityFilter(short_line_length=0, line_punct_thr=None), [SHORT])
    assert out["fineweb_short_line_ratio"].to_pylist() == [0.0]


def test_line_punct_exclude_zero() -> None:
    text = lines(*[LONG] * 5)
    assert run(only("line_punct_thr", 0.12), [text])[REASON].to_pylist() == ["fineweb:line_punct_ratio"]
    stage = FineWebQualityFilter(
        line_punct_exclude_zero=True, short_line_thr=None, char_duplicates_ratio=None, new_line_ratio=None
    )
    assert run(stage, [text])[REASON].to_pylist() == [None]


def test_stop_chars_and_unicode_terminals() -> None:
    text = lines(LONG + "\u3002", LONG + "\u0964", LONG + ";", LONG + ". ")  # trailing space: no
    out = run(only("line_punct_thr", 0.5), [text])
    assert out["fineweb_line_punct_ratio"].to_pylist() == [0.5]
    custom = FineWebQualityFilter(stop_chars=[";", "ne"], short_line_thr=None, new_line_ratio=None)
    assert run(custom, [text])["fineweb_line_punct_ratio"].to_pylist() == [0.25]


PROSE = (
    "The committee met on Tuesday to discuss the budget for next year.\n"
    "Members agreed that the library needs new funding, and they voted to increase support.\n"
    "After a long debate, the chair thanked everyone and closed the meeting."
)

ORDER = [
    (PROSE, None),
    ("", "empty"),
    (" \n\t\n", "empty"),
    (None, "empty"),
    (lines(*[LONG] * 9 + [LONG + "."]), "line_punct_ratio"),
    (lines("Short.", "Tiny.", "Small one.", LONG + "."), "short_line_ratio"),
    (PROSE + "\n" + PROSE.split("\n")[0], "char_dup_ratio"),
    (lines(*[f"{w}." for w in "alpha beta gamma delta epsilon zeta eta theta".split()]), "short_line_ratio"),
    (lines(*[f"{c * 40}." for c in "abcdefghij"]), "list_ratio"),
]


@pytest.mark.parametrize("text,reason", ORDER)
def test_first_failing_rule(text: str | None, reason: str | None) -> None:
    out = run(FineWebQualityFilter(), [text])
    assert out[REASON].to_pylist() == [None if reason is None else f"fineweb:{reason}"]


def test_cjk_characters_count_as_words() -> None:
    text = lines(*["我们今天在图书馆讨论了明年的预算和新的阅读计划。"] * 1 + ["这是第二行，内容也很长而且完整。"])
    zh = run(only("new_line_ratio", 0.3), [text, text], language=["zh", "en"])
    ratios = zh["fineweb_list_ratio"].to_pylist()
    assert ratios[0] < 0.1 < ratios[1]
    off = FineWebQualityFilter(cjk_characters_as_words=False, line_punct_thr=None, short_line_thr=None)
    assert run(off, [text], language=["zh"])["fineweb_list_ratio"].to_pylist() == [ratios[1]]


def test_defaults_and_registry() -> None:
    stage = get_stage_class("fineweb_quality")()
    assert isinstance(stage, FineWebQualityFilter)
    assert (stage.line_punct_thr, stage.short_line_thr, stage.short_line_length) == (0.12, 0.67, 30)
    assert (stage.char_duplicates_ratio, stage.new_line_ratio) == (0.01, 0.3)
    out = run(stage, [PROSE])
    assert {c for c in out.column_names if c.startswith("fineweb_")} == {
        "fineweb_line_count",
        "fineweb_line_punct_ratio",
        "fineweb_short_line_ratio",
        "fineweb_char_dup_ratio",
        "fineweb_list_ratio",
    }
    assert out.schema.field("fineweb_line_count").type == pa.int64()
