"""extract_html (both engines, pass-through, time limit) and fasttext_language_id."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from curate.schema import DROPPED_BY, PAYLOAD, REASON, TEXT
from curate.stage import run_stage
from curate.stages.extract import ExtractHtml, ExtractionTimeout, call_with_time_limit
from curate.stages.langid import FasttextLanguageId, resolve_model_path

ENGINES = ["trafilatura", "resiliparse"]

ARTICLE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Growing tomatoes</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>
<li><a href="/shop">Shop</a></li></ul></nav>
<main><article><h2>How to grow tomatoes on a small balcony</h2>
<p>Tomatoes need at least six hours of direct sunlight every day, so choose the sunniest
corner of the balcony and use a pot that holds at least twenty litres of compost.</p>
<p>Water the plants deeply in the morning rather than a little every evening; irregular
watering is the main reason fruit splits just before it ripens.</p>
<p>Pinch out the side shoots of cordon varieties each week, and feed with a high-potash
fertiliser once the first truss of flowers has set.</p>
</article></main>
<footer><p>Copyright 2024 The Allotment Diary. All rights reserved.</p>
<a href="/privacy">Privacy policy</a> | <a href="/cookies">Cookie settings</a></footer>
</body></html>"""

# Latin-1 bytes: only right when the declared charset is used.
LATIN1_ARTICLE = (
    "<html><body><article><p>Grüße aus Köln: das Café am Dom öffnet täglich um acht Uhr, "
    "und die Bäckerei nebenan verkauft frische Brötchen bis zum späten Nachmittag.</p>"
    "<p>Am Wochenende spielt eine Band auf dem Platz vor der Kathedrale.</p></article></body></html>"
)

NO_MAIN_TEXT = "<html><head><title>t</title><script>var x = 1;</script></head><body>   </body></html>"


def busy(seconds: float) -> str:
    """A slow pure-Python function (interruptible between bytecodes); bounded."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "finished"


def web_table(payloads, charsets=None, urls=None, texts=None) -> pa.Table:
    n = len(payloads)
    columns = {
        "id": [f"r{i}" for i in range(n)],
        "url": urls or [f"https://garden.example/{i}" for i in range(n)],
        "charset": pa.array(charsets or [None] * n, pa.string()),
        PAYLOAD: pa.array(payloads, pa.large_binary()),
    }
    if texts is not None:
        columns[TEXT] = pa.array(texts, pa.large_string())
    return pa.table(columns)


def in_thread(fn):
    """Run ``fn`` in a worker thread; return (result, exception)."""
    box: dict = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the time limit did not stop the worker thread"
    return box.get("result"), box.get("error")


# -- extract_html ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_extract_article_drops_boilerplate_and_payload(engine):
    table = web_table([ARTICLE.encode(), LATIN1_ARTICLE.encode("latin-1")], charsets=["utf-8", "iso-8859-1"])
    out, stats = run_stage(ExtractHtml(engine=engine), table)

    assert PAYLOAD not in out.column_names
    assert out.schema.field(TEXT).type == pa.large_string()
    assert (stats.rows_in, stats.rows_out, stats.dropped) == (2, 2, {})
    article, latin = out[TEXT].to_pylist()
    assert "six hours of direct sunlight" in article
    assert "high-potash fertiliser" in article
    for boilerplate in ("About us", "Copyright 2024", "Privacy policy", "Cookie settings"):
        assert boilerplate not in article
    assert "Grüße aus Köln" in latin and "Brötchen" in latin
    assert out["url"].to_pylist() == table["url"].to_pylist()
    assert out[DROPPED_BY].null_count == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_keep_payload(engine):
    out, _ = run_stage(ExtractHtml(engine=engine, keep_payload=True), web_table([ARTICLE.encode()]))
    assert out[PAYLOAD].to_pylist() == [ARTICLE.encode()]
    assert "sunlight" in out[TEXT][0].as_py()


NO_TEXT_CASES = [
    pytest.param(NO_MAIN_TEXT.encode(), id="script-only"),
    pytest.param(b"<html><body></body></html>", id="empty-body"),
    pytest.param(b"", id="empty-payload"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("payload", NO_TEXT_CASES)
def test_page_without_main_text_is_dropped(engine, payload):
    out, stats = run_stage(ExtractHtml(engine=engine), web_table([ARTICLE.encode(), payload]))
    assert out[REASON].to_pylist() == [None, "no_text"]
    assert out[DROPPED_BY].to_pylist() == [None, "extract_html"]
    assert out[TEXT].to_pylist()[1] is None
    assert stats.dropped == {"no_text": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_with_text_and_no_payload_pass_through(engine):
    """WET conversion / JSONL rows arrive with text and no payload."""
    table = web_table(
        [None, ARTICLE.encode(), None],
        texts=["Already extracted text from a WET record.", None, None],
    )
    out, stats = run_stage(ExtractHtml(engine=engine), table)
    texts = out[TEXT].to_pylist()
    assert texts[0] == "Already extracted text from a WET record."
    assert "sunlight" in texts[1]
    assert texts[2] is None
    assert out[REASON].to_pylist() == [None, None, "no_text"]
    assert stats.dropped == {"no_text": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_table_without_payload_passes_through(engine):
    table = pa.table({"id": ["a", "b"], TEXT: ["first text", "second text"], "url": [None, "u"]})
    out, stats = run_stage(ExtractHtml(engine=engine), table)
    assert out.select(["id", TEXT, "url"]).equals(table)
    assert (stats.rows_in, stats.rows_out, stats.dropped) == (2, 2, {})
    assert out[REASON].null_count == 2


def test_missing_charset_and_url_columns():
    table = pa.table({"id": ["a"], PAYLOAD: pa.array([ARTICLE.encode()], pa.large_binary())})
    out, _ = run_stage(ExtractHtml(engine="resiliparse"), table)
    assert "sunlight" in out[TEXT][0].as_py()


def test_unknown_engine_fails_validation():
    with pytest.raises(ValueError, match="unknown engine"):
        ExtractHtml(engine="beautifulsoup").validate()
    with pytest.raises(ValueError, match="unknown engine"):
        ExtractHtml(engine="beautifulsoup").ensure_setup()


# -- extraction time limit ---------------------------------------------------------------------


def test_time_limit_on_main_thread():
    assert threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    with pytest.raises(ExtractionTimeout):
        call_with_time_limit(lambda: busy(5), 0.2)
    assert time.monotonic() - start < 2
    assert signal.getsignal(signal.SIGALRM) is previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_time_limit_interrupts_sleep_on_main_thread():
    start = time.monotonic()
    with pytest.raises(ExtractionTimeout):
        call_with_time_limit(lambda: time.sleep(5), 0.2)
    assert time.monotonic() - start < 2


def test_time_limit_in_worker_thread():
    start = time.monotonic()
    result, error = in_thread(lambda: call_with_time_limit(lambda: busy(5), 0.2))
    assert isinstance(error, ExtractionTimeout), (result, error)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("where", ["main", "thread"])
@pytest.mark.parametrize("limit", [0.5, 0, -1])
def test_fast_calls_return_their_value(where, limit):
    call = lambda: call_with_time_limit(lambda: busy(0.01), limit)  # noqa: E731
    if where == "main":
        assert call() == "finished"
    else:
        assert in_thread(call) == ("finished", None)


def test_worker_thread_keeps_working_after_a_timeout():
    def several():
        outcomes = []
        for seconds in (5, 0.01, 5, 0.01):
            try:
                outcomes.append(call_with_time_limit(lambda s=seconds: busy(s), 0.2))
            except ExtractionTimeout:
                outcomes.append("timeout")
        busy(0.3)  # no late exception may arrive after the calls returned
        return outcomes

    result, error = in_thread(several)
    assert error is None
    assert result == ["timeout", "finished", "timeout", "finished"]


def test_concurrent_worker_threads_time_out_independently():
    results: dict[int, object] = {}

    def worker(i: int, seconds: float):
        try:
            results[i] = call_with_time_limit(lambda: busy(seconds), 0.3)
        except ExtractionTimeout:
            results[i] = "timeout"

    threads = [threading.Thread(target=worker, args=(i, 5 if i % 2 else 0.01)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {0: "finished", 1: "timeout", 2: "finished", 3: "timeout"}


def slow_stage(timeout_s: float = 0.2, seconds: float = 5.0) -> ExtractHtml:
    stage = ExtractHtml(engine="resiliparse", timeout_s=timeout_s)
    stage.ensure_setup()
    stage._extract = lambda html, url: busy(seconds)
    return stage


@pytest.mark.parametrize("where", ["main", "thread"])
def test_extract_one_reports_timeout(where):
    stage = slow_stage()
    call = lambda: stage.extract_one(ARTICLE.encode(), "utf-8", "https://x.example/")  # noqa: E731
    start = time.monotonic()
    if where == "main":
        assert call() == (None, "extraction_timeout")
    else:
        assert in_thread(call) == ((None, "extraction_timeout"), None)
    assert time.monotonic() - start < 2


def test_extract_one_reports_errors():
    stage = ExtractHtml(engine="resiliparse")
    stage.ensure_setup()

    def broken(html, url):
        raise RuntimeError("parser exploded")

    stage._extract = broken
    assert stage.extract_one(b"<html></html>") == (None, "extraction_error")


def test_timeout_drops_only_the_slow_page():
    stage = ExtractHtml(engine="resiliparse", timeout_s=0.2)
    stage.ensure_setup()
    fast = stage._extract
    stage._extract = lambda html, url: busy(5) if "slow" in html else fast(html, url)
    slow_page = b"<html><body><p>slow page " + b"x" * 100 + b"</p></body></html>"
    out, stats = run_stage(stage, web_table([ARTICLE.encode(), slow_page, ARTICLE.encode()]))
    assert out[REASON].to_pylist() == [None, "extraction_timeout", None]
    assert stats.dropped == {"extraction_timeout": 1}


# -- fasttext_language_id ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def langid():
    stage = FasttextLanguageId()
    stage.validate()
    stage.ensure_setup()
    return stage


LANGUAGE_CASES = [
    ("The weather is lovely today and we are going for a long walk in the park.", "en"),
    ("Das Wetter ist heute schön und wir machen einen langen Spaziergang im Park.", "de"),
    ("Il fait beau aujourd'hui et nous allons faire une longue promenade dans le parc.", "fr"),
    ("今日は天気が良いので、公園を長い時間散歩します。", "ja"),
    ("First line of an English paragraph.\nThe second line follows here,\r\nand a third\tone.", "en"),
    ("Erste Zeile eines deutschen Absatzes.\n\nDie zweite Zeile folgt hier.", "de"),
]


@pytest.mark.parametrize("text, language", LANGUAGE_CASES)
def test_language_id(langid, text, language):
    out, stats = run_stage(langid, pa.table({"id": ["x"], TEXT: pa.array([text], pa.large_string())}))
    assert out["language"].to_pylist() == [language]
    score = out["language_score"][0].as_py()
    assert 0 < score <= 1
    assert stats.dropped == {}


def test_language_id_batch_types_and_odd_texts(langid):
    texts = [case[0] for case in LANGUAGE_CASES] + ["", None, "   ", "\n\n"]
    out, stats = run_stage(langid, pa.table({"id": [str(i) for i in range(len(texts))], TEXT: texts}))
    assert out.schema.field("language").type == pa.string()
    assert out.schema.field("language_score").type == pa.float32()
    assert out["language"].to_pylist()[: len(LANGUAGE_CASES)] == [case[1] for case in LANGUAGE_CASES]
    # Empty or whitespace-only text has no language (null, score 0) rather than a guess.
    assert out["language"].to_pylist()[len(LANGUAGE_CASES):] == [None] * 4
    assert out["language_score"].to_pylist()[len(LANGUAGE_CASES):] == [0.0] * 4
    for score in out["language_score"].to_pylist():
        assert 0 <= score <= 1
    assert (stats.rows_in, stats.rows_out) == (len(texts), len(texts))


def test_language_id_custom_columns_and_max_chars(langid):
    stage = FasttextLanguageId(language_column="lang", score_column="lang_score", max_chars=20)
    stage.ensure_setup()
    text = "Das Wetter ist heute schön. " + "The weather is lovely today and we walk in the park. " * 20
    out, _ = run_stage(stage, pa.table({TEXT: [text]}))
    assert out["lang"].to_pylist() == ["de"]  # only the first 20 characters are classified
    assert "language" not in out.column_names


def test_language_id_dead_rows_untouched(langid):
    table = pa.table(
        {
            "id": ["a", "b"],
            TEXT: ["An English sentence about the weather today.", None],
            DROPPED_BY: pa.array([None, "extract_html"], pa.string()),
            REASON: pa.array([None, "no_text"], pa.string()),
        }
    )
    out, stats = run_stage(langid, table)
    rows = {r["id"]: r for r in out.to_pylist()}
    assert rows["a"]["language"] == "en"
    assert rows["b"]["language"] is None
    assert stats.rows_in == 1


def test_language_id_empty_table(langid):
    out = langid.process(pa.table({TEXT: pa.array([], pa.large_string())}))
    assert out.num_rows == 0
    assert {"language", "language_score"} <= set(out.column_names)


def test_default_model_is_bundled():
    path = resolve_model_path(None)
    assert path.endswith("lid.176.ftz")
    assert Path(path).is_file()


@pytest.mark.parametrize("model", ["/nonexistent/lid.176.bin", "~/definitely-missing-model.bin", "relative/missing.ftz"])
def test_missing_model_fails_validation(model):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        FasttextLanguageId(model=model).validate()
