"""``write_tokenized``: shard contents, manifest totals, shuffle, BOS/EOS and bad inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from curate.tokenize.shards import FORMAT, Source, TokenizedSettings, write_tokenized
from curate.tokenize.stage import encode_texts
from curate.tokenize.tokenizer import load_tokenizer
from tests.tokenize.helpers import (
    TRICKY_TEXTS,
    Corpus,
    Tokenized,
    make_corpus,
    read_manifest,
    read_shards,
    strip_specials,
    tokenize_books,
    write_docs,
)


def _digests(out: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "tokens").glob("*.parquet"))]


# -- contents ---------------------------------------------------------------------------------


def test_round_trip_through_shards(gpt_neo: str, tmp_path: Path) -> None:
    """Every non-empty document comes back: decode(input_ids without EOS) == its text."""
    texts = list(TRICKY_TEXTS)
    texts = [t for t in texts if "\u0301" not in t]  # gpt-neo's NFC normalizer changes that one
    corpus = make_corpus(tmp_path / "in", {"tricky": texts})
    settings = TokenizedSettings(tokenizer=gpt_neo, seed=11)
    manifest = write_tokenized([Source("t", [str(f) for f in corpus.files])], str(tmp_path / "out"), settings)
    table = read_shards(tmp_path / "out")
    tokenizer = load_tokenizer(gpt_neo)
    assert manifest["add_bos"] is False and manifest["add_eos"] is True
    assert sorted(table["id"].to_pylist()) == sorted(corpus.ids)
    by_id = corpus.by_id
    for doc_id, row in zip(table["id"].to_pylist(), table["input_ids"].to_pylist()):
        assert tokenizer.decode(strip_specials(row, None, tokenizer.eos_id)) == by_id[doc_id], doc_id


def test_empty_and_null_documents_are_dropped(gpt_neo: str, llama: str, tmp_path: Path) -> None:
    """An empty (or null) text is no document: no shard row of only EOS (or BOS + EOS).

    The ``tokenize`` stage drops such rows as ``empty_document``; the shard writer must not
    turn them into one-token documents either.
    """
    path = write_docs(tmp_path / "in.parquet", ["full", "empty", "null", "space"], ["some text", "", None, " "])
    for name, spec in (("neo", gpt_neo), ("llama", llama)):
        out = tmp_path / name
        manifest = write_tokenized([Source("s", [str(path)])], str(out), TokenizedSettings(tokenizer=spec))
        ids = sorted(read_shards(out)["id"].to_pylist())
        assert ids == ["full", "space"], f"{name}: shard ids {ids}"
        assert manifest["totals"]["documents"] == 2


def test_llama_bos_default_and_flags(books: Corpus, llama: str, tmp_path: Path) -> None:
    """``add_bos=None`` adds llama's BOS; both flags off gives the plain encoding."""
    tokenizer = load_tokenizer(llama)
    small = make_corpus(tmp_path / "in", {"head": books.texts[:300]})
    files = [str(small.files[0])]
    by_id = small.by_id
    for add_bos, add_eos in ((None, True), (False, True), (True, False), (False, False)):
        out = tmp_path / f"bos{add_bos}-eos{add_eos}"
        settings = TokenizedSettings(tokenizer=llama, add_bos=add_bos, add_eos=add_eos, seed=1)
        manifest = write_tokenized([Source("dictionary", files)], str(out), settings)
        bos = add_bos is not False
        assert manifest["add_bos"] is bos and manifest["add_eos"] is add_eos
        assert manifest["dtype"] == "uint16"
        table = read_shards(out)
        sample = table.slice(0, 50)
        plain = tokenizer.encode_batch([by_id[i] for i in sample["id"].to_pylist()])
        for row, expected in zip(sample["input_ids"].to_pylist(), plain):
            assert row == ([1] if bos else []) + expected + ([2] if add_eos else [])
        flat = pc.list_flatten(table["input_ids"])
        assert pc.sum(pc.equal(flat, 1)).as_py() == (table.num_rows if bos else 0)
        assert pc.sum(pc.equal(flat, 2)).as_py() == (table.num_rows if add_eos else 0)


def test_bos_the_tokenizer_lacks_is_an_error(gpt_neo: str, tmp_path: Path) -> None:
    """``add_bos=True`` with a tokenizer without BOS fails (as the stage does) instead of
    writing shards without BOS under a manifest that says ``add_bos: true``."""
    path = write_docs(tmp_path / "in.parquet", ["a"], ["text"])
    settings = TokenizedSettings(tokenizer=gpt_neo, add_bos=True)
    with pytest.raises(ValueError, match="BOS"):
        write_tokenized([Source("s", [str(path)])], str(tmp_path / "out"), settings)


def test_tiktoken_cl100k_shards_are_uint32(tiktoken_cache: Path, books: Corpus, tmp_path: Path) -> None:
    tokenizer = load_tokenizer("tiktoken:cl100k_base")
    out = tmp_path / "cl100k"
    settings = TokenizedSettings(tokenizer="tiktoken:cl100k_base", seed=2)
    manifest = write_tokenized([Source("dictionary", [str(books.files[3])])], str(out), settings)
    assert manifest["dtype"] == "uint32"
    assert manifest["tokenizer"]["fingerprint"] == tokenizer.fingerprint
    assert manifest["tokenizer"]["spec"] == "tiktoken:cl100k_base"
    table = read_shards(out)
    assert table.schema.field("input_ids").type.value_type == pa.uint32()
    by_id = books.by_id
    for doc_id, row in zip(table["id"].to_pylist()[:200], table["input_ids"].to_pylist()[:200]):
        assert tokenizer.decode(strip_specials(row, None, tokenizer.eos_id)) == by_id[doc_id]


# -- manifest ---------------------------------------------------------------------------------


def test_manifest_totals(books_tokenized: Tokenized, books: Corpus, gpt_neo: str) -> None:
    """Totals = sum over shards = sum of num_tokens = number of ids; by_source adds up."""
    out, manifest = books_tokenized.out, books_tokenized.manifest
    assert read_manifest(out) == manifest
    assert manifest["format"] == FORMAT
    assert manifest["dtype"] == "uint16"
    assert len(manifest["shards"]) >= 4
    shard_tokens = shard_docs = 0
    for shard in manifest["shards"]:
        table = pq.read_table(out / shard["path"])
        lengths = pc.list_value_length(table["input_ids"]).to_numpy()
        assert table.column_names == ["id", "input_ids", "num_tokens", "source"]
        assert (table["num_tokens"].to_numpy() == lengths).all()
        assert shard["documents"] == table.num_rows
        assert shard["tokens"] == int(lengths.sum()) == sum(shard["sources"].values())
        shard_tokens += shard["tokens"]
        shard_docs += shard["documents"]
    totals = manifest["totals"]
    assert totals["tokens"] == shard_tokens
    assert totals["documents"] == shard_docs
    assert sum(totals["by_source"].values()) == totals["tokens"]
    assert totals["by_source"] == {"books": totals["tokens"]}
    source = manifest["mixture"]["sources"]["books"]
    assert source["tokens"] == totals["tokens"] and source["documents"] == totals["documents"]
    assert source["files"] == len(books.files) and source["rate"] == 1.0
    assert source["achieved"] == 1.0
    # Cross-check against an independent tokenization of the input.
    tokenizer = load_tokenizer(gpt_neo)
    _, counts = encode_texts(tokenizer, pa.array(books.texts), add_bos=False, add_eos=True)
    assert totals["tokens"] == int(pc.sum(counts).as_py())


def test_manifest_shards_are_the_files(books_tokenized: Tokenized) -> None:
    """Every listed shard exists, and tokens/ holds nothing else."""
    out, manifest = books_tokenized.out, books_tokenized.manifest
    listed = sorted(s["path"] for s in manifest["shards"])
    assert all((out / p).is_file() for p in listed)
    present = sorted(f"tokens/{p.name}" for p in (out / "tokens").iterdir())
    assert present == listed
    assert len(set(listed)) == len(listed)


def test_manifest_tokenizer(books_tokenized: Tokenized, gpt_neo: str, llama: str) -> None:
    info = books_tokenized.manifest["tokenizer"]
    tokenizer = load_tokenizer(gpt_neo)
    assert info["spec"] == gpt_neo
    assert info["fingerprint"] == tokenizer.fingerprint == load_tokenizer(gpt_neo).fingerprint
    assert info["fingerprint"] != load_tokenizer(llama).fingerprint
    assert info["vocab_size"] == 50_280 and info["eos_id"] == tokenizer.eos_id
    assert books_tokenized.manifest["seed"] == books_tokenized.settings.seed


def test_rerun_into_same_output_leaves_no_stale_shards(books: Corpus, gpt_neo: str, tmp_path: Path) -> None:
    """Writing again into an output directory (fewer shards this time) must not leave the
    old run's extra shards in tokens/, where ``pq.read_table(out/tokens)`` or a
    ``tokens/*.parquet`` glob would read them as data."""
    out = tmp_path / "out"
    one = Corpus(books.files[:1], [], [], {})
    first = tokenize_books(one, out, gpt_neo, shard_tokens=5_000)
    second = tokenize_books(one, out, gpt_neo, shard_tokens=400_000)
    assert len(second.manifest["shards"]) < len(first.manifest["shards"])
    present = sorted(f"tokens/{p.name}" for p in (out / "tokens").glob("*.parquet"))
    assert present == sorted(s["path"] for s in second.manifest["shards"])
    assert pq.read_table(out / "tokens").num_rows == second.manifest["totals"]["documents"]


# -- shuffle ----------------------------------------------------------------------------------


def test_same_seed_same_bytes(books_tokenized: Tokenized, books: Corpus, gpt_neo: str, tmp_path: Path) -> None:
    again = tokenize_books(books, tmp_path / "again", gpt_neo)
    assert again.manifest["shards"] == books_tokenized.manifest["shards"]
    assert read_shards(again.out).equals(read_shards(books_tokenized.out))
    assert _digests(again.out) == _digests(books_tokenized.out)


def test_other_seed_other_order(books_tokenized: Tokenized, books: Corpus, gpt_neo: str, tmp_path: Path) -> None:
    other = tokenize_books(books, tmp_path / "other", gpt_neo, seed=4)
    first = read_shards(books_tokenized.out)["id"].to_pylist()
    second = read_shards(other.out)["id"].to_pylist()
    assert sorted(first) == sorted(second)
    assert other.manifest["totals"] == books_tokenized.manifest["totals"]
    position = {doc: i for i, doc in enumerate(first)}
    moved = np.array([position[doc] for doc in second])
    assert abs(np.corrcoef(moved, np.arange(len(moved)))[0, 1]) < 0.1


def test_no_document_lost_or_duplicated(books_tokenized: Tokenized, books: Corpus, gpt_neo: str) -> None:
    table = read_shards(books_tokenized.out)
    ids = table["id"].to_pylist()
    assert len(ids) == len(set(ids)) == len(books.ids)
    assert set(ids) == set(books.ids)
    assert set(table["source"].to_pylist()) == {"books"}
    tokenizer = load_tokenizer(gpt_neo)
    by_id = books.by_id
    expected, _ = encode_texts(tokenizer, pa.array([by_id[i] for i in ids]), add_bos=False, add_eos=True)
    assert expected.to_pylist() == table["input_ids"].to_pylist()


def test_documents_spread_across_shards(books_tokenized: Tokenized, books: Corpus) -> None:
    """Each shard mixes every input file; the order is unrelated to the input order."""
    out, manifest = books_tokenized.out, books_tokenized.manifest
    order = {doc: i for i, doc in enumerate(books.ids)}
    n_files = len(books.files)
    all_ids: list[str] = []
    for shard in manifest["shards"]:
        ids = pq.read_table(out / shard["path"], columns=["id"])["id"].to_pylist()
        files = np.bincount([books.file_of[d] for d in ids], minlength=n_files)
        assert (files > 0).all(), f"{shard['path']} holds documents of input files {files.tolist()}"
        all_ids += ids
    original = np.array([order[d] for d in all_ids])
    assert abs(np.corrcoef(original, np.arange(len(original)))[0, 1]) < 0.1
    labels = np.array([books.file_of[d] for d in all_ids])
    same_neighbour = float(np.mean(labels[1:] == labels[:-1]))
    shares = np.bincount(labels) / len(labels)
    assert same_neighbour < float((shares**2).sum()) + 0.1  # about what a random order gives


def test_row_groups_follow_row_group_tokens(books_tokenized: Tokenized) -> None:
    """Shards are cut into row groups of about ``row_group_tokens`` (several per shard)."""
    out, manifest = books_tokenized.out, books_tokenized.manifest
    target = books_tokenized.settings.row_group_tokens
    groups = []
    for shard in manifest["shards"]:
        pf = pq.ParquetFile(out / shard["path"])
        for i in range(pf.metadata.num_row_groups):
            groups.append(int(pc.sum(pf.read_row_group(i, columns=["num_tokens"])["num_tokens"]).as_py()))
    assert len(groups) >= 2 * len(manifest["shards"])
    assert target / 4 < float(np.median(groups)) < target * 4


# -- bad inputs -------------------------------------------------------------------------------


def test_missing_tokenizer_fails_naming_the_file(books: Corpus, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-tokenizer.json"
    with pytest.raises(FileNotFoundError) as info:
        write_tokenized([Source("s", [str(books.files[0])])], str(tmp_path / "out"), TokenizedSettings(tokenizer=str(missing)))
    assert str(missing) in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_missing_input_file_fails(gpt_neo: str, tmp_path: Path) -> None:
    good = write_docs(tmp_path / "good.parquet", ["a"], ["text"])
    missing = tmp_path / "missing.parquet"
    with pytest.raises(FileNotFoundError, match="missing.parquet"):
        write_tokenized([Source("s", [str(good), str(missing)])], str(tmp_path / "out"), TokenizedSettings(tokenizer=gpt_neo))


def test_unreadable_input_file_fails(gpt_neo: str, tmp_path: Path) -> None:
    """A damaged input file is an error naming it, not silently zero documents."""
    good = write_docs(tmp_path / "good.parquet", ["a", "b"], ["text one", "text two"])
    bad = tmp_path / "damaged.parquet"
    bad.write_bytes(b"PAR1 this is not a parquet file " * 8)
    with pytest.raises(Exception, match="damaged.parquet"):
        manifest = write_tokenized([Source("s", [str(good), str(bad)])], str(tmp_path / "out"), TokenizedSettings(tokenizer=gpt_neo))
        pytest.fail(f"no error; the manifest counts {manifest['totals']['documents']} documents")
