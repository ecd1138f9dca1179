"""Mixture pipelines: source pipelines run into OUT/sources/NAME, then mixed and tokenized."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from rich.console import Console

from curate.cli_output import install
from curate.inspect_view import inspect_output
from curate.mixture import is_mixture_file, load_mixture, run_mixture
from curate.pipeline import PipelineConfigError
from tests.tokenize.helpers import GPT_NEO, paragraphs, write_docs

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_WARC = ROOT / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"
QUIET = Console(quiet=True)


def _mixture_file(tmp_path: Path, sources: dict, tokenizer: str, **tokenize: object) -> Path:
    path = tmp_path / "mixture.yaml"
    path.write_text(yaml.safe_dump({"name": "mix", "sources": sources,
                                    "tokenize": {"tokenizer": tokenizer, "shard_tokens": 20_000, "seed": 1, **tokenize}}))
    return path


@pytest.fixture()
def book_parquet(tmp_path: Path, shared_data: Path) -> Path:
    text = (shared_data / "books" / "pg972-devils-dictionary" / "972.txt").read_text(encoding="utf-8")
    texts = paragraphs(text)[:300]
    path = tmp_path / "curated" / "books.parquet"
    write_docs(path, [f"b{i}" for i in range(len(texts))], texts)
    return path.parent


def test_web_pipeline_and_curated_parquet_mixed_by_weight(tmp_path: Path, shared_data: Path, book_parquet: Path) -> None:
    mixture = _mixture_file(tmp_path, {
        "web": {"pipeline": str(ROOT / "pipelines" / "commoncrawl-text.yaml"), "inputs": [str(SAMPLE_WARC)], "weight": 0.6},
        "books": {"data": str(book_parquet), "weight": 0.4},
    }, str(shared_data / GPT_NEO))
    assert is_mixture_file(mixture)
    out = tmp_path / "out"
    manifest = run_mixture(load_mixture(mixture), str(out), executor="local")
    # the web source ran its pipeline into sources/web
    web_stats = json.loads((out / "sources" / "web" / "stats.json").read_text())
    assert web_stats["documents"]["kept"] > 0 and web_stats["documents"]["rejected"] > 0
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["format"] == "curate.tokenized/1"
    assert on_disk["sources"]["web"]["documents"]["kept"] == web_stats["documents"]["kept"]
    assert on_disk["pipeline"]["sources"]["web"]["pipeline"]["name"] == "commoncrawl-text"
    shares = {name: info["achieved"] for name, info in manifest["mixture"]["sources"].items()}
    assert shares["web"] == pytest.approx(0.6, abs=0.05) and shares["books"] == pytest.approx(0.4, abs=0.05)
    shards = pq.read_table(out / "tokens")
    assert set(shards["source"].to_pylist()) == {"web", "books"}
    assert sum(shards["num_tokens"].to_pylist()) == manifest["totals"]["tokens"]
    # inspect shows the curation per source beside the token shares
    summary = inspect_output(str(out), samples=1)
    assert summary["sources"]["web"]["documents"]["kept"] == web_stats["documents"]["kept"]
    # a second run reuses the finished source output and gives the same shards
    again = run_mixture(load_mixture(mixture), str(out), executor="local")
    assert again["shards"] == manifest["shards"]


def test_inputs_on_the_command_line(tmp_path: Path, shared_data: Path, book_parquet: Path) -> None:
    mixture = _mixture_file(tmp_path, {
        "web": {"pipeline": str(ROOT / "pipelines" / "commoncrawl-text.yaml"), "weight": 1},
        "books": {"data": "nowhere", "weight": 1},
    }, "unused")
    out = tmp_path / "out"
    manifest = run_mixture(
        load_mixture(mixture), str(out), inputs=[f"web={SAMPLE_WARC}", f"books={book_parquet}"], executor="local",
    tokenizer=str(shared_data / GPT_NEO),
    )
    assert manifest["tokenizer"]["spec"].endswith("gpt-neo-test-tokenizer.json")
    assert manifest["mixture"]["sources"]["books"]["files"] == 1


def test_mixture_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"sources": {"web": {"pipeline": "x.yaml", "data": "y"}}}))
    with pytest.raises(PipelineConfigError, match="either pipeline"):
        load_mixture(bad)
    bad.write_text(yaml.safe_dump({"sources": {"web": {"data": "y", "weigth": 1}}}))
    with pytest.raises(PipelineConfigError, match="unknown settings"):
        load_mixture(bad)
    bad.write_text(yaml.safe_dump({"sources": {"web": {"data": "y"}}, "tokenize": {"tokeniser": "x"}}))
    with pytest.raises(PipelineConfigError, match="tokenize: unknown"):
        load_mixture(bad)
    ok = tmp_path / "ok.yaml"
    ok.write_text(yaml.safe_dump({"sources": {"web": {"data": "y"}}, "tokenize": {"tokenizer": "x"}}))
    with pytest.raises(PipelineConfigError, match="no source 'code'"):
        run_mixture(load_mixture(ok), str(tmp_path / "o"), inputs=["code=/tmp"], executor="local")


def test_shipped_mixture_of_web_books_and_code(tmp_path: Path, shared_data: Path) -> None:
    """pipelines/mixture.yaml as shipped: the web, books and code pipelines each run on
    real inputs, and one tokenized output holds them at the configured shares."""
    books = shared_data / "books"
    book_inputs = [books / "pg972-devils-dictionary" / "972.txt", books / "pg972-devils-dictionary" / "old-dvldc10.txt"]
    stdlib_json = Path(json.__file__).parent  # real code: the standard library's json package
    mixture = load_mixture(ROOT / "pipelines" / "mixture.yaml")
    # Sampling works on whole documents: the books source is one book of about 90k tokens
    # after dedup, so the total is sized for it to be taken once (rate about 1); the web
    # sample (5k tokens) is repeated about 100x and the code sampled down.
    mixture.tokenize.update(total_tokens=600_000, shard_tokens=100_000)
    out = tmp_path / "mix"
    manifest = run_mixture(
        mixture, str(out), executor="local", tokenizer=str(shared_data / GPT_NEO),
        inputs=[f"web={SAMPLE_WARC}", *(f"books={p}" for p in book_inputs), f"code={stdlib_json}", f"code={ROOT}"],
    )
    sources = manifest["mixture"]["sources"]
    assert set(sources) == {"web", "books", "code"}
    for name, weight in (("code", 0.15), ("books", 0.15), ("web", 0.7)):
        assert sources[name]["weight"] == weight
        # Whole documents are kept or dropped, by token-tracking selection: each share is
        # within about one document of its weight (measured 0.147 code, 0.163 books, 0.690
        # web with this seed; books is one 99k-token book).
        assert sources[name]["sampling"] == "tracked"
        assert sources[name]["achieved"] == pytest.approx(weight, abs=0.025)
    assert manifest["totals"]["tokens"] == pytest.approx(600_000, rel=0.1)
    assert sources["web"]["rate"] > 50 and sources["code"]["rate"] < 1
    # the web sample repeated ~100 times is warned about (README's example)
    assert [w.split(" is repeated")[0] for w in manifest["warnings"]] == ["source 'web'"]
    # each source's curation is on disk and in the manifest
    books_stats = json.loads((out / "sources" / "books" / "stats.json").read_text())
    dedup = {s["stage"]: s["dropped"] for s in books_stats["stages"]}["minhash_dedup"]
    assert dedup == {"near_duplicate": 1}  # the two editions of the dictionary
    code_data = pq.read_table(out / "sources" / "code" / "data", columns=["repo", "path", "language", "license"])
    repos = set(code_data["repo"].to_pylist())
    assert len(repos) == 2 and "json" in repos
    this_repo = (repos - {"json"}).pop()  # named after the git origin, else the directory
    curate_rows = [r for r in code_data.to_pylist() if r["repo"] == this_repo and r["path"] == "curate/mixture.py"]
    assert curate_rows and curate_rows[0]["language"] == "Python" and curate_rows[0]["license"] == "Apache-2.0"
    shards = pq.read_table(out / "tokens", columns=["source", "num_tokens"])
    assert set(shards["source"].to_pylist()) == {"web", "books", "code"}
    summary = inspect_output(str(out), samples=0)
    assert set(summary["sources"]) == {"web", "books", "code"}
    assert summary["sources"]["books"]["documents"]["kept"] == 1


def test_heavily_repeated_source_is_warned_about(tmp_path: Path, shared_data: Path, book_parquet: Path) -> None:
    """A tiny source at a large weight (like the README's 16-page web sample) is repeated
    many times: the mixture prints a warning and records it in the manifest."""
    tiny = tmp_path / "curated-tiny" / "tiny.parquet"
    texts = paragraphs((shared_data / "books" / "pg972-devils-dictionary" / "972.txt").read_text(encoding="utf-8"))
    write_docs(tiny, [f"t{i}" for i in range(8)], texts[500:508])
    mixture = _mixture_file(tmp_path, {
        "tiny": {"data": str(tiny.parent), "weight": 0.5},
        "books": {"data": str(book_parquet), "weight": 0.5},
    }, str(shared_data / GPT_NEO), max_repeats_warning=3)
    console = Console(record=True, width=400, file=io.StringIO())
    handler = install(console)  # the CLI's rendering of the library's log records
    try:
        manifest = run_mixture(load_mixture(mixture), str(tmp_path / "out"), executor="local")
    finally:
        logging.getLogger("curate").removeHandler(handler)
    rate = manifest["mixture"]["sources"]["tiny"]["rate"]
    assert rate > 3 and manifest["mixture"]["sources"]["tiny"]["repeated"] == rate
    assert manifest["mixture"]["sources"]["books"]["repeated"] is None
    assert len(manifest["warnings"]) == 1 and "'tiny'" in manifest["warnings"][0]
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["warnings"] == manifest["warnings"]
    printed = console.export_text()
    assert f"warning: source 'tiny' is repeated {rate:.1f} times" in printed
