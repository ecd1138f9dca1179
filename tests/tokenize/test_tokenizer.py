"""Tokenizers, ``encode_texts`` and the ``tokenize`` stage: round trips, BOS/EOS, dtypes,
fingerprints and error messages, on the shared test tokenizers (no network)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from curate.schema import DROPPED_BY
from curate.stage import run_stage
from curate.tokenize.stage import Tokenize, encode_texts
from curate.tokenize.tokenizer import ids_to_arrow, load_tokenizer, token_dtype
from tests.tokenize.helpers import TRICKY_TEXTS, book_text, paragraphs, strip_specials


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# -- round trip -------------------------------------------------------------------------------


def test_gpt_neo_round_trip_tricky_texts(gpt_neo: str) -> None:
    """decode(input_ids without EOS) gives the text back (NFC: the tokenizer's normalizer)."""
    tokenizer = load_tokenizer(gpt_neo)
    assert tokenizer.bos_id is None and tokenizer.eos_id is not None
    ids, counts = encode_texts(tokenizer, pa.array(TRICKY_TEXTS), add_bos=False, add_eos=True)
    assert counts.to_pylist() == [len(row) for row in ids.to_pylist()]
    for text, row in zip(TRICKY_TEXTS, ids.to_pylist()):
        decoded = tokenizer.decode(strip_specials(row, None, tokenizer.eos_id))
        assert decoded == _nfc(text), f"round trip of {text[:40]!r} gave {decoded[:40]!r}"


def test_gpt_neo_normalizes_to_nfc(gpt_neo: str) -> None:
    """The one difference a byte-level round trip allows: gpt-neo's NFC normalizer."""
    tokenizer = load_tokenizer(gpt_neo)
    (row,) = tokenizer.encode_batch(["e\u0301"])
    assert tokenizer.decode(row) == "\u00e9"


def test_gpt_neo_round_trip_books(gpt_neo: str, shared_data: Path) -> None:
    """Every paragraph of a whole book, and the whole book as one document, round-trip."""
    tokenizer = load_tokenizer(gpt_neo)
    text = book_text(shared_data, "dictionary")
    docs = paragraphs(text) + [text]
    ids, counts = encode_texts(tokenizer, pa.array(docs), add_bos=False, add_eos=False)
    rows = ids.to_pylist()
    assert all(tokenizer.decode(row) == _nfc(doc) for doc, row in zip(docs, rows))
    assert counts.to_pylist()[-1] > 50_000


def test_encode_texts_nulls_and_empty_batch(gpt_neo: str) -> None:
    """A null text is an empty document; an empty batch gives empty arrays."""
    tokenizer = load_tokenizer(gpt_neo)
    ids, counts = encode_texts(tokenizer, pa.array(["a b", None, ""], pa.string()), add_bos=False, add_eos=True)
    eos = tokenizer.eos_id
    assert ids.to_pylist()[1:] == [[eos], [eos]]
    assert counts.to_pylist()[1:] == [1, 1]
    ids, counts = encode_texts(tokenizer, pa.array([], pa.string()), add_bos=False, add_eos=True)
    assert len(ids) == 0 and len(counts) == 0


def test_ids_to_arrow_empty_documents_between() -> None:
    """BOS/EOS scattering keeps documents apart when some are empty."""
    array, lengths = ids_to_arrow([[], [5, 6], [], [7]], pa.uint16(), bos=1, eos=2)
    assert array.to_pylist() == [[1, 2], [1, 5, 6, 2], [1, 2], [1, 7, 2]]
    assert lengths.tolist() == [2, 4, 2, 3]
    array, lengths = ids_to_arrow([[], [70_000]], pa.uint32(), bos=None, eos=3)
    assert array.to_pylist() == [[3], [70_000, 3]]
    assert array.type.value_type == pa.uint32()


# -- BOS / EOS --------------------------------------------------------------------------------


@pytest.mark.parametrize(("add_bos", "add_eos"), [(True, True), (True, False), (False, True), (False, False)])
def test_llama_bos_eos(llama: str, add_bos: bool, add_eos: bool) -> None:
    """BOS <s>=1 and EOS </s>=2 are added exactly when asked, around the plain encoding."""
    tokenizer = load_tokenizer(llama)
    assert (tokenizer.bos_id, tokenizer.eos_id) == (1, 2)
    texts = ["Hello world.", "Second document, a little longer than the first one."]
    plain = tokenizer.encode_batch(texts)
    ids, counts = encode_texts(tokenizer, pa.array(texts), add_bos=add_bos, add_eos=add_eos)
    expected = [([1] if add_bos else []) + row + ([2] if add_eos else []) for row in plain]
    assert ids.to_pylist() == expected
    assert counts.to_pylist() == [len(row) for row in expected]
    assert all(1 not in row and 2 not in row for row in plain)


def test_stage_add_bos_default_follows_tokenizer(llama: str, gpt_neo: str) -> None:
    """``add_bos: null`` adds BOS with llama (which has one), not with gpt-neo (which has none)."""
    table = pa.table({"id": ["a", "b", "c"], "text": ["one doc", "two docs", ""]})
    out, stats = run_stage(Tokenize(tokenizer=llama), table)
    rows = out["input_ids"].to_pylist()
    assert all(row[0] == 1 and row[-1] == 2 for row in rows)
    assert out["input_ids"].type.value_type == pa.uint16()
    assert out[DROPPED_BY].to_pylist() == [None, None, "tokenize"]  # the empty document
    assert stats.dropped == {"empty_document": 1}

    out, _ = run_stage(Tokenize(tokenizer=gpt_neo), table)
    eos = load_tokenizer(gpt_neo).eos_id
    assert all(row[-1] == eos and eos not in row[:-1] for row in out["input_ids"].to_pylist())
    out, _ = run_stage(Tokenize(tokenizer=llama, add_bos=False, add_eos=False, keep_text=False), table)
    assert "text" not in out.column_names
    assert all(1 not in row and 2 not in row for row in out["input_ids"].to_pylist())


def test_stage_rejects_bos_the_tokenizer_lacks(gpt_neo: str) -> None:
    stage = Tokenize(tokenizer=gpt_neo, add_bos=True)
    with pytest.raises(ValueError, match="no BOS"):
        run_stage(stage, pa.table({"id": ["a"], "text": ["x"]}))


@pytest.mark.parametrize("which", ["gpt_neo", "llama", "cl100k"])
def test_special_token_text_is_not_a_special_token(which: str, request: pytest.FixtureRequest) -> None:
    """Text that spells a special token (``<|endoftext|>``, ``<s>``, ``</s>``) is ordinary text.

    A web page quoting ``<|endoftext|>`` must not put an EOS id inside a document (a false
    document boundary, and a prompt-injection vector); tiktoken's ``encode_ordinary`` already
    behaves so, HF ``tokenizers`` matches added special tokens even with
    ``add_special_tokens=False`` unless ``encode_special_tokens`` is set.
    """
    if which == "cl100k":
        request.getfixturevalue("tiktoken_cache")
        spec = "tiktoken:cl100k_base"
    else:
        spec = request.getfixturevalue(which)
    tokenizer = load_tokenizer(spec)
    texts = ["quoted <|endoftext|> marker", "sentencepiece <s> and </s> tags", "<|padding|>"]
    specials = set(tokenizer.special_tokens.values())
    rows = tokenizer.encode_batch(texts)
    for text, row in zip(texts, rows):
        assert not specials & set(row), f"{tokenizer.name}: {text!r} encodes to special ids {sorted(specials & set(row))}"


# -- tiktoken ---------------------------------------------------------------------------------


def test_tiktoken_cl100k_offline(tiktoken_cache: Path) -> None:
    """cl100k_base from the offline cache: uint32 ids, EOS <|endoftext|>, exact round trip."""
    tokenizer = load_tokenizer("tiktoken:cl100k_base")
    assert tokenizer.kind == "tiktoken"
    assert tokenizer.vocab_size == 100_277
    assert tokenizer.bos_id is None and tokenizer.eos_id == 100_257
    assert load_tokenizer("cl100k_base").fingerprint == tokenizer.fingerprint
    ids, counts = encode_texts(tokenizer, pa.array(TRICKY_TEXTS), add_bos=False, add_eos=True)
    assert ids.type.value_type == pa.uint32()
    for text, row in zip(TRICKY_TEXTS, ids.to_pylist()):
        assert tokenizer.decode(strip_specials(row, None, tokenizer.eos_id)) == text
    assert max(max(row) for row in ids.to_pylist()) > 65_535  # would not fit uint16


# -- dtypes and fingerprints --------------------------------------------------------------------


def test_token_dtype_boundary() -> None:
    assert token_dtype(50_280) == pa.uint16()
    assert token_dtype(65_536) == pa.uint16()  # ids 0..65535
    assert token_dtype(65_537) == pa.uint32()
    assert token_dtype(100_277) == pa.uint32()


def test_dtypes_of_the_shared_tokenizers(gpt_neo: str, llama: str, tiktoken_cache: Path) -> None:
    for spec, dtype in ((gpt_neo, pa.uint16()), (llama, pa.uint16()), ("tiktoken:cl100k_base", pa.uint32())):
        tokenizer = load_tokenizer(spec)
        ids, _ = encode_texts(tokenizer, pa.array(["dtype check"]), add_bos=False, add_eos=True)
        assert ids.type.value_type == dtype == token_dtype(tokenizer.vocab_size), spec


def test_fingerprints_stable_and_distinct(gpt_neo: str, llama: str, tiktoken_cache: Path) -> None:
    """A fingerprint is the same on every load and differs between tokenizers."""
    specs = [gpt_neo, llama, "tiktoken:cl100k_base", "tiktoken:o200k_base", "tiktoken:p50k_base"]
    first = [load_tokenizer(s).fingerprint for s in specs]
    again = [load_tokenizer(s).fingerprint for s in specs]
    assert first == again
    assert all(f.startswith("sha256:") and len(f) == len("sha256:") + 64 for f in first)
    assert len(set(first)) == len(specs)


def test_fingerprint_follows_the_file_not_its_name(gpt_neo: str, tmp_path: Path) -> None:
    """A copy of tokenizer.json elsewhere has the same fingerprint."""
    copy = tmp_path / "renamed.json"
    copy.write_bytes(Path(gpt_neo).read_bytes())
    assert load_tokenizer(str(copy)).fingerprint == load_tokenizer(gpt_neo).fingerprint


# -- errors -----------------------------------------------------------------------------------


def test_missing_tokenizer_file_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "tokenizer.json"
    with pytest.raises(FileNotFoundError) as info:
        load_tokenizer(str(missing))
    message = str(info.value)
    assert str(missing) in message and "\n" not in message
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Tokenize(tokenizer=str(missing)).validate()


def test_unknown_tiktoken_encoding_one_line_error(tiktoken_cache: Path) -> None:
    with pytest.raises(ValueError) as info:
        load_tokenizer("tiktoken:no_such_encoding")
    assert "no_such_encoding" in str(info.value) and "\n" not in str(info.value)


def test_token_ids_fit_the_dtype(gpt_neo: str) -> None:
    """The largest ids (gpt-neo's added tokens near 50,279) survive the uint16 cast."""
    tokenizer = load_tokenizer(gpt_neo)
    ids, _ = encode_texts(tokenizer, pa.array([" " * 24 + "x"]), add_bos=False, add_eos=True)
    flat = np.asarray(ids.values)
    assert flat.max() == tokenizer.eos_id
    assert flat.dtype == np.uint16
