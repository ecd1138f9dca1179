"""``curate report OUTPUT -o report.html``: real runs of the shipped sample and a planted document."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.cli import main
from curate.output import OutputLayout
from curate.pipeline import pipeline_from_dict
from curate.report import write_report
from curate.report.data import report_data, sample_rows, whatif_curve
from curate.report.page import script_json
from curate.run import run_pipeline
from tests.curate.browser import dump_dom, find_browser
from tests.curate.report_runs import json_block, page_section, run_sample

pytest.importorskip("vl_convert")

ATTACK = "<script>alert(1)</script>"
WORDS = "the quick brown fox jumps over the lazy dog and then it runs to the river with a friend. "


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory) -> str:
    """pipelines/commoncrawl.yaml without minhash_dedup, run on the shipped sample."""
    return run_sample(tmp_path_factory.mktemp("report") / "out")


@pytest.fixture(scope="module")
def planted_output(tmp_path_factory) -> str:
    """A JSONL input through gopher_quality alone: one long document that is kept and one
    short one that is dropped, both holding a script tag in their text."""
    root = tmp_path_factory.mktemp("planted")
    docs = [
        {"id": "kept-1", "text": f"{ATTACK} " + WORDS * 10},
        {"id": "short-1", "text": f"too short {ATTACK} </script><img src=x onerror=alert(2)>"},
    ]
    source = root / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    pipeline = pipeline_from_dict({"name": "planted", "input": {"format": "jsonl"}, "stages": [{"gopher_quality": {}}]})
    run_pipeline(pipeline, inputs=[str(source)], output=str(root / "out"), executor="local")
    return str(root / "out")


@pytest.fixture(scope="module")
def sample_page(sample_output, tmp_path_factory) -> tuple[str, str]:
    path = tmp_path_factory.mktemp("page") / "report.html"
    write_report(sample_output, str(path))
    return str(path), path.read_text(encoding="utf-8")


def _numeric_columns_with_values(directory: str) -> set[str]:
    columns: set[str] = set()
    for folder in ("data", "rejects"):
        for f in (Path(directory) / folder).glob("part-*.parquet"):
            table = pq.read_table(f)
            for field in table.schema:
                numeric = pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
                if numeric and table[field.name].null_count < table.num_rows:
                    columns.add(field.name)
    return columns


def test_the_page_is_one_offline_file(sample_page):
    _, page = sample_page
    assert page.startswith("<!DOCTYPE html>") and len(page) > 500_000  # vega-embed is inlined
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\shref\s*=", page, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.I)
    assert '"url":' not in json.dumps(json_block(page, "curate-specs"))  # data inline, never fetched


def test_the_funnel_is_stats_json(sample_output, sample_page):
    _, page = sample_page
    stats = json.loads((Path(sample_output) / "stats.json").read_text())
    funnel = json_block(page, "curate-report-data")["funnel"]
    assert [(s["stage"], s["rows_in"], s["rows_out"], s["dropped"]) for s in funnel] == [
        (s["stage"], s["rows_in"], s["rows_out"], s["dropped"]) for s in stats["stages"]]
    spec = json_block(page, "curate-specs")["funnel"]
    passed = {v["stage"]: v["rows"] for v in spec["data"]["values"] if v["part"] == "passed on"}
    assert passed == {s["stage"]: s["rows_out"] for s in stats["stages"]}


def test_every_score_column_has_a_chart(sample_output, sample_page):
    _, page = sample_page
    specs = json_block(page, "curate-specs")
    charted = {spec["description"] for key, spec in specs.items() if key.startswith("score-")}
    expected = _numeric_columns_with_values(sample_output)
    assert "gopher_word_count" in expected and "language_score" in expected
    assert charted == expected
    for key in specs:
        assert f'data-spec="{key}"' in page


def test_known_thresholds_are_drawn_and_unknown_ones_are_not(sample_page):
    _, page = sample_page
    specs = {s["description"]: s for k, s in json_block(page, "curate-specs").items() if k.startswith("score-")}

    def rules(column: str) -> list[float]:
        return [v["value"] for layer in specs[column]["layer"][1:] for v in layer["data"]["values"]]

    assert sorted(rules("gopher_word_count")) == [50.0, 100000.0]  # min_doc_words, max_doc_words
    assert rules("language_score") == [0.65]
    assert rules("pii_emails") == [] and rules("c4_line_count") == []  # no setting bounds them


def test_whatif_counts_the_rows_that_reached_the_stage(sample_output):
    data = report_data(sample_output)
    (words,) = [w for w in data["scores"]["gopher_word_count"]["whatif"] if w["setting"] == "min_doc_words"]
    at = {p["threshold"]: p["kept_fraction"] for p in words["curve"]}
    # 18 kept and 1 dropped by gopher_quality (too_few_words) reached it; the 17 dropped
    # earlier (read, extract_html) did not.
    assert at[50.0] == pytest.approx(18 / 19)
    fractions = [p["kept_fraction"] for p in words["curve"]]
    assert fractions == sorted(fractions, reverse=True) and fractions[0] == 1.0


def test_whatif_curve_directions():
    values, weights = np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    low = {p["threshold"]: p["kept_fraction"] for p in whatif_curve(values, weights, "min", 2.5, points=4)}
    high = {p["threshold"]: p["kept_fraction"] for p in whatif_curve(values, weights, "max", 2.5, points=4)}
    assert low[1.0] == 1.0 and low[2.5] == 0.5 and low[4.0] == 0.25
    assert high[1.0] == 0.25 and high[2.5] == 0.5 and high[4.0] == 1.0
    assert whatif_curve(np.zeros(0), np.zeros(0), "min", 1.0) == []


def test_document_text_is_escaped_and_runs_nothing(planted_output, tmp_path):
    path = tmp_path / "report.html"
    write_report(planted_output, str(path))
    page = path.read_text(encoding="utf-8")
    assert "alert(1)" in page and "kept-1" in page and "short-1" in page
    assert ATTACK not in page and "<img src=x" not in page
    docs = re.findall(r'<pre class="doc">(.*?)</pre>', page_section(page, "examples"), re.S)
    assert sum("&lt;script&gt;alert(1)&lt;/script&gt;" in d for d in docs) == 2  # one kept, one dropped example
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_section(page, "near-cut")  # snippets, escaped too
    # only the page's own four script elements
    assert len(re.findall(r"<script\b", page)) == 4
    assert len(re.findall(r"</script>", page, re.I)) == 4


def test_embedded_json_cannot_close_its_script():
    value = {"text": "</script><script>alert(1)</script> & \u2028 <!--"}
    text = script_json(value)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


def test_the_row_cap_bounds_the_rows_read(tmp_path):
    """10 parts of 1,000 rows in row groups of 100: a cap of 250 reads 2 row groups and half of a third."""
    (tmp_path / "data").mkdir()
    for i in range(10):
        table = pa.table({"id": [f"{i}-{j}" for j in range(1000)], "score": np.arange(i * 1000, (i + 1) * 1000, dtype=np.float64)})
        pq.write_table(table, tmp_path / "data" / f"part-x{i}-{i:012x}.parquet", row_group_size=100)
    layout = OutputLayout(str(tmp_path))
    table, total, read = sample_rows(layout, layout.data_dir, ["score", "missing"], max_rows=250)
    assert table is not None and table.column_names == ["score"]
    assert total == 10_000 and read == table.num_rows == 250
    assert len(np.unique(table["score"].to_numpy() // 100)) == 3  # three row groups
    again, _, _ = sample_rows(layout, layout.data_dir, ["score"], max_rows=250)
    assert again is not None and again.equals(table)  # seeded
    everything, total, read = sample_rows(layout, layout.data_dir, ["score"], max_rows=20_000)
    assert everything is not None and everything.num_rows == read == total == 10_000


def test_the_report_caps_its_sample(sample_output):
    data = report_data(sample_output, max_rows=5)
    assert data["sample"]["kept"] == {"total": 18, "read": 5, "used": 5}
    assert data["sample"]["dropped"]["used"] == 5
    assert sum(h["kept"] for h in data["text_length"]) == 5


def test_a_memory_output(sample_output, tmp_path):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.put(sample_output, "memory://report-test/out", recursive=True)
    try:
        size = write_report("memory://report-test/out", "memory://report-test/report.html")
        assert fs.size("memory://report-test/report.html") == size > 0
        assert report_data("memory://report-test/out")["funnel"] == report_data(sample_output)["funnel"]
    finally:
        fs.rm("memory://report-test", recursive=True)


def test_the_cli(sample_output, tmp_path, capsys):
    path = tmp_path / "r.html"
    assert main(["report", sample_output, "-o", str(path), "--max-rows", "100"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(str(path)) and out.endswith("MB)") and path.stat().st_size > 0


def test_the_cli_refuses_a_folder_that_is_no_curate_output(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not an output")
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path) in err
    assert not (tmp_path / "r.html").exists()


def test_the_charts_render_in_a_browser_and_no_alert_runs(planted_output, sample_page, tmp_path):
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    opening = re.compile(r'<div class="chart[^"]*" data-spec="[^"]+"[^>]*>(.*?)</div>', re.S)
    dom = dump_dom(browser, Path(sample_page[0]))
    charts = opening.findall(dom)
    assert len(charts) == dom.count('data-spec="') > 10
    assert all("<svg" in c or "<canvas" in c for c in charts)

    # The planted page, with alert() (and friends) recording any call on the document.
    write_report(planted_output, str(tmp_path / "planted.html"))
    page = (tmp_path / "planted.html").read_text(encoding="utf-8")
    spy = ("<script>window.alert = window.confirm = window.prompt = function () "
           "{ document.documentElement.setAttribute('data-alerted', '1'); };</script>")
    (tmp_path / "spied.html").write_text(page.replace("<head>", "<head>" + spy, 1), encoding="utf-8")
    dom = dump_dom(browser, tmp_path / "spied.html")
    html_tag = re.search(r"<html[^>]*>", dom)
    assert html_tag and "data-alerted" not in html_tag.group(0)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text
    assert "<img src=x" not in dom and "&lt;img src=x onerror=alert(2)&gt;" in dom
    assert opening.findall(dom) and all("<svg" in c for c in opening.findall(dom))
