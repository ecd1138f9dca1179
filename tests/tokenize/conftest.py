"""Fixtures of the tokenization tests: shared tokenizers, book corpora, one tokenized output.

Everything reads the shared data through the ``shared_data`` fixture (skipped when
``CURATE_SHARED_DATA`` is unset).  The corpora are Gutenberg books cut into paragraphs and
written as small Parquet files, once per session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import curate.tokenize.shards
import curate.tokenize.stage
from curate.tokenize.tokenizer import Tokenizer, load_tokenizer
from tests.tokenize.helpers import (
    GPT_NEO,
    LLAMA,
    TIKTOKEN_CACHE,
    Corpus,
    Tokenized,
    book_text,
    make_corpus,
    paragraphs,
    tokenize_books,
)


@pytest.fixture(scope="session", autouse=True)
def _load_each_tokenizer_once() -> Iterator[None]:
    """Inside ``write_tokenized`` and the ``tokenize`` stage, load each tokenizer once per
    session instead of once per call and per input-file task.

    Loading the shared HF tokenizer takes 0.3-0.9 s (it is parsed twice: with and without
    its special tokens); the tests call ``write_tokenized`` about 25 times with several
    input files each, which otherwise makes loading most of this folder's run time.  Tests
    of loading itself call :func:`curate.tokenize.tokenizer.load_tokenizer` directly, which
    is not cached; a failed load is not cached either.
    """
    loaded: dict[tuple[str, str | None], Tokenizer] = {}

    def cached(spec: str) -> Tokenizer:
        key = (spec, os.environ.get("TIKTOKEN_CACHE_DIR"))
        if key not in loaded:
            loaded[key] = load_tokenizer(spec)
        return loaded[key]

    patch = pytest.MonkeyPatch()
    patch.setattr(curate.tokenize.shards, "load_tokenizer", cached)
    patch.setattr(curate.tokenize.stage, "load_tokenizer", cached)
    yield
    patch.undo()


def _shared_file(shared_data: Path, relative: Path) -> Path:
    path = shared_data / relative
    if not path.exists():
        pytest.skip(f"{path} is missing from the shared data")
    return path


@pytest.fixture(scope="session")
def gpt_neo(shared_data: Path) -> str:
    """The byte-level BPE test tokenizer (vocab 50,280, EOS only)."""
    return str(_shared_file(shared_data, GPT_NEO))


@pytest.fixture(scope="session")
def llama(shared_data: Path) -> str:
    """The llama test tokenizer (vocab 32,003, BOS <s>=1, EOS </s>=2)."""
    return str(_shared_file(shared_data, LLAMA))


@pytest.fixture
def tiktoken_cache(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``TIKTOKEN_CACHE_DIR`` set to the shared offline cache (cl100k, o200k, p50k)."""
    pytest.importorskip("tiktoken")
    path = _shared_file(shared_data, TIKTOKEN_CACHE)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def books(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Four input files of book paragraphs, each book in two halves (about 3,000 documents,
    0.2 M gpt-neo tokens)."""
    parts = {}
    for name in ("nowhere", "dictionary"):
        docs = paragraphs(book_text(shared_data, name))
        half = len(docs) // 2
        parts[f"{name}-a"], parts[f"{name}-b"] = docs[:half], docs[half:]
    return make_corpus(tmp_path_factory.mktemp("books-input"), parts, row_group_size=500)


@pytest.fixture(scope="session")
def books_tokenized(books: Corpus, gpt_neo: str, tmp_path_factory: pytest.TempPathFactory) -> Tokenized:
    """The book corpus tokenized with gpt-neo into several shards of several row groups."""
    return tokenize_books(books, tmp_path_factory.mktemp("books-tokenized"), gpt_neo)
