"""``curate report``: funnel reasons linked to their examples, bytes/tokens in the funnel, the
what-if for the rule alone and the whole pipeline, documents near the cut, per-source counts
of books and code, every shipped pipeline reported and diffed, a run with
``output.tokenized``, and each section in a browser (no console error, not blank)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from curate.diff import diff_runs
from curate.mixture import load_mixture, run_mixture
from curate.pipeline import load_pipeline, pipeline_from_dict
from curate.report import write_report
from curate.report.build import build_report
from curate.report.data import pipeline_curve, reason_anchor, report_data
from curate.run import run_pipeline
from tests.curate.browser import (
    colored_pixels,
    console_errors,
    dump_dom,
    find_browser,
    png_rgb,
    run_browser,
    section_pages,
)
from tests.curate.report_runs import json_block, page_section

pytest.importorskip("vl_convert")

REPO = Path(__file__).resolve().parents[2]
PIPELINES = REPO / "pipelines"
SAMPLE = PIPELINES / "samples" / "commoncrawl-sample.warc.gz"
GPT_NEO = Path("models") / "hf-tokenizers" / "gpt-neo-test-tokenizer.json"
ATTACK = "<script>alert(1)</script>"
# Hides what is not a chart or a heading, for the screenshots of sections with charts.
CHARTS_FIRST = "table, pre, .example, details, p, ul { display: none; }"


def _run(pipeline: str | dict[str, Any], inputs: list[str], out: Path) -> str:
    loaded = (load_pipeline(PIPELINES / pipeline) if isinstance(pipeline, str)
              else pipeline_from_dict(copy.deepcopy(pipeline)))
    run_pipeline(loaded, inputs=inputs, output=str(out), executor="local")
    return str(out)


def _write_repo(root: Path) -> Path:
    """A git-less repository: a licence, Python modules (one copied, one with a too long line)."""
    repo = root / "tinyrepo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "LICENSE").write_text((REPO / "LICENSE").read_text(encoding="utf-8"), encoding="utf-8")
    for i in range(4):
        (repo / "pkg" / f"mod{i}.py").write_text("\n".join(
            f'def function_{i}_{j}(value):\n    """Return the value plus {j}."""\n    return value + {j}\n'
            for j in range(12)))
    (repo / "pkg" / "copied.py").write_text((repo / "pkg" / "mod0.py").read_text())
    (repo / "pkg" / "wide.py").write_text("x = '" + "a" * 1500 + "'\n")
    (repo / "README.md").write_text("# tinyrepo\n\nA tiny repository for tests.\n")
    return repo


def _book_inputs(shared_data: Path, root: Path) -> Path:
    """Two editions of The Devil's Dictionary and News from Nowhere (plain text), in one folder."""
    books = shared_data / "books"
    folder = root / "books"
    folder.mkdir(parents=True)
    for path in (books / "pg972-devils-dictionary" / "972.txt", books / "pg972-devils-dictionary" / "old-dvldc10.txt",
                 books / "pg3261-news-from-nowhere" / "3261.txt"):
        if not path.exists():
            pytest.skip(f"{path} is missing from the shared data")
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    """pipelines/commoncrawl.yaml as shipped (minhash_dedup included) on the shipped sample."""
    return _run("commoncrawl.yaml", [str(SAMPLE)], tmp_path_factory.mktemp("features") / "cc")


@pytest.fixture(scope="module")
def code_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("code")
    return _run("code.yaml", [str(_write_repo(root))], root / "out")


# -- a constructed output whose what-if and near-cut answers are known -------------------

def _write_output(root: Path, kept: list[dict[str, Any]], rejected: list[dict[str, Any]],
                  stages: list[dict[str, Any]], pipeline_stages: list[dict[str, Any]]) -> str:
    (root / "data").mkdir(parents=True)
    (root / "rejects").mkdir()
    schema = {"id": pa.string(), "url": pa.string(), "text": pa.string(), "gopher_word_count": pa.int64(),
              "gopher_stop_word_count": pa.int64(), "c4_sentence_count": pa.int64()}
    pq.write_table(pa.Table.from_pylist(kept, pa.schema(schema)), root / "data" / "part-00000-000000000000.parquet")
    rejects_schema = pa.schema({**schema, "dropped_by": pa.string(), "reason": pa.string()})
    pq.write_table(pa.Table.from_pylist(rejected, rejects_schema), root / "rejects" / "part-00000-000000000000.parquet")
    (root / "stats.json").write_text(json.dumps({
        "pipeline": "constructed", "documents": {"kept": len(kept), "rejected": len(rejected)}, "stages": stages}))
    (root / "manifest.json").write_text(json.dumps({"pipeline": {"name": "constructed", "stages": pipeline_stages}}))
    return str(root)


def _doc(i: str, words: int, stops: int = 5, sentences: int = 5, **rest: Any) -> dict[str, Any]:
    return {"id": i, "url": f"https://example.com/{i}", "text": f"document {i} {ATTACK}", "gopher_word_count": words,
            "gopher_stop_word_count": stops, "c4_sentence_count": sentences, **rest}


@pytest.fixture(scope="module")
def constructed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """4 kept documents (60, 80, 100, 200 words) and 5 dropped: r1 (40 words) only by
    min_doc_words; r2 (30 words) by min_doc_words and min_stop_words; r3 (70 words) by
    min_stop_words; r4 (90 words) by a later stage (c4_quality); r5 by read (no scores)."""
    kept = [_doc(f"k{w}", w) for w in (60, 80, 100, 200)]
    rejected = [
        _doc("r1", 40, dropped_by="gopher_quality", reason="gopher:too_few_words"),
        _doc("r2", 30, stops=1, dropped_by="gopher_quality", reason="gopher:too_few_words"),
        _doc("r3", 70, stops=1, dropped_by="gopher_quality", reason="gopher:too_few_stop_words"),
        _doc("r4", 90, sentences=1, dropped_by="c4_quality", reason="c4:too_few_sentences"),
        {"id": "r5", "url": None, "text": None, "dropped_by": "read", "reason": "not_html"},
    ]
    stages = [
        {"stage": "read", "rows_in": 9, "rows_out": 8, "dropped": {"not_html": 1}, "seconds": 0.1,
         "bytes_in": 12345, "bytes_out": 10000},
        {"stage": "gopher_quality", "rows_in": 8, "rows_out": 5,
         "dropped": {"gopher:too_few_words": 2, "gopher:too_few_stop_words": 1}, "seconds": 0.1},
        {"stage": "c4_quality", "rows_in": 5, "rows_out": 4, "dropped": {"c4:too_few_sentences": 1}, "seconds": 0.1},
    ]
    pipeline = [{"gopher_quality": {"min_doc_words": 50, "min_stop_words": 2}}, {"c4_quality": {"min_num_sentences": 3}}]
    return _write_output(tmp_path_factory.mktemp("constructed"), kept, rejected, stages, pipeline)


def _curve(points: list[dict[str, float]]) -> dict[float, float]:
    return {p["threshold"]: p["kept_fraction"] for p in points}


def test_whatif_for_the_rule_alone_and_the_whole_pipeline(constructed: str) -> None:
    data = report_data(constructed)
    (words,) = [w for w in data["scores"]["gopher_word_count"]["whatif"] if w["setting"] == "min_doc_words"]
    alone, whole = _curve(words["curve"]), _curve(words["pipeline_curve"])
    assert alone.keys() == whole.keys()
    # The rule alone: 8 documents reached gopher_quality (4 kept, r1-r4), 6 have >= 50 words.
    assert alone[50.0] == pytest.approx(6 / 8) and alone[30.0] == 1.0
    # The whole output (9 documents): as it ran, 4 kept.
    assert whole[50.0] == pytest.approx(4 / 9)
    # Lower: r1 comes back (dropped by this rule alone); r2 (also too few stop words), r3
    # (another rule), r4 (a later stage) and r5 (read) stay dropped.
    assert whole[30.0] == pytest.approx(5 / 9)
    assert whole[200.0] == pytest.approx(1 / 9)  # higher: only the 200-word document is kept
    fractions = [p["kept_fraction"] for p in words["pipeline_curve"]]
    assert fractions == sorted(fractions, reverse=True)
    # min_stop_words alone dropped r3 (70 words pass min_doc_words); r2 has its reason elsewhere
    # (too_few_words, the first rule it failed), so only r3 comes back as the threshold goes down.
    (stops,) = data["scores"]["gopher_stop_word_count"]["whatif"]
    assert _curve(stops["pipeline_curve"])[1.0] == pytest.approx(5 / 9)  # r3 comes back at 1
    assert min(_curve(stops["pipeline_curve"])) == 1.0


def test_pipeline_curve_on_weights() -> None:
    grid = np.array([0.0, 1.5, 3.0])
    points = pipeline_curve(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0]), 1.0, 10.0, "max", grid)
    assert _curve(points) == {0.0: pytest.approx(0.1), 1.5: pytest.approx(0.3), 3.0: pytest.approx(0.7)}
    assert pipeline_curve(np.zeros(0), np.zeros(0), 0.0, 0.0, "min", grid) == []


def test_documents_near_the_cut(constructed: str) -> None:
    data = report_data(constructed)
    (near,) = [n for n in data["scores"]["gopher_word_count"]["near_cut"] if n["setting"] == "min_doc_words"]
    assert [d["id"] for d in near["passes"]] == ["k60", "r3", "k80"]  # 60, 70, 80 words; r4 (90) is next
    assert [d["id"] for d in near["fails"]] == ["r1", "r2"]
    assert near["passes"][1]["status"] == "dropped by gopher_quality: gopher:too_few_stop_words"
    assert near["fails"][0]["score"] == 40.0 and near["fails"][0]["url"] == "https://example.com/r1"
    page = build_report(constructed)
    section = page_section(page, "near-cut")
    assert "k60" in section and "r2" in section and ATTACK not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section


def test_bytes_are_shown_where_stats_json_records_them(constructed: str, sample_output: str) -> None:
    page = build_report(constructed)
    funnel = page_section(page, "funnel")
    assert "<th class=n>bytes in</th>" in funnel and "12,345" in funnel and "10,000" in funnel
    assert "tokens in, tokens out per stage" in funnel
    plain = page_section(build_report(sample_output, max_rows=100), "funnel")
    assert "bytes in</th>" not in plain and "<th class=n>bytes dropped</th>" in plain
    assert "does not record bytes in, bytes out, tokens in, tokens out per stage" in plain


def test_funnel_reasons_open_their_examples(sample_output: str) -> None:
    page = build_report(sample_output, max_rows=3)  # a small sample: some reasons have no example
    stats = json.loads((Path(sample_output) / "stats.json").read_text())
    funnel, examples = page_section(page, "funnel"), page_section(page, "examples")
    reasons = [(s["stage"], r) for s in stats["stages"] for r in s["dropped"]]
    assert len(reasons) >= 5
    for stage, reason in reasons:
        anchor = reason_anchor(stage, reason)
        assert re.fullmatch(r"drop-[A-Za-z0-9-]+", anchor)
        assert f'<a class="reason" href="#{anchor}">' in funnel
        assert f'<details id="{anchor}" class="reason">' in examples
    assert len({reason_anchor(s, r) for s, r in reasons}) == len(reasons)
    assert "No document dropped with this reason is in the sample." in examples
    bars = [v for v in json_block(page, "curate-specs")["funnel"]["data"]["values"] if v["part"] != "passed on"]
    assert {v["anchor"] for v in bars} == {reason_anchor(s, r) for s, r in reasons}
    # a reason that could close the id's quotes or a tag gets a safe id
    assert re.fullmatch(r"drop-[A-Za-z0-9-]+", reason_anchor('x"><script>', "a b/c"))
    assert reason_anchor("a", "b-c") != reason_anchor("a-b", "c")


def test_code_counts_per_repository_and_language(code_output: str) -> None:
    data = report_data(code_output)
    by = {o["column"]: {r["name"]: (r["kept"], r["dropped"]) for r in o["rows"]} for o in data["origins"]}
    assert by["repo"] == {"tinyrepo": (6, 2)}  # 8 files: one too wide line, one exact copy dropped
    assert by["language"]["Python"] == (4, 2)
    page = build_report(code_output)
    section = page_section(page, "sources")
    assert "Counted in the sample" in section and "origins-0" in json_block(page, "curate-specs")
    assert 'data-spec="origins-1"' in section


def _diff_and_report(run_a: str, run_b: str, out: Path) -> str:
    diff = diff_runs(run_a, run_b)
    assert diff["counts"]["kept_a"] == json.loads((Path(run_a) / "stats.json").read_text())["documents"]["kept"]
    write_report(run_a, str(out), diff_with=run_b)
    page = out.read_text(encoding="utf-8")
    assert '<h2 id="funnel">' in page and '<h2 id="diff">' in page
    return page


@pytest.mark.parametrize("name", ["commoncrawl.yaml", "commoncrawl-text.yaml", "fineweb.yaml"])
def test_every_web_pipeline_is_reported_and_diffed(name: str, tmp_path: Path) -> None:
    out = _run(name, [str(SAMPLE)], tmp_path / "out")
    _diff_and_report(out, out, tmp_path / "report.html")


def test_code_pipeline_is_reported_and_diffed(code_output: str, tmp_path: Path) -> None:
    data = yaml.safe_load((PIPELINES / "code.yaml").read_text())
    data["stages"][0]["code_quality"].update(max_line_length=2000, max_avg_line_length=2000)  # wide.py is kept
    other = _run(data, [str(Path(code_output).parent / "tinyrepo")], tmp_path / "wider")
    page = _diff_and_report(code_output, other, tmp_path / "report.html")
    assert diff_runs(code_output, other)["counts"]["only_kept_b"] == 1
    assert '<h2 id="sources">' in page


def test_books_pipeline_is_reported_and_diffed(shared_data: Path, tmp_path: Path) -> None:
    out = _run("books.yaml", [str(_book_inputs(shared_data, tmp_path))], tmp_path / "out")
    page = _diff_and_report(out, out, tmp_path / "report.html")
    data = report_data(out)
    (files,) = data["origins"]
    rows = {Path(r["name"]).name: r for r in files["rows"]}
    assert set(rows) == {"972.txt", "old-dvldc10.txt", "3261.txt"}
    assert sum(r["kept"] for r in rows.values()) == 2 and sum(r["dropped"] for r in rows.values()) == 1  # one edition
    assert rows["3261.txt"]["title"].startswith("News from Nowhere")
    assert "The Devil&#x27;s Dictionary" in page_section(page, "sources")


def test_the_mixture_pipeline_is_reported(shared_data: Path, tmp_path: Path) -> None:
    tokenizer = shared_data / GPT_NEO
    if not tokenizer.exists():
        pytest.skip(f"{tokenizer} is missing from the shared data")
    mixture = yaml.safe_load((PIPELINES / "mixture.yaml").read_text())
    inputs = {"web": [str(SAMPLE)], "books": [str(_book_inputs(shared_data, tmp_path))],
              "code": [str(_write_repo(tmp_path))]}
    for name, source in mixture["sources"].items():
        source["pipeline"] = str(PIPELINES / source["pipeline"])
        source["inputs"] = inputs[name]
    mixture["tokenize"].update({"tokenizer": str(tokenizer), "shard_tokens": 50_000, "row_group_tokens": 10_000})
    path = tmp_path / "mixture.yaml"
    path.write_text(yaml.safe_dump(mixture))
    run_mixture(load_mixture(path), str(tmp_path / "mix"), executor="local")
    write_report(str(tmp_path / "mix"), str(tmp_path / "mix.html"))
    page = (tmp_path / "mix.html").read_text(encoding="utf-8")
    assert "<h2>Mixture" in page and "<h2>Curation per source" in page
    for name in ("web", "books", "code"):  # every source is an output of curate run
        source = str(tmp_path / "mix" / "sources" / name)
        _diff_and_report(source, source, tmp_path / f"{name}.html")


def test_a_run_with_output_tokenized_shows_its_curation_and_its_shards(shared_data: Path, tmp_path: Path) -> None:
    tokenizer = shared_data / GPT_NEO
    if not tokenizer.exists():
        pytest.skip(f"{tokenizer} is missing from the shared data")
    pipeline = {"name": "web-tokens", "stages": [
        {"extract_html": {}}, {"fasttext_language_id": {}}, {"language_filter": {"languages": ["en"]}},
        {"gopher_quality": {}}, {"tokenize": {"tokenizer": str(tokenizer)}}],
        "output": {"tokenized": {"shard_tokens": 2_000, "seed": 1}}}
    out = _run(pipeline, [str(SAMPLE)], tmp_path / "out")
    assert json.loads((Path(out) / "manifest.json").read_text())["format"].startswith("curate.tokenized/")
    page = build_report(out)
    stats = json.loads((Path(out) / "stats.json").read_text())
    for section in ("funnel", "scores", "whatif", "examples", "tokenized"):
        assert f'<h2 id="{section}">' in page
    assert "<h2>Tokens per shard</h2>" in page and "<h2>Decoded samples</h2>" in page
    assert page.index('<h2 id="funnel">') < page.index('<h2 id="tokenized">')
    data = json_block(page, "curate-report-data")
    assert [s["rows_out"] for s in data["funnel"]] == [s["rows_out"] for s in stats["stages"]]
    assert data["tokenized"]["totals"]["documents"] == stats["documents"]["kept"]
    specs = json_block(page, "curate-specs")
    assert {"funnel", "tokens-per-shard", "tokens-per-source"} <= set(specs)
    assert page.count("<h1>") == 1
    # curate diff compares its curation with another run's (here itself: nothing differs)
    from curate.diff import diff_runs

    same = diff_runs(out, out)
    assert same["counts"]["kept_both"] == stats["documents"]["kept"] and same["counts"]["jaccard"] == 1.0


# -- in a browser ----------------------------------------------------------------------------

def test_console_errors_are_detected(tmp_path: Path) -> None:
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    planted = tmp_path / "planted.html"
    planted.write_text("<!DOCTYPE html><html><body><p>x</p><script>throw new Error('planted failure');</script>"
                       "</body></html>")
    errors = console_errors(run_browser(browser, planted, "--dump-dom"))
    assert errors and "planted failure" in errors[0]
    clean = tmp_path / "clean.html"
    clean.write_text("<!DOCTYPE html><html><body><p>x</p><script>console.log('fine');</script></body></html>")
    assert console_errors(run_browser(browser, clean, "--dump-dom")) == []


def test_every_section_renders_offline_without_errors(sample_output: str, code_output: str, tmp_path: Path) -> None:
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    pages = {"web": build_report(sample_output, diff_with=sample_output), "code": build_report(code_output)}
    seen: set[str] = set()
    for name, page in pages.items():
        whole = tmp_path / f"{name}.html"
        whole.write_text(page, encoding="utf-8")
        assert console_errors(run_browser(browser, whole, "--dump-dom")) == []
        for section, html in section_pages(page).items():
            if section in seen:
                continue
            seen.add(section)
            path, shot = tmp_path / f"{name}-{section}.html", tmp_path / f"{name}-{section}.png"
            charts = 'data-spec="' in html
            if charts:  # tables and texts out of the way: the charts in the first screenful
                html = html.replace("</head>", f"<style>{CHARTS_FIRST}</style></head>", 1)
            path.write_text(html, encoding="utf-8")
            log = run_browser(browser, path, "--window-size=900,700", f"--screenshot={shot}")
            assert console_errors(log) == [], section
            rows = png_rgb(shot)
            dark = sum(1 for row in rows for r, g, b in row if r + g + b < 600)
            assert dark > 2000, f"{section}: blank"  # a heading and text at least
            if charts:  # its charts drew coloured marks
                assert colored_pixels(rows) > 500, f"{section}: no chart drawn"
    assert {"funnel", "scores", "whatif", "near-cut", "languages", "examples", "dedup", "diff", "sources"} <= seen


# Clicks, once the funnel chart is drawn, the bar of gopher_quality's reason and the table's
# link of extract_html's reason.
CLICKS = """<script>
var tries = 0, timer = setInterval(function () {
  var bar = null;
  document.querySelectorAll('div[data-spec="funnel"] path[aria-roledescription="bar"]').forEach(function (b) {
    if ((b.getAttribute("aria-label") || "").indexOf("too_few_words") >= 0) { bar = b; } });
  tries += 1;
  if (bar || tries > 40) {
    clearInterval(timer);
    if (bar) { var r = bar.getBoundingClientRect();
      bar.dispatchEvent(new MouseEvent("click", {bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2})); }
    document.querySelectorAll("a.reason").forEach(function (a) {
      if (a.textContent.indexOf("wrong_language") >= 0) { a.click(); } });
  }
}, 100);
</script>"""


def test_a_reason_link_and_a_funnel_bar_open_their_examples(sample_output: str, tmp_path: Path) -> None:
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    page = build_report(sample_output)
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")

    def opened(dom: str) -> set[str]:
        return {m.group(1) for m in re.finditer(r'<details id="([^"]+)"[^>]*\sopen', dom)}

    assert opened(dump_dom(browser, path)) == set()
    not_html = reason_anchor("read", "not_html")
    assert opened(dump_dom(browser, path, not_html)) == {not_html}  # a plain #anchor link
    head, tail = page.rsplit("</body>", 1)
    clicked = tmp_path / "clicked.html"
    clicked.write_text(head + CLICKS + "</body>" + tail, encoding="utf-8")
    assert opened(dump_dom(browser, clicked)) == {reason_anchor("gopher_quality", "gopher:too_few_words"),
                                                  reason_anchor("extract_html", "prefilter:wrong_language")}
