"""Unit tests of the article-extraction-benchmark metric in benchmarks/extraction_quality.py.

No benchmark data needed: tiny strings only.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "extraction_quality.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_quality", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


eq = _load()
NAN = math.nan
TEXT = "the quick brown fox jumps over the lazy dog"  # 9 tokens, 6 shingles


@pytest.mark.parametrize(
    ("pred", "truth", "expected"),
    [
        # identical token sequences; punctuation and whitespace are not tokens
        (TEXT, "the quick, brown fox --\njumps over the lazy dog!", (1.0, 1.0, 1.0)),
        # no shared 4-token shingle
        ("alpha beta gamma delta epsilon", TEXT, (0.0, 0.0, 0.0)),
        # prediction = first 6 tokens: 3 shingles, all true; 3 of 6 true shingles found
        ("the quick brown fox jumps over", TEXT, (1.0, 0.5, 2 / 3)),
        # empty prediction: left out of the precision average (nan), recall 0, F1 0
        ("", TEXT, (NAN, 0.0, 0.0)),
        # prediction with no word token counts as empty too
        (" ... \n -- ", TEXT, (NAN, 0.0, 0.0)),
        # empty ground truth: precision 0, recall left out
        (TEXT, "", (0.0, NAN, 0.0)),
        # both empty: the page counts in neither average
        ("", "", (NAN, NAN, NAN)),
        # fewer than 4 tokens: one shorter shingle holding all tokens
        ("hello world", "hello world", (1.0, 1.0, 1.0)),
        ("hello world", "hello there world", (0.0, 0.0, 0.0)),
    ],
)
def test_shingle_f1(pred: str, truth: str, expected: tuple[float, float, float]) -> None:
    got = eq.shingle_f1(pred, truth)
    for value, want in zip(got, expected, strict=True):
        if math.isnan(want):
            assert math.isnan(value)
        else:
            assert value == pytest.approx(want)


def test_shingles_are_a_multiset_and_case_sensitive() -> None:
    # "a b c d" twice in the prediction, once in the truth: 1 TP, 1 FP for that shingle
    tp, fp, fn = eq.shingle_counts("a b c d a b c d", "a b c d")
    assert (tp, fp, fn) == (1, 4, 0)
    assert eq.shingle_f1("The Cat sat down", "the cat sat down")[2] == 0.0


def test_macro_scores_follow_the_benchmark() -> None:
    pages = [
        eq.shingle_f1(TEXT, TEXT),  # P 1, R 1
        eq.shingle_f1("", TEXT),  # P excluded, R 0
        eq.shingle_f1("the quick brown fox jumps over", TEXT),  # P 1, R 0.5
        eq.shingle_f1("", ""),  # excluded from both
    ]
    macro = eq.macro_scores(pages)
    assert macro["precision"] == pytest.approx(1.0)  # mean of 1, 1
    assert macro["recall"] == pytest.approx(0.5)  # mean of 1, 0, 0.5
    assert macro["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)  # harmonic mean of P and R
    assert macro["page_f1"] == pytest.approx((1.0 + 0.0 + 2 / 3) / 3)
