"""Throughput of curate's tokenization: the raw tokenizer, ``encode_texts``, the whole
``write_tokenized`` (``curate tokenize``) and the loader, on the same texts in one process.

What it measures, all in one process run so that the ratios compare like with like on a
shared, noisy machine (rates are printed beside ratios to the raw tokenizer measured in the
same run):

1. **Raw tokenizer**: the tokenizer library alone on batches of ``--batch-rows`` (1,000)
   texts held as Python strings: HF ``tokenizers.Tokenizer.encode_batch_fast(texts,
   add_special_tokens=False)`` (its fastest batch call, no character offsets; tokens
   counted with ``len(encoding)``; ``encode_batch`` on tokenizers < 0.20), or tiktoken's
   ``encode_ordinary_batch`` for a ``tiktoken:`` tokenizer.  This is the reference.
   ``encode_batch`` alone and plus reading every ``encoding.ids`` are measured beside it,
   to show where time goes (``--no-breakdown`` skips them).
2. **encode_texts**: ``curate.tokenize.stage.encode_texts`` on Arrow slices of the same
   batches (Arrow to Python strings, encoding, ids to an Arrow ``list<uint16|uint32>`` with
   EOS / BOS added).
3. **write_tokenized**: ``curate.tokenize.shards.write_tokenized`` on the input Parquet
   files with a ``LocalRunner`` (one process): tokenizer loading, reading Parquet,
   tokenizing, the shuffle buckets, the shards and the manifest, timed by wall clock, with
   the time of its two task steps (``tokenize``, ``shards``) apart.
4. **Loader**: ``curate.loader.loader_throughput`` (``PackedSequenceLoader``, ``seq_len``
   2048, shuffled, ``drop_last``) over the shards just written, single sequences and
   batches of 8.

Rates are tokens per second of the documents' own tokens (BOS / EOS that curate adds are
not counted, so the raw tokenizer and curate count the same tokens).  ``tokens/cpu-s`` is
tokens per CPU second of this process (all its threads; HF ``tokenizers`` and tiktoken
encode a batch on several threads), the per-core rate; ``cores`` is CPU seconds over wall
seconds.  Target (the issue's measure, tokens/s per core): the whole ``write_tokenized`` at
>= 0.80x the raw tokenizer's tokens per CPU second (same texts, same run).  The wall-clock
ratio is printed beside it: it is lower on a small machine, where the raw pass keeps every
core busy in Rust and the write's Python parts (reading, Arrow conversion, bucket and
shard writes) run on one thread beside the encoder.  Raw and ``encode_texts`` are repeated
``--repeats`` times, alternating, before the write, and the raw pass once more after each of
the ``--write-repeats`` writes;
the median of each is reported (with two raw passes, the faster: a conservative ratio).

Input: ``--docs DIR`` (Parquet files with ``id`` and ``text``), default the extracted
20,000-document benchmark corpus ``<cache>/docs-20000/data`` that ``benchmarks/dedup.py``
builds; when it is missing, the Gutenberg books of the shared data (every ``*.txt`` under
``books/``, cut into paragraphs, one Parquet file per book, cached under
``<cache>/tokenize-books/``).

Usage::

    python benchmarks/tokenization.py --json tokenize.json            # gpt-neo test tokenizer
    python benchmarks/tokenization.py --tokenizer tiktoken:cl100k_base
    python benchmarks/tokenization.py --limit 2000                    # smoke run (not gated)

Exits 1 when the target is missed (``--limit`` runs are not gated), 2 when the input or the
tokenizer cannot be found.  Shared data: ``--shared-data``, else ``$CURATE_SHARED_DATA``,
else ``../shared/data``; a ``tiktoken:`` tokenizer reads its BPE file from
``$TIKTOKEN_CACHE_DIR``, else ``<shared>/models/tiktoken_cache``.  Cache: ``--cache-dir``,
else ``$CURATE_BENCH_CACHE``, else ``$CURATE_CACHE/bench``, else ``~/.cache/curate/bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as ``python benchmarks/tokenization.py``
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.throughput import (  # noqa: E402
    _cpu_model,
    _loadavg,
    default_cache_dir,
    default_shared_data,
    package_versions,
)
from curate.execution.tasks import LocalRunner  # noqa: E402
from curate.loader import loader_throughput  # noqa: E402
from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized  # noqa: E402
from curate.tokenize.stage import encode_texts  # noqa: E402
from curate.tokenize.tokenizer import Tokenizer, load_tokenizer  # noqa: E402

TARGET_RATIO = 0.80
DEFAULT_TOKENIZER = Path("models") / "hf-tokenizers" / "gpt-neo-test-tokenizer.json"
TIKTOKEN_CACHE = Path("models") / "tiktoken_cache"
DOCS_SUBDIR = Path("docs-20000") / "data"
PACKAGES = ("curate", "tokenizers", "tiktoken", "pyarrow", "numpy")


@dataclass
class Measure:
    """One timed measurement: tokens (documents' own), documents, wall and CPU seconds."""

    name: str
    tokens: int
    documents: int
    seconds: float
    cpu_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("nan")

    @property
    def tokens_per_cpu_second(self) -> float:
        return self.tokens / self.cpu_seconds if self.cpu_seconds > 0 else float("nan")

    @property
    def cores(self) -> float:
        return self.cpu_seconds / self.seconds if self.seconds > 0 else float("nan")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            tokens_per_second=round(self.tokens_per_second, 1),
            tokens_per_cpu_second=round(self.tokens_per_cpu_second, 1),
            cores=round(self.cores, 3),
        )
        return out


def timed(name: str, fn: Callable[[], tuple[int, int]], **extra: Any) -> Measure:
    """Run ``fn`` (returning tokens, documents) under a wall clock and this process's CPU clock."""
    cpu = time.process_time()
    wall = time.perf_counter()
    tokens, documents = fn()
    return Measure(name, tokens, documents, time.perf_counter() - wall, time.process_time() - cpu, dict(extra))


def median_measure(runs: Sequence[Measure]) -> Measure:
    """The run with the median wall time (its CPU time kept with it); all times in ``extra``."""
    ordered = sorted(runs, key=lambda m: m.seconds)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.extra["runs_seconds"] = [round(m.seconds, 3) for m in runs]
    chosen.extra["runs_tokens_per_second"] = [round(m.tokens_per_second, 1) for m in runs]
    return chosen


# -- input ------------------------------------------------------------------------------------


def book_docs(shared: Path, cache: Path) -> Path:
    """Parquet files of the shared books' paragraphs (one file per book), built once."""
    out = cache / "tokenize-books" / "data"
    books = sorted((shared / "books").rglob("*.txt"))
    if not books:
        raise FileNotFoundError(f"no books under {shared / 'books'}")
    if out.is_dir() and len(list(out.glob("*.parquet"))) == len(books):
        return out
    out.mkdir(parents=True, exist_ok=True)
    for book in books:
        text = book.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        paras = [p for p in text.split("\n\n") if p.strip()]
        ids = [f"{book.parent.name}/{book.stem}-{i}" for i in range(len(paras))]
        pq.write_table(pa.table({"id": ids, "text": paras}), out / f"{book.parent.name}-{book.stem}.parquet")
    return out


def resolve_docs(args: argparse.Namespace, cache: Path, shared: Path) -> tuple[Path, str]:
    """The input directory and what it is."""
    if args.docs is not None:
        if not args.docs.is_dir() or not list(args.docs.glob("*.parquet")):
            raise FileNotFoundError(f"--docs {args.docs}: no Parquet files there")
        return args.docs, "given"
    default = cache / DOCS_SUBDIR
    if default.is_dir() and list(default.glob("*.parquet")):
        return default, "extracted benchmark corpus"
    print(f"note: {default} is missing (benchmarks/dedup.py builds it); using the shared books", file=sys.stderr)
    return book_docs(shared, cache), "shared Gutenberg books"


def limited_files(docs: Path, limit: int | None, work: Path) -> list[Path]:
    """The input files; with ``limit``, the first ``limit`` documents rewritten to ``work``."""
    files = sorted(docs.glob("*.parquet"))
    if limit is None:
        return files
    out, left = [], limit
    for path in files:
        if left <= 0:
            break
        table = pq.read_table(path, columns=["id", "text"]).slice(0, left)
        left -= table.num_rows
        target = work / "input" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
        out.append(target)
    return out


def load_batches(files: Sequence[Path], batch_rows: int) -> list[pa.Array]:
    """The non-empty texts of ``files`` as Arrow string slices of ``batch_rows`` rows."""
    texts = pa.concat_arrays([
        chunk
        for path in files
        for chunk in pq.read_table(path, columns=["text"])["text"].cast(pa.large_string()).chunks
    ])
    texts = texts.filter(pc.greater(pc.utf8_length(pc.fill_null(texts, "")), 0))
    return [texts.slice(i, batch_rows) for i in range(0, len(texts), batch_rows)]


# -- measurements -----------------------------------------------------------------------------


def raw_encoders(tokenizer: Tokenizer) -> dict[str, Callable[[list[str]], int]]:
    """The raw library calls, each returning the number of tokens of a batch (on the same
    library object curate encodes with: for HF, the copy without special tokens)."""
    backend = getattr(tokenizer, "encoder", None) or tokenizer.backend
    if tokenizer.kind == "tiktoken":
        threads = os.cpu_count() or 1
        return {"raw": lambda texts: sum(len(r) for r in backend.encode_ordinary_batch(texts, num_threads=threads))}
    def encode_batch(texts: list[str]) -> int:
        return sum(len(e) for e in backend.encode_batch(texts, add_special_tokens=False))

    def encode_batch_ids(texts: list[str]) -> int:
        return sum(len(e.ids) for e in backend.encode_batch(texts, add_special_tokens=False))

    if not hasattr(backend, "encode_batch_fast"):  # tokenizers < 0.20
        return {"raw": encode_batch, "raw + ids": encode_batch_ids}
    # The reference is the library's fastest batch call, encode_batch_fast (no character
    # offsets), which curate uses too; encode_batch is measured beside it.
    return {
        "raw": lambda texts: sum(len(e) for e in backend.encode_batch_fast(texts, add_special_tokens=False)),
        "raw encode_batch": encode_batch,
        "raw encode_batch + ids": encode_batch_ids,
    }


class TimedRunner(LocalRunner):
    """A LocalRunner that records the wall and CPU time of each step (``map`` call)."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[dict[str, Any]] = []

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cpu, wall = time.process_time(), time.perf_counter()
        results = super().map(fn, specs)
        self.steps.append({
            "step": fn.__name__.strip("_").removesuffix("_task"), "tasks": len(specs),
            "seconds": round(time.perf_counter() - wall, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
        })
        return results


def specials_per_document(tokenizer: Tokenizer, add_bos: bool | None, add_eos: bool) -> int:
    """BOS / EOS tokens curate adds to each document with these settings."""
    bos = (tokenizer.bos_id is not None) if add_bos is None else add_bos
    return int(bool(bos and tokenizer.bos_id is not None)) + int(bool(add_eos and tokenizer.eos_id is not None))


def run(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Every measurement; returns the report and whether the target was met."""
    shared = (args.shared_data or default_shared_data()).expanduser()
    cache = (args.cache_dir or default_cache_dir()).expanduser()
    spec = args.tokenizer or str(shared / DEFAULT_TOKENIZER)
    if spec.startswith("tiktoken:") and not os.environ.get("TIKTOKEN_CACHE_DIR"):
        os.environ["TIKTOKEN_CACHE_DIR"] = str(shared / TIKTOKEN_CACHE)
    docs, docs_kind = resolve_docs(args, cache, shared)
    work = Path(tempfile.mkdtemp(prefix="curate-tokenize-bench-", dir=args.work_dir))
    load_avg_start = _loadavg()
    try:
        files = limited_files(docs, args.limit, work)
        tokenizer = load_tokenizer(spec)
        batches = load_batches(files, args.batch_rows)
        python_batches = [b.to_pylist() for b in batches]
        documents = sum(len(b) for b in batches)
        characters = sum(int(pc.sum(pc.utf8_length(b)).as_py() or 0) for b in batches)
        utf8_bytes = sum(int(pc.sum(pc.binary_length(b)).as_py() or 0) for b in batches)
        extra = specials_per_document(tokenizer, None, True)
        print(f"input: {len(files)} files, {documents:,} documents, {characters / 1e6:.1f} M characters ({docs})", file=sys.stderr)
        print(f"tokenizer: {tokenizer.name} ({tokenizer.kind}, vocab {tokenizer.vocab_size:,})", file=sys.stderr)

        # Warm up: thread pools, caches.
        encoders = raw_encoders(tokenizer)
        if not args.breakdown:
            encoders = {"raw": encoders["raw"]}
        for encode in encoders.values():
            encode(python_batches[0][:50])
        encode_texts(tokenizer, batches[0].slice(0, 50), False, True)

        def raw_pass(encode: Callable[[list[str]], int]) -> Callable[[], tuple[int, int]]:
            return lambda: (sum(encode(b) for b in python_batches), documents)

        def curate_pass() -> tuple[int, int]:
            tokens = 0
            for b in batches:
                _, counts = encode_texts(tokenizer, b, tokenizer.bos_id is not None, True)
                tokens += int(pc.sum(counts).as_py() or 0)
            return tokens - extra * documents, documents

        runs: dict[str, list[Measure]] = {name: [] for name in (*encoders, "encode_texts")}
        for repeat in range(args.repeats):
            for name, encode in encoders.items():
                runs[name].append(timed(name, raw_pass(encode)))
            runs["encode_texts"].append(timed("encode_texts", curate_pass))
            print(f"  repeat {repeat + 1}/{args.repeats}: " + ", ".join(f"{n} {r[-1].tokens_per_second:,.0f}" for n, r in runs.items()) + " tokens/s", file=sys.stderr)

        # The whole write.
        out = work / "tokenized"
        settings = TokenizedSettings(tokenizer=spec, shard_tokens=args.shard_tokens, row_group_tokens=args.row_group_tokens,
                                     seed=args.seed, batch_rows=args.batch_rows)
        holder: dict[str, Any] = {}
        writes: list[Measure] = []
        for repeat in range(args.write_repeats):
            runner = TimedRunner()

            def write_pass(runner: TimedRunner = runner) -> tuple[int, int]:
                holder["manifest"] = write_tokenized([Source("docs", [str(f) for f in files])], str(out), settings, runner)
                totals = holder["manifest"]["totals"]
                return totals["tokens"] - extra * totals["documents"], totals["documents"]

            writes.append(timed("write_tokenized", write_pass, steps=runner.steps))
            print(f"  write_tokenized {repeat + 1}/{args.write_repeats}: {writes[-1].tokens_per_second:,.0f} tokens/s", file=sys.stderr)
            # The reference again after each write, so that a load change during the run
            # moves the reference too (the median of all raw passes is reported).
            runs["raw"].append(timed("raw", raw_pass(encoders["raw"])))
            print(f"  raw after the write: {runs['raw'][-1].tokens_per_second:,.0f} tokens/s", file=sys.stderr)
        write = median_measure(writes)
        measures = {name: median_measure(r) for name, r in runs.items()}
        raw = measures["raw"]
        if measures["encode_texts"].tokens != raw.tokens:
            print(f"warning: encode_texts counted {measures['encode_texts'].tokens:,} tokens, the raw tokenizer {raw.tokens:,}", file=sys.stderr)
        manifest = holder["manifest"]
        write.extra["shards"] = len(manifest["shards"])
        write.extra["tokens_with_specials"] = manifest["totals"]["tokens"]
        write.extra["bytes_written"] = sum(p.stat().st_size for p in (out / "tokens").glob("*.parquet"))
        measures["write_tokenized"] = write
        if write.tokens != raw.tokens or write.documents != documents:
            print(f"warning: write_tokenized wrote {write.documents:,} documents / {write.tokens:,} tokens, "
                  f"the raw pass saw {documents:,} / {raw.tokens:,}", file=sys.stderr)

        # The loader over the shards just written.
        loaders = {}
        for name, kwargs in (("loader", {}), ("loader batch 8", {"batch_size": 8})):
            loaders[name] = loader_throughput(str(out), args.seq_len, drop_last=True, **kwargs)
            print(f"  {name}: {loaders[name]['tokens_per_second']:,.0f} tokens/s", file=sys.stderr)
    finally:
        if args.keep_output:
            print(f"output kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    ratio = write.tokens_per_second / raw.tokens_per_second
    cpu_ratio = write.tokens_per_cpu_second / raw.tokens_per_cpu_second
    gated = args.limit is None
    met = cpu_ratio >= TARGET_RATIO
    report = {
        "benchmark": "tokenize",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "input": {"docs": str(docs), "kind": docs_kind, "files": len(files), "documents": documents,
                  "characters": characters, "utf8_bytes": utf8_bytes, "limit": args.limit},
        "tokenizer": {**{k: v for k, v in tokenizer.info().items() if k != "special_tokens"}, "spec": spec},
        "settings": {"batch_rows": args.batch_rows, "repeats": args.repeats, "write_repeats": args.write_repeats, "seq_len": args.seq_len,
                     "shard_tokens": args.shard_tokens, "row_group_tokens": args.row_group_tokens, "seed": args.seed},
        "measures": {name: m.as_dict() for name, m in measures.items()},
        "ratios_to_raw": {name: round(m.tokens_per_second / raw.tokens_per_second, 4) for name, m in measures.items()},
        "loader": loaders,
        "ratios_per_cpu_second_to_raw": {name: round(m.tokens_per_cpu_second / raw.tokens_per_cpu_second, 4) for name, m in measures.items()},
        "target": {"write_over_raw": TARGET_RATIO, "ratio": round(ratio, 4), "ratio_per_cpu_second": round(cpu_ratio, 4),
                   "met": met, "gated": gated},
        "environment": {
            "python": platform.python_version(), "platform": platform.platform(), "cpu": _cpu_model(),
            "cpus": os.cpu_count(), "load_average_start": load_avg_start, "load_average_end": _loadavg(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "packages": package_versions(PACKAGES),
        },
    }
    return report, met or not gated


def print_report(report: dict[str, Any]) -> None:
    """The measurements as a table, then the target line."""
    raw_rate = report["measures"]["raw"]["tokens_per_second"]
    inp = report["input"]
    print(f"\ninput: {inp['documents']:,} documents, {inp['characters'] / 1e6:.1f} M characters, {inp['files']} files ({inp['kind']})")
    print(f"tokenizer: {report['tokenizer']['name']} ({report['tokenizer']['kind']}, vocab {report['tokenizer']['vocab_size']:,})")
    header = f"{'measurement':<34} {'tokens':>12} {'seconds':>9} {'tokens/s':>12} {'x raw':>7} {'tokens/cpu-s':>13} {'cores':>6}"
    print(header)
    print("-" * len(header))
    labels = {
        "raw": "raw tokenizer (reference)", "raw + ids": "raw tokenizer + read ids",
        "raw encode_batch": "raw encode_batch", "raw encode_batch + ids": "raw encode_batch + read ids", "encode_texts": "curate encode_texts",
        "write_tokenized": "write_tokenized (whole, 1 process)",
    }
    for name, m in report["measures"].items():
        print(f"{labels.get(name, name):<34} {m['tokens']:>12,} {m['seconds']:>9.2f} {m['tokens_per_second']:>12,.0f} "
              f"{m['tokens_per_second'] / raw_rate:>7.2f} {m['tokens_per_cpu_second']:>13,.0f} {m['cores']:>6.2f}")
    for step in report["measures"]["write_tokenized"]["extra"].get("steps", []):
        print(f"  step {step['step']:<27} {step['tasks']:>5} tasks {step['seconds']:>9.2f} s (cpu {step['cpu_seconds']:.2f} s)")
    for name, result in report["loader"].items():
        print(f"{name + ' (seq_len ' + str(report['settings']['seq_len']) + ')':<34} {result['tokens']:>12,} {result['seconds']:>9.2f} "
              f"{result['tokens_per_second']:>12,.0f}   (setup {result['setup_seconds']:.2f} s)")
    target = report["target"]
    verdict = "met" if target["met"] else "MISSED"
    if not target["gated"]:
        verdict += " (not gated: --limit)"
    print(f"\nwrite_tokenized / raw tokenizer per CPU second: {target['ratio_per_cpu_second']:.2f} "
          f"(target >= {target['write_over_raw']:.2f}): {verdict}; wall clock {target['ratio']:.2f}")
    env = report["environment"]
    print(f"load average {env['load_average_start']} -> {env['load_average_end']}, {env['cpus']} CPUs, peak RSS {env['peak_rss_mb']:,.0f} MB")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=Path, default=None, help="Parquet directory with id and text (default <cache>/docs-20000/data, else the shared books)")
    ap.add_argument("--tokenizer", default=None, help="tokenizer spec (default the shared gpt-neo test tokenizer; e.g. tiktoken:cl100k_base)")
    ap.add_argument("--shared-data", type=Path, default=None, help="the shared data root (default $CURATE_SHARED_DATA or ../shared/data)")
    ap.add_argument("--cache-dir", type=Path, default=None, help="benchmark cache (default $CURATE_BENCH_CACHE, $CURATE_CACHE/bench, ~/.cache/curate/bench)")
    ap.add_argument("--work-dir", type=Path, default=None, help="where the shards are written (a temporary folder inside it; default the system's)")
    ap.add_argument("--keep-output", action="store_true", help="keep the written shards")
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents (smoke run; the target is not gated)")
    ap.add_argument("--batch-rows", type=int, default=1000, help="texts per batch (default 1000)")
    ap.add_argument("--repeats", type=int, default=1, help="repeats of the raw and encode_texts passes before the write; the median is reported (default 1)")
    ap.add_argument("--write-repeats", type=int, default=1, help="repeats of the whole write, each followed by a raw pass; the median is reported (default 1)")
    ap.add_argument("--no-breakdown", dest="breakdown", action="store_false", help="skip the extra raw variants (encode_batch, encode_batch + ids)")
    ap.add_argument("--shard-tokens", type=int, default=TokenizedSettings.shard_tokens, help="write_tokenized shard_tokens (default curate's, 100M)")
    ap.add_argument("--row-group-tokens", type=int, default=TokenizedSettings.row_group_tokens, help="write_tokenized row_group_tokens (default curate's, 1M)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seq-len", type=int, default=2048, help="loader sequence length (default 2048)")
    ap.add_argument("--json", type=Path, default=None, help="write the report here")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.batch_rows < 1 or args.write_repeats < 1:
        ap.error("--repeats, --write-repeats and --batch-rows must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report, ok = run(args)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_report(report)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"report written to {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
