"""The cheap-first cascade of ``extract_html`` (``prefilter_languages``): pages whose whole
visible text is confidently another language skip trafilatura, and the pipeline keeps the
same documents as without it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from curate.readers import build_reader
from curate.readers.base import InputFile, ReadReport
from curate.registry import build_stage
from curate.settings import SettingsError
from curate.stage import run_stage

WARCS = [
    "warc/resiliparse/warcfile.warc.gz",       # zh, ja, ru, de, nl and en pages
    "warc/resiliparse/clueweb-quirk.warc.gz",
    "warc/commoncrawl-whirlwind/whirlwind.warc.gz",  # es
    "warc/dolma/sample-0000.warc.gz",          # en
]


@pytest.fixture(scope="module")
def pages(shared_data: Path) -> pa.Table:
    reader = build_reader("warc", {"batch_rows": 1000})
    tables = []
    for name in WARCS:
        path = shared_data / name
        tables += list(reader.read(InputFile(str(path)), ReadReport(input=str(path), key=name)))
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.filter(pc.is_null(table["_reason"]))  # the responses with an HTML payload


def through(stages: list, table: pa.Table) -> tuple[pa.Table, dict[str, dict[str, int]]]:
    drops = {}
    for stage in stages:
        table, stats = run_stage(stage, table)
        drops[stage.stage_id] = stats.to_dict()["dropped"]
    return table, drops


def full_path(prefilter: list[str] | None) -> list:
    return [
        build_stage("extract_html", {"favor_precision": True, "prefilter_languages": prefilter}),
        build_stage("fasttext_language_id", {}),
        build_stage("language_filter", {"languages": ["en"], "min_score": 0.65}),
        build_stage("gopher_repetition", {}),
        build_stage("gopher_quality", {}),
        build_stage("c4_quality", {"filter_no_terminal_punct": False}),
        build_stage("fineweb_quality", {}),
    ]


def alive_ids(table: pa.Table) -> set[str]:
    return set(table.filter(pc.is_null(table["_reason"]))["id"].to_pylist())


def test_the_cascade_skips_other_languages_and_keeps_the_same_documents(pages):
    off, off_drops = through(full_path(None), pages)
    on, on_drops = through(full_path(["en"]), pages)
    skipped = on_drops["extract_html"].get("prefilter:wrong_language", 0)
    assert skipped >= 0.3 * pages.num_rows, (skipped, pages.num_rows)  # these inputs are mostly not English
    assert alive_ids(on) == alive_ids(off) and alive_ids(off)
    # the skipped pages are ones the full path drops, nearly all for their language
    skipped_ids = set(on.filter(pc.equal(on["_reason"], "prefilter:wrong_language"))["id"].to_pylist())
    off_reasons = dict(zip(off["id"].to_pylist(), off["_reason"].to_pylist()))
    assert all(off_reasons[i] is not None for i in skipped_ids)
    for_language = sum(off_reasons[i] in ("wrong_language", "low_language_score") for i in skipped_ids)
    assert for_language >= 0.9 * len(skipped_ids), (for_language, len(skipped_ids))
    # the evidence travels with the row
    row = on.filter(pc.equal(on["_reason"], "prefilter:wrong_language")).slice(0, 1).to_pylist()[0]
    assert row["prefilter_language"] not in (None, "en") and row["prefilter_language_score"] >= 0.65


def test_without_evidence_a_page_goes_on(pages):
    """An empty page has no language: it is not skipped, the full extraction decides."""
    empty = pa.table({"id": ["e"], "url": ["https://e.example/"], "payload": [b"<html><body></body></html>"],
                      "charset": ["utf-8"]})
    out, stats = run_stage(build_stage("extract_html", {"prefilter_languages": ["en"]}), empty)
    assert out["_reason"].to_pylist() == ["no_text"]
    assert out["prefilter_language"].to_pylist() == [None]


def test_the_score_bar_decides():
    """A German page is skipped when its score clears ``prefilter_min_score``, and goes on
    to the full extraction when it does not."""
    html = ("<html><body><article><p>Der Hund läuft jeden Morgen schnell über die Straße, bellt laut "
            "und wartet dann geduldig vor der Bäckerei auf seinen Besitzer.</p></article></body></html>")
    page = pa.table({"id": ["de"], "url": ["https://de.example/"], "payload": [html.encode()], "charset": ["utf-8"]})
    found = build_stage("extract_html", {"prefilter_languages": ["en"]}).cheap_languages([html])
    names, scores = found["prefilter_language"].to_pylist(), found["prefilter_language_score"].to_pylist()
    assert names == ["de"] and 0.5 < scores[0] < 0.999
    below = build_stage("extract_html", {"prefilter_languages": ["en"], "prefilter_min_score": float(scores[0]) - 0.001})
    above = build_stage("extract_html", {"prefilter_languages": ["en"], "prefilter_min_score": float(scores[0]) + 0.001})
    assert run_stage(below, page)[0]["_reason"].to_pylist() == ["prefilter:wrong_language"]
    assert run_stage(above, page)[0]["_reason"].to_pylist() == [None]
    wanted = build_stage("extract_html", {"prefilter_languages": ["en", "de"], "prefilter_min_score": 0.0})
    assert run_stage(wanted, page)[0]["_reason"].to_pylist() == [None]


def test_settings_are_checked():
    with pytest.raises((SettingsError, ValueError)):
        build_stage("extract_html", {"prefilter_languages": ["en"], "prefilter_min_score": "0.8"}).validate()
    with pytest.raises(ValueError, match="prefilter_min_score"):
        build_stage("extract_html", {"prefilter_languages": ["en"], "prefilter_min_score": 1.5}).validate()
    assert build_stage("extract_html", {"prefilter_languages": "en"}).prefilter_languages == ["en"]


def test_a_prefilter_narrower_than_the_language_filter_is_warned_about():
    from curate.pipeline import Pipeline
    from curate.pipeline_checks import language_support_warnings

    stages = [build_stage("extract_html", {"prefilter_languages": ["en"]}),
              build_stage("fasttext_language_id", {}),
              build_stage("language_filter", {"languages": ["en", "de"]})]
    warnings = language_support_warnings(Pipeline(stages=stages, name="t"))
    assert any("prefilter_languages (en) rejects pages in de" in w for w in warnings)
    stages[0] = build_stage("extract_html", {"prefilter_languages": ["en", "de"]})
    assert not any("prefilter" in w for w in language_support_warnings(Pipeline(stages=stages, name="t")))


def test_a_byte_identical_payload_is_extracted_once(monkeypatch):
    html = b"<html><body><article><p>The tide comes in twice a day, pulled by the moon and the sun.</p></article></body></html>"
    other = b"<html><body><article><p>Lentil soup freezes well and keeps for three months.</p></article></body></html>"
    page = pa.table({"id": ["a", "b", "c"], "url": ["https://a.example/", "https://b.example/", "https://c.example/"],
                     "payload": [html, other, html], "charset": ["utf-8"] * 3})
    stage = build_stage("extract_html", {})
    stage.ensure_setup()
    calls = []
    real = stage._extract
    monkeypatch.setattr(stage, "_extract", lambda h, u: calls.append(u) or real(h, u))
    out, _ = run_stage(stage, page)
    assert calls == ["https://a.example/", "https://b.example/"] and stage.reused == 1
    assert out["text"][0].as_py() == out["text"][2].as_py() and "tide" in out["text"][0].as_py()
    out, _ = run_stage(stage, page.slice(2))  # a later batch of the same worker
    assert len(calls) == 2 and stage.reused == 2


def test_auto_takes_the_language_filters_languages():
    from curate.pipeline import Pipeline
    from curate.pipeline_checks import resolve_prefilter_languages

    stages = [build_stage("extract_html", {"prefilter_languages": "auto"}),
              build_stage("fasttext_language_id", {}),
              build_stage("language_filter", {"languages": ["en", "de"]})]
    assert resolve_prefilter_languages(Pipeline(stages=stages, name="t")) == []
    assert stages[0].prefilter_languages == ["de", "en"] and stages[0].stateful
    alone = [build_stage("extract_html", {"prefilter_languages": "auto"})]
    notes = resolve_prefilter_languages(Pipeline(stages=alone, name="t"))
    assert alone[0].prefilter_languages is None and "no language_filter follows" in notes[0]
    with pytest.raises(ValueError, match="auto"):
        build_stage("extract_html", {"prefilter_languages": "auto"}).setup()
