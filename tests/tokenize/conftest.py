"""Fixtures of the tokenization tests: shared tokenizers, book corpora, one tokenized output.

Everything reads the shared data through the ``shared_data`` fixture (skipped when
``CURATE_SHARED_DATA`` is unset).  The corpora are Gutenberg books cut into paragraphs and
written as small Parquet files, once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
