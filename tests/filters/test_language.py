"""curate.filters.language: LanguageFilter keeps documents in the configured languages."""

from __future__ import annotations

import pyarrow as pa
import pytest
from curate.filters import LanguageFilter

from curate.registry import build_stage, get_stage_class
from curate.schema import DROPPED_BY, REASON
from curate.stage import run_stage

WRONG = "wrong_language"
LOW = "low_language_score"
KEEP = None

# settings, [(language, score, expected reason)]
CASES = [
    pytest.param(
        {"languages": ["en"], "min_score": 0.65},
        [
            ("en", 0.9, KEEP),
            ("en", 0.66, KEEP),
            ("en", 0.5, LOW),
            ("de", 0.99, WRONG),
            ("de", 0.1, WRONG),  # wrong language wins over low score
            (None, 0.9, WRONG),
            (None, None, WRONG),
            ("en", None, LOW),  # a missing score counts as 0
        ],
        id="english-0.65",
    ),
    pytest.param(
        # 0.75 is exact in float32, the type fasttext_language_id writes
        {"languages": ["en"], "min_score": 0.75},
        [("en", 0.75, KEEP), ("en", 0.7499, LOW)],
        id="threshold-itself-kept",
    ),
    pytest.param(
        {"languages": ["en", "de"], "min_score": 0.5},
        [("de", 0.6, KEEP), ("en", 0.51, KEEP), ("fr", 0.99, WRONG), ("de", 0.49, LOW)],
        id="two-languages",
    ),
    pytest.param(
        {"languages": ["en"]},
        [("en", 0.66, KEEP), ("en", 0.64, LOW)],
        id="default-threshold-0.65",
    ),
    pytest.param(
        {"languages": ["en"], "min_score": 0},
        [("en", 0.0, KEEP), ("en", None, KEEP), ("fr", 0.9, WRONG)],
        id="no-threshold",
    ),
    pytest.param(
        {"min_score": {"en": 0.8, "default": 0.3}},
        [("en", 0.85, KEEP), ("en", 0.7, LOW), ("de", 0.4, KEEP), ("fr", 0.2, LOW), (None, 0.9, WRONG)],
        id="per-language-with-default",
    ),
    pytest.param(
        {"languages": ["en", "ja"], "min_score": {"en": 0.8, "ja": 0.4, "default": 0.95}},
        [("en", 0.79, LOW), ("ja", 0.5, KEEP), ("de", 0.99, WRONG), ("en", 0.8, KEEP)],
        id="per-language-and-languages",
    ),
    pytest.param(
        {"min_score": {"en": 0.8}},
        [("de", 0.01, KEEP), ("en", 0.5, LOW)],
        id="per-language-without-default",
    ),
    pytest.param(
        {"min_score": {"default": 0.5}},
        [("en", 0.4, LOW), ("de", 0.6, KEEP)],
        id="only-default",
    ),
    pytest.param(
        {"languages": [], "min_score": 0.5},
        [("en", 0.6, KEEP), ("sw", 0.51, KEEP), ("de", 0.3, LOW), (None, 0.9, WRONG)],
        id="empty-languages-any-language",
    ),
    pytest.param(
        {"languages": None, "min_score": 0.5},
        [("zh", 0.7, KEEP), ("zh", 0.1, LOW)],
        id="no-languages-any-language",
    ),
]


def language_table(rows) -> pa.Table:
    return pa.table(
        {
            "id": [f"doc{i}" for i in range(len(rows))],
            "text": ["some text"] * len(rows),
            "language": pa.array([r[0] for r in rows], pa.string()),
            "language_score": pa.array([r[1] for r in rows], pa.float32()),
        }
    )


@pytest.mark.parametrize("settings, rows", CASES)
def test_language_filter(settings, rows):
    stage = LanguageFilter(**settings)
    out, stats = run_stage(stage, language_table(rows))
    expected = [r[2] for r in rows]
    assert out[REASON].to_pylist() == expected
    assert out[DROPPED_BY].to_pylist() == [None if r is None else "language_filter" for r in expected]
    dropped = [r for r in expected if r is not None]
    assert stats.dropped == {r: dropped.count(r) for r in set(dropped)}
    assert (stats.rows_in, stats.rows_out) == (len(rows), len(rows) - len(dropped))
    # no score columns are written: the columns are the input's plus the drop columns
    assert out.column_names == [*language_table(rows).column_names, DROPPED_BY, REASON]


@pytest.mark.parametrize("settings, rows", CASES)
def test_language_filter_from_yaml_settings(settings, rows):
    stage = build_stage("language_filter", dict(settings, label="lang"))
    out, _ = run_stage(stage, language_table(rows))
    assert out[REASON].to_pylist() == [r[2] for r in rows]
    assert set(out[DROPPED_BY].drop_null().to_pylist()) <= {"lang"}


@pytest.mark.parametrize(
    "settings, rows",
    [
        ({"languages": ["en"], "min_score": 0.5}, [("en", 0.6, KEEP), ("de", 0.9, WRONG), ("en", 0.2, LOW)]),
        ({"min_score": {"de": 0.9, "default": 0.1}}, [("de", 0.8, LOW), ("en", 0.2, KEEP)]),
    ],
)
def test_custom_column_names(settings, rows):
    table = language_table(rows).rename_columns(["id", "text", "lang", "lang_score"])
    stage = LanguageFilter(language_column="lang", score_column_name="lang_score", **settings)
    out, _ = run_stage(stage, table)
    assert out[REASON].to_pylist() == [r[2] for r in rows]


def test_dropped_rows_are_not_judged_again():
    table = language_table([("en", 0.9, KEEP), ("de", 0.9, WRONG)]).append_column(
        DROPPED_BY, pa.array(["extract_html", None], pa.string())
    ).append_column(REASON, pa.array(["no_text", None], pa.string()))
    out, stats = run_stage(LanguageFilter(languages=["fr"]), table)
    rows = {r["id"]: r for r in out.to_pylist()}
    assert (rows["doc0"][DROPPED_BY], rows["doc0"][REASON]) == ("extract_html", "no_text")
    assert (rows["doc1"][DROPPED_BY], rows["doc1"][REASON]) == ("language_filter", WRONG)
    assert stats.rows_in == 1


def test_registered_and_exported():
    assert get_stage_class("language_filter") is LanguageFilter
    assert LanguageFilter.name == "language_filter"
    assert LanguageFilter().config() == {
        "label": None,
        "languages": None,
        "min_score": 0.65,
        "language_column": "language",
        "score_column_name": "language_score",
    }
