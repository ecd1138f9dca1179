"""curate's heuristic filters decide like datatrove's on real documents (>= 99 %).

Documents: the Common Crawl samples in ``$CURATE_SHARED_DATA/warc/cc-documents`` (JSONL)
and the 181 news / blog pages of the article-extraction benchmark, extracted here with
resiliparse (fast; it keeps navigation lines, which exercises the line rules).  Skips when
the shared data, datatrove or spaCy are missing.

Known, documented disagreement classes (see benchmarks/README.md, "Quality filters vs
datatrove"): per-language stop words and per-character CJK word counts (curate's
multilingual defaults; these documents are English), and Gopher's duplicated n-grams, where
datatrove compares words joined without spaces.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from curate.registry import get_stage_class
from curate.stage import run_stage

datatrove = pytest.importorskip("datatrove", reason="parity with datatrove needs datatrove")
pytest.importorskip("spacy", reason="datatrove's word splitting needs spaCy")

FILTERS = ("gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality")
MIN_AGREEMENT = 0.99


def _read_jsonl(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line).get("text") or "" for line in handle if line.strip()]


@pytest.fixture(scope="module")
def documents(shared_data: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted((shared_data / "warc" / "cc-documents").glob("*.jsonl*")):
        texts.extend(_read_jsonl(path))
    pages = sorted((shared_data / "html-extraction" / "article-extraction-benchmark" / "html").glob("*.html*"))
    if pages:
        from curate.stages.extract import ExtractHtml

        extract = ExtractHtml(engine="resiliparse")
        for page in pages:
            data = page.read_bytes()
            if page.suffix == ".gz":
                data = gzip.decompress(data)
            text, _ = extract.extract_one(data)
            if text:
                texts.append(text)
    if len(texts) < 50:
        pytest.skip(f"only {len(texts)} documents found under {shared_data}")
    return texts


@pytest.fixture(scope="module")
def memoized_datatrove_words() -> Any:
    """datatrove's own word splitter, memoized: each filter splits the same documents."""
    from datatrove.pipeline.filters import (
        fineweb_quality_filter,
        gopher_quality_filter,
        gopher_repetition_filter,
    )
    from datatrove.utils.text import split_into_words

    cache: dict[tuple[str, str], list[str]] = {}

    def split(text: str, language: str = "en") -> list[str]:
        key = (text, language)
        if key not in cache:
            cache[key] = split_into_words(text, language)
        return list(cache[key])

    modules = (gopher_quality_filter, gopher_repetition_filter, fineweb_quality_filter)
    saved = [m.split_into_words for m in modules]
    for module in modules:
        module.split_into_words = split
    yield
    for module, original in zip(modules, saved):
        module.split_into_words = original


def _datatrove(name: str) -> Any:
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return {
        "gopher_quality": GopherQualityFilter,
        "gopher_repetition": GopherRepetitionFilter,
        "c4_quality": C4QualityFilter,
        "fineweb_quality": FineWebQualityFilter,
    }[name]()


@pytest.mark.parametrize("name", FILTERS)
def test_decisions_agree_with_datatrove(
    name: str, documents: list[str], memoized_datatrove_words: Any
) -> None:
    from datatrove.data import Document

    reference = _datatrove(name)
    docs = [Document(text=text, id=str(i)) for i, text in enumerate(documents)]
    reference_kept = []
    for doc in docs:
        result = reference.filter(doc)
        reference_kept.append(result is True or (isinstance(result, tuple) and bool(result[0])))

    table = pa.table({"id": [str(i) for i in range(len(documents))], "text": documents})
    out, _ = run_stage(get_stage_class(name)(), table)
    kept = [reason is None for reason in out["_reason"].to_pylist()]
    agree = sum(a == b for a, b in zip(kept, reference_kept)) / len(documents)
    assert agree >= MIN_AGREEMENT, f"{name}: {agree:.2%} agreement on {len(documents)} documents"
    # both keep some and drop some: the comparison means something
    assert 0 < sum(reference_kept) < len(documents)

    if name == "c4_quality":  # the cleaned text of documents both keep
        texts = out["text"].to_pylist()
        both = [i for i in range(len(docs)) if kept[i] and reference_kept[i]]
        same = sum(texts[i] == docs[i].text for i in both)
        assert same >= MIN_AGREEMENT * len(both)
