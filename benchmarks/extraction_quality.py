"""Main-text extraction quality of curate's ``ExtractHtml`` on the article-extraction benchmark.

Data: the Zyte/Scrapinghub article-extraction benchmark (181 real news/blog pages,
https://github.com/scrapinghub/article-extraction-benchmark), a copy of which lives in
``../shared/data/html-extraction/article-extraction-benchmark/``: ``html/<id>.html.gz``,
``ground-truth.json`` (``{id: {url, articleBody}}``) and ``output/<extractor>.json`` (other
extractors' outputs, either ``{id: {articleBody}}`` or wrapped as
``{"version": ..., "output": {id: {articleBody}}}``).

Metric: a re-implementation (not a copy) of the benchmark's ``evaluate.py``
(scrapinghub/article-extraction-benchmark, ``evaluate.py`` at commit 4a3bc979f76c, the
snapshot the shared data was taken from):

* tokens are the matches of the regular expression ``\\w+`` (Unicode word characters; case
  is kept, punctuation is dropped);
* a page's shingles are the multiset of its runs of 4 consecutive tokens; a text with 1 to 3
  tokens has a single, shorter shingle made of all its tokens; a text with no token has none;
* per page, TP/FP/FN are multiset intersections/differences of the predicted and true
  shingles; precision = TP / (TP + FP), recall = TP / (TP + FN);
* precision is averaged over the pages whose prediction has at least one shingle, recall
  over the pages whose ground truth has at least one shingle: an empty prediction costs
  recall (0 for that page) but is left out of the precision average, and a page where both
  are empty counts in neither;
* the reported F1 is the harmonic mean of those two macro averages (not the mean of the
  per-page F1s, which is reported on the side as ``page_f1``);
* accuracy is the share of pages whose predicted token sequence equals the true one.

The benchmark's published figures (its README.rst, "latest evaluation") include trafilatura 2.0.0:
F1 0.958, precision 0.938, recall 0.978, accuracy 0.293; the shipped outputs in ``output/``
are scored by default as a self-check of this implementation against those figures.

Second benchmark: wcxb (``../shared/data/html-extraction/wcxb/``, 999 pages collected in
2026, same layout and metric), so that a setting tuned on one benchmark is checked on the
other.  ``--benchmark article|wcxb|both`` picks them; with both, a table of settings x
benchmarks is printed, with each setting's F1 loss against the best trafilatura setting on
each benchmark (the project rule: a shipped setting loses at most :data:`MAX_F1_LOSS`).

Text-shape figures (``--shape``, on by default): per setting and benchmark, the share of
documents with table pipe rows (lines ``| ... |``), with layout pipe debris (a pipe row
with a single cell or a cell over 200 characters: a layout table flattened into one
line), with Markdown escapes (``\\|``, ``\\*``, ``\\_``, ...), and the mean number of
non-empty lines per document against the ground truth's.  ``--warc FILE`` adds the same
figures on the HTML responses of a WARC (e.g. the bench WARC built by
``../shared/tools/make_bench_warc.py``); there is no ground truth for line counts there
unless a page's URL is ``.../<wcxb id>``, as in that tool's output.

Usage::

    python benchmarks/extraction_quality.py                      # both engines
    python benchmarks/extraction_quality.py --engines trafilatura --json results.json
    python benchmarks/extraction_quality.py --benchmark both --engines trafilatura --tables \\
        --warc /tmp/bench/b3000.warc.gz --bootstrap 0

Exits 1 when curate's default trafilatura settings score below the project target
(F1 >= 0.95), or when the metric self-check does not reproduce a published figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SHINGLE_N = 4
TARGET_F1 = 0.95
MAX_F1_LOSS = 0.01
BENCHMARK_SUBDIR = Path("html-extraction") / "article-extraction-benchmark"
BENCHMARK_SUBDIRS = {
    "article": BENCHMARK_SUBDIR,
    "wcxb": Path("html-extraction") / "wcxb",
}

# Published figures (F1, precision, recall) for the outputs shipped in ``output/``; from the
# benchmark's README.rst (Diffbot: its Nov 2019 table).  Used to check this metric implementation.
PUBLISHED: dict[str, tuple[float, float, float]] = {
    "trafilatura": (0.958, 0.938, 0.978),
    "readability_js": (0.947, 0.914, 0.982),
    "justext": (0.804, 0.858, 0.756),
    "html-text": (0.665, 0.500, 0.994),
    "Diffbot": (0.951, 0.958, 0.944),
}
# Published figures are rounded to 3 decimals.
PUBLISHED_TOLERANCE = 0.0015

_TOKEN_RE = re.compile(r"\w+")
_WARMUP_HTML = (
    b"<html><head><title>Warm-up</title></head><body><article><h1>Warm-up page</h1>"
    + b"<p>This paragraph only exists to load the extraction engines before timing.</p>" * 5
    + b"</article></body></html>"
)


# --------------------------------------------------------------------------------------
# Metric
# --------------------------------------------------------------------------------------


def tokenize(text: str | None) -> list[str]:
    """Split ``text`` into the benchmark's tokens: maximal runs of Unicode word characters."""
    return _TOKEN_RE.findall(text or "")


def shingles(text: str | None, n: int = SHINGLE_N) -> Counter[tuple[str, ...]]:
    """Multiset of the ``n``-token shingles of ``text``.

    As in the benchmark, a text shorter than ``n`` tokens (but not empty) yields one shingle
    holding all its tokens, and an empty text yields none.
    """
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def shingle_counts(pred: str | None, truth: str | None, n: int = SHINGLE_N) -> tuple[int, int, int]:
    """Return ``(tp, fp, fn)``: shingles shared, only predicted, only in the ground truth.

    Counts are multiset counts (a shingle repeated twice counts twice).  The benchmark
    normalises the three to sum to 1 per page, which leaves precision and recall unchanged.
    """
    pred_sh = shingles(pred, n)
    true_sh = shingles(truth, n)
    tp = sum((pred_sh & true_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    return tp, fp, fn


def shingle_f1(pred: str | None, truth: str | None) -> tuple[float, float, float]:
    """Per-page ``(precision, recall, f1)`` over 4-token shingles, as the benchmark defines.

    A score the benchmark leaves out of its averages is ``nan``: precision when the
    prediction has no token (an empty prediction), recall when the ground truth has none.
    F1 is then 0.0 when only one side is empty (the defined score is 0) and ``nan`` when both
    are.  Use :func:`macro_scores` to aggregate pages the way the benchmark does.
    """
    tp, fp, fn = shingle_counts(pred, truth)
    precision = tp / (tp + fp) if tp + fp > 0 else math.nan
    recall = tp / (tp + fn) if tp + fn > 0 else math.nan
    if math.isnan(precision) and math.isnan(recall):
        return precision, recall, math.nan
    if math.isnan(precision) or math.isnan(recall):
        return precision, recall, 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def token_accuracy(pred: str | None, truth: str | None) -> float:
    """1.0 when the predicted token sequence equals the true one, else 0.0 (benchmark's accuracy)."""
    return float(tokenize(pred) == tokenize(truth))


def _mean_defined(values: Iterable[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return statistics.fmean(kept) if kept else math.nan


def _harmonic(p: float, r: float) -> float:
    if math.isnan(p) or math.isnan(r) or p + r == 0:
        return math.nan if (math.isnan(p) or math.isnan(r)) else 0.0
    return 2 * p * r / (p + r)


def macro_scores(pages: Sequence[tuple[float, float, float]]) -> dict[str, float]:
    """Aggregate per-page ``(precision, recall, f1)`` as the benchmark does.

    ``precision`` and ``recall`` are means over the pages where each is defined; ``f1`` is
    their harmonic mean; ``page_f1`` (not a benchmark figure) is the mean per-page F1.
    """
    precision = _mean_defined(p for p, _, _ in pages)
    recall = _mean_defined(r for _, r, _ in pages)
    return {
        "f1": _harmonic(precision, recall),
        "precision": precision,
        "recall": recall,
        "page_f1": _mean_defined(f for _, _, f in pages),
    }


def bootstrap_std(
    pages: Sequence[tuple[float, float, float]], rounds: int, seed: int = 0
) -> dict[str, float]:
    """Standard deviation of the macro scores over ``rounds`` bootstrap resamples of pages."""
    if rounds < 2 or not pages:
        return {}
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        resample = [pages[rng.randrange(len(pages))] for _ in pages]
        for key, value in macro_scores(resample).items():
            samples.setdefault(key, []).append(value)
    return {f"{key}_std": statistics.stdev(values) for key, values in samples.items()}


# --------------------------------------------------------------------------------------
# Text shape: table debris, Markdown escapes, line counts
# --------------------------------------------------------------------------------------

_PIPE_ROW_RE = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.MULTILINE)
# Markdown backslash escapes trafilatura can write: GFM cell pipes (txt and markdown) and
# CommonMark inline/block specials (markdown only).
_MD_ESCAPE_RE = re.compile(r"\\[|*_`\[\]~<>#+-]")
DEBRIS_CELL_CHARS = 200


def pipe_rows(text: str) -> list[str]:
    """Lines of ``text`` that are table pipe rows (``| a | b |``)."""
    return _PIPE_ROW_RE.findall(text or "")


def is_layout_debris(row: str) -> bool:
    """A pipe row that is a flattened layout table: a cell of over 200 characters (spaces
    collapsed), or a lone cell of over 20 words.  A one-column data table (``| Size |``), its
    ``|---|`` rule and cells padded with spaces are not debris."""
    cells = [" ".join(c.split()) for c in re.split(r"(?<!\\)\|", row.strip()[1:-1])]
    if any(len(c) > DEBRIS_CELL_CHARS for c in cells):
        return True
    return len(cells) == 1 and len(cells[0].split()) > 20


def line_count(text: str | None) -> int:
    """Non-empty lines."""
    return sum(1 for line in (text or "").splitlines() if line.strip())


def added_escapes(text: str, source: str | None) -> list[str]:
    """Backslash escapes in ``text`` that the page itself does not hold: a shrug
    ``¯\\_(ツ)_/¯``, a regular expression or a Windows path in the HTML are content, not
    escapes the extractor wrote (``source``: the page's HTML, decoded)."""
    import html as html_entities

    found = _MD_ESCAPE_RE.findall(text or "")
    if not found or source is None:
        return found
    source = html_entities.unescape(source)
    return [m for m in found if m not in source]


def text_shape(
    texts: dict[str, str], truth: dict[str, str] | None = None, sources: dict[str, str] | None = None
) -> dict[str, float]:
    """Shares of documents with pipe rows / layout debris / Markdown escapes, and line counts.

    An escape counts only when the page's HTML (``sources``, ``{id: html}``) does not hold
    the same characters.

    Shares are over non-empty documents.  ``lines`` is the mean non-empty line count per
    document; with ``truth`` (``{id: text}``), ``truth_lines`` is the ground truth's mean
    over the same documents and ``line_ratio`` the median per-document ratio.
    """
    docs = {k: v for k, v in texts.items() if v and v.strip()}
    n = len(docs) or 1
    rows = {k: pipe_rows(v) for k, v in docs.items()}
    shape: dict[str, float] = {
        "docs": float(len(docs)),
        "pipe_rows": sum(1 for r in rows.values() if r) / n,
        "layout_debris": sum(1 for r in rows.values() if any(map(is_layout_debris, r))) / n,
        "md_escapes": sum(1 for k, v in docs.items() if added_escapes(v, (sources or {}).get(k))) / n,
        "lines": statistics.fmean(line_count(v) for v in docs.values()) if docs else math.nan,
    }
    if truth:
        both = [k for k in docs if line_count(truth.get(k))]
        if both:
            shape["truth_lines"] = statistics.fmean(line_count(truth[k]) for k in both)
            shape["pred_lines_same_docs"] = statistics.fmean(line_count(docs[k]) for k in both)
            shape["line_ratio"] = statistics.median(line_count(docs[k]) / line_count(truth[k]) for k in both)
    return shape


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def default_data_dir(benchmark: str = "article") -> Path:
    """``$CURATE_SHARED_DATA/html-extraction/<benchmark>``, else ``../shared/data/...``."""
    sub = BENCHMARK_SUBDIRS[benchmark]
    shared = os.environ.get("CURATE_SHARED_DATA")
    if shared:
        return Path(shared) / sub
    repo_root = Path(__file__).resolve().parents[1]
    return repo_root.parent / "shared" / "data" / sub


def load_ground_truth(data: Path) -> dict[str, dict[str, str]]:
    """``{id: {"url": ..., "articleBody": ...}}`` from ``ground-truth.json``."""
    with (data / "ground-truth.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def load_prediction_file(path: Path) -> tuple[dict[str, str], str]:
    """Return ``({id: articleBody}, version)`` for a file in ``output/`` (plain or wrapped)."""
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    version = ""
    if (
        isinstance(data, dict)
        and set(data) == {"version", "output"}
        and isinstance(data["output"], dict)
    ):
        version = str(data.get("version") or "")
        data = data["output"]
    return {key: (item or {}).get("articleBody") or "" for key, item in data.items()}, version


def load_warc_pages(path: Path) -> dict[str, tuple[str, bytes]]:
    """``{record id: (url, body)}`` for the HTML ``response`` records of a WARC (FastWARC)."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    pages: dict[str, tuple[str, bytes]] = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, record_types=WarcRecordType.response):
            headers = record.http_headers
            if headers is None or "html" not in (headers.get("Content-Type") or "").lower():
                continue
            if headers.status_code and headers.status_code >= 400:
                continue
            pages[record.record_id] = (record.headers.get("WARC-Target-URI") or "", record.reader.read())
    return pages


def load_pages(data: Path, ids: Iterable[str]) -> dict[str, bytes]:
    """Raw (decompressed) HTML bytes per page id."""
    pages = {}
    for page_id in ids:
        with gzip.open(data / "html" / f"{page_id}.html.gz", "rb") as fh:
            pages[page_id] = fh.read()
    return pages


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    """Scores of one extractor configuration (or one shipped output) on the benchmark."""

    name: str
    settings: dict[str, Any]
    pages: int
    empty: int
    f1: float
    precision: float
    recall: float
    page_f1: float
    accuracy: float
    docs_per_s: float | None = None
    seconds: float | None = None
    drop_reasons: dict[str, int] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)
    per_page: dict[str, dict[str, Any]] = field(default_factory=dict)
    benchmark: str = "article"
    shape: dict[str, float] = field(default_factory=dict)


def score(
    name: str,
    predictions: dict[str, str],
    truth: dict[str, dict[str, str]],
    settings: dict[str, Any] | None = None,
    bootstrap: int = 0,
) -> Result:
    """Score ``{id: text}`` predictions against the ground truth (all ids must be present)."""
    if predictions.keys() != truth.keys():
        raise ValueError(f"{name}: prediction ids do not match the ground truth ids")
    per_page: dict[str, dict[str, Any]] = {}
    triples: list[tuple[float, float, float]] = []
    accuracies: list[float] = []
    for page_id, item in truth.items():
        pred = predictions[page_id]
        p, r, f = shingle_f1(pred, item.get("articleBody", ""))
        triples.append((p, r, f))
        accuracies.append(token_accuracy(pred, item.get("articleBody", "")))
        per_page[page_id] = {"precision": p, "recall": r, "f1": f, "chars": len(pred)}
    macro = macro_scores(triples)
    return Result(
        name=name,
        settings=settings or {},
        pages=len(triples),
        empty=sum(1 for text in predictions.values() if not tokenize(text)),
        accuracy=statistics.fmean(accuracies) if accuracies else math.nan,
        std=bootstrap_std(triples, bootstrap),
        per_page=per_page,
        **macro,
    )


def run_extractor(
    name: str,
    settings: dict[str, Any],
    html: dict[str, bytes],
    truth: dict[str, dict[str, str]],
    bootstrap: int,
    benchmark: str = "article",
) -> Result:
    """Run ``ExtractHtml(**settings)`` over every page and score it; times extraction only."""
    from curate.stages.extract import ExtractHtml

    stage = ExtractHtml(**settings)
    stage.setup()
    # Warm up (lazy imports, caches) on a synthetic page, so docs/s measures steady state and
    # no benchmark page enters trafilatura's process-wide deduplication cache early.
    stage.extract_one(_WARMUP_HTML, charset="utf-8")
    predictions: dict[str, str] = {}
    reasons: dict[str, str | None] = {}
    start = time.perf_counter()
    for page_id, payload in html.items():
        text, reason = stage.extract_one(payload, charset=None, url=truth[page_id].get("url"))
        predictions[page_id] = text or ""
        reasons[page_id] = reason
    seconds = time.perf_counter() - start
    result = score(name, predictions, truth, settings, bootstrap)
    result.seconds = seconds
    result.docs_per_s = len(html) / seconds if seconds > 0 else math.nan
    result.drop_reasons = dict(Counter(r for r in reasons.values() if r))
    result.benchmark = benchmark
    result.shape = text_shape(predictions, {k: v.get("articleBody", "") for k, v in truth.items()},
                              {k: v.decode("utf-8", "replace") for k, v in html.items()})
    for page_id, reason in reasons.items():
        result.per_page[page_id]["drop_reason"] = reason
    return result


def shipped_settings() -> list[tuple[str, dict[str, Any]]]:
    """``extract_html``'s settings in each pipeline under ``pipelines/`` that extracts with
    trafilatura (named ``pipeline:NAME``; pipelines with the same settings share a row),
    without the cascade's, which decide which pages are extracted, not how."""
    import yaml

    seen: dict[str, str] = {}
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((Path(__file__).resolve().parent.parent / "pipelines").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for entry in data.get("stages") or []:
            if isinstance(entry, dict) and "extract_html" in entry:
                settings = {k: v for k, v in (entry["extract_html"] or {}).items() if not k.startswith("prefilter_")}
                if settings.get("engine", "trafilatura") != "trafilatura":
                    continue
                key = json.dumps(settings, sort_keys=True)
                if key in seen:
                    continue
                seen[key] = path.stem
                out.append((f"pipeline:{path.stem}", settings))
    return out


def configurations(
    engines: Sequence[str], sweep: bool, tables: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """Named ``ExtractHtml`` settings to evaluate; the first trafilatura one is the gated one.

    ``tables``: also each ``tables`` mode of :mod:`curate.stages.html_layout` (default
    ``layout_as_text``; ``keep`` is trafilatura's own rendering) with and without
    ``favor_precision``: the settings the pipelines ship.
    """
    configs: list[tuple[str, dict[str, Any]]] = []
    if "trafilatura" in engines:
        configs.append(("trafilatura", {"engine": "trafilatura"}))
        configs.append(
            ("trafilatura-precision", {"engine": "trafilatura", "favor_precision": True})
        )
        configs += shipped_settings()
        if tables:
            for mode in ("keep", "text", "drop"):
                configs.append((f"trafilatura-{mode}", {"engine": "trafilatura", "tables": mode}))
                configs.append(
                    (
                        f"trafilatura-precision-{mode}",
                        {"engine": "trafilatura", "favor_precision": True, "tables": mode},
                    )
                )
        if sweep:
            configs += [
                ("trafilatura-fast", {"engine": "trafilatura", "fast": True}),
                ("trafilatura-precision-fast", {"engine": "trafilatura", "favor_precision": True, "fast": True}),
                ("trafilatura-recall", {"engine": "trafilatura", "favor_recall": True}),
                ("trafilatura-comments", {"engine": "trafilatura", "include_comments": True}),
                ("trafilatura-no-tables", {"engine": "trafilatura", "include_tables": False}),
                ("trafilatura-dedup", {"engine": "trafilatura", "deduplicate": True}),
            ]
    if "resiliparse" in engines:
        configs.append(("resiliparse", {"engine": "resiliparse"}))
        if sweep:
            configs.append(
                (
                    "resiliparse-plain",
                    {
                        "engine": "resiliparse",
                        "resiliparse_options": {"preserve_formatting": False},
                    },
                )
            )
    return configs


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def print_table(title: str, results: Sequence[Result], published: bool = False) -> None:
    """Print one results table to stdout."""
    print(title)
    header = f"  {'name':<24} {'F1':>6} {'P':>6} {'R':>6} {'F1 +-':>6} {'pageF1':>6} {'acc':>6} {'pages':>5} {'empty':>5} {'docs/s':>7}"
    if published:
        header += f"  {'published F1/P/R':>18}"
    print(header)
    for res in results:
        line = (
            f"  {res.name:<24} {_fmt(res.f1)} {_fmt(res.precision)} {_fmt(res.recall)} "
            f"{_fmt(res.std.get('f1_std')):>6} {_fmt(res.page_f1):>6} {_fmt(res.accuracy):>6} "
            f"{res.pages:>5} {res.empty:>5} {_fmt(res.docs_per_s, 1):>7}"
        )
        if published:
            ref = PUBLISHED.get(res.name)
            line += "  " + ("/".join(f"{v:.3f}" for v in ref) if ref else "-")
        print(line)


def print_shape(title: str, results: Sequence[Result]) -> None:
    """Print the text-shape figures (see :func:`text_shape`) of each result."""
    print(title)
    print(
        f"  {'name':<32} {'docs':>5} {'pipe':>6} {'debris':>6} {'escape':>6} {'lines':>7} {'truth':>7} {'ratio':>6}"
    )
    for res in results:
        sh = res.shape
        print(
            f"  {res.name:<32} {int(sh.get('docs', 0)):>5} {_fmt(sh.get('pipe_rows')):>6} "
            f"{_fmt(sh.get('layout_debris')):>6} {_fmt(sh.get('md_escapes')):>6} "
            f"{_fmt(sh.get('pred_lines_same_docs', sh.get('lines')), 1):>7} "
            f"{_fmt(sh.get('truth_lines'), 1):>7} {_fmt(sh.get('line_ratio'), 2):>6}"
        )


def print_matrix(results: Sequence[Result]) -> list[str]:
    """Print F1 per setting x benchmark with the loss against the best trafilatura setting.

    Returns the settings that lose more than :data:`MAX_F1_LOSS` on some benchmark.
    """
    benchmarks = list(dict.fromkeys(r.benchmark for r in results))
    names = list(dict.fromkeys(r.name for r in results))
    by_key = {(r.benchmark, r.name): r for r in results}
    best = {
        b: max((r.f1 for r in results if r.benchmark == b and r.settings.get("engine") == "trafilatura"), default=math.nan)
        for b in benchmarks
    }
    print("F1 by setting x benchmark (loss against the best trafilatura setting)")
    print(f"  {'name':<32} " + " ".join(f"{b:>16}" for b in benchmarks))
    over: list[str] = []
    for name in names:
        cells = []
        for b in benchmarks:
            res = by_key.get((b, name))
            if res is None:
                cells.append(f"{'-':>16}")
                continue
            loss = best[b] - res.f1
            cells.append(f"{res.f1:.3f} (-{loss:.3f})".rjust(16))
            if loss > MAX_F1_LOSS:
                over.append(f"{name} on {b}: F1 {res.f1:.4f}, {loss:.4f} below the best {best[b]:.4f}")
        print(f"  {name:<32} " + " ".join(cells))
    return over


def self_check(results: Sequence[Result]) -> list[str]:
    """Compare scores of shipped outputs with the published figures; return the mismatches."""
    problems = []
    for res in results:
        ref = PUBLISHED.get(res.name)
        if ref is None:
            continue
        for label, got, want in zip(
            ("F1", "precision", "recall"), (res.f1, res.precision, res.recall), ref, strict=True
        ):
            if not abs(got - want) <= PUBLISHED_TOLERANCE:
                problems.append(f"{res.name} {label}: computed {got:.4f}, published {want:.3f}")
    return problems


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="benchmark folder, with a single --benchmark (default: ../shared/data/html-extraction/<benchmark>)",
    )
    parser.add_argument(
        "--benchmark", choices=("article", "wcxb", "both"), default="article",
        help="article-extraction-benchmark (181 pages), wcxb (999 modern pages) or both",
    )
    parser.add_argument(
        "--tables", action="store_true",
        help="also each ExtractHtml tables mode (keep, text, drop), with and without favor_precision",
    )
    parser.add_argument(
        "--warc", type=Path, action="append", default=[],
        help="also measure text shape (pipe rows, escapes, lines) on this WARC's HTML pages",
    )
    parser.add_argument("--only", nargs="+", help="only the configurations with these names")
    parser.add_argument("--no-shape", action="store_true", help="do not print text-shape tables")
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=("trafilatura", "resiliparse"),
        default=["trafilatura", "resiliparse"],
    )
    parser.add_argument(
        "--json", type=Path, help="write all results (with per-page scores) to this JSON file"
    )
    parser.add_argument("--sweep", action="store_true", help="also try other ExtractHtml settings")
    parser.add_argument(
        "--bootstrap", type=int, default=1000, help="bootstrap rounds for +- (0: off)"
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip scoring the shipped output/*.json"
    )
    parser.add_argument(
        "--limit", type=int, help="only the first N pages (smoke runs; disables the gate)"
    )
    return parser.parse_args(argv)


def _selected(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    configs = configurations(args.engines, args.sweep, args.tables)
    return [c for c in configs if not args.only or c[0] in args.only]


def evaluate_benchmark(
    benchmark: str, data: Path, args: argparse.Namespace, failures: list[str]
) -> tuple[list[Result], list[Result]]:
    """Score the shipped outputs (article only) and every configuration on one benchmark."""
    truth = load_ground_truth(data)
    if args.limit:
        truth = dict(list(truth.items())[: args.limit])
    reference: list[Result] = []
    if not args.no_reference and (data / "output").is_dir():
        for path in sorted((data / "output").glob("*.json")):
            preds, version = load_prediction_file(path)
            preds = {k: preds.get(k, "") for k in truth}
            reference.append(score(path.stem, preds, truth, {"version": version}, args.bootstrap))
        print_table(
            f"[{benchmark}] Shipped outputs (metric self-check), {len(truth)} pages", reference, published=True
        )
        if not args.limit and benchmark == "article":
            problems = self_check(reference)
            for problem in problems:
                print(f"  MISMATCH {problem}")
            if problems:
                failures.append("metric does not reproduce the published figures")
            else:
                print("  metric reproduces the published figures")
        print()

    html = load_pages(data, truth)
    results = [
        run_extractor(name, settings, html, truth, args.bootstrap, benchmark)
        for name, settings in _selected(args)
    ]
    print_table(f"[{benchmark}] curate ExtractHtml, {len(truth)} pages", results)
    for res in results:
        if res.drop_reasons:
            print(f"  {res.name}: dropped {res.drop_reasons}")
    if not args.no_shape:
        print_shape(f"[{benchmark}] text shape (shares of documents; lines per document vs ground truth)", results)

    gated = next((r for r in results if r.name == "trafilatura"), None)
    if gated is not None and not args.limit and benchmark == "article":
        verdict = "ok" if gated.f1 >= TARGET_F1 else "BELOW TARGET"
        print(
            f"\ntrafilatura (default settings) F1 {gated.f1:.4f}, target >= {TARGET_F1}: {verdict}"
        )
        if gated.f1 < TARGET_F1:
            failures.append(f"trafilatura F1 {gated.f1:.4f} < {TARGET_F1}")
    print()
    return reference, results


def evaluate_warc(path: Path, args: argparse.Namespace, truth: dict[str, str]) -> list[Result]:
    """Text shape of every configuration on a WARC's HTML pages (no F1: no ground truth)."""
    from curate.stages.extract import ExtractHtml

    pages = load_warc_pages(path)
    if args.limit:
        pages = dict(list(pages.items())[: args.limit])
    # make_bench_warc.py names pages https://pages.example/<id>: their ground truth is wcxb's
    page_truth = {rid: truth.get(url.rstrip("/").rsplit("/", 1)[-1], "") for rid, (url, _) in pages.items()}
    results = []
    for name, settings in _selected(args):
        stage = ExtractHtml(**settings)
        stage.setup()
        stage.extract_one(_WARMUP_HTML, charset="utf-8")
        start = time.perf_counter()
        texts = {rid: stage.extract_one(body, None, url)[0] or "" for rid, (url, body) in pages.items()}
        seconds = time.perf_counter() - start
        res = Result(name, settings, len(pages), sum(1 for t in texts.values() if not t), *([math.nan] * 5))
        res.benchmark = path.name
        res.seconds = seconds
        res.docs_per_s = len(pages) / seconds if seconds > 0 else math.nan
        res.shape = text_shape(texts, page_truth if any(page_truth.values()) else None,
                               {rid: body.decode("utf-8", "replace") for rid, (_, body) in pages.items()})
        results.append(res)
    print_shape(f"[{path.name}] text shape, {len(pages)} HTML responses", results)
    print()
    return results


def prepass_cost(html: dict[str, bytes], rounds: int = 1) -> dict[str, float]:
    """Mean ms per page of the layout-table pre-pass vs the parse and the whole extraction.

    Measured in one process on the same pages, so the ratio holds on a busy machine.
    """
    import trafilatura
    from trafilatura.utils import load_html

    from curate.stages.html_layout import unwrap_layout_tables

    parse = prepass = extract = 0.0
    for _ in range(rounds):
        for payload in html.values():
            t0 = time.perf_counter()
            tree = load_html(payload)
            t1 = time.perf_counter()
            if tree is not None:
                unwrap_layout_tables(tree, "layout_as_text")
            t2 = time.perf_counter()
            trafilatura.extract(payload, favor_precision=True)
            t3 = time.perf_counter()
            parse += t1 - t0
            prepass += t2 - t1
            extract += t3 - t2
    n = len(html) * rounds or 1
    return {
        "parse_ms": 1000 * parse / n,
        "prepass_ms": 1000 * prepass / n,
        "extract_ms": 1000 * extract / n,
        "prepass_share_of_extract": prepass / extract if extract else math.nan,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation; return the process exit status."""
    args = parse_args(argv)
    benchmarks = ["article", "wcxb"] if args.benchmark == "both" else [args.benchmark]
    if args.data is not None and len(benchmarks) > 1:
        print("error: --data goes with a single --benchmark", file=sys.stderr)
        return 2
    failures: list[str] = []
    reference: list[Result] = []
    results: list[Result] = []
    for benchmark in benchmarks:
        data: Path = args.data or default_data_dir(benchmark)
        if not (data / "ground-truth.json").is_file():
            print(
                f"error: no ground-truth.json under {data} (set --data or CURATE_SHARED_DATA)",
                file=sys.stderr,
            )
            return 2
        ref, res = evaluate_benchmark(benchmark, data, args, failures)
        reference += ref
        results += res
    if len(benchmarks) > 1 or args.tables:
        over = print_matrix(results)
        for line in over:
            print(f"  OVER {MAX_F1_LOSS} F1 LOSS: {line}")
        print()

    warc_results: list[Result] = []
    if args.warc:
        wcxb = default_data_dir("wcxb") / "ground-truth.json"
        truth = (
            {k: v.get("articleBody", "") for k, v in json.loads(wcxb.read_text(encoding="utf-8")).items()}
            if wcxb.is_file()
            else {}
        )
        for path in args.warc:
            warc_results += evaluate_warc(path, args, truth)

    cost: dict[str, float] = {}
    if args.tables:
        data = args.data or default_data_dir(benchmarks[-1])
        ids = list(load_ground_truth(data))[: args.limit or None]
        cost = prepass_cost(load_pages(data, ids))
        print(
            f"layout pre-pass cost on {benchmarks[-1]} ({len(ids)} pages): {cost['prepass_ms']:.3f} ms/page "
            f"(parse {cost['parse_ms']:.2f} ms, trafilatura extract {cost['extract_ms']:.2f} ms; "
            f"pre-pass = {100 * cost['prepass_share_of_extract']:.2f}% of extract)"
        )

    if args.json:
        payload = {
            "benchmarks": benchmarks,
            "metric": "scrapinghub article-extraction-benchmark evaluate.py: 4-token shingles, macro P/R, F1 = hmean",
            "target_f1": TARGET_F1,
            "reference": [asdict(r) for r in reference],
            "results": [asdict(r) for r in results],
            "warc": [asdict(r) for r in warc_results],
            "prepass_cost": cost,
            "failures": failures,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
