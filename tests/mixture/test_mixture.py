"""Mixture pipelines: source pipelines run into OUT/sources/NAME, then mixed and tokenized."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from rich.console import Console

from curate.inspect import inspect_output
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
    manifest = run_mixture(load_mixture(mixture), str(out), executor="local", progress=False, console=QUIET)
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
    summary = inspect_output(str(out), samples=1, console=QUIET)
    assert summary["sources"]["web"]["documents"]["kept"] == web_stats["documents"]["kept"]
    # a second run reuses the finished source output and gives the same shards
    again = run_mixture(load_mixture(mixture), str(out), executor="local", progress=False, console=QUIET)
    assert again["shards"] == manifest["shards"]


def test_inputs_on_the_command_line(tmp_path: Path, shared_data: Path, book_parquet: Path) -> None:
    mixture = _mixture_file(tmp_path, {
        "web": {"pipeline": str(ROOT / "pipelines" / "commoncrawl-text.yaml"), "weight": 1},
        "books": {"data": "nowhere", "weight": 1},
    }, "unused")
    out = tmp_path / "out"
    manifest = run_mixture(
        load_mixture(mixture), str(out), inputs=[f"web={SAMPLE_WARC}", f"books={book_parquet}"], executor="local",
        progress=False, console=QUIET, tokenizer=str(shared_data / GPT_NEO),
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
        run_mixture(load_mixture(ok), str(tmp_path / "o"), inputs=["code=/tmp"], executor="local", console=QUIET)
