"""The report's dedup and ``--diff`` sections: real runs of the shipped sample and a planted pair."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curate.cli import main
from curate.pipeline import pipeline_from_dict
from curate.report import write_report
from curate.report.build import build_report
from curate.report.dedup_section import marked_diff
from curate.run import run_pipeline
from tests.curate.report_runs import json_block, page_section, run_sample

pytest.importorskip("vl_convert")

# Kept documents of the sample have 197 to 340 words: 250 drops some of them.
MIN_DOC_WORDS = 250
ATTACK = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, str]:
    """The sample as shipped (with minhash_dedup), without minhash_dedup, and without it with
    gopher_quality min_doc_words raised to 250."""
    root = tmp_path_factory.mktemp("sections")
    return {
        "dedup": run_sample(root / "dedup", dedup=True),
        "plain": run_sample(root / "plain"),
        "words": run_sample(root / "words", stage_settings={"gopher_quality": {"min_doc_words": MIN_DOC_WORDS}}),
    }


@pytest.fixture(scope="module")
def dedup_page(runs) -> str:
    return build_report(runs["dedup"])


def _doc_bodies(section: str) -> list[str]:
    return re.findall(r'<pre class="doc">(.*?)</pre>', section, re.S)


def test_the_dedup_section_shows_the_stage_figures(runs, dedup_page):
    stats = json.loads((Path(runs["dedup"]) / "stats.json").read_text())
    summary = stats["dedup"]["minhash_dedup"]
    assert summary["removed"] == 2
    section = page_section(dedup_page, "dedup")
    figures = dict(re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", section))
    assert int(figures["removed"]) == summary["removed"]
    assert int(figures["candidate_pairs"]) == summary["candidate_pairs"]
    assert int(figures["verified_pairs"]) == summary["verified_pairs"]
    assert int(figures["clusters"]) == summary["clusters"]


def test_the_cluster_size_histogram(dedup_page):
    spec = json_block(dedup_page, "curate-specs")["dedup-cluster-sizes"]
    assert spec["mark"]["type"] == "bar"
    counts = {v["size"]: v["clusters"] for v in spec["data"]["values"]}
    assert counts == {1: 14, 2: 2}  # 16 kept, two of them with one near-duplicate removed
    assert 'data-spec="dedup-cluster-sizes"' in dedup_page


def test_the_largest_clusters_side_by_side(dedup_page):
    section = page_section(dedup_page, "dedup")
    assert section.count("<h4>kept</h4>") == section.count("<h4>removed</h4>") == 2
    assert "reason: near_duplicate" in section
    # The ferry article: the removed copy says the bridge opened in 1961.
    assert "<mark>1961.</mark>" in section and "<mark>1962,</mark>" in section
    for body in _doc_bodies(section):
        assert "<" not in body.replace("<mark>", "").replace("</mark>", "")
        assert len(re.sub(r"</?mark>", "", body)) < 2000


def test_no_dedup_stage_no_dedup_section(runs):
    page = build_report(runs["plain"])
    assert 'id="dedup"' not in page
    assert "dedup-cluster-sizes" not in json_block(page, "curate-specs")


def test_marked_words_are_escaped_first():
    words = " ".join(f"w{i}" for i in range(300))
    kept_html, removed_html = marked_diff(words + " a<b tail", words + f" {ATTACK} tail")
    assert "<mark>a&lt;b</mark>" in kept_html
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in removed_html
    for html in (kept_html, removed_html):
        assert "<" not in html.replace("<mark>", "").replace("</mark>", "")
        assert html.startswith("... ")  # shown from shortly before the difference
    same, other = marked_diff("one two", "one two")
    assert same == other == "one two"


def test_a_planted_near_duplicate_is_escaped(tmp_path):
    """Two JSONL documents alike but for one word, a script tag, through minhash_dedup alone."""
    body = " ".join(f"word{i}" for i in range(200))
    docs = [{"id": "first", "text": f"{body} harmless"}, {"id": "second", "text": f"{body} {ATTACK}"}]
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    pipeline = pipeline_from_dict({"name": "planted", "input": {"format": "jsonl"}, "stages": [{"minhash_dedup": {}}]})
    run_pipeline(pipeline, inputs=[str(source)], output=str(tmp_path / "out"), executor="local")
    page = build_report(str(tmp_path / "out"))
    section = page_section(page, "dedup")
    assert "<mark>harmless</mark>" in section
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in section
    assert ATTACK not in page
    assert len(re.findall(r"<script\b", page)) == 4


def test_the_diff_section(runs, tmp_path):
    path = tmp_path / "r.html"
    write_report(runs["plain"], str(path), diff_with=runs["words"])
    page = path.read_text(encoding="utf-8")
    section = page_section(page, "diff")
    assert "gopher_quality.min_doc_words" in section and f"<td>{MIN_DOC_WORDS}</td>" in section
    assert "gopher:too_few_words" in section
    assert "only kept in A" in section
    spec = json_block(page, "curate-specs")["diff-only-kept"]
    reasons = {v["reason"] for v in spec["data"]["values"]}
    assert any("gopher:too_few_words" in r for r in reasons)
    assert all(v["side"] == "only kept in A" for v in spec["data"]["values"])  # B keeps a subset
    assert _doc_bodies(section)  # examples shown
    for body in _doc_bodies(section):
        assert "<" not in body


def test_without_diff_no_diff_section(dedup_page):
    assert 'id="diff"' not in dedup_page


def test_the_cli_diff_flag(runs, tmp_path, capsys):
    path = tmp_path / "r.html"
    assert main(["report", runs["plain"], "-o", str(path), "--diff", runs["words"]]) == 0
    assert capsys.readouterr().out.strip().startswith(str(path))
    page = path.read_text(encoding="utf-8")
    assert 'id="diff"' in page and "gopher:too_few_words" in page


def test_the_cli_diff_flag_refuses_a_missing_run(runs, tmp_path, capsys):
    path = tmp_path / "r.html"
    assert main(["report", runs["plain"], "-o", str(path), "--diff", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err and not path.exists()
