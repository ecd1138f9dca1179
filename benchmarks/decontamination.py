"""Benchmark decontamination (``curate decontaminate``): recall on planted copies, false
positives, index build, and throughput against exact dedup (``curate dedup --method text``).

Corpus: ``tests/curate/decontam_corpus.py`` builds, from real text of the shared data,
four benchmarks (``qa``: 400 MMLU-like items whose questions are wcxb paragraphs; ``short``:
150 English sentences of 8-12 words, matched whole, and 30 of 4-6 words, too short to index;
``de``: 80 German items; ``cjk``: 120 Chinese and Japanese sentences) and ``--documents``
documents of other real text (articles, DCLM documents, Gutenberg pages, lingua paragraphs
of 75 languages), 8% each with an exact copy of an item, a partial copy (13-25 words, or a
whole short item) and a paraphrase-level near copy (one word in every ~8 changed, casing
and punctuation changed), 2% with a too-short item; the rest are clean.  The documents are
written once as Parquet (``--work``/docs.parquet).

1. **Index**: ``curate.decontam.index.build_index`` in this process (time, entries, bytes on
   disk).
2. **Throughput**, each run a child process timed by wall clock (median of ``--repeats``,
   runs interleaved): ``curate decontaminate DOCS --benchmarks ... --policy drop --executor
   local --index DIR`` with the index already built (the usual case: built once per set of
   benchmarks), the same with the index built inside the run (``cold``), and ``curate dedup
   DOCS --method text --executor local`` (exact dedup).  Both ``--executor local``: one
   process, one core.  Reported as documents/s (whole command, process start included) and
   documents/s of the stage alone (``stats.json`` ``stages[].seconds``), and the ratio
   decontaminate / dedup (target: >= 0.5, i.e. decontamination within 2x of exact dedup).
3. **Quality** from the drop run's ``rejects/``: recall per plant kind (exact, partial, near)
   and the false-positive rate on clean documents (and on documents holding only a
   too-short item).

Usage::

    CURATE_SHARED_DATA=../shared/data python benchmarks/decontamination.py --documents 20000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "curate"))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import decontam_corpus as dc  # noqa: E402

TARGET_RATIO = 0.5


def shared_data(arg: str | None) -> Path:
    return Path(arg or os.environ.get("CURATE_SHARED_DATA") or REPO.parent / "shared" / "data").resolve()


def curate_command() -> list[str]:
    """The ``curate`` console script of this interpreter's environment."""
    exe = Path(sys.executable).parent / "curate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "curate.cli"]


def run_timed(command: list[str], log: Path) -> float:
    """Run ``command`` (output to ``log``); its wall-clock seconds; exits on failure."""
    start = time.perf_counter()
    with log.open("wb") as out:
        code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO).returncode
    seconds = time.perf_counter() - start
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(command)}\n{log.read_text()[-2000:]}")
    return seconds


def stage_seconds(out: Path, name: str) -> float:
    stats = json.loads((out / "stats.json").read_text())
    return sum(s["seconds"] for s in stats["stages"] if s["stage"] == name)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def rejected_ids(out: Path) -> set[str]:
    ids: set[str] = set()
    for path in sorted((out / "rejects").glob("part-*.parquet")):
        table = pq.read_table(path, columns=["id", "reason"])
        ids |= {i for i, r in zip(table["id"].to_pylist(), table["reason"].to_pylist()) if r and r.startswith("contaminated:")}
    return ids


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=20000, help="documents in the corpus (default 20000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--qa-items", type=int, default=400, help="items of the qa benchmark (up to ~20,000: a larger index)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each command (median)")
    ap.add_argument("--shared", help="the shared data folder (default $CURATE_SHARED_DATA, else ../shared/data)")
    ap.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed at the end)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    shared = shared_data(args.shared)
    work = args.work or Path(tempfile.mkdtemp(prefix="curate-decontam-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, shared, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, shared: Path, work: Path) -> int:
    from curate.decontam.benchmarks import parse_benchmarks
    from curate.decontam.index import build_index

    t = time.perf_counter()
    corpus = dc.build_corpus(shared, work / "benchmarks", documents=args.documents, seed=args.seed, qa_items=args.qa_items)
    docs = dc.write_parquet(corpus.documents, work / "docs" / "docs.parquet")
    build_s = time.perf_counter() - t
    words = sum(len(d["text"].split()) for d in corpus.documents)
    mb = docs.stat().st_size / 1e6
    print(f"corpus: {len(corpus.documents):,} documents, {words:,} words, {sum(len(d['text']) for d in corpus.documents) / 1e6:.1f} M chars "
          f"(Parquet {mb:.1f} MB), built in {build_s:.1f} s; benchmarks: "
          + ", ".join(f"{n} {len(v)}" for n, v in corpus.items.items()))

    # 1. the index
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    benches = parse_benchmarks(corpus.cli_specs())
    t = time.perf_counter()
    meta = build_index(benches, dc.NGRAM, dc.MIN_NGRAM, str(index_dir))
    index_s = time.perf_counter() - t
    index = {"seconds": round(index_s, 3), "entries": meta["entries"], "bytes_in_memory": meta["bytes"],
             "bytes_on_disk": folder_bytes(index_dir), "widths": meta["widths"],
             "items": {b["name"]: {"items": b["items"], "indexed": b["items_indexed"], "too_short": b["items_too_short"]}
                       for b in meta["benchmarks"]}}

    # 2. throughput: interleaved runs
    curate = curate_command()
    bench_args = ["--benchmarks", *corpus.cli_specs()]
    commands = {
        "decontaminate": [*curate, "decontaminate", str(docs), *bench_args, "--index", str(index_dir), "--policy", "drop",
                          "--executor", "local", "--overwrite", "--output"],
        "decontaminate (cold: index built in the run)": [*curate, "decontaminate", str(docs), *bench_args, "--policy", "drop",
                                                        "--executor", "local", "--overwrite", "--output"],
        "dedup --method text": [*curate, "dedup", str(docs), "--method", "text", "--executor", "local", "--overwrite", "--output"],
    }
    stage_names = {"decontaminate": "decontaminate", "decontaminate (cold: index built in the run)": "decontaminate",
                   "dedup --method text": "exact_dedup"}
    walls: dict[str, list[float]] = {k: [] for k in commands}
    stages: dict[str, list[float]] = {k: [] for k in commands}
    outs = {k: work / f"out-{i}" for i, k in enumerate(commands)}
    for _ in range(args.repeats):
        for name, command in commands.items():
            out = outs[name]
            walls[name].append(run_timed([*command, str(out)], work / f"log-{out.name}.txt"))
            stats = json.loads((out / "stats.json").read_text())
            key = stage_names[name]
            seconds = [s["seconds"] for s in stats["stages"] if s["stage"] == key]
            stages[name].append(sum(seconds))
    n = len(corpus.documents)
    speed: dict[str, Any] = {}
    for name in commands:
        wall = statistics.median(walls[name])
        stage = statistics.median(stages[name])
        speed[name] = {"wall_s": round(wall, 3), "docs_per_s": round(n / wall, 1), "stage_s": round(stage, 3),
                       "stage_docs_per_s": round(n / stage, 1) if stage else None, "walls": [round(w, 3) for w in walls[name]]}
    ratio = speed["decontaminate"]["docs_per_s"] / speed["dedup --method text"]["docs_per_s"]
    ratio_cold = speed["decontaminate (cold: index built in the run)"]["docs_per_s"] / speed["dedup --method text"]["docs_per_s"]

    # 3. quality of the drop run
    flagged = rejected_ids(outs["decontaminate"])
    quality = dc.recall_table(corpus, flagged)

    print(f"\nindex: {index['entries']:,} entries ({index['bytes_in_memory'] / 1e6:.2f} MB in memory, "
          f"{index['bytes_on_disk'] / 1e6:.2f} MB on disk), widths {index['widths']}, built in {index_s:.2f} s")
    print("\n| command (--executor local, one process) | wall s | docs/s | stage s | stage docs/s |")
    print("|---|---|---|---|---|")
    for name, s in speed.items():
        print(f"| `{name}` | {s['wall_s']:.2f} | {s['docs_per_s']:,.0f} | {s['stage_s']:.2f} | "
              f"{(s['stage_docs_per_s'] or 0):,.0f} |")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"\nratio decontaminate / exact dedup (docs/s, whole command): {ratio:.2f} (cold {ratio_cold:.2f}); "
          f"target >= {TARGET_RATIO}: {verdict}")
    print("\n| plants | documents | flagged (dropped) | rate |")
    print("|---|---|---|---|")
    for kind, q in quality.items():
        what = "recall" if kind in ("exact", "partial", "near") else "false-positive rate"
        print(f"| {kind} | {q['documents']:,} | {q['flagged']:,} | {q['rate']:.4f} ({what}) |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "corpus": {"documents": n, "words": words, "parquet_mb": round(mb, 2), "seed": args.seed,
                       "benchmarks": {k: len(v) for k, v in corpus.items.items()}},
            "index": index, "speed": speed, "ratio": round(ratio, 3), "ratio_cold": round(ratio_cold, 3),
            "target_ratio": TARGET_RATIO, "quality": quality}, indent=2) + "\n")
    return 0 if ratio >= TARGET_RATIO and quality["exact"]["rate"] >= 0.99 and quality["clean"]["flagged"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
