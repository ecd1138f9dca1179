"""A planted decontamination corpus built from real text (for tests and the benchmark).

Benchmarks (JSONL, one record per item) come from real text of ``$CURATE_SHARED_DATA``:

- ``qa``: MMLU-like items: ``question`` = a paragraph of the wcxb pages' ground-truth main
  text (20-70 words), ``choices`` = four short phrases cut from other paragraphs,
  ``answer`` = a letter;
- ``short``: English lingua sentences of 8-12 words (matched whole: fewer than 13 words but
  at least ``min_ngram``) and a few of 4-6 words (``too_short``: never indexed);
- ``de``: German lingua sentences of at least 16 words (``question``) with a short German
  sentence as ``answer``;
- ``cjk``: Chinese and Japanese lingua sentences (each Han / kana character is a word).

Documents are runs of paragraphs of other real text: the article-extraction benchmark's
ground-truth articles, the DCLM quality-label documents, the cc-documents samples, the two
Gutenberg books (both editions) cut into pages, and lingua sentences of every language
grouped into paragraphs (the lingua sentences used by the benchmarks are left out).  Any
pool paragraph that already shares a benchmark n-gram (checked here with an independent
regex tokenizer) is left out, so a document is contaminated only by what was planted.

Plants, each in its own paragraph(s) at a random paragraph boundary of the document:

- ``exact``: a whole benchmark item (its fields' text, one per line, as the stage joins them);
- ``partial``: a contiguous run of 13-25 words of an item (for ``short``: the whole item);
- ``near``: a paraphrase-level copy of an English or German item: one word changed (deleted,
  replaced or swapped with its neighbour) in every ~8 words, some casing and punctuation
  changed;
- ``too_short``: a ``short`` item of fewer than ``min_ngram`` words (must not be matched);
- the rest are ``clean``.

:func:`build_corpus` writes the benchmark files and returns the documents and labels;
:func:`write_jsonl`, :func:`write_parquet` and :func:`write_warc` write the documents (the
WARC holds each document as an HTML page with navigation and a footer around an
``<article>`` of ``<p>`` paragraphs, so the planted text survives ``extract_html``).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

NGRAM = 13
MIN_NGRAM = 8
KINDS = ("exact", "partial", "near", "too_short", "clean")

# Independent of curate's kernel: letters/digits runs, every Han / kana character a word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def words(text: str) -> list[str]:
    """Normalised words (lower case; punctuation and spacing dropped; CJK characters alone)."""
    return _WORD.findall(text.lower())


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the words of :func:`words`."""
    return [m.span() for m in _WORD.finditer(text)]


@dataclass
class Label:
    """What was planted in one document."""

    id: str
    kind: str
    benchmark: str | None = None
    item: str | None = None
    planted: str | None = None


@dataclass
class Corpus:
    """Benchmark files, documents and their labels."""

    folder: Path
    benchmark_files: dict[str, Path]
    fields: dict[str, list[str]]
    items: dict[str, list[dict[str, Any]]]
    documents: list[dict[str, str]]
    labels: dict[str, Label] = field(default_factory=dict)

    def specs(self) -> list[dict[str, Any]]:
        """The ``benchmarks:`` setting of the decontaminate stage for these files."""
        return [{"name": n, "path": str(p), "fields": self.fields[n], "id_field": "id"} for n, p in self.benchmark_files.items()]

    def cli_specs(self) -> list[str]:
        """The same as ``NAME=PATH#FIELDS`` strings (the command line; items named by position)."""
        return [f"{n}={p}#{','.join(self.fields[n])}" for n, p in self.benchmark_files.items()]

    def ids_of(self, kind: str) -> set[str]:
        return {d for d, label in self.labels.items() if label.kind == kind}


# -- real text -----------------------------------------------------------------------------
def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n", text) if p.strip()]


def _book_paragraphs(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def _jsonl_texts(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        return [json.loads(line).get("text") or "" for line in f if line.strip()]


def _lingua(shared: Path, lang: str) -> list[str]:
    return [s.strip() for s in (shared / "langid" / "lingua-sentences" / f"{lang}.txt").read_text(encoding="utf-8").splitlines() if s.strip()]


def _document_sources(shared: Path, used_lingua: set[str]) -> list[list[str]]:
    """Real texts as lists of paragraphs (no wcxb text: the ``qa`` benchmark comes from it)."""
    sources: list[list[str]] = []
    truth = json.loads((shared / "html-extraction" / "article-extraction-benchmark" / "ground-truth.json").read_text())
    sources += [_paragraphs(v.get("articleBody") or "") for _, v in sorted(truth.items())]
    for name in ("dclm-majority_data.jsonl", "dclm-agreement_data.jsonl"):
        sources += [_paragraphs(t) for t in _jsonl_texts(shared / "quality-labels" / name)]
    for path in sorted((shared / "warc" / "cc-documents").glob("*.json*")):
        sources += [_paragraphs(t) for t in _jsonl_texts(path)]
    for book in ("pg3261-news-from-nowhere/3261.txt", "pg3261-news-from-nowhere/old-nwsnw10.txt",
                 "pg972-devils-dictionary/972.txt", "pg972-devils-dictionary/old-dvldc10.txt"):
        sources.append(_book_paragraphs(shared / "books" / book))
    for path in sorted((shared / "langid" / "lingua-sentences").glob("*.txt")):
        sentences = [s for s in _lingua(shared, path.stem) if s not in used_lingua]
        paragraphs = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
        sources.append(paragraphs)
    return [s for s in sources if s]


# -- benchmarks ----------------------------------------------------------------------------
def _make_benchmarks(shared: Path, rng: random.Random, qa_items: int = 400) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    truth = json.loads((shared / "html-extraction" / "wcxb" / "ground-truth.json").read_text())
    paragraphs: list[str] = []
    for _, value in sorted(truth.items()):
        paragraphs += _paragraphs(value.get("articleBody") or "")
    seen: set[str] = set()
    unique = [p for p in paragraphs if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    questions = [p for p in unique if 20 <= len(words(p)) <= 70]
    question_set = set(questions)
    phrases_from = [p for p in unique if len(words(p)) >= 8 and p not in question_set]
    rng.shuffle(questions)
    qa = []
    for i, q in enumerate(questions[:qa_items]):
        choices = []
        for _ in range(4):
            ws = rng.choice(phrases_from).split()
            start = rng.randrange(max(1, len(ws) - 5))
            choices.append(" ".join(ws[start : start + rng.randint(3, 5)]))
        qa.append({"id": f"qa-{i:04d}", "question": q, "choices": choices, "answer": "ABCD"[rng.randrange(4)]})
    en = _lingua(shared, "en")
    rng.shuffle(en)
    short_ok = [s for s in en if MIN_NGRAM <= len(words(s)) < NGRAM][:150]
    too_short = [s for s in en if 4 <= len(words(s)) < MIN_NGRAM - 1][:30]
    short = [{"id": f"short-{i:04d}", "question": s} for i, s in enumerate(short_ok)]
    short += [{"id": f"tooshort-{i:04d}", "question": s} for i, s in enumerate(too_short)]
    de = _lingua(shared, "de")
    rng.shuffle(de)
    de_long = [s for s in de if len(words(s)) >= 16][:80]
    de_short = [s for s in de if 3 <= len(words(s)) <= 6]
    de_items = [{"id": f"de-{i:04d}", "question": s, "answer": de_short[i % len(de_short)]} for i, s in enumerate(de_long)]
    cjk_items = []
    for lang in ("zh", "ja"):
        sentences = [s for s in _lingua(shared, lang) if len(words(s)) >= 20]
        rng.shuffle(sentences)
        cjk_items += [{"id": f"{lang}-{i:04d}", "question": s} for i, s in enumerate(sentences[:60])]
    used = set(short_ok) | set(too_short) | set(de_long) | set(de_short[: len(de_long)]) | {i["question"] for i in cjk_items}
    return {"qa": qa, "short": short, "de": de_items, "cjk": cjk_items}, used


FIELDS = {"qa": ["question", "choices", "answer"], "short": ["question"], "de": ["question", "answer"], "cjk": ["question"]}


def item_text(record: dict[str, Any], fields: list[str]) -> str:
    """An item's text as the stage joins it: the fields' values, lists flattened, one per line."""
    out: list[str] = []
    for f in fields:
        value = record[f]
        out += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return "\n".join(out)


class _Ngrams:
    """The benchmarks' n-grams (13 words, short items whole) in plain Python."""

    def __init__(self, texts: list[str]) -> None:
        self.grams: set[tuple[str, ...]] = set()
        self.widths: set[int] = set()
        for text in texts:
            ws = words(text)
            width = NGRAM if len(ws) >= NGRAM else len(ws) if len(ws) >= MIN_NGRAM else 0
            if width:
                self.widths.add(width)
                self.grams.update(tuple(ws[i : i + width]) for i in range(len(ws) - width + 1))

    def hits(self, text: str) -> bool:
        ws = words(text)
        return any(tuple(ws[i : i + w]) in self.grams for w in self.widths for i in range(len(ws) - w + 1))


# -- plants --------------------------------------------------------------------------------
def _partial(text: str, rng: random.Random, benchmark: str) -> str:
    if benchmark == "short":
        return text
    spans = word_spans(text)
    length = min(len(spans), rng.randint(NGRAM, 25))
    start = rng.randrange(len(spans) - length + 1)
    return text[spans[start][0] : spans[start + length - 1][1]]


def _near(text: str, rng: random.Random, vocab: list[str]) -> str:
    """One word in every ~8 changed (replaced, deleted or swapped), casing and punctuation changed."""
    tokens = text.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        block = tokens[i : i + 8]
        j = rng.randrange(len(block))
        op = rng.random()
        if op < 0.4:
            block[j] = rng.choice(vocab)
        elif op < 0.7 and len(block) > 1:
            del block[j]
        elif j + 1 < len(block):
            block[j], block[j + 1] = block[j + 1], block[j]
        else:
            block[j] = rng.choice(vocab)
        out += block
        i += 8
    changed = []
    for w in out:
        r = rng.random()
        if r < 0.15:
            w = w.upper()
        elif r < 0.3:
            w = w.lower().strip(",.;:!?")
        elif r < 0.35:
            w = w + ","
        changed.append(w)
    return " ".join(changed)


def build_corpus(shared: Path, folder: Path, documents: int = 1500, seed: int = 0, plant_rate: float = 0.08,
                 min_words: int = 80, max_words: int = 600, qa_items: int = 400) -> Corpus:
    """Write the benchmark files into ``folder`` and return documents with plants.

    ``plant_rate`` of the documents get each of ``exact``, ``partial`` and ``near`` plants,
    ``plant_rate / 4`` a ``too_short`` one; the rest are clean.  ``qa_items`` questions (at
    most about 20,000: the wcxb paragraphs of 20-70 words) make the ``qa`` benchmark.
    Deterministic for a seed."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    items, used_lingua = _make_benchmarks(shared, rng, qa_items)
    files: dict[str, Path] = {}
    for name, records in items.items():
        path = folder / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        files[name] = path
    texts = {name: [item_text(r, FIELDS[name]) for r in records] for name, records in items.items()}
    grams = _Ngrams([t for ts in texts.values() for t in ts])
    sources = _document_sources(shared, used_lingua)
    clean_cache: dict[tuple[int, int], bool] = {}

    def is_clean(s: int, p: int) -> bool:
        key = (s, p)
        if key not in clean_cache:
            clean_cache[key] = not grams.hits(sources[s][p])
        return clean_cache[key]

    vocab = [w for p in sources[0][:200] for w in p.split()] or ["the"]
    english = [(n, r) for n in ("qa", "short") for r in items[n] if not r["id"].startswith("tooshort")]
    indexed = english + [(n, r) for n in ("de", "cjk") for r in items[n]]
    near_pool = [(n, r) for n, r in indexed if n in ("qa", "de")]
    too_short = [r for r in items["short"] if r["id"].startswith("tooshort")]
    docs: list[dict[str, str]] = []
    labels: dict[str, Label] = {}
    for d in range(documents):
        s = rng.randrange(len(sources))
        source = sources[s]
        target = rng.randint(min_words, max_words)
        p = rng.randrange(len(source))
        chosen: list[str] = []
        count = 0
        tries = 0
        while count < target and tries < 4 * len(source) + 10:
            tries += 1
            if is_clean(s, p):
                chosen.append(source[p])
                count += len(source[p].split())
            p = (p + 1) % len(source)
            if p == 0 and count >= min_words // 2:
                break
        if not chosen:
            chosen = ["Nothing here but a plain sentence about the weather, which was mild."]
        doc_id = f"doc-{d:06d}"
        r = rng.random()
        kind = ("exact" if r < plant_rate else "partial" if r < 2 * plant_rate else "near" if r < 3 * plant_rate
                else "too_short" if r < 3.25 * plant_rate else "clean")
        label = Label(doc_id, kind)
        if kind != "clean":
            if kind == "too_short":
                record, bench = rng.choice(too_short), "short"
            else:
                bench, record = rng.choice(near_pool if kind == "near" else indexed)
            full = item_text(record, FIELDS[bench])
            planted = (full if kind in ("exact", "too_short") else _partial(record["question"], rng, bench) if kind == "partial"
                       else _near(record["question"], rng, vocab))
            label = Label(doc_id, kind, bench, record["id"], planted)
            at = rng.randint(0, len(chosen))
            chosen = chosen[:at] + planted.split("\n") + chosen[at:]
        docs.append({"id": doc_id, "url": f"https://docs.example/{s}/{doc_id}", "text": "\n".join(chosen)})
        labels[doc_id] = label
    return Corpus(folder, files, dict(FIELDS), items, docs, labels)


# -- writing -------------------------------------------------------------------------------
def write_jsonl(docs: list[dict[str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def write_parquet(docs: list[dict[str, str]], path: Path, row_group_size: int = 2000) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(docs), path, row_group_size=row_group_size)
    return path


def page_html(doc: dict[str, str]) -> bytes:
    """A web page around the document: navigation, a title, the paragraphs, a footer."""
    paragraphs = doc["text"].split("\n")
    title = " ".join(paragraphs[0].split()[:8]) if paragraphs else doc["id"]
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title></head><body>\n"
        "<nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/about\">About us</a></li>"
        "<li><a href=\"/contact\">Contact</a></li></ul></nav>\n"
        f"<main><article><h1>{escape(title)}</h1>\n{body}\n</article></main>\n"
        "<footer><p>Copyright 2024 Docs Example. All rights reserved.</p>"
        "<p><a href=\"/privacy\">Privacy policy</a> | <a href=\"/terms\">Terms</a></p></footer>\n"
        "</body></html>\n"
    ).encode("utf-8")


def write_warc(docs: list[dict[str, str]], path: Path) -> Path:
    """One WARC ``response`` (HTTP 200, text/html) per document, under the document's URL."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for doc in docs:
            page = page_html(doc)
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(doc["url"], "response", payload=io.BytesIO(page), http_headers=http))
    return path


def recall_table(corpus: Corpus, flagged: set[str]) -> dict[str, dict[str, float]]:
    """Per plant kind: documents, flagged, and the share flagged (recall; for ``clean`` and
    ``too_short`` the false-positive rate)."""
    out: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        ids = corpus.ids_of(kind)
        hit = len(ids & flagged)
        out[kind] = {"documents": len(ids), "flagged": hit, "rate": hit / len(ids) if ids else 0.0}
    return out
