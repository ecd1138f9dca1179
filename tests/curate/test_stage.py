"""curate.stage: run_stage, Filter, row_filter, dataclass stages, pickling and names."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from curate import registry
from curate.registry import row_filter
from curate.schema import DROPPED_BY, REASON, TEXT
from curate.stage import (
    Filter,
    Stage,
    StageBatchStats,
    live_rows,
    mark_dropped,
    run_stage,
    snake_case,
)

# -- stages used by the tests (module level so that they pickle) ---------------------------


class MinLen(Filter):
    """Drop texts shorter than ``min_len`` characters; records what process() saw."""

    min_len: int = 3

    def setup(self) -> None:
        self._seen: list[str] = []

    def score(self, batch: pa.Table) -> pa.Array:
        self._seen.extend(batch["id"].to_pylist())
        return pc.utf8_length(batch[TEXT])

    def keep(self, score: pa.Array) -> pa.Array:
        return pc.greater_equal(score, self.min_len)


class NamedReason(MinLen):
    """Same rule, but a fixed drop reason and score column."""

    reason = "too_short"
    score_column = "n_chars"


class NoScores(MinLen):
    write_scores = False


class Rules(Filter):
    """Several rules: keep() returns one reason per row (null keeps)."""

    max_digits: int = 0

    def score(self, batch: pa.Table) -> dict:
        text = pc.fill_null(batch[TEXT], "")
        return {
            "n_chars": pc.utf8_length(text).cast(pa.int32()),
            "n_digits": np.array(
                [sum(ch.isdigit() for ch in t) for t in text.to_pylist()], dtype=np.int16
            ),
            "upper_ratio": [
                (sum(ch.isupper() for ch in t) / len(t)) if t else 0.0 for t in text.to_pylist()
            ],
        }

    def keep(self, score: dict) -> pa.Array:
        reasons = []
        for n, digits in zip(score["n_chars"].to_pylist(), score["n_digits"].tolist()):
            if n == 0:
                reasons.append("empty")
            elif digits > self.max_digits:
                reasons.append("has_digits")
            else:
                reasons.append(None)
        return pa.array(reasons, pa.string())


class TableScores(Filter):
    """score() returns a pa.Table of named columns."""

    def score(self, batch: pa.Table) -> pa.Table:
        text = pc.fill_null(batch[TEXT], "")
        return pa.table(
            {
                "words": pc.list_value_length(pc.utf8_split_whitespace(text)),
                "chars": pc.utf8_length(text),
            }
        )

    def keep(self, score: pa.Table) -> pa.Array:
        return pc.greater(score["words"], 1)


SETUP_CALLS: list[int] = []


class HeavyModel(Stage):
    """A stateful stage whose setup() loads state into a private attribute."""

    stateful = True
    scale: float = 2.0

    def setup(self) -> None:
        SETUP_CALLS.append(id(self))
        self._model = {"loaded": True, "weights": list(range(1000))}

    def process(self, table: pa.Table) -> pa.Table:
        assert self._model["loaded"]
        return table


class Upper(Stage):
    """A map stage: upper-cases the text."""

    def process(self, table: pa.Table) -> pa.Table:
        idx = table.schema.get_field_index(TEXT)
        return table.set_column(idx, TEXT, pc.utf8_upper(table[TEXT]))


# -- helpers ---------------------------------------------------------------------------------


def make_table(texts, dropped_by=None, reasons=None) -> pa.Table:
    n = len(texts)
    columns = {
        "id": [f"r{i}" for i in range(n)],
        TEXT: pa.array(texts, pa.large_string()),
    }
    if dropped_by is not None:
        columns[DROPPED_BY] = pa.array(dropped_by, pa.string())
        columns[REASON] = pa.array(reasons, pa.string())
    return pa.table(columns)


def rows_by_id(table: pa.Table) -> dict[str, dict]:
    return {row["id"]: row for row in table.to_pylist()}


@pytest.fixture
def clean_registry(monkeypatch):
    """Let a test register stages without leaking them into the global registry."""
    registry.registered_stages()  # load the built-ins into the real registry first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return registry


# -- run_stage -------------------------------------------------------------------------------


RUN_STAGE_CASES = [
    pytest.param(
        ["a", "abcd", "abc"], None, None, ["r0", "r1", "r2"], 3, 2, {"min_len": 1}, id="all-live"
    ),
    pytest.param(
        ["a", "abcd", "xy", "abcdef"],
        [None, "read", None, "earlier"],
        [None, "not_html", None, "some_rule"],
        ["r0", "r2"],
        2,
        0,
        {"min_len": 2},
        id="some-dead",
    ),
    pytest.param(
        ["abcd", "abcdef"],
        ["read", "earlier"],
        ["not_html", "some_rule"],
        [],
        0,
        0,
        {},
        id="all-dead",
    ),
    pytest.param(
        ["abcd", None, "abcdef"],
        [None, None, "read"],
        [None, None, "not_html"],
        ["r0", "r1"],
        2,
        1,
        {"min_len": 1},
        id="null-text-dropped",
    ),
    pytest.param([], None, None, [], 0, 0, {}, id="empty-table"),
]


@pytest.mark.parametrize("texts, dropped_by, reasons, seen, rows_in, rows_out, dropped", RUN_STAGE_CASES)
def test_run_stage_hands_only_live_rows(texts, dropped_by, reasons, seen, rows_in, rows_out, dropped):
    table = make_table(texts, dropped_by, reasons)
    stage = MinLen(min_len=3)
    out, stats = run_stage(stage, table)

    assert stage._seen == seen, "process() must see exactly the live rows"
    assert isinstance(stats, StageBatchStats)
    assert stats.stage == "min_len"
    assert (stats.rows_in, stats.rows_out) == (rows_in, rows_out)
    assert stats.dropped == dropped
    assert stats.rows_in - stats.rows_out == sum(stats.dropped.values())
    assert stats.seconds >= 0
    assert out.num_rows == table.num_rows
    assert DROPPED_BY in out.column_names and REASON in out.column_names

    before = rows_by_id(table)
    after = rows_by_id(out)
    assert set(after) == set(before)
    for row_id, row in before.items():
        if row.get(DROPPED_BY) is not None:
            # Dropped earlier: re-attached untouched, never scored.
            for key, value in row.items():
                assert after[row_id][key] == value
            assert after[row_id].get("min_len") is None
        elif row_id in seen and (row[TEXT] is None or len(row[TEXT]) < 3):
            assert after[row_id][DROPPED_BY] == "min_len"
            assert after[row_id][REASON] == "min_len"
        else:
            assert after[row_id][DROPPED_BY] is None
            assert after[row_id][REASON] is None


def test_run_stage_map_stage_keeps_dead_rows_unchanged():
    table = make_table(["abc", "def"], [None, "read"], [None, "not_html"])
    out, stats = run_stage(Upper(), table)
    rows = rows_by_id(out)
    assert rows["r0"][TEXT] == "ABC"
    assert rows["r1"][TEXT] == "def"  # dead rows are not processed
    assert (stats.rows_in, stats.rows_out, stats.dropped) == (1, 1, {})


def test_run_stage_chains_and_live_rows():
    table = make_table(["a", "abcd", "abcdefgh", "xy z"])
    out, s1 = run_stage(MinLen(min_len=3), table)
    out, s2 = run_stage(TableScores(label="two_words"), out)
    assert (s1.rows_in, s1.rows_out) == (4, 3)
    assert (s2.rows_in, s2.rows_out) == (3, 1)
    assert s2.dropped == {"table_scores": 2}
    by_id = rows_by_id(out)
    assert by_id["r0"][DROPPED_BY] == "min_len"  # the first drop is kept
    assert by_id["r1"][DROPPED_BY] == "two_words"
    assert live_rows(out)["id"].to_pylist() == ["r3"]
    assert live_rows(make_table(["a"])).num_rows == 1


@pytest.mark.parametrize(
    "earlier, new, expected",
    [
        ([None, None, None], ["x", None, "y"], ["x", None, "y"]),
        (["a", None, None], ["b", "c", None], ["a", "c", None]),
        (None, ["b", None], ["b", None]),
    ],
)
def test_mark_dropped_keeps_earlier_reasons(earlier, new, expected):
    n = len(new)
    table = pa.table({"id": list(range(n))})
    if earlier is not None:
        table = table.append_column(REASON, pa.array(earlier, pa.string()))
    out = mark_dropped(table, pa.array(new, pa.string()))
    assert out[REASON].to_pylist() == expected


def test_stage_batch_stats_merge():
    a = StageBatchStats("s", rows_in=10, rows_out=7, seconds=1.0, dropped={"x": 2, "y": 1})
    a.merge(StageBatchStats("s", rows_in=5, rows_out=4, seconds=0.5, dropped={"x": 1}))
    assert a.to_dict() == {
        "stage": "s",
        "rows_in": 15,
        "rows_out": 11,
        "seconds": 1.5,
        "dropped": {"x": 3, "y": 1},
    }


# -- Filter ----------------------------------------------------------------------------------


FILTER_CASES = [
    # stage, texts, expected (dropped_by, reason) per row, stage id, score columns
    pytest.param(
        MinLen(min_len=3),
        ["a", "abcd", None, "abc"],
        [("min_len", "min_len"), (None, None), ("min_len", "min_len"), (None, None)],
        "min_len",
        {"min_len": pa.int64()},
        id="mask",
    ),
    pytest.param(
        MinLen(min_len=3, label="short_docs"),
        ["a", "abcd"],
        [("short_docs", "min_len"), (None, None)],
        "short_docs",
        {"min_len": pa.int64()},
        id="mask-label",
    ),
    pytest.param(
        NamedReason(min_len=2),
        ["a", "abcd"],
        [("named_reason", "too_short"), (None, None)],
        "named_reason",
        {"n_chars": pa.int64()},
        id="mask-reason-and-score-column",
    ),
    pytest.param(
        NoScores(min_len=2),
        ["a", "abcd"],
        [("no_scores", "no_scores"), (None, None)],
        "no_scores",
        {},
        id="no-score-columns",
    ),
    pytest.param(
        Rules(),
        ["fine", "", "room 101", None, "OK"],
        [(None, None), ("rules", "empty"), ("rules", "has_digits"), ("rules", "empty"), (None, None)],
        "rules",
        {"n_chars": pa.int32(), "n_digits": pa.int16(), "upper_ratio": pa.float64()},
        id="string-reasons-dict-scores",
    ),
    pytest.param(
        Rules(max_digits=5, label="rules_lenient"),
        ["room 101", ""],
        [(None, None), ("rules_lenient", "empty")],
        "rules_lenient",
        {"n_chars": pa.int32(), "n_digits": pa.int16(), "upper_ratio": pa.float64()},
        id="string-reasons-label",
    ),
    pytest.param(
        TableScores(),
        ["one", "two words", None],
        [("table_scores", "table_scores"), (None, None), ("table_scores", "table_scores")],
        "table_scores",
        {"words": pa.int32(), "chars": pa.int64()},
        id="table-scores",
    ),
]


@pytest.mark.parametrize("stage, texts, expected, stage_id, score_types", FILTER_CASES)
def test_filter_decisions_and_score_columns(stage, texts, expected, stage_id, score_types):
    table = make_table(texts)
    out, stats = run_stage(stage, table)
    assert stage.stage_id == stage_id
    assert stats.stage == stage_id
    got = list(zip(out[DROPPED_BY].to_pylist(), out[REASON].to_pylist()))
    assert got == expected
    reasons = [r for _, r in expected if r is not None]
    assert stats.dropped == {r: reasons.count(r) for r in set(reasons)}
    assert stats.rows_out == len(texts) - len(reasons)
    for column, dtype in score_types.items():
        assert column in out.column_names
        assert out.schema.field(column).type == dtype
        # Scores are written for every processed row, dropped ones included.
        assert len(out[column]) == len(texts)
    extra = set(out.column_names) - {"id", TEXT, DROPPED_BY, REASON}
    assert extra == set(score_types)


def test_filter_scores_of_dropped_rows_are_written():
    out, _ = run_stage(Rules(), make_table(["abc", "a1", "ABCD"]))
    rows = out.to_pylist()
    assert [r["n_chars"] for r in rows] == [3, 2, 4]
    assert [r["n_digits"] for r in rows] == [0, 1, 0]
    assert rows[1][REASON] == "has_digits"
    assert rows[2]["upper_ratio"] == pytest.approx(1.0)


def test_filter_replaces_an_existing_score_column():
    table = make_table(["abcd", "a"]).append_column("min_len", pa.array([-1, -1]))
    out, _ = run_stage(MinLen(min_len=2), table)
    assert out["min_len"].to_pylist() == [4, 1]
    assert out.column_names.count("min_len") == 1


def test_filter_mask_with_nulls_drops_them():
    class NullMask(Filter):
        def score(self, batch):
            return None

        def keep(self, score):
            return pa.array([True, None, False])

    out, stats = run_stage(NullMask(), make_table(["a", "b", "c"]))
    assert out[REASON].to_pylist() == [None, "null_mask", "null_mask"]
    assert stats.dropped == {"null_mask": 2}


# -- dataclass behaviour ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, defaults",
    [
        (MinLen, {"label": None, "min_len": 3}),
        (NamedReason, {"label": None, "min_len": 3}),
        (Rules, {"label": None, "max_digits": 0}),
        (HeavyModel, {"label": None, "scale": 2.0}),
        (Upper, {"label": None}),
    ],
)
def test_subclass_becomes_keyword_only_dataclass(cls, defaults):
    assert dataclasses.is_dataclass(cls)
    assert [f.name for f in dataclasses.fields(cls)] == list(defaults)
    assert all(f.kw_only for f in dataclasses.fields(cls))
    assert cls().config() == defaults
    if len(defaults) > 1:
        with pytest.raises(TypeError):
            cls(1)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, {"label": None, "min_len": 3}),
        ({"min_len": 10}, {"label": None, "min_len": 10}),
        ({"min_len": 1, "label": "x"}, {"label": "x", "min_len": 1}),
    ],
)
def test_config_returns_settings(kwargs, expected):
    stage = MinLen(**kwargs)
    assert stage.config() == expected
    assert stage.stage_id == (expected["label"] or "min_len")


def test_unknown_setting_is_a_type_error():
    with pytest.raises(TypeError):
        MinLen(min_length=3)


def test_class_attributes_are_not_settings():
    names = {f.name for f in dataclasses.fields(NamedReason)}
    assert not names & {"name", "stateful", "resources", "reason", "score_column", "write_scores"}
    assert NamedReason.name == "named_reason"
    assert HeavyModel.stateful and not Upper.stateful


def test_mutable_default_is_rejected_at_class_creation():
    with pytest.raises(ValueError):

        class Bad(Stage):
            words: list = []


# -- row_filter ------------------------------------------------------------------------------


ROW_FILTER_CASES = [
    pytest.param({}, ["hello world", "lorem ipsum dolor", None, "LOREM"], [True, False, False, False], id="plain"),
    pytest.param({"reason": "lorem"}, ["lorem", "fine"], [False, True], id="reason"),
    pytest.param({"name": "no_filler"}, ["fine", "lorem"], [True, False], id="name"),
]


@pytest.mark.parametrize("options, texts, kept", ROW_FILTER_CASES)
def test_row_filter(clean_registry, options, texts, kept):
    def no_lorem(text: str) -> bool:
        """Drop placeholder text."""
        return "lorem" not in text.lower()

    cls = row_filter(**options)(no_lorem) if options else row_filter(no_lorem)
    name = options.get("name", "no_lorem")
    reason = options.get("reason", name)
    assert cls.name == name
    assert issubclass(cls, Filter)
    assert clean_registry.get_stage_class(name) is cls
    assert cls.__doc__ == "Drop placeholder text."
    assert cls.row_function is no_lorem

    out, stats = run_stage(cls(), make_table(texts))
    assert [r is None for r in out[REASON].to_pylist()] == kept
    assert {r for r in out[REASON].to_pylist() if r} <= {reason}
    assert set(out[DROPPED_BY].drop_null().to_pylist()) <= {name}
    assert stats.rows_out == sum(kept)
    assert set(out.column_names) == {"id", TEXT, DROPPED_BY, REASON}  # no score column


def test_row_filter_registered_name_builds_from_yaml_config(clean_registry):
    @row_filter
    def short_enough(text: str) -> bool:
        return len(text) < 5

    stage = clean_registry.build_stage("short_enough", {"label": "short"})
    out, stats = run_stage(stage, make_table(["abc", "abcdefgh"]))
    assert out[DROPPED_BY].to_pylist() == [None, "short"]
    assert out[REASON].to_pylist() == [None, "short_enough"]


def test_row_filter_other_column_and_no_register(clean_registry):
    def https_only(url: str) -> bool:
        return url.startswith("https://")

    cls = row_filter(https_only, column="url", register=False)
    assert "https_only" not in clean_registry.registered_stages()
    table = make_table(["a", "b", "c"]).append_column(
        "url", pa.array(["https://x.example", "http://y.example", None])
    )
    out, _ = run_stage(cls(), table)
    assert out[REASON].to_pylist() == [None, "https_only", "https_only"]


# -- pickling and setup ----------------------------------------------------------------------


def test_pickle_drops_private_state_and_setup_runs_once():
    SETUP_CALLS.clear()
    stage = HeavyModel(scale=3.0, label="heavy")
    stage.ensure_setup()
    stage.ensure_setup()
    assert len(SETUP_CALLS) == 1
    assert "_model" in stage.__dict__

    data = pickle.dumps(stage)
    assert len(data) < 1000, "loaded state must not travel with the stage"
    copy = pickle.loads(data)
    assert copy.config() == {"label": "heavy", "scale": 3.0}
    assert not any(k.startswith("_") for k in copy.__dict__)
    assert len(SETUP_CALLS) == 1

    out, _ = run_stage(copy, make_table(["x"]))  # run_stage calls ensure_setup
    assert out.num_rows == 1
    copy.ensure_setup()
    assert SETUP_CALLS == [id(stage), id(copy)]
    assert copy._model["loaded"]


def test_filter_pickles_with_config_only():
    stage = MinLen(min_len=7)
    stage.ensure_setup()
    copy = pickle.loads(pickle.dumps(stage))
    assert copy == MinLen(min_len=7)
    assert "_seen" not in copy.__dict__


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "class_name, expected",
    [
        ("TrafilaturaExtractor", "trafilatura_extractor"),
        ("ExtractHtml", "extract_html"),
        ("FasttextLanguageId", "fasttext_language_id"),
        ("LanguageFilter", "language_filter"),
        ("HTMLExtractor", "html_extractor"),
        ("URLFilter", "url_filter"),
        ("getHTTPResponse", "get_http_response"),
        ("MinWords", "min_words"),
        ("Gopher2Quality", "gopher2_quality"),
        ("ABC", "abc"),
        ("already_snake", "already_snake"),
    ],
)
def test_snake_case(class_name, expected):
    assert snake_case(class_name) == expected


@pytest.mark.parametrize(
    "cls, name",
    [(MinLen, "min_len"), (NamedReason, "named_reason"), (Rules, "rules"), (HeavyModel, "heavy_model")],
)
def test_class_name_becomes_stage_name(cls, name):
    assert cls.name == name
    assert cls().stage_id == name


def test_explicit_name_is_kept():
    class Whatever(Stage):
        name = "custom_name"

    assert Whatever.name == "custom_name"
    assert Whatever(label="x").stage_id == "x"
