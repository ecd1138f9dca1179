"""Helpers of the tokenization tests: small Parquet corpora and reading shards back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized

GPT_NEO = Path("models") / "hf-tokenizers" / "gpt-neo-test-tokenizer.json"
LLAMA = Path("models") / "hf-tokenizers" / "llama-test-tokenizer.json"
TIKTOKEN_CACHE = Path("models") / "tiktoken_cache"
BOOKS = {
    "nowhere": Path("books") / "pg3261-news-from-nowhere" / "3261.txt",
    "nowhere-old": Path("books") / "pg3261-news-from-nowhere" / "old-nwsnw10.txt",
    "dictionary": Path("books") / "pg972-devils-dictionary" / "972.txt",
    "dictionary-old": Path("books") / "pg972-devils-dictionary" / "old-dvldc10.txt",
}

# Text a byte-level BPE must give back unchanged: accents and combining marks, CJK, emoji
# (skin tones, ZWJ sequences, flags), right-to-left and Indic scripts, whitespace runs
# longer than the tokenizer's whitespace tokens, CRLF, control characters, astral planes,
# and the literal text of one of gpt-neo's non-special added tokens.
TRICKY_TEXTS: tuple[str, ...] = (
    "Plain ASCII sentence, with punctuation: (yes!) 3.14 -- 'quoted' \"double\".",
    "Gr\u00fc\u00dfe, na\u00efve caf\u00e9, \u00c5ngstr\u00f6m, \ufb01 ligature, e\u0301 combining acute",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u4e2d\u6587\u6587\u672c\uff0c\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "emoji \U0001f389\U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 "
    "\U0001f3f3\ufe0f\u200d\U0001f308 flags \U0001f1eb\U0001f1f7\U0001f1ef\U0001f1f5",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u05e2\u05d1\u05e8\u05d9\u05ea "
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0e44\u0e17\u0e22",
    "whitespace   runs\t\t\tand\n\n\n\nnewlines" + " " * 40 + "end" + "\n" * 30,
    "          leading and trailing          ",
    "\r\nwindows\r\nline endings\r\n",
    "   ",
    "\n",
    "control \x00 \x01 \x1b[0m \x7f, zero width \u200b, BOM \ufeff, NBSP \u00a0, soft\u00adhyphen",
    "math \U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 \u2211\u222b\u221a, music \U0001d11e",
    "|||IP_ADDRESS||| and |||EMAIL_ADDRESS||| as literal text",
    "x" * 5000,
    "a",
)


def book_text(shared_data: Path, name: str) -> str:
    """The text of one of the shared Gutenberg books (see :data:`BOOKS`)."""
    return (shared_data / BOOKS[name]).read_text(encoding="utf-8")


def paragraphs(text: str) -> list[str]:
    """The non-blank paragraphs (blocks between blank lines) of ``text``."""
    return [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def write_docs(path: Path, ids: Sequence[str], texts: Sequence[str | None], row_group_size: int | None = None) -> Path:
    """Write an input Parquet file with ``id`` and ``text`` columns; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({"id": pa.array(list(ids), pa.string()), "text": pa.array(list(texts), pa.string())})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def read_manifest(out: Path) -> dict[str, Any]:
    """``out/manifest.json``."""
    return json.loads((out / "manifest.json").read_text())


def read_shards(out: Path) -> pa.Table:
    """Every shard listed in the manifest, concatenated in manifest order."""
    manifest = read_manifest(out)
    return pa.concat_tables([pq.read_table(out / s["path"]) for s in manifest["shards"]])


def strip_specials(ids: Sequence[int], bos: int | None, eos: int | None) -> list[int]:
    """``ids`` without one leading ``bos`` and one trailing ``eos`` (when given)."""
    ids = list(ids)
    if bos is not None:
        assert ids and ids[0] == bos, f"document does not start with BOS {bos}: {ids[:5]}"
        ids = ids[1:]
    if eos is not None:
        assert ids and ids[-1] == eos, f"document does not end with EOS {eos}: {ids[-5:]}"
        ids = ids[:-1]
    return ids


def word_windows(text: str, words: int) -> list[str]:
    """``text`` cut into documents of ``words`` whitespace-separated words (the last shorter)."""
    tokens = text.split()
    return [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


@dataclass
class Corpus:
    """Input Parquet files of one source and the documents they hold, in file order."""

    files: list[Path]
    ids: list[str]
    texts: list[str]
    file_of: dict[str, int]  # id -> index of its file in ``files``

    @property
    def by_id(self) -> dict[str, str]:
        """id -> text."""
        return dict(zip(self.ids, self.texts))


def make_corpus(root: Path, parts: dict[str, list[str]], row_group_size: int | None = None) -> Corpus:
    """One Parquet file per entry of ``parts`` (file stem -> texts), ids ``stem-row``."""
    files, ids, texts, file_of = [], [], [], {}
    for index, (stem, docs) in enumerate(parts.items()):
        names = [f"{stem}-{row}" for row in range(len(docs))]
        files.append(write_docs(root / f"{stem}.parquet", names, docs, row_group_size))
        ids += names
        texts += docs
        file_of.update(dict.fromkeys(names, index))
    return Corpus(files, ids, texts, file_of)


@dataclass
class Tokenized:
    """A ``write_tokenized`` output directory and the manifest it returned."""

    out: Path
    manifest: dict
    settings: TokenizedSettings


BOOKS_SETTINGS = {"shard_tokens": 40_000, "row_group_tokens": 4_000, "seed": 3}


def tokenize_books(books: Corpus, out: Path, tokenizer: str, **overrides: object) -> Tokenized:
    """``write_tokenized`` of the book corpus as one source ``books`` (small shards)."""
    settings = TokenizedSettings(tokenizer=tokenizer, **{**BOOKS_SETTINGS, **overrides})
    manifest = write_tokenized([Source("books", [str(f) for f in books.files])], str(out), settings)
    return Tokenized(out, manifest, settings)
