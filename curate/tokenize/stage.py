"""``tokenize``: text -> ``input_ids`` (and ``num_tokens``), batch-encoded in Rust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Stage, mark_dropped
from curate.tokenize.tokenizer import Tokenizer, ids_to_arrow, load_tokenizer, token_dtype


def encode_texts(tokenizer: Tokenizer, texts: pa.Array | pa.ChunkedArray, add_bos: bool, add_eos: bool) -> tuple[pa.Array, pa.Array]:
    """``(input_ids, num_tokens)`` of a batch of texts (nulls are empty documents)."""
    return finish_encoding(tokenizer, start_encoding(tokenizer, texts), add_bos, add_eos)


def start_encoding(tokenizer: Tokenizer, texts: pa.Array | pa.ChunkedArray) -> Any:
    """The Rust half of :func:`encode_texts` (runs without the GIL)."""
    return tokenizer.encode_batch_raw(pc.fill_null(texts, "").to_pylist())


def finish_encoding(tokenizer: Tokenizer, raw: Any, add_bos: bool, add_eos: bool) -> tuple[pa.Array, pa.Array]:
    """The Python half of :func:`encode_texts`: ids to Arrow, with BOS / EOS."""
    bos = tokenizer.bos_id if add_bos else None
    eos = tokenizer.eos_id if add_eos else None
    array, lengths = ids_to_arrow(tokenizer.ids_of(raw), token_dtype(tokenizer.vocab_size), bos, eos)
    return array, pa.array(lengths.astype("int32"))


@register
@dataclass(kw_only=True)
class Tokenize(Stage):
    """Tokenize ``text`` into ``input_ids`` (smallest unsigned type for the vocabulary).

    ``tokenizer``: a ``tokenizer.json`` path, ``tiktoken:NAME`` or a Hugging Face Hub
    name (see :mod:`curate.tokenize.tokenizer`).  ``add_bos`` / ``add_eos`` add the
    tokenizer's BOS / EOS ids around each document (``add_bos: null`` adds BOS when the
    tokenizer has one).  Drops: documents with no tokens (``empty_document``).
    """

    name: ClassVar[str] = "tokenize"
    stateful: ClassVar[bool] = True

    tokenizer: str
    add_bos: bool | None = None
    add_eos: bool = True
    keep_text: bool = True

    def validate(self) -> None:
        super().validate()
        load_tokenizer(self.tokenizer)  # fails fast on a bad name or a missing file

    def setup(self) -> None:
        self._tokenizer = load_tokenizer(self.tokenizer)

    def process(self, table: pa.Table) -> pa.Table:
        tokenizer = self._tokenizer
        add_bos = (tokenizer.bos_id is not None) if self.add_bos is None else self.add_bos
        if add_bos and tokenizer.bos_id is None:
            raise ValueError(f"tokenize: {tokenizer.name} has no BOS token; set add_bos: false")
        if self.add_eos and tokenizer.eos_id is None:
            raise ValueError(f"tokenize: {tokenizer.name} has no EOS token; set add_eos: false")
        input_ids, num_tokens = encode_texts(tokenizer, table[TEXT], add_bos, self.add_eos)
        table = table.append_column("input_ids", input_ids).append_column("num_tokens", num_tokens)
        if not self.keep_text:
            table = table.drop_columns([TEXT])
        empty = pc.equal(pc.utf8_length(pc.fill_null(table[TEXT], "")) if self.keep_text else num_tokens, 0)
        return mark_dropped(table, pc.if_else(empty, pa.scalar("empty_document"), pa.scalar(None, pa.string())))
