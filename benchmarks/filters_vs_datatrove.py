"""curate's heuristic quality filters side by side with datatrove's: decisions and speed.

For each filter (Gopher quality, Gopher repetition, C4 quality, FineWeb quality) both
implementations run, with their default settings, on the same documents:

- datatrove: ``filter.filter(Document(text=..., id=...))`` per document (only these calls
  are timed, not building the documents);
- curate: ``run_stage(stage, table)`` over Arrow batches of ``--batch-size`` rows.

The two are timed batch by batch, alternating, so that a busy machine slows both alike.
Reported per filter: documents, agreement on keep / drop (all documents and English ones,
``language == "en"``), the disagreements by (datatrove reason, curate reason) with an
explanation where one is known, and documents per second of each.  For C4, which rewrites
the text, kept documents whose cleaned text differs are counted too.

``--reference-settings`` runs curate configured like datatrove (English stop words for
every document, no per-character word counting for Chinese / Japanese), to separate the
implementation's agreement from curate's deliberate multilingual defaults.

Usage::

    python benchmarks/filters_vs_datatrove.py --docs /tmp/curate-data/docs/data --json out.json

Needs datatrove and spaCy (test-only dependencies of curate).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

FILTERS = ("gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality")
# curate settings that reproduce datatrove's behaviour on every language.
REFERENCE_SETTINGS: dict[str, dict[str, Any]] = {
    "gopher_quality": {"language": "en"},
    "gopher_repetition": {},
    "c4_quality": {},
    "fineweb_quality": {"cjk_characters_as_words": False},
}
STOP_WORD_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl")


def datatrove_filter(name: str) -> Any:
    if name == "gopher_quality":
        from datatrove.pipeline.filters.gopher_quality_filter import GopherQualityFilter

        return GopherQualityFilter()
    if name == "gopher_repetition":
        from datatrove.pipeline.filters.gopher_repetition_filter import GopherRepetitionFilter

        return GopherRepetitionFilter()
    if name == "c4_quality":
        from datatrove.pipeline.filters.c4_filters import C4QualityFilter

        return C4QualityFilter()
    if name == "fineweb_quality":
        from datatrove.pipeline.filters.fineweb_quality_filter import FineWebQualityFilter

        return FineWebQualityFilter()
    raise ValueError(name)


def explain(name: str, language: str, dt_reason: str, curate_reason: str, reference: bool) -> str:
    """A known cause of a disagreement, or "unexplained"."""
    if not reference:
        if (
            name == "gopher_quality"
            and language in STOP_WORD_LANGUAGES
            and dt_reason == "gopher_enough_stop_words"
        ):
            return f"curate uses the {language} stop-word list (datatrove: English for all)"
        if name == "fineweb_quality" and language in ("zh", "ja"):
            return "curate counts each Han/Kana character as a word in zh/ja documents"
    ngram_rule = dt_reason.startswith("duplicated_") or (
        curate_reason.startswith("gopher:dup_") and curate_reason.endswith("_gram")
    )
    if name == "gopher_repetition" and ngram_rule:
        return "duplicated n-grams: datatrove compares words joined without spaces"
    return "unexplained"


def load(path: str, limit: int | None) -> pa.Table:
    dataset = ds.dataset(path)
    columns = [c for c in ("id", "text", "language") if c in dataset.schema.names]
    table = dataset.to_table(columns=columns)
    if limit:
        table = table.slice(0, limit)
    if "id" not in table.column_names:
        table = table.append_column("id", pa.array([str(i) for i in range(table.num_rows)]))
    if "language" not in table.column_names:
        table = table.append_column("language", pa.nulls(table.num_rows, pa.string()))
    text = pc.fill_null(table["text"], "").cast(pa.large_string())
    return table.set_column(table.schema.get_field_index("text"), "text", text)


def run_filter(
    name: str, table: pa.Table, batch_size: int, reference: bool
) -> dict[str, Any]:
    from datatrove.data import Document
    from datatrove.utils.text import split_into_parts

    from curate.registry import get_stage_class
    from curate.stage import run_stage

    settings = REFERENCE_SETTINGS[name] if reference else {}
    stage = get_stage_class(name)(**settings)
    stage.ensure_setup()
    reference_filter = datatrove_filter(name)
    # Warm up both (spaCy's tokenizer loads on first use).
    reference_filter.filter(Document(text="Warm up. " * 20, id="warmup"))
    run_stage(stage, table.slice(0, min(10, table.num_rows)))
    split_into_parts.cache_clear()

    dt_keep: list[bool] = []
    dt_reason: list[str] = []
    dt_text: list[str] = []
    curate_reason: list[str | None] = []
    curate_text: list[str] = []
    dt_seconds = curate_seconds = 0.0
    for start in range(0, table.num_rows, batch_size):
        batch = table.slice(start, batch_size)
        texts = batch["text"].to_pylist()
        ids = batch["id"].to_pylist()
        docs = [Document(text=t, id=str(i)) for t, i in zip(texts, ids)]
        began = time.perf_counter()
        results = [reference_filter.filter(doc) for doc in docs]
        dt_seconds += time.perf_counter() - began
        for doc, result in zip(docs, results):
            kept = result is True or (isinstance(result, tuple) and bool(result[0]))
            dt_keep.append(kept)
            dt_reason.append("keep" if kept else (result[1] if isinstance(result, tuple) else "drop"))
            dt_text.append(doc.text)

        began = time.perf_counter()
        out, _ = run_stage(stage, batch)
        curate_seconds += time.perf_counter() - began
        curate_reason.extend(out["_reason"].to_pylist())
        curate_text.extend(out["text"].to_pylist())

    languages = [lang or "" for lang in table["language"].to_pylist()]
    n = table.num_rows
    english = [lang == "en" for lang in languages]
    agree = [k == (r is None) for k, r in zip(dt_keep, curate_reason)]
    classes: Counter[tuple[str, str, str]] = Counter()
    classes_en: Counter[tuple[str, str, str]] = Counter()
    for i in range(n):
        if agree[i]:
            continue
        mine = curate_reason[i] or "keep"
        key = (dt_reason[i], mine, explain(name, languages[i], dt_reason[i], mine, reference))
        classes[key] += 1
        if english[i]:
            classes_en[key] += 1
    text_differs = sum(
        1
        for i in range(n)
        if dt_keep[i] and curate_reason[i] is None and dt_text[i] != curate_text[i]
    )
    n_en = sum(english)
    return {
        "filter": name,
        "curate_settings": settings,
        "docs": n,
        "docs_en": n_en,
        "parity": sum(agree) / n if n else 1.0,
        "parity_en": sum(a for a, e in zip(agree, english) if e) / n_en if n_en else 1.0,
        "kept_datatrove": sum(dt_keep),
        "kept_curate": sum(r is None for r in curate_reason),
        "kept_text_differs": text_differs,
        "disagreements": [
            {
                "datatrove": dt,
                "curate": mine,
                "class": why,
                "count": count,
                "count_en": classes_en[(dt, mine, why)],
            }
            for (dt, mine, why), count in classes.most_common()
        ],
        "datatrove_seconds": dt_seconds,
        "curate_seconds": curate_seconds,
        "datatrove_docs_per_s": n / dt_seconds if dt_seconds else None,
        "curate_docs_per_s": n / curate_seconds if curate_seconds else None,
        "speed_ratio": dt_seconds / curate_seconds if curate_seconds else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default="/tmp/curate-data/docs/data", help="Parquet file or folder")
    parser.add_argument("--limit", type=int, default=None, help="use the first N documents")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--filters", default=",".join(FILTERS), help="comma-separated")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--reference-settings",
        action="store_true",
        help="configure curate like datatrove (English stop words, no CJK word counting)",
    )
    args = parser.parse_args(argv)
    try:
        import datatrove  # noqa: F401
        import spacy  # noqa: F401
    except ImportError as exc:
        print(f"needs datatrove and spacy: {exc}", file=sys.stderr)
        return 2

    table = load(args.docs, args.limit)
    print(f"{table.num_rows} documents from {args.docs}", flush=True)
    results = []
    for name in [f.strip() for f in args.filters.split(",") if f.strip()]:
        r = run_filter(name, table, args.batch_size, args.reference_settings)
        results.append(r)
        print(
            f"\n{name}: {r['docs']} docs ({r['docs_en']} en)  parity {r['parity']:.2%} all, "
            f"{r['parity_en']:.2%} en  |  datatrove {r['datatrove_docs_per_s']:.1f} docs/s, "
            f"curate {r['curate_docs_per_s']:.1f} docs/s, ratio {r['speed_ratio']:.1f}x",
            flush=True,
        )
        print(f"  kept: datatrove {r['kept_datatrove']}, curate {r['kept_curate']}", end="")
        if name == "c4_quality":
            print(f", kept with different cleaned text: {r['kept_text_differs']}", end="")
        print()
        for d in r["disagreements"]:
            print(
                f"  {d['count']:5d} ({d['count_en']} en)  datatrove={d['datatrove']}  "
                f"curate={d['curate']}  [{d['class']}]"
            )
    if args.json:
        load_avg = os.getloadavg() if hasattr(os, "getloadavg") else None
        payload = {
            "docs_path": args.docs,
            "batch_size": args.batch_size,
            "reference_settings": args.reference_settings,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": load_avg,
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
