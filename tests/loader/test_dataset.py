"""TokenDataset: manifest, footers, units and clear errors."""

from __future__ import annotations

import json
import shutil

import fsspec
import numpy as np
import pyarrow.parquet as pq
import pytest

from curate.loader import FORMAT, PackedSequenceLoader, TokenDataset, TokenDatasetError
from tests.loader.helpers import doc_counter, random_docs, split_documents, write_dataset


def test_manifest_fields(synthetic):
    ds = TokenDataset(str(synthetic.path))
    m = synthetic.manifest
    assert ds.dtype == np.dtype(m["dtype"])
    assert ds.tokenizer.name == "gpt-neo-test-tokenizer.json"
    assert ds.tokenizer.eos_id == 0 and ds.tokenizer.pad_id is None
    assert ds.tokenizer.padding_id == 0
    assert ds.tokenizer.vocab_size == 50280
    assert [s.path for s in ds.shards] == [s["path"] for s in m["shards"]]
    assert ds.totals["tokens"] == m["totals"]["tokens"]
    assert ds.totals["by_source"] == m["totals"]["by_source"]
    assert set(ds.totals["by_source"]) == {"web", "books"}


def test_units_come_from_footers(synthetic, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("units() read row-group data")

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", no_data)
    monkeypatch.setattr(pq.ParquetFile, "read", no_data)
    units = TokenDataset(str(synthetic.path)).units()
    assert len(units) == 5 + 27 + 2  # 80 docs per shard in row groups of 16, 3, 40
    assert [u.index for u in units] == list(range(len(units)))
    assert sum(u.tokens for u in units) == sum(len(d) for d in synthetic.docs)
    assert sum(u.documents for u in units) == len(synthetic.docs)
    for s, shard in enumerate(synthetic.manifest["shards"]):
        mine = [u for u in units if u.shard == s]
        assert sum(u.tokens for u in mine) == shard["tokens"]
        assert [u.row_group for u in mine] == list(range(len(mine)))


def test_read_unit_matches_documents(small16):
    ds = TokenDataset(str(small16.path))
    units = ds.units()
    docs = []
    for unit in units:
        tokens, offsets = ds.read_unit(unit)
        assert tokens.dtype == np.uint16 and offsets[0] == 0 and offsets[-1] == unit.tokens
        docs += [tokens[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    assert doc_counter(docs) == doc_counter(small16.docs)


def test_empty_documents_are_counted_and_skipped(tmp_path):
    rng = np.random.default_rng(3)
    docs = random_docs(rng, 30, max_len=50)
    docs[4] = docs[4][:0]
    docs[17] = docs[17][:0]
    write_dataset(tmp_path, docs, shards=2, row_group_size=4)
    ds = TokenDataset(str(tmp_path))
    assert sum(u.tokens for u in ds.units()) == sum(len(d) for d in docs)
    items = list(PackedSequenceLoader(ds, 64, drop_last=False, continue_positions=True))
    assert doc_counter(split_documents(items)) == doc_counter(d for d in docs if len(d))


def test_fsspec_url(small16):
    fs = fsspec.filesystem("memory")
    root = "/loader-test-ds"
    try:
        fs.put(str(small16.path), root, recursive=True)
        ds = TokenDataset(f"memory://{root}")
        assert ds.num_tokens == small16.manifest["totals"]["tokens"]
        items = list(PackedSequenceLoader(ds, 1000, drop_last=False, continue_positions=True))
        assert doc_counter(split_documents(items)) == doc_counter(small16.docs)
    finally:
        fs.rm(root, recursive=True)


def test_missing_manifest_names_the_path(tmp_path):
    with pytest.raises(TokenDatasetError) as err:
        TokenDataset(str(tmp_path))
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / "manifest.json") in message and "no manifest" in message


def test_unknown_format_names_path_and_format(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "curate.tokenized/9"}))
    with pytest.raises(TokenDatasetError) as err:
        TokenDataset(str(tmp_path))
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / "manifest.json") in message
    assert "'curate.tokenized/9'" in message and FORMAT in message


def test_manifest_not_json(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(TokenDatasetError, match="not valid JSON"):
        TokenDataset(str(tmp_path))


def test_missing_shard_is_named(small16, tmp_path):
    copy = tmp_path / "ds"
    shutil.copytree(small16.path, copy)
    (copy / "tokens" / "shard-00001.parquet").unlink()
    with pytest.raises(TokenDatasetError) as err:
        TokenDataset(str(copy)).units()
    assert "shard-00001.parquet" in str(err.value) and "missing" in str(err.value)


def test_shard_that_disagrees_with_manifest(small16, tmp_path):
    copy = tmp_path / "ds"
    shutil.copytree(small16.path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["shards"][0]["documents"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TokenDatasetError, match="shard-00000.parquet: 80 documents"):
        TokenDataset(str(copy)).units()


def test_unsupported_dtype(small16, tmp_path):
    copy = tmp_path / "ds"
    shutil.copytree(small16.path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["dtype"] = "float32"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TokenDatasetError, match="unsupported dtype 'float32'"):
        TokenDataset(str(copy))
