"""Throughput of curate on a Common-Crawl-style WARC: per stage, end to end, and the ceiling.

What it measures, all in one process run so that the ratios compare like with like on a
shared, noisy machine (every figure is printed as a rate AND as a ratio to a reference
measured in the same run; nothing is asserted on time):

1. **Ceiling**: FastWARC reading and decompressing every record's payload
   (``ArchiveIterator(path, quirks_mode=True, fsspec_args=False)``,
   ``record.reader.read()``), in records/s and decompressed MB/s.  warcio's
   ``ArchiveIterator`` on the same file is measured beside it, to document why curate's
   reader uses FastWARC.
2. **Reader**: ``curate.readers.warc.WarcReader`` producing Arrow tables, as a ratio of the
   ceiling.
3. **Stages**, one process (one core), on the HTML documents the reader produced:
   ``extract_html`` (trafilatura and resiliparse), ``fasttext_language_id`` (on the
   trafilatura text) and ``language_filter`` (``languages=["en"]``), via
   ``curate.stage.run_stage``.
4. **End to end**: ``pipelines/commoncrawl-text.yaml`` through ``curate.run.run_pipeline`` on
   Ray with ``num_cpus=2``, on the WARC split into 4 files (curate reads one file per Ray
   read task) and on the single file, plus the in-process ``local`` executor (one core) and
   the resiliparse engine on Ray.  Each is reported as HTML documents/s and records/s,
   as a ratio of the ceiling and of the single-core extraction rate of the same engine
   (ideal on 2 cores: 2.00), with the busy core-seconds of every stage divided by the
   wall time (how many cores each stage kept busy on average).

Input: ``../shared/tools/make_bench_warc.py`` builds the WARC (5,000 ``response`` records of
real article pages and edited copies; about 85 MB) into a cache directory, once; the 4-file
split cuts that same file at record boundaries (it is gzipped per record), so both Ray runs
see exactly the same documents.

Usage::

    python benchmarks/throughput.py                       # full run (tens of minutes)
    python benchmarks/throughput.py --quick               # smoke run on 500 records
    python benchmarks/throughput.py --json throughput.json --skip-local

Shared data: ``--shared-data``, else ``$CURATE_SHARED_DATA``, else ``../shared/data``
relative to the repository root.  Cache: ``--cache-dir``, else ``$CURATE_BENCH_CACHE``, else
``$CURATE_CACHE/bench``, else ``~/.cache/curate/bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PIPELINE = REPO_ROOT / "pipelines" / "commoncrawl-text.yaml"
PAGES_SUBDIR = Path("html-extraction") / "article-extraction-benchmark" / "html"
WARC_SUBDIR = Path("warc")
MB = 1_000_000
WARMUP_ROWS = 5
PACKAGES = (
    "curate",
    "ray",
    "pyarrow",
    "FastWARC",
    "warcio",
    "trafilatura",
    "Resiliparse",
    "fasttext-predict",
    "lxml",
)


# --------------------------------------------------------------------------------------
# Paths and input
# --------------------------------------------------------------------------------------


def default_shared_data() -> Path:
    """``$CURATE_SHARED_DATA``, else ``../shared/data`` relative to the repository root."""
    shared = os.environ.get("CURATE_SHARED_DATA")
    if shared:
        return Path(shared)
    return REPO_ROOT.parent / "shared" / "data"


def default_cache_dir() -> Path:
    """``$CURATE_BENCH_CACHE``, else ``$CURATE_CACHE/bench``, else ``~/.cache/curate/bench``."""
    if os.environ.get("CURATE_BENCH_CACHE"):
        return Path(os.environ["CURATE_BENCH_CACHE"])
    base = Path(os.environ.get("CURATE_CACHE", Path.home() / ".cache" / "curate"))
    return base / "bench"


def build_tool(shared_data: Path) -> Path:
    """``make_bench_warc.py``: ``<shared>/../tools/``, the shared root's sibling of ``data``."""
    return shared_data.parent / "tools" / "make_bench_warc.py"


def ensure_bench_warc(records: int, cache: Path, shared_data: Path) -> tuple[Path, float | None]:
    """Return the cached ``bench-<records>.warc.gz``, building it first when missing.

    The second value is the build time in seconds, or None when the cache was used.
    """
    out = cache / f"bench-{records}.warc.gz"
    labels = cache / f"bench-{records}.labels.jsonl"
    if out.exists() and labels.exists():
        return out, None
    tool = build_tool(shared_data)
    pages = [shared_data / PAGES_SUBDIR, shared_data / WARC_SUBDIR]
    for needed in (tool, *pages):
        if not needed.exists():
            raise SystemExit(f"error: {needed} is missing (set --shared-data or CURATE_SHARED_DATA)")
    cache.mkdir(parents=True, exist_ok=True)
    tmp_out = cache / f"bench-{records}.partial.warc.gz"
    tmp_labels = cache / f"bench-{records}.partial.labels.jsonl"
    command = [
        sys.executable,
        str(tool),
        "--pages",
        *map(str, pages),
        "--records",
        str(records),
        "--out",
        str(tmp_out),
        "--labels",
        str(tmp_labels),
    ]
    print(f"building {out} ({records} records; once, then cached) ...", flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    os.replace(tmp_labels, labels)
    os.replace(tmp_out, out)
    return out, time.perf_counter() - start


def record_offsets(path: Path) -> list[int]:
    """Compressed byte offset of every record (FastWARC ``stream_pos``)."""
    from fastwarc.warc import ArchiveIterator

    return [record.stream_pos for record in ArchiveIterator(str(path), quirks_mode=True, fsspec_args=False)]


def count_records(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator

    return sum(1 for _ in ArchiveIterator(str(path), quirks_mode=True, fsspec_args=False))


def ensure_split(path: Path, parts: int) -> list[Path]:
    """Cut ``path`` into ``parts`` WARCs of consecutive records (cached beside it).

    The benchmark WARC is gzipped per record, so cutting at record offsets gives valid
    WARC files holding exactly the same records as the original.
    """
    stem = path.name.removesuffix(".warc.gz")
    outs = [path.with_name(f"{stem}-part{i + 1}of{parts}.warc.gz") for i in range(parts)]
    if all(p.exists() for p in outs):
        return outs
    offsets = record_offsets(path)
    size = path.stat().st_size
    n = len(offsets)
    bounds = [n * i // parts for i in range(parts + 1)]
    data = path.read_bytes()
    for i, out in enumerate(outs):
        start = offsets[bounds[i]]
        end = offsets[bounds[i + 1]] if bounds[i + 1] < n else size
        tmp = out.with_name(out.name + ".partial")
        tmp.write_bytes(data[start:end])
        os.replace(tmp, out)
    got = [count_records(p) for p in outs]
    if sum(got) != n:
        for p in outs:
            p.unlink(missing_ok=True)
        raise SystemExit(f"error: splitting {path} gave {sum(got)} records, expected {n}")
    return outs


def warm_page_cache(paths: list[Path]) -> None:
    """Read the files once so the first timed reader does not pay for the disk."""
    for p in paths:
        with p.open("rb") as f:
            while f.read(8 << 20):
                pass


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One timed thing: ``docs`` units in ``seconds`` (median over ``runs`` repeats)."""

    name: str
    group: str
    docs: int
    seconds: float
    unit: str = "records"
    payload_bytes: int | None = None
    cpu_seconds: float | None = None
    runs: list[float] = field(default_factory=list)
    ratio_ceiling: float | None = None
    ratio_reference: float | None = None
    reference: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.docs / self.seconds if self.seconds > 0 else float("nan")

    @property
    def mb_per_s(self) -> float | None:
        if self.payload_bytes is None or self.seconds <= 0:
            return None
        return self.payload_bytes / MB / self.seconds

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate"] = round(self.rate, 3)
        data["mb_per_s"] = None if self.mb_per_s is None else round(self.mb_per_s, 3)
        cpu = self.cpu_seconds
        data["cores"] = round(cpu / self.seconds, 3) if cpu is not None and self.seconds > 0 else None
        data["docs_per_cpu_second"] = round(self.docs / cpu, 3) if cpu else None
        return data


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_tree_cpu() -> dict[int, float] | None:
    """CPU seconds (user + system) of this process and each live descendant, by pid.

    Linux only (``/proc``); None elsewhere.
    """
    me = os.getpid()
    proc = Path("/proc")
    if not (proc / str(me) / "stat").exists():
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree: dict[int, float] = {}
    stack = [me]
    while stack:
        pid = stack.pop()
        if pid in times:
            tree[pid] = times[pid]
        stack.extend(children.get(pid, []))
    return tree


class TreeCpuSampler:
    """CPU seconds used by this process and its descendants (the Ray cluster) over a block.

    Samples ``/proc`` every ``interval`` seconds and sums, per process, the CPU it used
    between its first and last sample, so Ray workers that start and exit during the block
    count too (minus at most one interval of their life).  ``seconds`` is None off Linux.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.seconds: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> bool:
        tree = _process_tree_cpu()
        if tree is None:
            return False
        for pid, cpu in tree.items():
            if pid not in self.first:
                # A process born during the block started from zero CPU.
                self.first[pid] = cpu if self._thread is None else 0.0
            self.last[pid] = max(cpu, self.last.get(pid, 0.0))
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeCpuSampler:
        if self._sample():
            self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = sum(self.last[pid] - self.first[pid] for pid in self.last)


def timed_repeats(fn: Callable[[], tuple[int, int]], repeats: int) -> tuple[float, list[float], float, int, int]:
    """Run ``fn`` ``repeats`` times; returns (median wall s, all wall s, median cpu s, docs, bytes)."""
    walls: list[float] = []
    cpus: list[float] = []
    docs = nbytes = 0
    for _ in range(max(1, repeats)):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        docs, nbytes = fn()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return statistics.median(walls), walls, statistics.median(cpus), docs, nbytes


# --------------------------------------------------------------------------------------
# 1-2. Reading
# --------------------------------------------------------------------------------------


def read_fastwarc(path: Path) -> tuple[int, int]:
    """Every record's payload through FastWARC: (records, decompressed payload bytes)."""
    from fastwarc.warc import ArchiveIterator

    records = nbytes = 0
    for record in ArchiveIterator(str(path), quirks_mode=True, fsspec_args=False):
        nbytes += len(record.reader.read())
        records += 1
    return records, nbytes


def read_warcio(path: Path) -> tuple[int, int]:
    """Every record's payload through warcio (``content_stream()``): (records, bytes)."""
    from warcio.archiveiterator import ArchiveIterator

    records = nbytes = 0
    with path.open("rb") as f:
        for record in ArchiveIterator(f):
            nbytes += len(record.content_stream().read())
            records += 1
    return records, nbytes


def read_curate(path: Path, keep: list[Any] | None = None) -> tuple[int, int]:
    """curate's ``WarcReader`` to Arrow tables: (records, payload bytes); tables into ``keep``."""
    from curate.readers.base import InputFile, ReadReport
    from curate.readers.warc import WarcReader

    report = ReadReport(str(path), "k")
    for table in WarcReader().read(InputFile(str(path)), report):
        if keep is not None:
            keep.append(table)
    return report.records, report.bytes_read


# --------------------------------------------------------------------------------------
# 3. Stages, one process
# --------------------------------------------------------------------------------------


def html_rows(tables: list[Any]) -> list[Any]:
    """The rows the reader kept as documents (``_reason`` null)."""
    import pyarrow.compute as pc

    from curate.schema import REASON

    out = []
    for table in tables:
        if REASON in table.column_names:
            table = table.filter(pc.is_null(table[REASON]))
        if table.num_rows:
            out.append(table)
    return out


def time_stage(stage: Any, tables: list[Any], group: str, label: str) -> tuple[Measurement, list[Any]]:
    """Run ``stage`` over ``tables`` with ``run_stage``; setup (model load) is timed apart."""
    from curate.stage import run_stage

    setup0 = time.perf_counter()
    stage.ensure_setup()
    # Warm up on a few rows, untimed: first calls pay for lazy imports and caches.
    if tables:
        run_stage(stage, tables[0].slice(0, WARMUP_ROWS))
    setup_s = time.perf_counter() - setup0
    outputs: list[Any] = []
    docs = dropped = 0
    reasons: dict[str, int] = {}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for table in tables:
        out, stats = run_stage(stage, table)
        outputs.append(out)
        docs += stats.rows_in
        for reason, n in stats.dropped.items():
            reasons[reason] = reasons.get(reason, 0) + n
            dropped += n
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    m = Measurement(
        name=label,
        group=group,
        docs=docs,
        seconds=wall,
        unit="docs",
        cpu_seconds=cpu,
        runs=[wall],
        extra={"setup_and_warmup_seconds": round(setup_s, 3), "dropped": reasons},
    )
    return m, outputs


# --------------------------------------------------------------------------------------
# 4. End to end
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def ray_cluster(num_cpus: int) -> Iterator[float]:
    """Start Ray the way ``curate run`` does (``start_ray``); yields the start-up seconds.

    Starting it once here keeps Ray's start-up (several seconds) out of every run's wall
    time; ``run_pipeline`` sees Ray running and uses it.
    """
    import ray

    from curate.config import ExecutionConfig
    from curate.execution.ray_executor import start_ray

    os.environ.pop("RAY_ADDRESS", None)  # always a private local cluster of num_cpus
    start = time.perf_counter()
    started = start_ray(ExecutionConfig(num_cpus=num_cpus), None)
    seconds = time.perf_counter() - start
    try:
        yield seconds
    finally:
        if started:
            ray.shutdown()


def run_end_to_end(
    pipeline_path: Path,
    inputs: list[Path],
    executor: str,
    num_cpus: int,
    engine: str,
    name: str,
    work_dir: Path,
) -> Measurement:
    """One ``run_pipeline`` call; documents/s from its stats.json and wall time."""

    from curate.pipeline import load_pipeline
    from curate.run import run_pipeline

    pipeline = load_pipeline(pipeline_path)
    pipeline.execution.num_cpus = num_cpus
    if engine != "trafilatura":
        pipeline = copy.deepcopy(pipeline)
        pipeline.stages[0].engine = engine  # type: ignore[attr-defined]
    output = Path(tempfile.mkdtemp(prefix="e2e-", dir=work_dir))
    try:
        with TreeCpuSampler() as sampler:
            wall0 = time.perf_counter()
            result = run_pipeline(
                pipeline,
                inputs=[str(p) for p in inputs],
                output=str(output),
                executor=executor,
                overwrite=True,
            )
            wall = time.perf_counter() - wall0
        cpu = sampler.seconds
    finally:
        shutil.rmtree(output, ignore_errors=True)
    stats = result.stats
    stages = stats["stages"]
    records = int(stages[0].get("records", stages[0]["rows_in"]))
    html_docs = int(stages[0]["rows_out"])
    busy = {s["stage"]: round(s["seconds"] / result.seconds, 3) if result.seconds else None for s in stages}
    per_stage_rate = {
        s["stage"]: round(s["rows_in"] / s["seconds"], 3) if s["seconds"] else None for s in stages
    }
    return Measurement(
        name=name,
        group="end to end",
        docs=html_docs,
        seconds=result.seconds,
        unit="html docs",
        cpu_seconds=cpu,
        runs=[result.seconds],
        extra={
            "executor": executor,
            "engine": engine,
            "num_cpus": num_cpus if executor == "ray" else 1,
            "inputs": len(inputs),
            "records": records,
            "records_per_s": round(records / result.seconds, 3) if result.seconds else None,
            "kept": stats["documents"]["kept"],
            "rejected": stats["documents"]["rejected"],
            "wall_seconds_outside": round(wall, 3),
            "stages": stages,
            "stage_cores_busy": busy,
            "stage_docs_per_busy_second": per_stage_rate,
            # pages the extraction cascade rejected before trafilatura (reasons prefilter:*)
            "skipped_extraction": sum(n for s in stages for r, n in s["dropped"].items() if r.startswith("prefilter:")),
            "cores_busy_total": round(sum(s["seconds"] for s in stages) / result.seconds, 3)
            if result.seconds
            else None,
            "warning": stats.get("warning"),
        },
    )


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def package_versions(packages: Sequence[str]) -> dict[str, str | None]:
    """Installed version of each package (None when missing)."""
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def machine_info(packages: Sequence[str] = PACKAGES) -> dict[str, Any]:
    versions = package_versions(packages)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "load_average_start": _loadavg(),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{value:,.{digits}f}"


def print_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    print()
    print(f"machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['cpu_model']}")
    print(f"python {m['python']} on {m['platform']}")
    print(f"versions: {versions}")
    print(f"load average (1/5/15 min) at start {m['load_average_start']}, at end {results.get('load_average_end')}")
    inp = results["input"]
    print(
        f"input: {inp['path']}: {inp['records']:,} records, {inp['compressed_bytes'] / MB:.1f} MB "
        f"gzipped, {inp['payload_bytes'] / MB:.1f} MB decompressed payload"
        + (f"; split into {len(inp['parts'])} files for Ray" if inp.get("parts") else "")
    )
    print(
        f"rates: reads are medians of {results['repeats']} repeat(s), the rest one pass each.\n"
        "cores = CPU seconds / wall seconds of this process (end to end: of this process and all its\n"
        "  descendants, i.e. the Ray cluster); below 1 in a single process means the machine was busy.\n"
        "docs/cpu-s = docs per CPU second (less sensitive to a busy machine than docs/s).\n"
        "x ceiling = docs/s / FastWARC raw records/s; x 1-core = docs/s / single-process extract_html\n"
        "  docs/s of the same engine (ideal on 2 cores: 2.00)."
    )
    header = (
        f"{'measurement':<50} {'docs':>6} {'seconds':>8} {'docs/s':>9} {'MB/s':>7} "
        f"{'cores':>5} {'docs/cpu-s':>10} {'x ceiling':>9} {'x 1-core':>8}"
    )
    group = None
    for item in results["measurements"]:
        if item["group"] != group:
            group = item["group"]
            print()
            print(f"[{group}]")
            print(header)
            print("-" * len(header))
        print(
            f"{item['name']:<50} {item['docs']:>6,} {item['seconds']:>8.2f} {_fmt(item['rate']):>9} "
            f"{_fmt(item['mb_per_s']):>7} {_fmt(item['cores'], 2):>5} {_fmt(item['docs_per_cpu_second']):>10} "
            f"{_fmt(item['ratio_ceiling'], 4):>9} {_fmt(item['ratio_reference'], 2):>8}"
        )
    e2e = [i for i in results["measurements"] if i["group"] == "end to end"]
    if e2e:
        print()
        print("[end to end: records/s and average cores kept busy per stage (stage busy seconds / wall)]")
        for item in e2e:
            x = item["extra"]
            busy = "  ".join(f"{k} {_fmt(v, 2)}" for k, v in x["stage_cores_busy"].items())
            print(
                f"{item['name']:<50} {_fmt(x['records_per_s'])} records/s; kept {x['kept']:,}, "
                f"rejected {x['rejected']:,}; cores busy: {busy}; all stages {_fmt(x['cores_busy_total'], 2)}; "
                f"{x.get('skipped_extraction', 0):,} of {item['docs']:,} pages skipped trafilatura (cascade)"
            )
            if x.get("warning"):
                print(f"  warning from stats.json: {x['warning']}")
    if results.get("ray_startup_seconds") is not None:
        print(f"\nRay start-up (not in the end-to-end times): {results['ray_startup_seconds']:.1f} s")
    for error in results.get("errors", []):
        print(f"FAILED run {error['run']}: {error['error'][:300]}")
    for note in results.get("notes", []):
        print(f"note: {note}")
    print(f"benchmark wall time: {results['benchmark_seconds']:.0f} s")


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=None, help="records in the benchmark WARC (default 5000)")
    ap.add_argument("--parts", type=int, default=4, help="files the WARC is split into for Ray (default 4)")
    ap.add_argument("--num-cpus", type=int, default=2, help="Ray CPUs for the end-to-end runs (default 2)")
    ap.add_argument("--repeats", type=int, default=None, help="repeats of the (fast) read measurements (default 3)")
    ap.add_argument("--cache-dir", type=Path, default=None, help="where the benchmark WARC is cached")
    ap.add_argument("--shared-data", type=Path, default=None, help="the shared data root (default $CURATE_SHARED_DATA or ../shared/data)")
    ap.add_argument("--pipeline", type=Path, default=DEFAULT_PIPELINE, help="pipeline YAML for the end-to-end runs")
    ap.add_argument("--json", type=Path, default=None, help="write all results as JSON here")
    ap.add_argument("--skip-ray", action="store_true", help="no Ray end-to-end runs")
    ap.add_argument("--skip-local", action="store_true", help="no in-process (executor=local) end-to-end run")
    ap.add_argument("--skip-single-file", action="store_true", help="no Ray run on the unsplit file")
    ap.add_argument("--skip-resiliparse-e2e", action="store_true", help="no end-to-end run with the resiliparse engine")
    ap.add_argument("--quick", action="store_true", help="smoke run: 500 records, 1 repeat")
    args = ap.parse_args(argv)
    if args.records is None:
        args.records = 500 if args.quick else 5000
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench_start = time.perf_counter()
    shared = args.shared_data or default_shared_data()
    cache = args.cache_dir or default_cache_dir()
    results: dict[str, Any] = {"machine": machine_info(), "repeats": args.repeats, "notes": []}

    warc, build_s = ensure_bench_warc(args.records, cache, shared)
    parts = ensure_split(warc, args.parts) if args.parts > 1 and not args.skip_ray else []
    warm_page_cache([warc, *parts])
    print(f"input {warc}" + (f" (built in {build_s:.0f} s)" if build_s else " (cached)"), flush=True)
    measurements: list[Measurement] = []

    # 1. ceiling, and warcio beside it
    print("reading: FastWARC, warcio, curate WarcReader ...", flush=True)
    median, runs, cpu, records, payload = timed_repeats(lambda: read_fastwarc(warc), args.repeats)
    ceiling = Measurement("FastWARC raw read+decompress (ceiling)", "read", records, median, payload_bytes=payload, cpu_seconds=cpu, runs=runs)
    measurements.append(ceiling)
    median, runs, cpu, n, nbytes = timed_repeats(lambda: read_warcio(warc), args.repeats)
    measurements.append(Measurement("warcio raw read+decompress", "read", n, median, payload_bytes=nbytes, cpu_seconds=cpu, runs=runs))

    # 2. curate's reader (the last repeat's tables feed the stages)
    tables: list[Any] = []

    def curate_once() -> tuple[int, int]:
        tables.clear()
        return read_curate(warc, tables)

    median, runs, cpu, n, nbytes = timed_repeats(curate_once, args.repeats)
    measurements.append(Measurement("curate WarcReader -> Arrow tables", "read", n, median, payload_bytes=nbytes, cpu_seconds=cpu, runs=runs))
    results["input"] = {
        "path": str(warc),
        "records": records,
        "compressed_bytes": warc.stat().st_size,
        "payload_bytes": payload,
        "parts": [str(p) for p in parts],
        "build_seconds": build_s,
    }

    # 3. stages, one process
    from curate.filters.language import LanguageFilter

    from curate.stages.extract import ExtractHtml
    from curate.stages.langid import FasttextLanguageId

    html = html_rows(tables)
    tables.clear()
    print(f"stages, one process, on {sum(t.num_rows for t in html):,} HTML documents ...", flush=True)
    extract_rate: dict[str, float] = {}
    group = "stages, 1 process (1 core)"
    m_traf, extracted = time_stage(ExtractHtml(engine="trafilatura"), html, group, "extract_html (trafilatura)")
    measurements.append(m_traf)
    extract_rate["trafilatura"] = m_traf.rate
    print(f"  trafilatura {m_traf.rate:.1f} docs/s", flush=True)
    m_res, _ = time_stage(ExtractHtml(engine="resiliparse"), html, group, "extract_html (resiliparse)")
    measurements.append(m_res)
    extract_rate["resiliparse"] = m_res.rate
    print(f"  resiliparse {m_res.rate:.1f} docs/s", flush=True)
    del html
    m_lid, identified = time_stage(FasttextLanguageId(), extracted, group, "fasttext_language_id (trafilatura text)")
    measurements.append(m_lid)
    m_filter, _ = time_stage(LanguageFilter(languages=["en"]), identified, group, "language_filter (en)")
    measurements.append(m_filter)
    del extracted, identified
    chain = 1.0 / sum(1.0 / m.rate for m in (m_traf, m_lid, m_filter))
    results["single_core_chain_docs_per_s"] = {"trafilatura": round(chain, 3)}

    # 4. end to end
    work_dir = Path(tempfile.mkdtemp(prefix="curate-throughput-"))
    try:
        runs_e2e: list[tuple[str, list[Path], str, str]] = []
        if not args.skip_ray:
            if parts:
                runs_e2e.append((f"ray {args.num_cpus} CPUs, {len(parts)} files, trafilatura", parts, "ray", "trafilatura"))
            if not args.skip_single_file or not parts:
                runs_e2e.append((f"ray {args.num_cpus} CPUs, 1 file, trafilatura", [warc], "ray", "trafilatura"))
            if not args.skip_resiliparse_e2e:
                files = parts or [warc]
                runs_e2e.append((f"ray {args.num_cpus} CPUs, {len(files)} files, resiliparse", files, "ray", "resiliparse"))
        if not args.skip_local:
            runs_e2e.append(("local (in-process, 1 core), 1 file, trafilatura", [warc], "local", "trafilatura"))
            if not args.skip_resiliparse_e2e:
                runs_e2e.append(("local (in-process, 1 core), 1 file, resiliparse", [warc], "local", "resiliparse"))
        ray_runs = [r for r in runs_e2e if r[2] == "ray"]
        local_runs = [r for r in runs_e2e if r[2] == "local"]
        errors: list[dict[str, str]] = []
        results["errors"] = errors

        def attempt(name: str, inputs: list[Path], executor: str, engine: str) -> None:
            """One end-to-end run; a failure is reported and the benchmark goes on."""
            print(f"end to end: {name} ...", flush=True)
            try:
                m = run_end_to_end(args.pipeline, inputs, executor, args.num_cpus, engine, name, work_dir)
            except Exception as exc:  # e.g. Ray's processes killed by another job
                errors.append({"run": name, "error": f"{type(exc).__name__}: {exc}"[:2000]})
                print(f"  FAILED: {type(exc).__name__}: {str(exc)[:300]}", flush=True)
                return
            measurements.append(m)
            print(f"  {m.rate:.1f} html docs/s in {m.seconds:.0f} s", flush=True)

        if ray_runs:
            with ray_cluster(args.num_cpus) as startup:
                results["ray_startup_seconds"] = round(startup, 3)
                for name, inputs, executor, engine in ray_runs:
                    attempt(name, inputs, executor, engine)
        for name, inputs, executor, engine in local_runs:
            attempt(name, inputs, executor, engine)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    # ratios against the references of this run
    for m in measurements:
        m.ratio_ceiling = m.rate / ceiling.rate
        if m.group == "end to end":
            engine = m.extra["engine"]
            m.reference = f"extract_html ({engine}), 1 process"
            m.ratio_reference = m.rate / extract_rate[engine]
    if parts:
        results["notes"].append(
            f"curate makes one Ray read task per input file; the {len(parts)}-file runs read the same "
            f"{records:,} records cut at record boundaries into {len(parts)} files"
        )
    results["notes"].append(
        "the 1-core x column of end-to-end runs divides by the extraction stage alone; the whole "
        f"trafilatura chain (extract + langid + filter) runs at {chain:.1f} docs/s on one core"
    )
    results["measurements"] = [m.to_dict() for m in measurements]
    results["load_average_end"] = _loadavg()
    results["benchmark_seconds"] = round(time.perf_counter() - bench_start, 1)
    results["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    print_report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
