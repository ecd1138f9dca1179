"""curate.stages.datatrove_adapter: datatrove_step runs datatrove filters and formatters."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pyarrow as pa
import pytest

from curate.registry import build_stage, get_stage_class
from curate.schema import DROPPED_BY, REASON
from curate.stage import MissingDependencyError, run_stage
from curate.stages.datatrove_adapter import DatatroveStep, resolve_step_class

GOOD = (
    "The committee met on Tuesday to review the annual budget and discuss the plans for the "
    "new library. Members agreed that the project should be finished before the end of the "
    "year, and they asked the city to publish the full report on its website. After a long "
    "debate about parking, the chair thanked the volunteers who had collected more than two "
    "thousand signatures. The next meeting will be held in the old school hall, where anyone "
    "who lives in the district can ask questions about the proposal."
)

TEXTS = {
    "good": GOOD,
    "short": "Too short.",
    "hashes": "# # # # # # # # # # # # # # # # # # # # # # # # #\n" * 3 + GOOD,
    "symbols": "!!!!\n####\n" + GOOD,
    "repeated": "Buy cheap watches online today.\n" * 30,
    "pii": "Write to jane.doe@gmail.com from 8.8.8.8. " + GOOD,
    "mojibake": "The cafÃ© is open. " + GOOD,
    "only_symbols": "!!!!\n####\n****",
}


def table() -> pa.Table:
    ids = list(TEXTS)
    return pa.table(
        {
            "id": ids,
            "text": pa.array(list(TEXTS.values()), pa.large_string()),
            "url": [f"https://example.com/{i}" for i in ids],
            "n": pa.array(range(len(ids)), pa.int64()),
            "payload": pa.array([b"<html>"] * len(ids), pa.large_binary()),
        }
    )


def reasons(out: pa.Table) -> dict[str, str | None]:
    return dict(zip(out["id"].to_pylist(), out[REASON].to_pylist()))


def texts(out: pa.Table) -> dict[str, str]:
    return dict(zip(out["id"].to_pylist(), out["text"].to_pylist()))


def test_registered_and_requires_datatrove() -> None:
    assert get_stage_class("datatrove_step") is DatatroveStep
    assert DatatroveStep.requires == (("datatrove", "datatrove"),)
    assert DatatroveStep.stateful


def test_missing_datatrove_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "datatrove", None)  # makes 'import datatrove' fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'curate\[datatrove\]'"):
        DatatroveStep(step="GopherQualityFilter").validate()


# ---- with datatrove ------------------------------------------------------------------------

datatrove = pytest.importorskip("datatrove")


# step, kwargs, expected reasons for the ids that are dropped (others kept)
FILTER_CASES = [
    pytest.param(
        "datatrove.pipeline.filters.GopherQualityFilter",
        {"min_doc_words": 50},
        {
            "short": "datatrove:gopher_short_doc",
            "only_symbols": "datatrove:gopher_short_doc",
            "hashes": "datatrove:gopher_too_many_hashes",
            "repeated": "datatrove:gopher_enough_stop_words",
        },
        id="gopher-quality",
    ),
    pytest.param(
        "GopherRepetitionFilter",
        {},
        {
            "repeated": "datatrove:dup_line_frac",
            "hashes": "datatrove:dup_line_frac",
            "short": "datatrove:top_2_gram",
            "only_symbols": "datatrove:top_2_gram",
        },
        id="gopher-repetition",
    ),
    pytest.param(
        "datatrove.pipeline.filters:RegexFilter",
        {"regex_exp": r"gmail\.com"},
        {"pii": "datatrove:regex_filter"},  # no reason given: the class name
        id="regex-plain-false",
    ),
]


@pytest.mark.parametrize("step,kwargs,dropped", FILTER_CASES)
def test_filters_drop_with_datatrove_reasons(step: str, kwargs: dict, dropped: dict[str, str]) -> None:
    stage = build_stage("datatrove_step", {"step": step, "kwargs": kwargs})
    stage.validate()
    out, stats = run_stage(stage, table())
    got = {k: v for k, v in reasons(out).items() if v is not None}
    assert got == dropped
    assert all(v == "datatrove_step" for v, r in zip(out[DROPPED_BY].to_pylist(), out[REASON].to_pylist()) if r)
    assert stats.rows_out == len(TEXTS) - len(dropped)


def test_filter_results_match_datatrove_itself() -> None:
    from datatrove.data import Document
    from datatrove.pipeline.filters import GopherQualityFilter

    reference = GopherQualityFilter()
    expected = {}
    for key, text in TEXTS.items():
        result = reference.filter(Document(text=text, id=key))
        ok, reason = (result, None) if not isinstance(result, tuple) else result
        expected[key] = None if ok else f"datatrove:{reason}"
    out, _ = run_stage(DatatroveStep(step=GopherQualityFilter()), table())
    assert reasons(out) == expected


# step, kwargs, {id: expected text} for changed rows; dropped ids
FORMATTER_CASES = [
    pytest.param(
        "SymbolLinesFormatter",
        {},
        # lines of symbols (and spaces) removed; splitlines/join drops a final newline
        {"symbols": GOOD, "hashes": GOOD, "repeated": TEXTS["repeated"].rstrip("\n")},
        {"only_symbols": "datatrove:empty_text"},
        id="symbol-lines",
    ),
    pytest.param(
        "datatrove.pipeline.formatters.PIIFormatter",
        {"email_replacement": "<EMAIL>", "ip_replacement": "<IP>"},
        {"pii": "Write to <EMAIL> from <IP>. " + GOOD},
        {},
        id="pii",
    ),
    pytest.param(
        "FTFYFormatter",
        {},
        {"mojibake": "The café is open. " + GOOD},
        {},
        id="ftfy",
    ),
]


@pytest.mark.parametrize("step,kwargs,changed,dropped", FORMATTER_CASES)
def test_formatters_rewrite_text(step: str, kwargs: dict, changed: dict[str, str], dropped: dict[str, str]) -> None:
    if step == "FTFYFormatter":
        pytest.importorskip("ftfy")
    before = texts(table())
    out, _ = run_stage(DatatroveStep(step=step, kwargs=kwargs), table())
    after = texts(out)
    for key in TEXTS:
        if key in changed:
            assert after[key].strip() == changed[key].strip()
        elif key not in dropped:
            assert after[key] == before[key], key
    assert {k: v for k, v in reasons(out).items() if v} == dropped
    for key in dropped:
        assert after[key] == before[key]  # rejects keep the original text
    assert out.schema.field("text").type == pa.large_string()


def test_metadata_is_passed_and_changes_come_back() -> None:
    from datatrove.pipeline.base import PipelineStep

    class Tagger(PipelineStep):
        """Adds a key, changes a column, and drops odd ``n``."""

        name = "tagger"

        def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
            for doc in data:
                assert "payload" not in doc.metadata  # binary columns stay out
                doc.metadata["chars"] = len(doc.text)
                doc.metadata["url"] = doc.metadata["url"].upper()
                if doc.metadata["n"] % 2 == 0:
                    yield doc

    out, stats = run_stage(DatatroveStep(step=Tagger()), table())
    assert out["chars"].to_pylist() == [len(t) for t in TEXTS.values()]
    assert out.schema.field("chars").type == pa.int64()
    assert out["url"].to_pylist()[0] == "HTTPS://EXAMPLE.COM/GOOD"
    assert [r for r in out[REASON].to_pylist()] == [None if i % 2 == 0 else "datatrove:tagger" for i in range(len(TEXTS))]
    assert out["payload"].to_pylist()[0] == b"<html>"

    out, _ = run_stage(DatatroveStep(step=Tagger(), write_metadata=False), table())
    assert "chars" not in out.column_names
    assert out["url"].to_pylist()[0] == "https://example.com/good"


def test_steps_that_create_documents_are_refused() -> None:
    from datatrove.data import Document
    from datatrove.pipeline.base import PipelineStep

    class Splitter(PipelineStep):
        name = "splitter"

        def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
            for doc in data:
                yield Document(text=doc.text[:10], id=doc.id + "-a")

    with pytest.raises(ValueError, match="yielded a document it was not given"):
        run_stage(DatatroveStep(step=Splitter()), table())


def test_exclusion_writer_is_not_used(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    from datatrove.pipeline.filters import GopherQualityFilter
    from datatrove.pipeline.writers import ParquetWriter

    writer = ParquetWriter(str(tmp_path / "excluded"))
    step = GopherQualityFilter(exclusion_writer=writer)
    with caplog.at_level(logging.WARNING):
        out, _ = run_stage(DatatroveStep(step=step), table())
    assert "exclusion_writer" in caplog.text
    assert reasons(out)["short"] == "datatrove:gopher_short_doc"
    assert step.exclusion_writer is writer  # restored
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing written there
    assert step.stats["total"].total == len(TEXTS)  # datatrove's own statistics still count


def test_lambda_instance_config_and_pickling() -> None:
    from datatrove.pipeline.filters import LambdaFilter

    stage = DatatroveStep(step=LambdaFilter(lambda doc: doc.metadata["n"] < 3), label="first_three")
    assert stage.config()["step"] == "datatrove.pipeline.filters.lambda_filter.LambdaFilter"
    out, stats = run_stage(stage, table())
    assert stats.dropped == {"datatrove:lambda_filter": len(TEXTS) - 3}
    assert set(out[DROPPED_BY].drop_null().to_pylist()) == {"first_three"}

    by_path = DatatroveStep(step="GopherQualityFilter", kwargs={"min_doc_words": 50})
    by_path.ensure_setup()
    clone = pickle.loads(pickle.dumps(by_path))  # ships the configuration, rebuilds the step
    assert "_step" not in clone.__dict__
    assert reasons(run_stage(clone, table())[0])["short"] == "datatrove:gopher_short_doc"


@pytest.mark.parametrize(
    "settings,error",
    [
        ({}, "set 'step'"),
        ({"step": "NoSuchFilter"}, "cannot find step"),
        ({"step": "datatrove.pipeline.filters.NoSuch"}, "has no 'NoSuch'"),
        ({"step": "nosuchmodule.Thing"}, "cannot import"),
        ({"step": "collections:OrderedDict"}, "not a datatrove PipelineStep"),
        ({"step": "GopherQualityFilter", "kwargs": {"no_such_arg": 1}}, "bad kwargs"),
        ({"step": 42}, "class path or a datatrove PipelineStep"),
    ],
)
def test_validate_errors(settings: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        DatatroveStep(**settings).validate()


def test_resolve_step_class_forms() -> None:
    from datatrove.pipeline.filters import GopherQualityFilter
    from datatrove.pipeline.formatters import PIIFormatter

    assert resolve_step_class("GopherQualityFilter") is GopherQualityFilter
    assert resolve_step_class("PIIFormatter") is PIIFormatter
    assert resolve_step_class("datatrove.pipeline.filters.GopherQualityFilter") is GopherQualityFilter
    assert resolve_step_class("datatrove.pipeline.filters:GopherQualityFilter") is GopherQualityFilter
