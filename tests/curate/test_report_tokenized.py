"""``curate report`` of a tokenized output and of a mixture: tokens per source and shard,
weights against achieved shares, decoded samples, one offline file."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from curate.cli import main
from curate.mixture import load_mixture, run_mixture
from curate.report import write_report
from curate.report.tokenized import tokenized_report_data
from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized
from tests.curate.report_runs import json_block
from tests.tokenize.helpers import GPT_NEO, book_text, paragraphs, write_docs

pytest.importorskip("vl_convert")

ATTACK = "<script>alert(1)</script>"


def _docs(shared_data: Path, book: str, count: int, prefix: str) -> tuple[list[str], list[str]]:
    """The first ``count`` paragraphs of a shared book, each with a script tag planted in front."""
    texts = [f"{ATTACK} {p}" for p in paragraphs(book_text(shared_data, book))[:count]]
    return [f"{prefix}{i}" for i in range(len(texts))], texts


@pytest.fixture(scope="module")
def tokenizer(shared_data: Path) -> str:
    path = shared_data / GPT_NEO
    if not path.exists():
        pytest.skip(f"{path} is missing from the shared data")
    return str(path)


@pytest.fixture(scope="module")
def tokenized_output(shared_data: Path, tokenizer: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One source of book paragraphs tokenized with gpt-neo into several small shards."""
    root = tmp_path_factory.mktemp("tokenized")
    ids, texts = _docs(shared_data, "dictionary", 400, "d")
    source = write_docs(root / "in" / "books.parquet", ids, texts)
    settings = TokenizedSettings(tokenizer=tokenizer, shard_tokens=10_000, row_group_tokens=2_000, seed=1)
    write_tokenized([Source("books", [str(source)])], str(root / "out"), settings)
    return root / "out"


@pytest.fixture(scope="module")
def mixture_output(shared_data: Path, tokenizer: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mixture of two curated Parquet sources, weights 0.7 and 0.3."""
    root = tmp_path_factory.mktemp("mixture")
    for name, book, prefix in (("nowhere", "nowhere", "n"), ("dictionary", "dictionary", "d")):
        ids, texts = _docs(shared_data, book, 300, prefix)
        write_docs(root / name / "docs.parquet", ids, texts)
    path = root / "mixture.yaml"
    path.write_text(yaml.safe_dump({
        "name": "mix",
        "sources": {"nowhere": {"data": str(root / "nowhere"), "weight": 0.7},
                    "dictionary": {"data": str(root / "dictionary"), "weight": 0.3}},
        "tokenize": {"tokenizer": tokenizer, "shard_tokens": 20_000, "seed": 1},
    }))
    run_mixture(load_mixture(path), str(root / "out"), executor="local")
    return root / "out"


def _page(output: Path, tmp_path: Path) -> str:
    path = tmp_path / "report.html"
    write_report(str(output), str(path))
    return path.read_text(encoding="utf-8")


def _manifest(output: Path) -> dict:
    return json.loads((output / "manifest.json").read_text())


def test_tokens_per_source_and_shard_are_the_manifest(tokenized_output: Path, tmp_path: Path) -> None:
    page = _page(tokenized_output, tmp_path)
    manifest = _manifest(tokenized_output)
    assert len(manifest["shards"]) > 1
    data = json_block(page, "curate-report-data")
    assert data["kind"] == "tokenized" and data["mixture"] == []
    assert data["totals"] == {"documents": manifest["totals"]["documents"], "tokens": manifest["totals"]["tokens"]}
    assert {r["source"]: r["tokens"] for r in data["per_source"]} == manifest["totals"]["by_source"]
    assert [(s["path"], s["tokens"]) for s in data["per_shard"]] == [(s["path"], s["tokens"]) for s in manifest["shards"]]
    specs = json_block(page, "curate-specs")
    assert {v["source"]: v["tokens"] for v in specs["tokens-per-source"]["data"]["values"]} == manifest["totals"]["by_source"]
    assert [v["tokens"] for v in specs["tokens-per-shard"]["data"]["values"]] == [s["tokens"] for s in manifest["shards"]]
    assert f"{manifest['totals']['tokens']:,}" in page  # in the tables too
    assert "<h2>Mixture" not in page and "mixture" not in specs
    for key in specs:
        assert f'data-spec="{key}"' in page


def test_the_mixture_shows_weights_beside_achieved_shares(mixture_output: Path, tmp_path: Path) -> None:
    page = _page(mixture_output, tmp_path)
    manifest = _manifest(mixture_output)
    sources = manifest["mixture"]["sources"]
    data = json_block(page, "curate-report-data")
    assert data["kind"] == "mixture" and data["name"] == "mix"
    rows = {r["source"]: r for r in data["mixture"]}
    assert set(rows) == {"nowhere", "dictionary"}
    for name, info in sources.items():
        assert rows[name]["weight"] == info["weight"]
        assert rows[name]["achieved"] == pytest.approx(info["achieved"])
    assert rows["nowhere"]["target"] == pytest.approx(0.7) and rows["dictionary"]["target"] == pytest.approx(0.3)
    # the table: each weight, its configured share and the achieved share
    section = page.split("<h2>Mixture", 1)[1].split("<h2>", 1)[0]
    for name, info in sources.items():
        row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", section)
        assert row, name
        cells = row.group(1)
        assert f">{info['weight']:g}<" in cells and f">{info['achieved']:.2%}<" in cells
    spec = json_block(page, "curate-specs")["mixture"]
    shares = {(v["source"], v["set"]): v["share"] for v in spec["data"]["values"]}
    assert shares[("nowhere", "configured")] == pytest.approx(0.7)
    assert shares[("dictionary", "achieved")] == pytest.approx(sources["dictionary"]["achieved"])
    assert {r["source"]: r["tokens"] for r in data["per_source"]} == manifest["totals"]["by_source"]
    assert "given as curated Parquet" in page  # the curation section, per source


def test_decoded_samples_are_escaped_text(mixture_output: Path, tmp_path: Path) -> None:
    page = _page(mixture_output, tmp_path)
    data = tokenized_report_data(str(mixture_output), samples=2)
    assert data["tokenizer_error"] is None
    assert {s["source"] for s in data["samples"]} == {"nowhere", "dictionary"}
    assert all(s["decoded"] and len(s["text"]) <= 1003 for s in data["samples"])
    assert all(s["text"].startswith(ATTACK) for s in data["samples"])
    assert ATTACK not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert html.escape(data["samples"][0]["text"][len(ATTACK):60]) in page
    # only the page's own four script elements
    assert len(re.findall(r"<script\b", page)) == 4 and len(re.findall(r"</script>", page, re.I)) == 4


def test_a_tokenizer_that_cannot_be_loaded_is_said_not_raised(tokenized_output: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    out.mkdir()
    manifest = _manifest(tokenized_output)
    manifest["tokenizer"]["spec"] = str(tmp_path / "missing-tokenizer.json")
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "tokens").symlink_to(tokenized_output / "tokens")
    page = _page(out, tmp_path)
    assert "The tokenizer could not be loaded" in page and "missing-tokenizer.json" in page
    assert "token ids: " in page


def test_the_page_is_one_offline_file(mixture_output: Path, tmp_path: Path) -> None:
    page = _page(mixture_output, tmp_path)
    assert page.startswith("<!DOCTYPE html>") and len(page) > 500_000  # vega-embed is inlined
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\shref\s*=", page, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.I)
    assert '"url":' not in json.dumps(json_block(page, "curate-specs"))


def test_the_cli(tokenized_output: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.html"
    assert main(["report", str(tokenized_output), "-o", str(path)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(str(path)) and out.endswith("MB)")
    assert "Tokens per shard" in path.read_text(encoding="utf-8")
