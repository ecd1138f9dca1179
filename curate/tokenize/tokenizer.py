"""One interface over HF ``tokenizers`` and OpenAI ``tiktoken`` encodings.

A tokenizer is named by a string:

* a path (or fsspec URL) to a ``tokenizer.json`` (HF ``tokenizers``), e.g.
  ``../shared/data/models/hf-tokenizers/gpt-neo-test-tokenizer.json``;
* ``tiktoken:NAME`` or a bare tiktoken encoding name (``cl100k_base``, ``o200k_base``,
  ``p50k_base``, ...); offline, set ``TIKTOKEN_CACHE_DIR`` to a folder of cached BPE files;
* any other name is a Hugging Face Hub repository (``gpt2``, ``meta-llama/...``), loaded
  with ``Tokenizer.from_pretrained`` (needs the network or the HF cache).

Encoding works on whole batches so the Rust side (both libraries) does the work, in
parallel threads.  The result is Arrow: a flat token array and offsets, never a Python
list per document kept around.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa

from curate.stage import require


def token_dtype(vocab_size: int) -> pa.DataType:
    """The smallest unsigned integer type that holds every token id."""
    if vocab_size <= 1 << 16:
        return pa.uint16()
    return pa.uint32()


@dataclass
class Tokenizer:
    """A loaded tokenizer: batch encoding, decoding and what the manifest records."""

    name: str
    kind: str  # "hf" or "tiktoken"
    backend: Any
    vocab_size: int
    bos_id: int | None = None
    eos_id: int | None = None
    pad_id: int | None = None
    fingerprint: str = ""
    special_tokens: dict[str, int] = field(default_factory=dict)

    def encode_batch(self, texts: list[str], threads: int | None = None) -> list[list[int]]:
        """Token ids of each text, without special tokens."""
        return self.ids_of(self.encode_batch_raw(texts, threads))

    def encode_batch_raw(self, texts: list[str], threads: int | None = None) -> Any:
        """The library's own batch result (the Rust part of encoding, without the GIL);
        :meth:`ids_of` turns it into id lists.  Split so a caller can encode the next batch
        while it converts this one."""
        if self.kind == "hf":
            # encode_batch_fast (tokenizers >= 0.20) skips the character offsets, which
            # nothing here needs: about 1.6x the tokens per CPU-second of encode_batch.
            encode = getattr(self.backend, "encode_batch_fast", self.backend.encode_batch)
            return encode(texts, add_special_tokens=False)
        return self.backend.encode_ordinary_batch(texts, num_threads=threads or os.cpu_count() or 1)

    def ids_of(self, raw: Any) -> list[list[int]]:
        return [e.ids for e in raw] if self.kind == "hf" else raw

    def decode(self, ids: Any) -> str:
        ids = [int(i) for i in ids]
        if self.kind == "hf":
            return self.backend.decode(ids, skip_special_tokens=False)
        return self.backend.decode(ids)

    def info(self) -> dict[str, Any]:
        """What ``manifest.json`` records about the tokenizer."""
        return {
            "name": self.name, "kind": self.kind, "fingerprint": self.fingerprint,
            "vocab_size": self.vocab_size, "bos_id": self.bos_id, "eos_id": self.eos_id,
            "pad_id": self.pad_id, "special_tokens": self.special_tokens,
        }


_HF_BOS = ("<s>", "<|begin_of_text|>", "<bos>", "[CLS]")
_HF_EOS = ("</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "[SEP]")
_HF_PAD = ("<pad>", "<|pad|>", "<|padding|>", "[PAD]")


def _first_id(backend: Any, names: tuple[str, ...]) -> int | None:
    for name in names:
        token_id = backend.token_to_id(name)
        if token_id is not None:
            return int(token_id)
    return None


def _pad_id(backend: Any) -> int | None:
    """The padding the tokenizer.json configures, else a conventional pad token."""
    padding = backend.padding
    if padding and padding.get("pad_id") is not None and padding.get("pad_token"):
        return int(padding["pad_id"])
    return _first_id(backend, _HF_PAD)


_LOADED: dict[tuple[str, str | None], Tokenizer] = {}


def load_tokenizer(spec: str) -> Tokenizer:
    """Load a tokenizer by path, ``tiktoken:NAME`` or hub name (see the module docstring).

    Loaded once per process (every task of a run asks for the same one); a failed load
    is not remembered.
    """
    key = (spec, os.environ.get("TIKTOKEN_CACHE_DIR"))
    if key not in _LOADED:
        _LOADED[key] = _load(spec)
    return _LOADED[key]


def _load(spec: str) -> Tokenizer:
    if spec.startswith("tiktoken:") or _is_tiktoken_name(spec):
        return _load_tiktoken(spec.removeprefix("tiktoken:"))
    tokenizers = require("tokenizers", package="tokenizers")
    if spec.endswith(".json") or os.path.exists(spec) or "://" in spec:
        import fsspec

        try:
            with fsspec.open(spec, "r") as f:
                text = f.read()
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"tokenizer file {spec} does not exist") from exc
        backend = tokenizers.Tokenizer.from_str(text)
        name = spec.rstrip("/").rsplit("/", 1)[-1]
    else:
        try:
            backend = tokenizers.Tokenizer.from_pretrained(spec)
        except Exception as exc:  # offline, unknown repo, gated model
            raise ValueError(
                f"cannot load tokenizer {spec!r} from the Hugging Face Hub ({_one_line(exc)}); "
                "give a tokenizer.json path, or tiktoken:NAME"
            ) from exc
        name = spec
    # Text such as "<|endoftext|>" or "<s>" inside a document is encoded as text, never as
    # the special id (tiktoken's encode_ordinary does the same).
    backend.encode_special_tokens = True
    vocab = backend.get_vocab(with_added_tokens=True)
    fingerprint = "sha256:" + hashlib.sha256(json.dumps(sorted(vocab.items()), ensure_ascii=False).encode()).hexdigest()
    specials = {t.content: int(i) for i, t in backend.get_added_tokens_decoder().items() if t.special}
    return Tokenizer(
        name=name, kind="hf", backend=backend, vocab_size=max(backend.get_vocab_size(with_added_tokens=True), max(vocab.values(), default=-1) + 1),
        bos_id=_first_id(backend, _HF_BOS), eos_id=_first_id(backend, _HF_EOS), pad_id=_pad_id(backend),
        fingerprint=fingerprint, special_tokens=specials,
    )


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _is_tiktoken_name(spec: str) -> bool:
    if "/" in spec or spec.endswith(".json"):
        return False
    try:
        import tiktoken
    except ImportError:
        return False
    return spec in tiktoken.list_encoding_names()


def _load_tiktoken(name: str) -> Tokenizer:
    tiktoken = require("tiktoken", package="tiktoken")
    try:
        backend = tiktoken.get_encoding(name)
    except Exception as exc:
        raise ValueError(
            f"cannot load tiktoken encoding {name!r} ({_one_line(exc)}); offline, set TIKTOKEN_CACHE_DIR "
            "to a folder with its cached BPE file"
        ) from exc
    ranks = backend._mergeable_ranks  # the vocabulary: bytes -> rank
    digest = hashlib.sha256()
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        digest.update(rank.to_bytes(4, "little") + token)
    specials = dict(backend._special_tokens)
    eos = specials.get("<|endoftext|>", getattr(backend, "eot_token", None))
    return Tokenizer(
        name=f"tiktoken:{name}", kind="tiktoken", backend=backend, vocab_size=int(backend.n_vocab),
        bos_id=specials.get("<|begin_of_text|>"), eos_id=eos, pad_id=None,
        fingerprint="sha256:" + digest.hexdigest(), special_tokens=specials,
    )


def ids_to_arrow(ids: list[list[int]], dtype: pa.DataType, bos: int | None = None, eos: int | None = None) -> tuple[pa.ListArray, np.ndarray]:
    """``input_ids`` as an Arrow list array of ``dtype`` with BOS/EOS added, and the
    token count of each document."""
    # np.fromiter over the chained lists is about 1.7x faster than pa.array(list of lists).
    lengths = np.fromiter(map(len, ids), np.int64, count=len(ids))
    flat = np.fromiter(chain.from_iterable(ids), np.int64, count=int(lengths.sum()))
    extra = (bos is not None) + (eos is not None)
    if extra:
        counts = lengths + extra
        offsets = np.zeros(len(ids) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        out = np.empty(int(offsets[-1]), np.int64)
        src_offsets = np.zeros(len(ids) + 1, np.int64)
        np.cumsum(lengths, out=src_offsets[1:])
        start = offsets[:-1] + (1 if bos is not None else 0)
        # scatter each document's tokens after its BOS
        position = np.repeat(start - src_offsets[:-1], lengths) + np.arange(len(flat))
        out[position] = flat
        if bos is not None:
            out[offsets[:-1]] = bos
        if eos is not None:
            out[offsets[1:] - 1] = eos
        flat, lengths = out, counts
    offsets = np.zeros(len(ids) + 1, np.int32 if len(flat) < 2**31 else np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = pa.array(flat.astype(dtype.to_pandas_dtype(), copy=False), dtype)
    list_type = pa.list_(dtype) if offsets.dtype == np.int32 else pa.large_list(dtype)
    array = pa.ListArray.from_arrays(pa.array(offsets), values, type=list_type) if offsets.dtype == np.int32 else pa.LargeListArray.from_arrays(pa.array(offsets), values, type=list_type)
    return array, lengths
