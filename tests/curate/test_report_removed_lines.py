"""Lines removed by ``c4_quality`` and ``line_dedup``: recorded per document, and shown struck
through in place in ``curate report``."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from curate.filters.c4 import C4QualityFilter

from curate.dedup.exact import LineDedup, _line_table
from curate.pipeline import pipeline_from_dict
from curate.report import write_report
from curate.report.page import document
from curate.report.removed_lines import cut_segments, reinsert, removed_view
from curate.run import run_pipeline

ATTACK = "<script>alert(1)</script>"
NAV = "Home | News | Sport | Contact"
JAVASCRIPT = "Please enable JavaScript to view the comments powered by Disqus."
COOKIES = "This site uses cookies to improve your experience."
NEWSLETTER = "Subscribe to our newsletter for the latest local stories."
FOOTER = "Copyright 2024 The Valley Gazette. All rights reserved."
TOWNS = ["Ashford", "Bramley", "Carlton", "Dunmore"]


def _page_lines(town: str) -> list[str]:
    """A local news page: five sentences of article, navigation and banners C4 removes, and a
    newsletter line and footer (kept by C4) that every page of the site shares."""
    return [
        NAV,
        f"The {town} council met on Tuesday evening to discuss the new library.",
        f"Members agreed that the {town} building needs a larger reading room for children.",
        JAVASCRIPT,
        NEWSLETTER,
        f"The mayor of {town} said work could begin next spring if the budget allows it.",
        f"Residents of {town} will be able to comment on the plans at a public meeting in May.",
        COOKIES,
        f"Local schools in {town} have already offered to help with a reading festival next summer.",
        FOOTER,
        ATTACK,
    ]


C4_REMOVED = [0, 3, 7, 10]  # NAV, JAVASCRIPT, COOKIES, ATTACK
DEDUP_REMOVED = [2, 6]  # NEWSLETTER, FOOTER among C4's kept lines
SHORT = ["Home | News", "A short page about nothing at all.", "Please enable JavaScript."]


def _run(root: Path, stages: list, docs: list[dict]) -> str:
    source = root / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    pipeline = pipeline_from_dict({"name": "removed-lines", "input": {"format": "jsonl"}, "stages": stages})
    run_pipeline(pipeline, inputs=[str(source)], output=str(root / "out"), executor="local")
    return str(root / "out")


def _docs() -> list[dict]:
    return [{"id": f"page-{i}", "url": f"https://gazette.example/{town.lower()}", "text": "\n".join(_page_lines(town))}
            for i, town in enumerate(TOWNS)]


@pytest.fixture(scope="module")
def c4_output(tmp_path_factory) -> str:
    """c4_quality alone: one kept page and one short page it drops."""
    root = tmp_path_factory.mktemp("c4")
    docs = _docs()[:1] + [{"id": "short", "url": "https://gazette.example/short", "text": "\n".join(SHORT)}]
    return _run(root, [{"c4_quality": {}}], docs)


@pytest.fixture(scope="module")
def dedup_output(tmp_path_factory) -> str:
    """c4_quality, then line_dedup over four pages of one site (their shared lines repeat)."""
    root = tmp_path_factory.mktemp("dedup")
    return _run(root, [{"c4_quality": {}}, {"line_dedup": {"max_documents": 2}}], _docs())


def _rows(directory: str, folder: str) -> dict[str, dict]:
    table = ds.dataset(str(Path(directory) / folder), format="parquet").to_table()
    return {row["id"]: row for row in table.to_pylist()}


def _page(directory: str, tmp_path: Path) -> str:
    path = tmp_path / "report.html"
    write_report(directory, str(path), samples=10)
    return path.read_text(encoding="utf-8")


def _example(page: str, doc_id: str) -> tuple[str, str]:
    """(the notes, the text) of the example document ``doc_id`` on the page."""
    match = re.search(rf'<div class="example"><div class="note">id: {re.escape(doc_id)} \|.*?</div>(.*?)'
                      r'<pre class="doc">(.*?)</pre>', page, re.S)
    assert match, doc_id
    return match.group(1), match.group(2)


def _struck(text: str, stage: str) -> str:
    return f'<del class="removed" title="removed by {stage}">{html.escape(text)}</del>'


def test_c4_records_the_lines_it_removes(c4_output):
    kept = _rows(c4_output, "data")["page-0"]
    lines = _page_lines(TOWNS[0])
    assert kept["c4_removed_lines"] == [{"line": i, "text": lines[i]} for i in C4_REMOVED]
    assert kept["c4_lines_removed"] == len(C4_REMOVED) and kept["c4_line_count"] == len(lines)
    assert kept["text"] == "\n".join(line for i, line in enumerate(lines) if i not in C4_REMOVED)
    dropped = _rows(c4_output, "rejects")["short"]  # a dropped document keeps its record
    assert dropped["reason"] == "c4:too_few_sentences" and dropped["text"] == "\n".join(SHORT)
    assert dropped["c4_removed_lines"] == [{"line": 0, "text": SHORT[0]}, {"line": 2, "text": SHORT[2]}]


def test_line_dedup_records_the_lines_it_removes(dedup_output):
    rows = _rows(dedup_output, "data")
    assert set(rows) == {f"page-{i}" for i in range(len(TOWNS))}
    for row in rows.values():
        assert row["line_dedup_removed_lines"] == [{"line": 2, "text": NEWSLETTER}, {"line": 6, "text": FOOTER}]
        assert row["duplicate_lines_removed"] == 2
        assert row["c4_removed_lines"] == [{"line": i, "text": _page_lines(TOWNS[0])[i]} for i in C4_REMOVED]
        assert NEWSLETTER not in row["text"] and FOOTER not in row["text"]


def test_the_report_strikes_c4_lines_through_in_place(c4_output, tmp_path):
    page = _page(c4_output, tmp_path)
    lines = _page_lines(TOWNS[0])
    notes, text = _example(page, "page-0")
    expected = [_struck(line, "c4_quality") if i in C4_REMOVED else html.escape(line) for i, line in enumerate(lines)]
    assert text == "\n".join(expected)
    assert "4 removed by c4_quality" in notes and "not recorded" not in notes
    # the dropped page still has its own text: the removed lines are marked where they are
    notes, text = _example(page, "short")
    assert text == "\n".join([_struck(SHORT[0], "c4_quality"), html.escape(SHORT[1]), _struck(SHORT[2], "c4_quality")])


def test_a_planted_script_in_a_removed_line_is_escaped(c4_output, tmp_path):
    page = _page(c4_output, tmp_path)
    assert '<del class="removed" title="removed by c4_quality">&lt;script&gt;alert(1)&lt;/script&gt;</del>' in page
    assert ATTACK not in page
    assert len(re.findall(r"<script\b", page)) == len(re.findall(r"</script>", page, re.I)) == 4  # the page's own


def test_the_report_puts_back_both_stages_lines(dedup_output, tmp_path):
    page = _page(dedup_output, tmp_path)
    for i, town in enumerate(TOWNS):
        lines = _page_lines(town)
        by = {**{j: "c4_quality" for j in C4_REMOVED}, 4: "line_dedup", 9: "line_dedup"}
        expected = [_struck(line, by[j]) if j in by else html.escape(line) for j, line in enumerate(lines)]
        notes, text = _example(page, f"page-{i}")
        assert text == "\n".join(expected)
        assert "4 removed by c4_quality; 2 removed by line_dedup" in notes


def test_reinsertion_with_both_stages():
    # The page: K0 N1 K2 S3 K4 N5; C4 removed N1, N5; line_dedup then removed S3 (index 2 of C4's K0 K2 S3 K4).
    row = {
        "c4_removed_lines": [{"line": 1, "text": "N1"}, {"line": 5, "text": "N5"}], "c4_lines_removed": 2,
        "c4_line_count": 6,
        "line_dedup_removed_lines": [{"line": 2, "text": "S3"}], "duplicate_lines_removed": 1,
    }
    view = removed_view("K0\nK2\nK4", row)
    assert view is not None and view["in_place"]
    assert [(s["text"], s["removed_by"]) for s in view["segments"]] == [
        ("K0", None), ("N1", "c4_quality"), ("K2", None), ("S3", "line_dedup"), ("K4", None), ("N5", "c4_quality")]
    assert [s["stage"] for s in view["stages"]] == ["c4_quality", "line_dedup"]
    # a text whose lines do not match the counts (another stage changed it): listed apart
    view = removed_view("K0 K2 K4", row)
    assert view is not None and not view["in_place"]
    assert view["segments"] == [{"text": "K0 K2 K4", "removed_by": None}]
    assert [s["text"] for s in view["unplaced"]] == ["N1", "N5", "S3"]
    out = document({"id": "x", "text": "K0 K2 K4", "removed_lines": view})
    assert "listed below" in out and out.count('<del class="removed"') == 3
    # only the first removed lines recorded: those go in place, the rest is counted
    partial = {"c4_removed_lines": [{"line": 1, "text": "N1"}], "c4_lines_removed": 2, "c4_line_count": 6}
    view = removed_view("K0\nK2\nS3\nK4", partial)
    assert view is not None and view["in_place"]
    assert [s["text"] for s in view["segments"]] == ["K0", "N1", "K2", "S3", "K4"]
    assert "(1 not recorded, not shown)" in document({"id": "x", "removed_lines": view})
    assert reinsert([{"text": "a", "removed_by": None}], [{"line": 5, "text": "b"}], "line_dedup") is None
    assert removed_view("text", {"c4_removed_lines": [], "c4_lines_removed": 0, "c4_line_count": 1}) is None


def test_the_display_cut_counts_kept_and_removed_text_apart():
    segments = [{"text": "n" * 8, "removed_by": "c4_quality"}, {"text": "k" * 6, "removed_by": None},
                {"text": "m" * 8, "removed_by": "c4_quality"}, {"text": "k" * 6, "removed_by": None}]
    shown, cut, hidden = cut_segments(segments, 10)
    assert [s["text"] for s in shown] == ["n" * 8, "k" * 6, "k" * 4] and cut and hidden == 1


def test_the_record_is_bounded():
    text = "\n".join(["x" * 700, "Menu", "Home", "Sport", "A kept line that ends well."])
    table = pa.table({"text": pa.array([text], pa.large_string())})
    out = C4QualityFilter(min_num_sentences=None, record_removed_lines=2, removed_line_chars=500).process(table)
    assert out["c4_removed_lines"].to_pylist() == [[{"line": 0, "text": "x" * 500}, {"line": 1, "text": "Menu"}]]
    assert out["c4_lines_removed"].to_pylist() == [4]
    none = C4QualityFilter(min_num_sentences=None, record_removed_lines=0).process(table)
    assert none["c4_removed_lines"].to_pylist() == [[]]
    stage = LineDedup(record_removed_lines=1)
    table = pa.table({"_row": [0], "text": pa.array(["a b\nc d\na b"], pa.large_string())})
    _, hashes, _ = _line_table(pa.array(["a b"]))
    assert stage.decide(table, hashes)["line_dedup_removed_lines"].to_pylist() == [[{"line": 0, "text": "a b"}]]
    with pytest.raises(ValueError, match="record_removed_lines"):
        C4QualityFilter(record_removed_lines=-1).validate()
    with pytest.raises(ValueError, match="removed_line_chars"):
        LineDedup(removed_line_chars=-1).validate()
