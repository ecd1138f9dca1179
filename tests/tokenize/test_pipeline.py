"""A YAML pipeline that ends in ``tokenize`` and writes training shards (``output.tokenized``)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from curate.loader import PackedSequenceLoader
from curate.pipeline import pipeline_from_dict
from curate.run import run_pipeline
from curate.tokenize.tokenizer import load_tokenizer
from tests.tokenize.helpers import paragraphs, write_docs


def test_pipeline_ending_in_tokenize_writes_shards(tmp_path: Path, gpt_neo: str, shared_data: Path) -> None:
    books = sorted((shared_data / "books").rglob("*.txt"))
    texts = paragraphs(books[0].read_text(encoding="utf-8", errors="replace"))[:400]
    write_docs(tmp_path / "in" / "docs.parquet", [f"d{i}" for i in range(len(texts))], texts)
    pipeline = pipeline_from_dict({
        "name": "books",
        "stages": [{"tokenize": {"tokenizer": gpt_neo}}],
        "output": {"tokenized": {"shard_tokens": 20_000, "seed": 3, "keep_documents": False}},
    })
    run_pipeline(pipeline, [str(tmp_path / "in")], str(tmp_path / "out"), executor="local")
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "curate.tokenized/1"
    assert manifest["pipeline"]["name"] == "books" and manifest["seed"] == 3
    assert len(manifest["shards"]) > 1
    assert not (out / "data").exists()  # keep_documents: false
    shards = pq.read_table(out / "tokens")
    assert shards.num_rows == manifest["totals"]["documents"] == len([t for t in texts if t.strip()])
    assert manifest["totals"]["tokens"] == sum(shards["num_tokens"].to_pylist())
    assert set(shards["source"].to_pylist()) == {"books"}
    # the ids were computed once by the tokenize stage and reused: decoding gives the text back
    tokenizer = load_tokenizer(gpt_neo)
    by_id = dict(zip([f"d{i}" for i in range(len(texts))], texts))
    for row in shards.slice(0, 20).to_pylist():
        assert tokenizer.decode(row["input_ids"][:-1]) == by_id[row["id"]]  # last id is EOS
    loader = PackedSequenceLoader(out, seq_len=256, drop_last=False)
    assert sum(int(item["loss_mask"].sum()) for item in loader) == manifest["totals"]["tokens"]
