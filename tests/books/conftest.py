"""Fixtures for the book tests: the shared Project Gutenberg books and Moby-Dick EPUB."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def books(shared_data: Path) -> Path:
    """``shared/data/books``: two PG books (old and current plain text, HTML, RDF) and an EPUB."""
    path = shared_data / "books"
    if not path.is_dir():
        pytest.skip(f"{path} is missing")
    return path


@pytest.fixture(scope="session")
def devils(books: Path) -> Path:
    return books / "pg972-devils-dictionary"


@pytest.fixture(scope="session")
def nowhere(books: Path) -> Path:
    return books / "pg3261-news-from-nowhere"


@pytest.fixture(scope="session")
def moby(books: Path) -> Path:
    return books / "epub" / "moby-dick.epub"
