"""Quality, speed and memory of curate's MinHash near-duplicate removal (``curate dedup``).

Input: ``../shared/tools/make_bench_warc.py`` builds a 20,000-record Common-Crawl-style
WARC of real pages and edited copies, with a labels file (JSON lines: ``url``, ``cluster``,
``kind`` = original / exact / near / variant, ``edit_rate``); both are cached in
``--cache-dir``.  The text is extracted once with ``curate run`` and a pipeline that only
runs ``extract_html`` (trafilatura), so every language is kept; the Parquet output is cached
as ``<cache>/docs-<records>/`` (``--docs DIR`` reuses any extracted corpus with ``id``,
``url`` and ``text`` columns).  Every tool below reads that same Parquet.

1. **Signatures** (one core, in this process): ``MinHasher.signatures`` of
   ``curate.dedup.minhash`` on the whole corpus in batches of ``--batch-rows``, and on a
   seeded random subset of ``--signature-docs`` documents (median of ``--repeats``) beside
   datasketch's ``MinHash.bulk(shingle_lists, num_perm=...)`` on the same subset.  The
   datasketch input (the UTF-8 byte strings of each document's shingles, from
   ``curate.dedup.minhash.shingles``) is prepared outside the timed region; the time it
   took is reported apart.  curate's numba kernel is warmed up first.  Target: curate's
   docs/s >= 20x datasketch's ``MinHash.bulk`` docs/s.
2. **Whole fuzzy dedup**, each as a child process timed by wall clock, with its CPU time
   and peak RSS (``os.wait4``): ``curate dedup INPUT --output DIR --threshold T ...
   --executor local`` (one process, one core) and ``--executor ray`` (the local machine's
   CPUs), against datatrove's four MinHash steps (``MinhashDedupSignature`` ->
   ``MinhashDedupBuckets`` -> ``MinhashDedupCluster`` -> ``MinhashDedupFilter``, reading
   the same Parquet with ``ParquetReader``, removed documents written by the filter's
   ``exclusion_writer``, kept ones by a ``ParquetWriter``), each step a
   ``LocalPipelineExecutor`` with ``workers=1`` (``--datatrove-workers``): the read,
   signature and filter steps run as ``tasks=1`` (all input in one task), the bucket step as
   ``tasks=bands`` run one after another.  datatrove uses ``n_grams`` = ``--ngram`` and the
   same bands x rows as curate (``num_buckets=bands``, ``hashes_per_bucket=rows``; taken
   from ``--bands/--rows``, else from curate's ``stats.json``, else datasketch's optimum
   for the threshold), 64-bit xxhash (sha1 when xxhash is missing) and its default English
   word tokenizer.  Target: datatrove's wall time >= 5x curate's ``--executor local`` wall
   time (per core: one process against one worker).
3. **Quality** of the removals against a ground truth:

   * ``J(a, b)`` = true Jaccard similarity of the two documents' sets of ``--ngram``-word
     shingles (``curate.dedup.minhash.shingles`` on the extracted text: lower-cased words,
     punctuation removed, each CJK character a word); a document without words has an empty
     set and is nobody's duplicate;
   * each document gets its labelled cluster through its URL (the source WARCs hold a few
     URLs twice, each as its own cluster; such a document gets the candidate cluster whose
     other members it resembles most, one document per candidate);
   * ground-truth groups = connected components of the graph on all documents whose edges
     are the pairs with ``J >= --threshold`` among (a) every pair in the same labelled
     cluster (the labels' definition), (b) every pair of ``original`` documents (the real
     source pages) of different clusters and (c) every other pair of documents of
     different clusters that shares one band of an independent, very sensitive MinHash LSH
     (``MinHasher`` seed 7, 32 bands x 4 rows: a pair at ``J = 0.8`` is missed with
     probability ``(1 - 0.8^4)^32``, about 5e-8).  (b) and (c) are there because some
     documents of different clusters are near-identical once extracted: one archive.org
     page crawled twice (both under the same URL), pages that are mostly the same
     navigation text, short pages whose copies share the copier's footer line.  With (a)
     only (the labels taken literally) removing one of two such documents counts as a
     false positive; those figures are printed beside, not gated;
   * ideal output: one document kept per group, so ``should go = sum over groups of
     (size - 1)``;
   * per group with ``r`` removed documents: ``min(r, size - 1)`` removals are true
     positives, the rest are false positives (a removed singleton; one removal in a group
     of which nothing was kept), and ``size - 1 - TP`` documents are misses;
   * precision = TP / removed, recall = TP / should go.  Targets: precision >= 0.98,
     recall >= 0.95 (curate with ``--executor local``).

   False positives and misses are counted by cause and a few of each are printed with
   cluster, kind, edit rate, lengths and true Jaccard to the nearest kept document: for a
   false positive, the kept document it was removed as a duplicate of (``duplicate_of``),
   the most similar document of its output cluster (the kept one and the others removed as
   its duplicates) and the nearest kept member of its own labelled cluster; for a miss,
   the nearest other kept member of its ground-truth group.  For curate's runs each such
   pair also gets curate's MinHash view, recomputed here with ``MinHasher`` (seed 1, the
   CLI default) and the run's bands x rows: the estimated Jaccard, whether the two share a
   band (an LSH candidate) and the probability ``1 - (1 - J^rows)^bands`` of that at the
   true ``J``.  A false positive whose best match in its output cluster has ``J >=
   threshold`` but lies in another labelled cluster is a duplicate the ground truth does
   not know about (none is expected with (c)); the precision counting those as correct is
   reported beside (not gated).  datatrove's removals are scored the same way (it gives no
   ``duplicate_of``, so its false positives are explained less).
4. **Memory**: peak RSS of ``curate dedup`` (``--memory-executor``, default local) on
   corpora of ``--memory-sizes`` documents (default: the corpus, ~20,000, and 10x).  Each
   is the corpus itself (or its first documents) followed, for a larger size, by copies of
   it, every copy with new ids and 30-50% of its words replaced by random corpus words
   (characters, for text without spaces; seeded), so the copies are distinct documents,
   not duplicates: the 10x corpus holds the same duplicate clusters as the corpus (the
   same verification work) plus 9x as many other documents.  Written once as Parquet
   parts of 5,000 rows under the cache.
   Reported: ``peak_rss_mb`` from curate's ``stats.json`` (max over worker tasks) when
   present, the child process's own peak (``ru_maxrss``, via a small spawner process: a
   process exec'd straight from this one would inherit this one's size as its high-water
   mark) and the largest peak of any process in its tree (sampled ``VmHWM``).  Target: the peak at the largest size is at
   most 1.5x the peak at the smallest (memory follows batch size, not corpus size).

Usage::

    python benchmarks/dedup.py --json dedup.json                 # everything, ~20 min (+15 the first time)
    python benchmarks/dedup.py --docs out/docs --labels bench.labels.jsonl --skip-memory
    python benchmarks/dedup.py --memory-sizes 2000,20000 --skip-datatrove --skip-signatures

Exits 1 when a target is missed or a run failed (``--limit`` smoke runs are not gated),
2 when the input cannot be found.  Shared data: ``--shared-data``, else
``$CURATE_SHARED_DATA``, else ``../shared/data``.  Cache: ``--cache-dir``, else
``$CURATE_BENCH_CACHE``, else ``$CURATE_CACHE/bench``, else ``~/.cache/curate/bench``.
Needs datasketch and datatrove with its ``processing`` extras (spaCy for its tokenizer,
``tokenizers``, which its dedup package imports, and ``xxhash<4``; without xxhash, or with
xxhash 4, which no longer hashes ``str``, datatrove is run with its sha1 hash).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as ``python benchmarks/dedup.py``
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.throughput import (  # noqa: E402
    TreeCpuSampler,
    _loadavg,
    default_cache_dir,
    default_shared_data,
    ensure_bench_warc,
    machine_info,
)

TARGET_PRECISION = 0.98
TARGET_RECALL = 0.95
TARGET_SIGNATURE_SPEEDUP = 20.0
TARGET_DEDUP_SPEEDUP = 5.0
MEMORY_MAX_RATIO = 1.5
GT_BANDS, GT_ROWS, GT_SEED = 32, 4, 7  # miss chance at J = 0.8: (1 - 0.8**4) ** 32, about 5e-8
GT_NAME = "true J >= threshold within labelled clusters and across them"
CROSS_CLUSTER = "duplicate across labelled clusters (true J >= threshold, the labels split them)"
ROWS_PER_PART = 5000
MB = 1_000_000
PACKAGES = ("curate", "numba", "numpy", "pyarrow", "ray", "datasketch", "datatrove", "xxhash", "spacy")
EXTRACT_PIPELINE = """\
# Written by benchmarks/dedup.py: main text only, every language kept.
name: dedup-bench-extract
input:
  format: warc
stages:
  - extract_html:
      engine: trafilatura
      timeout_s: 10
execution:
  batch_rows: 200
"""


# --------------------------------------------------------------------------------------
# Paths, input, machine
# --------------------------------------------------------------------------------------


def curate_command() -> list[str]:
    """The ``curate`` console script of this interpreter's environment."""
    exe = Path(sys.executable).parent / "curate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "curate.cli"]


def parquet_dir(path: Path) -> Path:
    """A ``curate run`` output directory means its ``data/`` folder."""
    if path.is_dir() and (path / "data").is_dir() and not any(path.glob("*.parquet")):
        return path / "data"
    return path


def ensure_docs(args: argparse.Namespace, cache: Path, shared: Path) -> Path:
    """The extracted corpus: ``--docs``, else ``<cache>/docs-<records>``, built when missing."""
    if args.docs is not None:
        path = parquet_dir(args.docs)
        if not path.exists():
            raise SystemExit(f"error: --docs {args.docs} does not exist")
        return path
    out = cache / f"docs-{args.records}"
    if (out / "stats.json").exists():
        return out / "data"
    warc, _ = ensure_bench_warc(args.records, cache, shared)
    pipeline = cache / "dedup-extract.yaml"
    pipeline.write_text(EXTRACT_PIPELINE)
    command = [*curate_command(), "run", str(pipeline), "--input", str(warc), "--output", str(out), "--overwrite", "--quiet"]
    print(f"extracting the text of {warc} into {out} (once, then cached; ~10-15 min on 2 cores) ...", flush=True)
    print("  " + shlex.join(command), flush=True)
    subprocess.run(command, check=True)
    return out / "data"


@dataclass
class Corpus:
    """The documents every tool reads (``path``), and their ids, URLs and texts here."""

    path: Path
    ids: list[str]
    urls: list[str | None]
    texts: list[str]
    arrow_texts: pa.Array
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.ids)


def load_corpus(path: Path, limit: int | None, work: Path) -> Corpus:
    """Read ``id``, ``url`` and ``text``; with ``limit``, write the first rows as the input."""
    dataset = ds.dataset(str(path), format="parquet")
    if limit:
        table = dataset.head(limit)
        path = work / f"input-first-{limit}"
        path.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path / "part-00000.parquet", compression="zstd")
        table = table.select([c for c in ("id", "url", "text") if c in table.column_names])
    else:
        table = dataset.to_table(columns=[c for c in ("id", "url", "text") if c in dataset.schema.names])
    if "id" not in table.column_names or "text" not in table.column_names:
        raise SystemExit(f"error: {path} has no id/text columns")
    ids = [str(x) for x in table["id"].to_pylist()]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"error: ids in {path} are not unique")
    urls = table["url"].to_pylist() if "url" in table.column_names else [None] * len(ids)
    text = table["text"].combine_chunks().cast(pa.large_string())
    if text.null_count:
        text = text.fill_null("")
    return Corpus(path, ids, urls, text.to_pylist(), text, {d: i for i, d in enumerate(ids)})


# --------------------------------------------------------------------------------------
# Child processes: wall time, CPU time, peak memory
# --------------------------------------------------------------------------------------


def _process_table() -> dict[int, int]:
    """Parent pid of every live process (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return parents


def _status_kb(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


class TreeMemorySampler:
    """Peak resident memory of a process and its descendants (e.g. Ray workers).

    Every ``interval`` seconds: each process's ``VmHWM`` (its own peak so far, so a short
    spike between samples still counts while the process lives) and the sum of ``VmRSS``
    over the tree.  Linux only; empty elsewhere.
    """

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.hwm_kb: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.peak_sum_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        if not Path("/proc").is_dir():
            return
        children: dict[int, list[int]] = defaultdict(list)
        for pid, ppid in _process_table().items():
            children[ppid].append(pid)
        stack, total = [self.root], 0
        while stack:
            pid = stack.pop()
            stack.extend(children.get(pid, []))
            status = _status_kb(pid)
            if "VmHWM" in status:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status["VmHWM"])
                total += status.get("VmRSS", 0)
                if pid not in self.names:
                    try:
                        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    except OSError:
                        cmd = "?"
                    self.names[pid] = cmd.strip()[:90]
        self.peak_sum_kb = max(self.peak_sum_kb, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeMemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def largest(self) -> tuple[float | None, str | None]:
        """(MB, command line) of the process with the highest peak."""
        if not self.hwm_kb:
            return None, None
        pid = max(self.hwm_kb, key=self.hwm_kb.__getitem__)
        return self.hwm_kb[pid] * 1024 / MB, self.names.get(pid)


@dataclass
class ChildRun:
    """One child process: its command, exit status, wall and CPU seconds, peak memory."""

    command: list[str]
    returncode: int
    wall_seconds: float
    cpu_seconds: float
    maxrss_mb: float
    tree_largest_mb: float | None
    tree_largest_process: str | None
    tree_sum_peak_mb: float
    log: str
    timed_out: bool = False

    @property
    def cores(self) -> float:
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds > 0 else float("nan")

    def tail(self, chars: int = 1500) -> str:
        try:
            return Path(self.log).read_text(errors="replace")[-chars:]
        except OSError:
            return ""


# Forks and execs the command, waits for it and writes its rusage as JSON.  Linux keeps the
# resident high-water mark of a process's memory from before its exec, so a command started
# straight from this (large) process would report this process's size as its own peak, in
# ``ru_maxrss`` and in curate's stats.json alike; started from this small interpreter
# (``python -S``, a few MB) it reports its own.
_SPAWN = """\
import json, os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as exc:
        print(f"cannot run {sys.argv[2]}: {exc}", file=sys.stderr)
    os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"maxrss_kb": ru.ru_maxrss, "cpu_seconds": ru.ru_utime + ru.ru_stime}, f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_tool(run: DedupRun, tool: str, command: list[str], log: Path, timeout: float) -> bool:
    """Run a tool's child process into ``run``; on failure record and print why."""
    child = run_child(command, log, timeout)
    run.child = child
    if child.returncode == 0:
        return True
    why = "timed out" if child.timed_out else f"exit status {child.returncode}"
    run.error = f"{tool} failed ({why}): {child.tail(800).strip()}"
    print(f"  FAILED: {run.error}", flush=True)
    return False


def run_child(command: list[str], log: Path, timeout: float) -> ChildRun:
    """Run ``command`` (its own session, output to ``log``) and measure it.

    Wall clock around the whole process; CPU seconds and ``ru_maxrss`` from ``os.wait4``
    (the command and the descendants it waited for), taken by a small spawner process (see
    ``_SPAWN``); CPU seconds of the whole process tree sampled from ``/proc`` (Ray workers)
    when that is more; the tree's memory from :class:`TreeMemorySampler`.  After ``timeout``
    seconds the process group is killed.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    usage_path = log.with_name(log.name + ".rusage.json")
    usage_path.unlink(missing_ok=True)
    timed_out = threading.Event()
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _SPAWN, str(usage_path), *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        own0 = time.process_time()
        try:
            with TreeCpuSampler() as cpu_sampler, TreeMemorySampler(proc.pid) as sampler:
                _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        own = time.process_time() - own0
    proc.returncode = os.waitstatus_to_exitcode(status)
    largest_mb, largest_name = sampler.largest()
    try:
        child = json.loads(usage_path.read_text())
    except (OSError, ValueError):  # killed: the spawner's figures (include this process's size)
        child = {"maxrss_kb": usage.ru_maxrss, "cpu_seconds": usage.ru_utime + usage.ru_stime}
    # Ray's workers are not the child's waited-for descendants: count the sampled tree too
    tree_cpu = cpu_sampler.seconds - own if cpu_sampler.seconds is not None else 0.0
    return ChildRun(
        command=command,
        returncode=proc.returncode,
        wall_seconds=wall,
        cpu_seconds=max(child["cpu_seconds"], tree_cpu),
        maxrss_mb=child["maxrss_kb"] * 1024 / MB,  # kB on Linux
        tree_largest_mb=largest_mb,
        tree_largest_process=largest_name,
        tree_sum_peak_mb=sampler.peak_sum_kb * 1024 / MB,
        log=str(log),
        timed_out=timed_out.is_set(),
    )


# --------------------------------------------------------------------------------------
# 1. Signatures: curate MinHasher vs datasketch MinHash.bulk
# --------------------------------------------------------------------------------------


def bench_signatures(corpus: Corpus, args: argparse.Namespace) -> dict[str, Any]:
    """Signature rates on one core; see the module docstring."""
    from datasketch import MinHash

    from curate.dedup.minhash import MinHasher, shingles

    texts = corpus.arrow_texts
    n = len(corpus)
    hasher = MinHasher(num_perm=args.num_perm, ngram=args.ngram)
    began = time.perf_counter()
    hasher.signatures(texts.slice(0, min(50, n)))  # numba: compile or load the cache
    warmup = time.perf_counter() - began

    # whole corpus, in batches as a dedup worker sees it
    shingle_positions = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for start in range(0, n, args.batch_rows):
        _, counts = hasher.signatures(texts.slice(start, args.batch_rows))
        shingle_positions += int(counts.sum())
    full_wall = time.perf_counter() - wall0
    full_cpu = time.process_time() - cpu0
    text_bytes = int(pc.sum(pc.binary_length(texts)).as_py() or 0)

    # the datasketch subset
    k = min(args.signature_docs, n)
    picked = sorted(random.Random(args.seed).sample(range(n), k))
    subset = texts.take(pa.array(picked))
    curate_runs: list[float] = []
    for _ in range(max(1, args.repeats)):
        began = time.perf_counter()
        for start in range(0, k, args.batch_rows):
            hasher.signatures(subset.slice(start, args.batch_rows))
        curate_runs.append(time.perf_counter() - began)
    curate_subset = statistics.median(curate_runs)

    began = time.perf_counter()
    shingle_lists = [[" ".join(s).encode("utf-8") for s in shingles(corpus.texts[i], args.ngram)] for i in picked]
    shingling = time.perf_counter() - began
    unique_shingles = sum(len(s) for s in shingle_lists)
    cpu0, began = time.process_time(), time.perf_counter()
    MinHash.bulk(shingle_lists, num_perm=args.num_perm)
    bulk = time.perf_counter() - began
    bulk_cpu = time.process_time() - cpu0
    del shingle_lists

    curate_rate = k / curate_subset
    bulk_rate = k / bulk
    return {
        "num_perm": args.num_perm,
        "ngram": args.ngram,
        "warmup_seconds": round(warmup, 3),
        "corpus_docs": n,
        "corpus_seconds": round(full_wall, 4),
        "corpus_cores": round(full_cpu / full_wall, 3) if full_wall else None,
        "corpus_docs_per_s": round(n / full_wall, 1),
        "corpus_shingles_per_s": round(shingle_positions / full_wall, 1),
        "corpus_mb_per_s": round(text_bytes / MB / full_wall, 2),
        "corpus_shingle_positions": shingle_positions,
        "subset_docs": k,
        "subset_unique_shingles": unique_shingles,
        "curate_subset_seconds": round(curate_subset, 4),
        "curate_subset_runs": [round(x, 4) for x in curate_runs],
        "curate_docs_per_s": round(curate_rate, 1),
        "python_shingling_seconds": round(shingling, 3),
        "python_shingling_docs_per_s": round(k / shingling, 1),
        "datasketch_bulk_seconds": round(bulk, 3),
        "datasketch_bulk_cores": round(bulk_cpu / bulk, 3) if bulk else None,
        "datasketch_bulk_docs_per_s": round(bulk_rate, 1),
        "datasketch_with_shingling_docs_per_s": round(k / (bulk + shingling), 1),
        "speedup": round(curate_rate / bulk_rate, 2),
        "speedup_vs_datasketch_with_shingling": round(curate_rate * (bulk + shingling) / k, 2),
        "target": TARGET_SIGNATURE_SPEEDUP,
    }


def print_signatures(r: dict[str, Any]) -> None:
    print(f"\n[1. signatures, one core, num_perm={r['num_perm']}, {r['ngram']}-word shingles]")
    print(
        f"curate MinHasher, whole corpus ({r['corpus_docs']:,} docs, batches): {r['corpus_docs_per_s']:,.0f} docs/s, "
        f"{r['corpus_shingles_per_s'] / 1e6:,.2f} M shingles/s, {r['corpus_mb_per_s']:.1f} MB/s of text "
        f"(cores {r['corpus_cores']}; warm-up/compile {r['warmup_seconds']:.2f} s, not counted)"
    )
    print(f"on the same {r['subset_docs']:,} random docs ({r['subset_unique_shingles']:,} distinct shingles):")
    print(f"  curate MinHasher.signatures       {r['curate_docs_per_s']:>10,.0f} docs/s  (median of {len(r['curate_subset_runs'])})")
    print(f"  datasketch MinHash.bulk           {r['datasketch_bulk_docs_per_s']:>10,.1f} docs/s  (cores {r['datasketch_bulk_cores']})")
    print(f"  Python shingling for datasketch   {r['python_shingling_docs_per_s']:>10,.1f} docs/s  (not in the bulk rate)")
    print(f"  datasketch incl. shingling        {r['datasketch_with_shingling_docs_per_s']:>10,.1f} docs/s")
    verdict = "ok" if r["speedup"] >= r["target"] else "BELOW TARGET"
    print(
        f"  speed-up: {r['speedup']:.1f}x MinHash.bulk (target >= {r['target']:.0f}x: {verdict}); "
        f"{r['speedup_vs_datasketch_with_shingling']:.1f}x datasketch with its shingling"
    )


# --------------------------------------------------------------------------------------
# 2. Whole fuzzy dedup: curate dedup and datatrove
# --------------------------------------------------------------------------------------


@dataclass
class DedupRun:
    """One whole dedup run and what it removed."""

    name: str
    tool: str
    executor: str
    docs: int
    child: ChildRun | None = None
    error: str | None = None
    kept: int | None = None
    removed_ids: dict[str, str | None] = field(default_factory=dict)  # id -> duplicate_of
    cluster_of_kept: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] | None = None
    steps: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    contract_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.child is not None

    def peak_worker_mb(self) -> float | None:
        """``peak_rss_mb`` of curate's stats.json, else the child's own peak."""
        if self.stats is not None:
            value = _find_key(self.stats.get("dedup", {}), "peak_rss_mb")
            if isinstance(value, (int, float)):
                return float(value)
        return self.child.maxrss_mb if self.child else None

    def summary(self) -> dict[str, Any]:
        c = self.child
        return {
            "name": self.name,
            "tool": self.tool,
            "executor": self.executor,
            "docs": self.docs,
            "error": self.error,
            "kept": self.kept,
            "removed": len(self.removed_ids) if self.ok else None,
            "wall_seconds": round(c.wall_seconds, 3) if c else None,
            "cpu_seconds": round(c.cpu_seconds, 3) if c else None,
            "cores": round(c.cores, 3) if c else None,
            "docs_per_s": round(self.docs / c.wall_seconds, 1) if c and c.wall_seconds else None,
            "process_peak_rss_mb": round(c.maxrss_mb, 1) if c else None,
            "tree_largest_peak_mb": round(c.tree_largest_mb, 1) if c and c.tree_largest_mb else None,
            "tree_largest_process": c.tree_largest_process if c else None,
            "tree_sum_peak_mb": round(c.tree_sum_peak_mb, 1) if c else None,
            "peak_worker_mb": self.peak_worker_mb(),
            "steps_seconds": self.steps,
            "config": self.config,
            "command": shlex.join(c.command) if c else None,
            "log": c.log if c else None,
            "stats_dedup": (self.stats or {}).get("dedup"),
            "contract_problems": self.contract_problems,
        }


def _stats_line(section: dict[str, Any]) -> str:
    """The scalar figures of curate's ``dedup`` stats (one level of nesting), one line."""
    parts: list[str] = []
    for name, value in section.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {v}" for k, v in value.items() if isinstance(v, (int, float, str, bool)) or v is None)
            parts.append(f"{name}: {inner}")
        elif not isinstance(value, list):
            parts.append(f"{name} {value}")
    return "; ".join(parts)


def _find_key(data: Any, key: str) -> Any:
    """The first value of ``key`` anywhere in nested dicts/lists, or None."""
    if isinstance(data, dict):
        if key in data:
            return data[key]
        values: Iterable[Any] = data.values()
    elif isinstance(data, list):
        values = data
    else:
        return None
    for value in values:
        found = _find_key(value, key)
        if found is not None:
            return found
    return None


def _read_ids(folder: Path, columns: Sequence[str]) -> pa.Table | None:
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    return dataset.to_table(columns=[c for c in columns if c in dataset.schema.names])


def run_curate_dedup(name: str, input_path: Path, docs: int, out: Path, executor: str, args: argparse.Namespace) -> DedupRun:
    """``curate dedup`` in a child process; reads its output back and checks the contract."""
    command = [*curate_command(), "dedup", str(input_path), "--output", str(out), "--threshold", str(args.threshold)]
    command += ["--num-perm", str(args.num_perm), "--ngram", str(args.ngram)]
    if args.bands and args.rows:
        command += ["--bands", str(args.bands), "--rows", str(args.rows)]
    if args.verify:
        command += ["--verify", args.verify]
    if args.keep:
        command += ["--keep", args.keep]
    command += ["--executor", executor, "--overwrite", "--quiet"]
    if executor == "ray" and args.num_cpus:
        command += ["--num-cpus", str(args.num_cpus)]
    command += shlex.split(args.curate_args or "")
    run = DedupRun(name=name, tool="curate", executor=executor, docs=docs)
    print(f"{name}: {shlex.join(command)}", flush=True)
    if not _run_tool(run, "curate dedup", command, out.parent / f"{out.name}.log", args.timeout):
        return run
    stats_path = out / "stats.json"
    if stats_path.exists():
        run.stats = json.loads(stats_path.read_text())
        if "dedup" not in run.stats:
            run.contract_problems.append("stats.json has no 'dedup' section")
        elif _find_key(run.stats["dedup"], "peak_rss_mb") is None:
            run.contract_problems.append("stats.json 'dedup' has no peak_rss_mb (using the process's ru_maxrss)")
        for key in ("bands", "rows"):
            value = _find_key(run.stats.get("dedup", {}), key)
            if value is not None:
                run.config[key] = value
        steps = _find_key(run.stats.get("dedup", {}), "steps")
        if isinstance(steps, dict):
            run.steps = {k: v for k, v in steps.items() if isinstance(v, (int, float))}
        elif isinstance(steps, list):
            for step in steps:
                if isinstance(step, dict) and "step" in step and isinstance(step.get("seconds"), (int, float)):
                    run.steps[str(step["step"])] = round(run.steps.get(str(step["step"]), 0.0) + step["seconds"], 3)
        total = _find_key(run.stats.get("dedup", {}), "seconds")
        if isinstance(total, (int, float)):
            run.steps["total (stats.json)"] = total
    else:
        run.contract_problems.append("no stats.json in the output directory")
    kept = _read_ids(out / "data", ["id", "duplicate_cluster_id", "duplicate_cluster_size"])
    rejects = _read_ids(out / "rejects", ["id", "duplicate_of", "dropped_by", "reason"])
    if kept is None:
        run.error = f"no kept documents under {out / 'data'}"
        return run
    kept_ids = [str(x) for x in kept["id"].to_pylist()]
    run.kept = len(kept_ids)
    if "duplicate_cluster_id" in kept.column_names:
        run.cluster_of_kept = dict(zip(kept_ids, map(str, kept["duplicate_cluster_id"].to_pylist())))
    else:
        run.contract_problems.append("kept documents have no duplicate_cluster_id column")
    if "duplicate_cluster_size" not in kept.column_names:
        run.contract_problems.append("kept documents have no duplicate_cluster_size column")
    if rejects is not None:
        if "duplicate_of" not in rejects.column_names:
            run.contract_problems.append("rejects have no duplicate_of column")
        dup = rejects["duplicate_of"].to_pylist() if "duplicate_of" in rejects.column_names else [None] * rejects.num_rows
        run.removed_ids = {str(i): (None if d is None else str(d)) for i, d in zip(rejects["id"].to_pylist(), dup)}
        for column, want in (("dropped_by", "minhash_dedup"), ("reason", "near_duplicate")):
            if column not in rejects.column_names:
                run.contract_problems.append(f"rejects have no {column} column")
                continue
            other = Counter(v for v in rejects[column].to_pylist() if v != want)
            if other:
                run.contract_problems.append(f"rejects {column} other than {want!r}: {dict(other.most_common(3))}")
    _check_partition(run, kept_ids, docs)
    return run


def _check_partition(run: DedupRun, kept_ids: list[str], docs: int) -> None:
    """Every input document once, kept or removed; duplicate_of points at kept documents."""
    kept_set = set(kept_ids)
    if len(kept_set) != len(kept_ids):
        run.contract_problems.append(f"{len(kept_ids) - len(kept_set)} kept ids appear twice")
    both = kept_set & set(run.removed_ids)
    if both:
        run.contract_problems.append(f"{len(both)} ids are both kept and removed")
    total = len(kept_set | set(run.removed_ids))
    if total != docs:
        run.contract_problems.append(f"kept + removed = {total:,} documents, input has {docs:,}")
    dangling = sum(1 for d in run.removed_ids.values() if d is not None and d not in kept_set)
    if dangling:
        run.contract_problems.append(f"{dangling} removed documents have a duplicate_of that is not a kept id")
    if run.cluster_of_kept:
        sizes = Counter(run.cluster_of_kept.values())
        bad = sum(1 for i, c in run.cluster_of_kept.items() if c != i and sizes.get(c, 0) == 0)
        if bad:
            run.contract_problems.append(f"{bad} kept documents have a duplicate_cluster_id that is no kept id")


def datatrove_child(spec_path: Path) -> int:
    """Run datatrove's four MinHash steps as described by the JSON spec (child process)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.hashing import HashConfig

    spec = json.loads(spec_path.read_text())
    work = Path(spec["work"])
    config = MinhashConfig(
        n_grams=spec["ngram"],
        num_buckets=spec["bands"],
        hashes_per_bucket=spec["rows"],
        seed=1,
        hash_config=HashConfig(precision=64, hash_fc=spec["hash_fc"]),
    )
    tasks, workers = spec["tasks"], spec["workers"]

    def reader() -> Any:
        return ParquetReader(spec["input"], glob_pattern=spec["glob"], text_key="text", id_key="id")

    steps = [
        ("signatures", [reader(), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config)], tasks),
        ("buckets", [MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"), config=config)], spec["bands"]),
        ("cluster", [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"), config=config)], 1),
        (
            "filter",
            [
                reader(),
                MinhashDedupFilter(input_folder=str(work / "remove_ids"), exclusion_writer=ParquetWriter(str(work / "removed"))),
                ParquetWriter(str(work / "kept")),
            ],
            tasks,
        ),
    ]
    seconds: dict[str, float] = {}
    for name, pipeline, n_tasks in steps:
        executor = LocalPipelineExecutor(
            pipeline, tasks=n_tasks, workers=min(workers, n_tasks), logging_dir=str(work / "logs" / name)
        )
        began = time.perf_counter()
        executor.run()
        seconds[name] = round(time.perf_counter() - began, 3)
    Path(spec["result"]).write_text(json.dumps({"steps": seconds, "config": str(config)}))
    return 0


def run_datatrove(input_path: Path, docs: int, work: Path, bands: int, rows: int, args: argparse.Namespace) -> DedupRun:
    """datatrove's four steps in a child process of this script."""
    try:
        import xxhash

        xxhash.xxh64_intdigest("datatrove hashes str")  # xxhash >= 4 takes bytes only
        hash_fc = "xxhash"
    except (ImportError, TypeError):
        hash_fc = "sha1"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    folder, glob = (str(input_path), "*.parquet") if input_path.is_dir() else (str(input_path.parent), input_path.name)
    spec = {
        "input": folder,
        "glob": glob,
        "work": str(work),
        "ngram": args.ngram,
        "bands": bands,
        "rows": rows,
        "hash_fc": hash_fc,
        "tasks": args.datatrove_workers,
        "workers": args.datatrove_workers,
        "result": str(work / "result.json"),
    }
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    name = f"datatrove 4 steps, LocalPipelineExecutor workers={args.datatrove_workers}"
    run = DedupRun(name=name, tool="datatrove", executor=f"local workers={args.datatrove_workers}", docs=docs)
    run.config = {
        "n_grams": args.ngram,
        "num_buckets": bands,
        "hashes_per_bucket": rows,
        "hash": f"{hash_fc} 64-bit",
        "tokenizer": "datatrove default (en, spaCy)",
        "tasks": f"{args.datatrove_workers} (read, signatures, filter), {bands} (buckets), 1 (cluster)",
        "workers": args.datatrove_workers,
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--datatrove-child", str(spec_path)]
    print(f"{name}: bands={bands} rows={rows} n_grams={args.ngram} hash={hash_fc} ...", flush=True)
    if not _run_tool(run, "datatrove", command, work.parent / f"{work.name}.log", args.timeout):
        return run
    result = json.loads((work / "result.json").read_text())
    run.steps = result["steps"]
    run.config["minhash_config"] = result["config"]
    removed = _read_ids(work / "removed", ["id"])
    kept = _read_ids(work / "kept", ["id"])
    run.removed_ids = {str(i): None for i in (removed["id"].to_pylist() if removed is not None else [])}
    run.kept = kept.num_rows if kept is not None else 0
    return run


def curate_seed(args: argparse.Namespace) -> int:
    """The MinHash seed ``curate dedup`` runs with (its ``--seed``, default 1)."""
    extra = shlex.split(args.curate_args or "")
    if "--seed" in extra[:-1]:
        return int(extra[extra.index("--seed") + 1])
    return 1


def optimal_bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's choice of (bands, rows) for ``threshold`` (equal FP/FN weights).

    Through curate's ``lsh_parameters``, which reads it from datasketch's public
    ``MinHashLSH(...).b`` / ``.r`` (cached).
    """
    from curate.dedup.fuzzy import lsh_parameters

    return lsh_parameters(threshold, num_perm, 0.5, 0.5)


def print_speed(runs: list[DedupRun], datatrove: DedupRun | None, reference: DedupRun | None) -> dict[str, Any]:
    print("\n[2. whole fuzzy dedup, same Parquet input; wall = the whole child process]")
    header = f"{'run':<58} {'docs/s':>8} {'wall s':>8} {'cores':>5} {'removed':>8} {'kept':>7} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for run in [*runs, *([datatrove] if datatrove else [])]:
        s = run.summary()
        if not run.ok:
            print(f"{run.name:<58} FAILED: {(run.error or '')[:200]}")
            continue
        print(
            f"{run.name:<58} {s['docs_per_s']:>8,.0f} {s['wall_seconds']:>8.2f} {s['cores']:>5.2f} "
            f"{s['removed']:>8,} {s['kept'] or 0:>7,} {s['process_peak_rss_mb']:>8,.0f}"
        )
        if run.steps:
            print("    steps (s): " + ", ".join(f"{k} {v}" for k, v in run.steps.items()))
        if run.tool == "datatrove":
            print(f"    config: {run.config}")
        if run.stats and run.stats.get("dedup") is not None:
            print(f"    stats.json dedup: {_stats_line(run.stats['dedup'])}")
        for problem in run.contract_problems:
            print(f"    CONTRACT: {problem}")
    out: dict[str, Any] = {"target": TARGET_DEDUP_SPEEDUP}
    if datatrove and datatrove.ok and reference and reference.ok:
        ratio = datatrove.child.wall_seconds / reference.child.wall_seconds
        verdict = "ok" if ratio >= TARGET_DEDUP_SPEEDUP else "BELOW TARGET"
        out.update(
            {
                "curate": reference.name,
                "datatrove": datatrove.name,
                "speedup": round(ratio, 2),
                "speedup_cpu": round(datatrove.child.cpu_seconds / reference.child.cpu_seconds, 2),
            }
        )
        print(
            f"speed-up: {ratio:.1f}x datatrove ({reference.name} vs {datatrove.name}; per core: one process against "
            f"one worker; target >= {TARGET_DEDUP_SPEEDUP:.0f}x: {verdict}); CPU seconds ratio {out['speedup_cpu']:.1f}x"
        )
        for run in runs:
            if run is not reference and run.ok:
                out[f"speedup_{run.executor}"] = round(datatrove.child.wall_seconds / run.child.wall_seconds, 2)
                print(f"  {run.name}: {out[f'speedup_{run.executor}']:.1f}x datatrove (not gated)")
    return out


# --------------------------------------------------------------------------------------
# 3. Quality against the ground truth
# --------------------------------------------------------------------------------------


class ShingleSets:
    """Each document's shingle set (``curate.dedup.minhash.shingles``), computed once."""

    def __init__(self, texts: list[str], ngram: int) -> None:
        from curate.dedup.minhash import shingles

        self._shingles = shingles
        self.texts = texts
        self.ngram = ngram
        self.sets: dict[int, frozenset[tuple[str, ...]]] = {}
        self.seconds = 0.0

    def __call__(self, i: int) -> frozenset[tuple[str, ...]]:
        found = self.sets.get(i)
        if found is None:
            began = time.perf_counter()
            found = self.sets[i] = frozenset(self._shingles(self.texts[i], self.ngram))
            self.seconds += time.perf_counter() - began
        return found

    def jaccard(self, a: int, b: int) -> float:
        """True Jaccard; a document without shingles is nobody's duplicate."""
        sa, sb = self(a), self(b)
        if not sa or not sb:
            return 0.0
        inter = len(sa & sb)
        return inter / (len(sa) + len(sb) - inter)


@dataclass
class Labels:
    cluster: list[str]
    kind: list[str]
    edit_rate: list[float | None]
    ambiguous_urls: int = 0
    unlabelled: int = 0


def assign_labels(corpus: Corpus, labels_path: Path, sh: ShingleSets) -> Labels:
    """Each document's labelled cluster and kind, through its URL (see the docstring)."""
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with labels_path.open() as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                records[rec["url"]].append(rec)
    n = len(corpus)
    cluster: list[str] = [""] * n
    kind: list[str] = [""] * n
    edit: list[float | None] = [None] * n
    docs_by_url: dict[str | None, list[int]] = defaultdict(list)
    for i, url in enumerate(corpus.urls):
        docs_by_url[url].append(i)
    labels = Labels(cluster, kind, edit)
    ambiguous: list[tuple[list[int], list[dict[str, Any]]]] = []
    for url, idxs in docs_by_url.items():
        recs = records.get(url) if url is not None else None
        if not recs:
            for i in idxs:
                cluster[i], kind[i] = f"unlabelled:{corpus.ids[i]}", "unlabelled"
                labels.unlabelled += 1
        elif len(recs) == 1:
            for i in idxs:
                cluster[i], kind[i], edit[i] = str(recs[0]["cluster"]), recs[0]["kind"], recs[0].get("edit_rate")
        else:
            ambiguous.append((idxs, recs))
    members: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cluster):
        if c:
            members[c].append(i)
    for idxs, recs in ambiguous:
        labels.ambiguous_urls += 1
        scored = []
        for ri, rec in enumerate(recs):
            others = members.get(str(rec["cluster"]), [])
            for i in idxs:
                best = max((sh.jaccard(i, m) for m in others), default=0.0)
                scored.append((-best, i, ri))
        scored.sort()
        used_docs: set[int] = set()
        used_recs: set[int] = set()
        for _, i, ri in scored:
            if i in used_docs or (ri in used_recs and len(used_recs) < len(recs)):
                continue
            used_docs.add(i)
            used_recs.add(ri)
            rec = recs[ri]
            cluster[i], kind[i], edit[i] = str(rec["cluster"]), rec["kind"], rec.get("edit_rate")
    return labels


@dataclass
class GroundTruth:
    name: str
    group_of: list[int]
    groups: list[list[int]]
    pairs: int
    edges: int
    cross_cluster_edges: int
    seconds: float

    @property
    def should_go(self) -> int:
        return sum(len(g) - 1 for g in self.groups)


def sensitive_candidates(corpus: Corpus, sh: ShingleSets, ngram: int) -> tuple[list[tuple[int, int]], int]:
    """Pairs sharing a band of an independent, very sensitive MinHash LSH (see the docstring).

    Returns the pairs and the size of the largest bucket.  Documents without shingles are
    left out (nobody's duplicate).
    """
    import numpy as np

    from curate.dedup.minhash import MinHasher, band_hashes

    sigs, counts = MinHasher(num_perm=GT_BANDS * GT_ROWS, ngram=ngram, seed=GT_SEED).signatures(corpus.arrow_texts)
    keep = np.flatnonzero(counts > 0)
    bands = band_hashes(sigs[keep], GT_BANDS, GT_ROWS)
    pairs: set[tuple[int, int]] = set()
    largest = 0
    for b in range(GT_BANDS):
        order = np.argsort(bands[:, b], kind="stable")
        values = bands[order, b]
        for bucket in np.split(order, np.flatnonzero(np.diff(values)) + 1):
            if len(bucket) < 2:
                continue
            largest = max(largest, len(bucket))
            docs = sorted(int(keep[x]) for x in bucket)
            pairs.update((a, c) for pos, a in enumerate(docs) for c in docs[pos + 1 :])
    return sorted(pairs), largest


def ground_truth(
    labels: Labels, sh: ShingleSets, threshold: float, extra: Sequence[tuple[int, int]] = (), name: str = "labelled clusters only"
) -> GroundTruth:
    """Connected components of the pairs with true Jaccard >= threshold.

    The pairs examined: every pair within a labelled cluster, and the ``extra`` pairs of
    documents in different clusters.
    """
    began = time.perf_counter()
    n = len(labels.cluster)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(labels.cluster):
        members[c].append(i)
    pairs = edges = cross = 0

    def link(a: int, b: int) -> bool:
        if sh.jaccard(a, b) < threshold:
            return False
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        return True

    for docs in members.values():
        for a_pos, a in enumerate(docs):
            for b in docs[a_pos + 1 :]:
                pairs += 1
                edges += link(a, b)
    for a, b in extra:
        if labels.cluster[a] != labels.cluster[b]:
            pairs += 1
            found = link(a, b)
            edges += found
            cross += found
    roots = [find(i) for i in range(n)]
    by_root: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(roots):
        by_root[r].append(i)
    groups = list(by_root.values())
    group_of = [0] * n
    for gi, g in enumerate(groups):
        for i in g:
            group_of[i] = gi
    return GroundTruth(name, group_of, groups, pairs, edges, cross, time.perf_counter() - began)


def _cjk_share(text: str) -> float:
    """Share of Han / Kana characters among the non-space characters of the first 2,000."""
    chars = [c for c in text[:2000] if not c.isspace()]
    if not chars:
        return 0.0
    cjk = sum(1 for c in chars if 0x3040 <= ord(c) <= 0x30FF or 0x3400 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF)
    return cjk / len(chars)


def _doc_info(i: int, corpus: Corpus, labels: Labels, sh: ShingleSets) -> dict[str, Any]:
    return {
        "id": corpus.ids[i],
        "url": corpus.urls[i],
        "cluster": labels.cluster[i],
        "kind": labels.kind[i],
        "edit_rate": labels.edit_rate[i],
        "chars": len(corpus.texts[i]),
        "shingles": len(sh(i)),
        "cjk_share": round(_cjk_share(corpus.texts[i]), 3),
    }


class SignatureCheck:
    """curate's MinHash view of a pair: estimated Jaccard and whether LSH makes it a candidate.

    Recomputes the signatures with ``MinHasher(num_perm, ngram, seed)`` (the ``curate dedup``
    defaults) and bands them as ``curate.dedup.minhash.band_hashes`` does (band ``i`` = values
    ``i*rows .. (i+1)*rows - 1``): a diagnosis of why a pair was or was not merged.
    """

    def __init__(self, corpus: Corpus, num_perm: int, ngram: int, seed: int, bands: int, rows: int) -> None:
        from curate.dedup.minhash import MinHasher

        self.bands, self.rows = bands, rows
        self.sigs, _ = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed).signatures(corpus.arrow_texts)

    def pair(self, a: int, b: int, true_j: float) -> dict[str, Any]:
        sa, sb = self.sigs[a], self.sigs[b]
        width = self.bands * self.rows
        same_band = (sa[:width].reshape(self.bands, self.rows) == sb[:width].reshape(self.bands, self.rows)).all(axis=1)
        return {
            "estimated_jaccard": round(float((sa == sb).mean()), 4),
            "lsh_candidate": bool(same_band.any()),
            "lsh_probability": round(1.0 - (1.0 - true_j**self.rows) ** self.bands, 3),
        }


def evaluate(
    run: DedupRun,
    corpus: Corpus,
    labels: Labels,
    gt: GroundTruth,
    sh: ShingleSets,
    threshold: float,
    check: SignatureCheck | None = None,
) -> dict[str, Any]:
    """Precision and recall of ``run``'s removals, with every false positive and miss explained."""
    removed: dict[int, int | None] = {}
    unknown = 0
    for doc_id, dup in run.removed_ids.items():
        i = corpus.index.get(doc_id)
        if i is None:
            unknown += 1
            continue
        removed[i] = corpus.index.get(dup) if dup is not None else None
    cluster_members: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(labels.cluster):
        cluster_members[c].append(i)
    output_members: dict[int, list[int]] = defaultdict(list)  # kept doc -> its removed duplicates
    for i, d in removed.items():
        if d is not None:
            output_members[d].append(i)
    kept_cluster = {corpus.index[k]: c for k, c in run.cluster_of_kept.items() if k in corpus.index}
    ctx = _Context(corpus, labels, sh, threshold, check, cluster_members, output_members, removed)

    tp = fp = misses = 0
    false_positives: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    for group in gt.groups:
        r = [i for i in group if i in removed]
        kept = [i for i in group if i not in removed]
        tp_g = min(len(r), len(group) - 1)
        tp += tp_g
        fp_g = len(r) - tp_g
        fp += fp_g
        miss_g = len(group) - 1 - tp_g
        misses += miss_g
        if fp_g:
            # a singleton, or a group with nothing kept: the removal least like the kept doc
            def dup_j(i: int) -> float:
                d = removed[i]
                return sh.jaccard(i, d) if d is not None else -1.0

            for i in sorted(r, key=dup_j)[:fp_g]:
                false_positives.append(_explain_fp(i, len(group), ctx))
        if miss_g:
            for i in kept[1:]:
                missed.append(_explain_miss(i, kept, ctx, kept_cluster))

    # true Jaccard of every removal to the kept document it duplicates (curate gives it)
    j_dup = [sh.jaccard(i, d) for i, d in removed.items() if d is not None]
    n_removed = len(removed)
    labels_unaware = sum(1 for x in false_positives if x["category"] == CROSS_CLUSTER)
    fp_categories = Counter(x["category"] for x in false_positives)
    miss_categories = Counter(x["category"] for x in missed)
    return {
        "run": run.name,
        "ground_truth": gt.name,
        "docs": len(corpus),
        "removed": n_removed,
        "removed_unknown_ids": unknown,
        "should_go": gt.should_go,
        "true_positives": tp,
        "false_positives": fp,
        "misses": misses,
        "precision": tp / n_removed if n_removed else 1.0,
        "recall": tp / gt.should_go if gt.should_go else 1.0,
        "precision_counting_cross_cluster_duplicates": (tp + labels_unaware) / n_removed if n_removed else 1.0,
        "removals_with_duplicate_of": len(j_dup),
        "removals_duplicate_of_j_at_least_threshold": sum(1 for j in j_dup if j >= threshold),
        "removals_duplicate_of_j_min": round(min(j_dup), 4) if j_dup else None,
        "lsh_diagnosis": None if check is None else f"curate MinHasher seed as the CLI, bands {check.bands} x rows {check.rows}",
        "fp_categories": dict(fp_categories.most_common()),
        "miss_categories": dict(miss_categories.most_common()),
        "false_positive_examples": false_positives,
        "miss_examples": missed,
    }


@dataclass
class _Context:
    corpus: Corpus
    labels: Labels
    sh: ShingleSets
    threshold: float
    check: SignatureCheck | None
    cluster_members: dict[str, list[int]]
    output_members: dict[int, list[int]]
    removed: dict[int, int | None]


def _explain_fp(i: int, group_size: int, ctx: _Context) -> dict[str, Any]:
    """Why removing ``i`` was wrong: the best match curate grouped it with, and its J."""
    sh, labels, t = ctx.sh, ctx.labels, ctx.threshold
    info = _doc_info(i, ctx.corpus, labels, sh)
    info["ground_truth_group_size"] = group_size
    kept_in_cluster = [k for k in ctx.cluster_members[labels.cluster[i]] if k not in ctx.removed]
    near_j, near_k = max(((sh.jaccard(i, k), k) for k in kept_in_cluster), default=(None, None))
    info["nearest_kept_in_cluster"] = None if near_k is None else {"id": ctx.corpus.ids[near_k], "jaccard": round(near_j, 4)}
    dup = ctx.removed[i]
    if dup is None:  # no duplicate_of (datatrove)
        info["duplicate_of"] = None
        info["jaccard_nearest_kept"] = None if near_j is None else round(near_j, 4)
        category = "singleton removed" if group_size == 1 else "whole ground-truth group removed"
        if near_j is not None and near_j >= t:
            category += " (a kept doc of its cluster is a duplicate)"
        if info["cjk_share"] >= 0.3:
            # datatrove's English word tokenizer makes a run of Han/Kana characters one word,
            # where curate's words (and this ground truth) are single characters
            category += ", CJK text"
        info["category"] = category + " (no duplicate_of to say which doc it matched)"
        return info
    j = sh.jaccard(i, dup)
    info["duplicate_of"] = {**_doc_info(dup, ctx.corpus, labels, sh), "jaccard": round(j, 4)}
    info["jaccard_nearest_kept"] = round(max(j, near_j or 0.0), 4)
    # the document of its output cluster (the kept one and the others removed with it) most like it
    members = [dup, *ctx.output_members.get(dup, [])]
    best_j, best = max((sh.jaccard(i, m), m) for m in members if m != i)
    info["best_match_in_output_cluster"] = {**_doc_info(best, ctx.corpus, labels, sh), "jaccard": round(best_j, 4)}
    if ctx.check is not None:
        info["best_match_in_output_cluster"].update(ctx.check.pair(i, best, best_j))
    info["output_cluster_size"] = len(members)
    if best_j >= t and labels.cluster[best] != labels.cluster[i]:
        category = CROSS_CLUSTER
    elif best_j >= t:
        category = "its whole ground-truth group was merged into another cluster's kept doc (a chain)"
    else:
        category = "false match: no doc of its output cluster at true J >= threshold"
        if ctx.check is not None:
            est = info["best_match_in_output_cluster"]["estimated_jaccard"]
            category += ", best pair's estimated J >= threshold (MinHash estimate error)" if est >= t else ", best pair's estimated J < threshold too (linked through others)"
    info["category"] = category
    return info


def _explain_miss(i: int, kept: list[int], ctx: _Context, kept_cluster: dict[int, str]) -> dict[str, Any]:
    sh, t = ctx.sh, ctx.threshold
    info = _doc_info(i, ctx.corpus, ctx.labels, sh)
    j, k = max((sh.jaccard(i, other), other) for other in kept if other != i)
    info["nearest_kept"] = {**_doc_info(k, ctx.corpus, ctx.labels, sh), "jaccard": round(j, 4)}
    info["jaccard_nearest_kept"] = round(j, 4)
    together = None
    if kept_cluster:
        together = kept_cluster.get(i) is not None and kept_cluster.get(i) == kept_cluster.get(k)
    info["same_output_cluster"] = together
    if j >= t:
        category = "direct duplicate pair, both kept"
        if ctx.check is not None:
            diag = ctx.check.pair(i, k, j)
            info["nearest_kept"].update(diag)
            if not diag["lsh_candidate"]:
                category += ": not an LSH candidate (no band in common)"
            elif diag["estimated_jaccard"] < t:
                category += ": LSH candidate, estimated J < threshold"
            else:
                category += ": LSH candidate with estimated J >= threshold, yet not merged"
    else:
        category = "linked only through other documents (chain), none of its kept group-mates at J >= threshold"
    info["category"] = category
    return info


def _fmt_doc(x: dict[str, Any]) -> str:
    edit = f", edit {x['edit_rate']}" if x.get("edit_rate") else ""
    return f"{x['kind']} cluster {x['cluster']}{edit}, {x['chars']:,} chars, {x['shingles']:,} shingles"


def print_quality(q: dict[str, Any], examples: int, gated: bool) -> None:
    print(f"\n[3. quality: {q['run']}; ground truth: {q['ground_truth']}]")
    print(
        f"removed {q['removed']:,} of {q['docs']:,}; should go {q['should_go']:,}; TP {q['true_positives']:,}, "
        f"FP {q['false_positives']:,}, misses {q['misses']:,}"
    )
    p_ok = "ok" if q["precision"] >= TARGET_PRECISION else "BELOW TARGET"
    r_ok = "ok" if q["recall"] >= TARGET_RECALL else "BELOW TARGET"
    suffix = "" if gated else " (not gated)"
    print(f"precision {q['precision']:.4f} (target >= {TARGET_PRECISION}: {p_ok}){suffix}")
    print(f"recall    {q['recall']:.4f} (target >= {TARGET_RECALL}: {r_ok}){suffix}")
    print(
        f"precision also counting the other removals with a kept duplicate (true J >= threshold) in another "
        f"labelled cluster as correct: {q['precision_counting_cross_cluster_duplicates']:.4f}"
    )
    lit = q.get("labelled_clusters_only")
    if lit:
        print(
            f"with the ground truth of labelled clusters only (no pairs across clusters): precision {lit['precision']:.4f}, "
            f"recall {lit['recall']:.4f} (should go {lit['should_go']:,}, FP {lit['false_positives']:,}, "
            f"of which {lit['fp_categories'].get(CROSS_CLUSTER, 0):,} are duplicates across labelled clusters)"
        )
    if q["removals_with_duplicate_of"]:
        print(
            f"removals whose kept duplicate_of has true J >= threshold: {q['removals_duplicate_of_j_at_least_threshold']:,} "
            f"of {q['removals_with_duplicate_of']:,} (lowest J {q['removals_duplicate_of_j_min']})"
        )
    if q["removed_unknown_ids"]:
        print(f"WARNING: {q['removed_unknown_ids']} removed ids are not in the input")
    if q["fp_categories"]:
        print("false positives by cause:")
        for cat, count in q["fp_categories"].items():
            print(f"  {count:6,}  {cat}")
        for x in _spread(q["false_positive_examples"], examples):
            dup = x.get("duplicate_of")
            near = x.get("nearest_kept_in_cluster")
            best = x.get("best_match_in_output_cluster")
            nearest = "-" if x["jaccard_nearest_kept"] is None else x["jaccard_nearest_kept"]
            print(f"  - FP {x['id']} ({_fmt_doc(x)}); true J to nearest kept doc {nearest}")
            if dup:
                print(f"      removed as duplicate of {dup['id']} ({_fmt_doc(dup)}), true J {dup['jaccard']}")
            if best and best["id"] != (dup or {}).get("id"):
                print(
                    f"      most similar doc of its output cluster ({x['output_cluster_size']} docs): {best['id']} "
                    f"({_fmt_doc(best)}), true J {best['jaccard']}{_diag(best)}"
                )
            elif best:
                print(f"      (the most similar doc of its output cluster of {x['output_cluster_size']}){_diag(best)}")
            if near:
                print(f"      nearest kept doc of its own labelled cluster: {near['id']}, true J {near['jaccard']}")
            print(f"      url {x['url']}; cause: {x['category']}")
    if q["miss_categories"]:
        print("misses by cause:")
        for cat, count in q["miss_categories"].items():
            print(f"  {count:6,}  {cat}")
        for x in _spread(q["miss_examples"], examples):
            k = x["nearest_kept"]
            together = {True: "same output cluster", False: "different output clusters", None: "output clusters unknown"}[x["same_output_cluster"]]
            print(f"  - miss {x['id']} ({_fmt_doc(x)}); kept beside {k['id']} ({_fmt_doc(k)}), true J {k['jaccard']}{_diag(k)}; {together}")
            print(f"      url {x['url']}; cause: {x['category']}")


def _diag(x: dict[str, Any]) -> str:
    if "estimated_jaccard" not in x:
        return ""
    return (
        f", estimated J {x['estimated_jaccard']}, LSH candidate {'yes' if x['lsh_candidate'] else 'no'} "
        f"(probability {x['lsh_probability']} at that J)"
    )


def _spread(items: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Up to ``n`` examples, taking each cause in turn."""
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x in items:
        by_cat[x["category"]].append(x)
    out: list[dict[str, Any]] = []
    while len(out) < n and any(by_cat.values()):
        for cat in list(by_cat):
            if by_cat[cat] and len(out) < n:
                out.append(by_cat[cat].pop(0))
    return out


# --------------------------------------------------------------------------------------
# 4. Memory: two corpus sizes
# --------------------------------------------------------------------------------------


def memory_corpus(size: int, corpus: Corpus, cache: Path, seed: int) -> Path:
    """``size`` documents as Parquet parts (see the docstring); built once under ``cache``."""
    n = len(corpus)
    if size == n:
        return corpus.path
    key = hashlib.sha1(f"{corpus.path.resolve()}|{n}|{corpus.ids[0]}|{corpus.ids[-1]}".encode()).hexdigest()[:12]
    out = cache / "dedup-memory" / f"{key}-{size}-seed{seed}-v2"
    if (out / "_DONE").exists():
        return out
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    began = time.perf_counter()
    print(f"writing the {size:,}-document memory corpus to {out} (once) ...", flush=True)
    part = 0

    def write(ids: list[str], urls: list[str | None], texts: list[str]) -> None:
        nonlocal part
        table = pa.table({"id": ids, "url": pa.array(urls, pa.string()), "text": pa.array(texts, pa.large_string())})
        pq.write_table(table, tmp / f"part-{part:05d}.parquet", compression="zstd")
        part += 1

    for start in range(0, min(size, n), ROWS_PER_PART):  # the corpus itself (or its start)
        stop = min(size, n, start + ROWS_PER_PART)
        write(corpus.ids[start:stop], corpus.urls[start:stop], corpus.texts[start:stop])
    if size > n:
        vocab_rng = random.Random(seed)
        vocab = [w for i in vocab_rng.sample(range(n), min(n, 2000)) for w in corpus.texts[i].split()[:200]] or ["word"]
        written = n
        for copy in range(1, math.ceil(size / n)):
            rng = random.Random(f"{seed}-{copy}")
            ids: list[str] = []
            urls: list[str | None] = []
            texts: list[str] = []
            for i in range(min(n, size - written)):
                ids.append(f"{corpus.ids[i]}-m{copy}")
                urls.append(corpus.urls[i])
                texts.append(_mutate(corpus.texts[i], rng, vocab))
                if len(ids) == ROWS_PER_PART:
                    write(ids, urls, texts)
                    written += len(ids)
                    ids, urls, texts = [], [], []
            if ids:
                write(ids, urls, texts)
                written += len(ids)
    (tmp / "_DONE").write_text(json.dumps({"size": size, "source": str(corpus.path), "seed": seed}))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    print(f"  done in {time.perf_counter() - began:.0f} s", flush=True)
    return out


def _mutate(text: str, rng: random.Random, vocab: list[str]) -> str:
    """Replace 30-50% of the words (characters, for text written without spaces)."""
    rate = rng.uniform(0.3, 0.5)
    tokens = text.split()
    if tokens and len(text) / len(tokens) > 15:  # e.g. Chinese or Japanese: edit characters
        chars = [c if rng.random() >= rate else rng.choice(text) for c in text]
        return "".join(chars)
    rand, choice = rng.random, rng.choice
    return " ".join([w if rand() >= rate else choice(vocab) for w in tokens])


def print_memory(rows: list[dict[str, Any]], out: dict[str, Any]) -> None:
    print("\n[4. memory: peak RSS of curate dedup at two corpus sizes]")
    header = f"{'docs':>9} {'wall s':>8} {'worker peak MB':>15} {'process peak MB':>16} {'largest in tree MB':>19} {'tree sum MB':>12}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.get("error"):
            print(f"{r['docs']:>9,} FAILED: {r['error'][:200]}")
            continue
        print(
            f"{r['docs']:>9,} {r['wall_seconds']:>8.1f} {_num(r['peak_worker_mb']):>15} {_num(r['process_peak_rss_mb']):>16} "
            f"{_num(r['tree_largest_peak_mb']):>19} {_num(r['tree_sum_peak_mb']):>12}"
        )
    if out.get("ratio") is not None:
        verdict = "ok" if out["ratio"] <= MEMORY_MAX_RATIO else "ABOVE TARGET"
        print(
            f"corpus {out['size_ratio']:.0f}x larger -> worker peak {out['ratio']:.2f}x ({out['measure']}; "
            f"target <= {MEMORY_MAX_RATIO}x: {verdict})"
        )


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20000, help="records of the benchmark WARC (default 20000)")
    ap.add_argument("--docs", type=Path, default=None, help="extracted corpus (Parquet dir, or a curate run output dir) to reuse")
    ap.add_argument("--labels", type=Path, default=None, help="labels JSONL (default <cache>/bench-<records>.labels.jsonl)")
    ap.add_argument("--cache-dir", type=Path, default=None, help="where the WARC, the extracted text and memory corpora are cached")
    ap.add_argument("--shared-data", type=Path, default=None, help="the shared data root (default $CURATE_SHARED_DATA or ../shared/data)")
    ap.add_argument("--work-dir", type=Path, default=None, help="dedup outputs (default <cache>/dedup-work, emptied first)")
    ap.add_argument("--keep-outputs", action="store_true", help="leave the dedup outputs in --work-dir")
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents (smoke run; targets not gated)")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--bands", type=int, default=None, help="LSH bands (default: curate's choice)")
    ap.add_argument("--rows", type=int, default=None, help="LSH rows per band (default: curate's choice)")
    ap.add_argument("--verify", choices=("none", "estimated", "exact"), default=None, help="curate dedup --verify (default: curate's)")
    ap.add_argument("--keep", default=None, help="curate dedup --keep (default: curate's)")
    ap.add_argument("--curate-args", default="", help="extra arguments for every `curate dedup` (one string)")
    ap.add_argument("--executors", default="local,ray", help="curate dedup executors to time; the first is scored and gated (default local,ray)")
    ap.add_argument("--num-cpus", type=int, default=2, help="curate dedup --num-cpus for the Ray runs (default 2)")
    ap.add_argument("--datatrove-workers", type=int, default=1, help="datatrove workers and read/filter tasks (default 1: per core)")
    ap.add_argument("--signature-docs", type=int, default=2000, help="documents of the datasketch comparison (default 2000)")
    ap.add_argument("--batch-rows", type=int, default=1000, help="batch size of the in-process signature runs (default 1000)")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of curate's subset signature timing (default 5)")
    ap.add_argument("--memory-sizes", default=None, help="corpus sizes of the memory runs, comma-separated (default: the corpus and 10x)")
    ap.add_argument("--memory-executor", choices=("local", "ray"), default="local")
    ap.add_argument("--examples", type=int, default=5, help="false positives and misses printed (default 5 each)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before a dedup child is killed (default 3600)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="write all figures as JSON here")
    ap.add_argument("--skip-signatures", action="store_true")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--datatrove-child", type=Path, default=None, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.datatrove_child is not None:
        return datatrove_child(args.datatrove_child)
    bench_start = time.perf_counter()
    shared = args.shared_data or default_shared_data()
    cache = args.cache_dir or default_cache_dir()
    work = args.work_dir or cache / "dedup-work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    gated = not args.limit
    failures: list[str] = []
    results: dict[str, Any] = {"machine": machine_info(PACKAGES), "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}

    docs_path = ensure_docs(args, cache, shared)
    corpus = load_corpus(docs_path, args.limit, work)
    print(f"input: {corpus.path}: {len(corpus):,} documents", flush=True)
    results["input"] = {"path": str(corpus.path), "docs": len(corpus)}

    if not args.skip_signatures:
        sig = bench_signatures(corpus, args)
        results["signatures"] = sig
        print_signatures(sig)
        if sig["speedup"] < TARGET_SIGNATURE_SPEEDUP and gated:
            failures.append(f"signatures {sig['speedup']:.1f}x datasketch MinHash.bulk < {TARGET_SIGNATURE_SPEEDUP:.0f}x")

    executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    runs: list[DedupRun] = []
    datatrove: DedupRun | None = None
    if executors or not args.skip_datatrove:
        print(flush=True)
        # the first executor (scored and gated) first, then datatrove, then the others
        first = executors[:1]
        for executor in first:
            runs.append(run_curate_dedup(f"curate dedup --executor {executor}", corpus.path, len(corpus), work / f"curate-{executor}", executor, args))
        if not args.skip_datatrove:
            bands, rows, source = args.bands, args.rows, "--bands/--rows"
            if not (bands and rows):
                found = runs[0].config if runs and runs[0].ok else {}
                if found.get("bands") and found.get("rows"):
                    bands, rows, source = int(found["bands"]), int(found["rows"]), "curate's stats.json"
                else:
                    bands, rows = optimal_bands_rows(args.threshold, args.num_perm)
                    source = "datasketch's optimum (curate's choice not found in its stats.json)"
            print(f"datatrove bands x rows = {bands} x {rows}, from {source}", flush=True)
            datatrove = run_datatrove(corpus.path, len(corpus), work / "datatrove", bands, rows, args)
            datatrove.config["bands_rows_from"] = source
        for executor in executors[1:]:
            runs.append(run_curate_dedup(f"curate dedup --executor {executor}", corpus.path, len(corpus), work / f"curate-{executor}", executor, args))
        reference = runs[0] if runs else None
        speed = print_speed(runs, datatrove, reference)
        results["dedup_runs"] = [r.summary() for r in runs] + ([datatrove.summary()] if datatrove else [])
        results["dedup_speed"] = speed
        for run in [*runs, *([datatrove] if datatrove else [])]:
            if not run.ok:
                failures.append(f"{run.name}: {(run.error or '')[:300]}")
        if gated and speed.get("speedup") is not None and speed["speedup"] < TARGET_DEDUP_SPEEDUP:
            failures.append(f"whole dedup {speed['speedup']:.1f}x datatrove < {TARGET_DEDUP_SPEEDUP:.0f}x")

        if not args.skip_quality:
            labels_path = args.labels or cache / f"bench-{args.records}.labels.jsonl"
            if not labels_path.exists():
                print(f"error: no labels file {labels_path} (set --labels)", file=sys.stderr)
                return 2
            began = time.perf_counter()
            sh = ShingleSets(corpus.texts, args.ngram)
            labels = assign_labels(corpus, labels_path, sh)
            literal = ground_truth(labels, sh, args.threshold)
            source = [i for i, k in enumerate(labels.kind) if k == "original"]
            extra, largest = sensitive_candidates(corpus, sh, args.ngram)
            extra = sorted({*extra, *((a, b) for pos, a in enumerate(source) for b in source[pos + 1 :])})
            gt = ground_truth(labels, sh, args.threshold, extra, GT_NAME)
            print(
                f"cross-cluster pairs compared: all pairs of the {len(source):,} originals and the pairs sharing a band of "
                f"{GT_BANDS} x {GT_ROWS} (seed {GT_SEED}; largest bucket {largest:,} docs)",
                flush=True,
            )
            kinds = Counter(labels.kind)
            print(
                f"\nlabels: kinds {dict(kinds)}; {labels.ambiguous_urls} URLs shared by several records, "
                f"{labels.unlabelled} unlabelled docs; shingling {sh.seconds:.0f} s, ground truth "
                f"{time.perf_counter() - began:.0f} s in all",
                flush=True,
            )
            results["ground_truth"] = {"labels": {"kinds": dict(kinds), "ambiguous_urls": labels.ambiguous_urls, "unlabelled": labels.unlabelled}}
            for truth in (literal, gt):
                print(
                    f"ground truth ({truth.name}): {len(truth.groups):,} groups ({sum(len(g) > 1 for g in truth.groups):,} "
                    f"with duplicates), should go {truth.should_go:,}; {truth.pairs:,} pairs compared, {truth.edges:,} at "
                    f"J >= {args.threshold} ({truth.cross_cluster_edges:,} across clusters)"
                )
                results["ground_truth"][truth.name] = {
                    "groups": len(truth.groups),
                    "groups_with_duplicates": sum(len(g) > 1 for g in truth.groups),
                    "should_go": truth.should_go,
                    "pairs": truth.pairs,
                    "edges": truth.edges,
                    "cross_cluster_edges": truth.cross_cluster_edges,
                }
            quality = []
            scored = runs[0] if runs else None
            checks: dict[tuple[int, int], SignatureCheck] = {}
            for run in [*runs, *([datatrove] if datatrove else [])]:
                if not run.ok:
                    continue
                check = None
                bands, rows = run.config.get("bands") or args.bands, run.config.get("rows") or args.rows
                if run.tool == "curate" and bands and rows:
                    key = (int(bands), int(rows))
                    if key not in checks:
                        checks[key] = SignatureCheck(corpus, args.num_perm, args.ngram, curate_seed(args), *key)
                    check = checks[key]
                q = evaluate(run, corpus, labels, gt, sh, args.threshold, check)
                q_literal = evaluate(run, corpus, labels, literal, sh, args.threshold)
                q["labelled_clusters_only"] = {k: q_literal[k] for k in ("should_go", "true_positives", "false_positives", "misses", "precision", "recall", "fp_categories")}
                quality.append(q)
                is_gated = gated and run is scored
                print_quality(q, args.examples if run.tool == "datatrove" or run is scored else 0, is_gated)
                if is_gated:
                    if q["precision"] < TARGET_PRECISION:
                        failures.append(f"precision {q['precision']:.4f} < {TARGET_PRECISION}")
                    if q["recall"] < TARGET_RECALL:
                        failures.append(f"recall {q['recall']:.4f} < {TARGET_RECALL}")
            results["quality"] = quality

    if not args.skip_memory:
        sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()] if args.memory_sizes else [len(corpus), 10 * len(corpus)]
        rows: list[dict[str, Any]] = []
        for size in sizes:
            path = memory_corpus(size, corpus, cache, args.seed)
            out = work / f"memory-{size}"
            reuse = [r for r in runs if r.ok and r.executor == args.memory_executor and path == corpus.path]
            if reuse:
                run = reuse[0]
                print(f"memory, {size:,} docs: the {run.name} run above", flush=True)
            else:
                run = run_curate_dedup(f"memory, {size:,} docs", path, size, out, args.memory_executor, args)
            s = run.summary()
            rows.append({**s, "docs": size, "input": str(path)})
            if not run.ok:
                failures.append(f"memory run {size}: {(run.error or '')[:300]}")
            if not args.keep_outputs:
                shutil.rmtree(out, ignore_errors=True)
        mem: dict[str, Any] = {"rows": rows, "target_max_ratio": MEMORY_MAX_RATIO}
        ok_rows = [r for r in rows if not r.get("error") and r.get("peak_worker_mb")]
        if len(ok_rows) >= 2:
            small, large = min(ok_rows, key=lambda r: r["docs"]), max(ok_rows, key=lambda r: r["docs"])
            mem["ratio"] = round(large["peak_worker_mb"] / small["peak_worker_mb"], 3)
            mem["size_ratio"] = large["docs"] / small["docs"]
            from_stats = all(_find_key(r.get("stats_dedup") or {}, "peak_rss_mb") is not None for r in (small, large))
            mem["measure"] = "peak_rss_mb of stats.json" if from_stats else "the child process's ru_maxrss"
            if gated and mem["ratio"] > MEMORY_MAX_RATIO:
                failures.append(f"memory peak grows {mem['ratio']:.2f}x for a {mem['size_ratio']:.0f}x corpus (> {MEMORY_MAX_RATIO}x)")
        results["memory"] = mem
        print_memory(rows, mem)

    if not args.keep_outputs:
        shutil.rmtree(work, ignore_errors=True)
    results["load_average_end"] = _loadavg()
    results["benchmark_seconds"] = round(time.perf_counter() - bench_start, 1)
    results["failures"] = failures
    results["command"] = shlex.join([Path(sys.executable).name, *sys.argv])
    m = results["machine"]
    print(
        f"\nmachine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['cpu_model']}; python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    )
    print(f"load average at start {m['load_average_start']}, at end {results['load_average_end']}; benchmark {results['benchmark_seconds']:.0f} s")
    if not gated:
        print("smoke run (--limit): targets not gated")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
