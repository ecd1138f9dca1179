"""Shards read by other tools (pyarrow, Hugging Face ``datasets``) and the ``curate
tokenize`` command line."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.cli import main
from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized
from tests.tokenize.helpers import Corpus, Tokenized, read_manifest, read_shards


def test_pyarrow_reads_the_tokens_directory(books_tokenized: Tokenized) -> None:
    table = pq.read_table(books_tokenized.out / "tokens")
    assert table.num_rows == books_tokenized.manifest["totals"]["documents"]
    assert table.schema.field("input_ids").type == pa.list_(pa.uint16())
    assert table.schema.field("num_tokens").type == pa.int32()
    assert sorted(table["id"].to_pylist()) == sorted(read_shards(books_tokenized.out)["id"].to_pylist())


def test_hf_datasets_loads_the_shards(books_tokenized: Tokenized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    files = sorted(str(p) for p in (books_tokenized.out / "tokens").glob("*.parquet"))
    ds = datasets.load_dataset("parquet", data_files={"train": files}, split="train", cache_dir=str(tmp_path / "hf"))
    totals = books_tokenized.manifest["totals"]
    assert ds.num_rows == totals["documents"]
    assert set(ds.column_names) == {"id", "input_ids", "num_tokens", "source"}
    assert sum(ds["num_tokens"]) == totals["tokens"]
    first = pq.read_table(books_tokenized.out / books_tokenized.manifest["shards"][0]["path"]).slice(0, 1)
    assert ds[0]["input_ids"] == first["input_ids"].to_pylist()[0]


def test_cli_tokenize_matches_the_api(books: Corpus, gpt_neo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``curate tokenize --mix`` writes the same shards as ``write_tokenized``."""
    a, b = books.files[0], books.files[3]
    out = tmp_path / "cli"
    argv = ["tokenize", "--tokenizer", gpt_neo, "--output", str(out), "--executor", "local",
            "--mix", f"first={a}:0.6", f"second={b}:0.4", "--seed", "7", "--shard-tokens", "30000",
            "--row-group-tokens", "3000"]
    assert main(argv) == 0
    assert "done:" in capsys.readouterr().out
    sources = [Source("first", [str(a)], 0.6), Source("second", [str(b)], 0.4)]
    settings = TokenizedSettings(tokenizer=gpt_neo, seed=7, shard_tokens=30_000, row_group_tokens=3_000)
    manifest = write_tokenized(sources, str(tmp_path / "api"), settings)
    assert read_shards(out).equals(read_shards(tmp_path / "api"))
    assert manifest["totals"] == read_manifest(out)["totals"]
    assert read_manifest(out)["mixture"]["sources"]["first"]["weight"] == 0.6


def test_cli_missing_tokenizer_one_line_error(books: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing-tokenizer.json"
    rc = main(["tokenize", str(books.files[0]), "--tokenizer", str(missing), "--output", str(tmp_path / "out"), "--executor", "local"])
    err = capsys.readouterr().err.strip()
    assert rc != 0
    assert len(err.splitlines()) == 1 and str(missing) in err, err
