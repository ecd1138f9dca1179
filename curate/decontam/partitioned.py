"""The decontamination index joined by hash partition, for an index too large to load in
every worker (larger than the stage's ``broadcast_max_mb``).

Three restartable steps (:func:`curate.execution.tasks.run_step`), as the dedup stages run:

1. ``index_parts``: the index's rows split into ``P`` partitions by hash, one task per
   row group of ``index.parquet``;
2. ``ngrams``: every n-gram of every document of a file (at each width the index uses),
   with its file, row, first word and width, split the same way, one task per file;
3. ``join``: per partition, the documents' n-grams joined with the index's on the hash,
   the matches written per input file.

The stage then applies each file's matches as its documents stream past
(:meth:`curate.decontam.stage.Decontaminate.decide`).  Memory per task is one partition
of the index plus one partition of the n-grams; disk holds every n-gram of the corpus
once (about 30 bytes per word and width, compressed less), which is the price of not
loading the index whole.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.decontam.ngrams import doc_ngrams
from curate.dedup.base import read_task_file, total_rows
from curate.execution.tasks import TaskRunner, run_step
from curate.execution.workdir import WorkDir
from curate.schema import TEXT
from curate.stage import live_mask
from curate.storage import parquet_file

if TYPE_CHECKING:
    from curate.decontam.hits import Hits

MAX_PARTITIONS = 4096
MIN_PARTITION_ENTRIES = 10_000


def compute_matches(folder: str, meta: dict[str, Any], partitions: int | None,
                    broadcast_max_mb: float, text_column: str, files: list[str], reader_options: dict[str, Any], work: WorkDir,
                    runner: TaskRunner) -> dict[str, Any]:
    """Run the three steps over the index in ``folder`` (``meta``: its index.json) and the
    Parquet ``files``; the matches of file ``i`` end in ``matches/p<i>/``."""
    budget = broadcast_max_mb * 2**20
    # a partition of the index should take at most a quarter of the broadcast budget, and
    # hold at least MIN_PARTITION_ENTRIES (smaller ones cost a task each and save nothing)
    needed = math.ceil(meta["bytes"] / max(budget / 4, 1))
    partitions = partitions or max(2 * runner.parallelism,
                                   min(needed, MAX_PARTITIONS, math.ceil(meta["entries"] / MIN_PARTITION_ENTRIES)))
    index = WorkDir(folder)
    groups = parquet_file(index.fs, index.path("index.parquet")).num_row_groups
    base = {"index": folder, "partitions": partitions,
            "widths": list(meta["widths"]), "text_column": text_column, "reader": reader_options}
    steps = [run_step(work, "index_parts", _index_part_task, [{**base, "task": f"g{g:06d}", "group": g} for g in range(groups)], runner)]
    steps.append(run_step(work, "ngrams", _ngram_task, [{**base, "task": f"f{i:06d}", "file": f, "file_index": i} for i, f in enumerate(files)], runner))
    steps.append(run_step(work, "join", _join_task, [{**base, "task": f"p{p:05d}", "p": p, "files": len(files)} for p in range(partitions)], runner))
    return {
        "method": "decontaminate (hash-partitioned join)", "partitions": partitions, "index_entries": meta["entries"],
        "documents": total_rows(files, reader_options), "ngrams": steps[1].get("ngrams", 0), "matches": steps[2].get("matches", 0),
        "peak_rss_mb": max(s.get("peak_rss_mb", 0.0) for s in steps), "steps": steps,
    }


def _index_part_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    index = WorkDir(spec["index"])
    table = parquet_file(index.fs, index.path("index.parquet")).read_row_group(spec["group"])
    part = (table["hash"].to_numpy() % np.uint64(spec["partitions"])).astype(np.int64)
    work.write_partitioned("index_parts", spec["task"], table, part, spec["partitions"])
    return {"entries": table.num_rows}


def _ngram_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    column = spec["text_column"]
    first_row = 0
    count = 0
    pieces = []
    widths = np.asarray(spec["widths"], np.int64)
    for table in read_task_file(spec, [column] if column != TEXT else []):
        n = table.num_rows
        texts = table[column]
        live = live_mask(table, column)
        if not live.all():
            texts = pc.if_else(pa.array(live), texts, pa.scalar(None, texts.type))
        hashes, doc, start, width = doc_ngrams(texts, widths)
        count += len(hashes)
        if len(hashes):
            pieces.append(pa.table({"hash": pa.array(hashes, pa.uint64()), "row": pa.array(doc + first_row, pa.int64()),
                                    "start": pa.array(start.astype(np.int32)), "width": pa.array(width.astype(np.int16))}))
        first_row += n
    if pieces:
        table = pa.concat_tables(pieces)
        table = table.append_column("file", pa.array(np.full(table.num_rows, spec["file_index"], np.int32)))
        part = (table["hash"].to_numpy() % np.uint64(spec["partitions"])).astype(np.int64)
        work.write_partitioned("ngrams", spec["task"], table, part, spec["partitions"])
    return {"ngrams": count, "rows": first_row}


def _join_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    index = work.read_partition("index_parts", spec["p"])
    ngrams = work.read_partition("ngrams", spec["p"])
    if index is None or ngrams is None or index.num_rows == 0 or ngrams.num_rows == 0:
        return {"matches": 0}
    found = ngrams.join(index, keys="hash", join_type="inner", use_threads=False)
    if found.num_rows == 0:
        return {"matches": 0}
    found = found.select(["file", "row", "start", "width", "benchmark", "item"])
    work.write_partitioned("matches", spec["task"], found, found["file"].to_numpy().astype(np.int64), spec["files"])
    return {"matches": found.num_rows}


def load_file_matches(work: WorkDir, file_index: int) -> pa.Table | None:
    """The matches of input file ``file_index`` (None when it has none)."""
    return work.read_partition("matches", file_index)


def hits_for_rows(matches: pa.Table, rows: np.ndarray) -> Hits:
    """The matches of the batch whose file rows are ``rows``, as :class:`Hits` by batch position."""
    from curate.decontam.hits import Hits

    position = pc.index_in(matches["row"], value_set=pa.array(rows, pa.int64()))
    keep = pc.is_valid(position)
    if not pc.any(keep).as_py():
        return Hits.empty()
    found = matches.filter(keep)

    def col(name: str) -> np.ndarray:
        return np.asarray(found[name].to_numpy(), np.int64)

    return Hits(doc=np.asarray(position.filter(keep).to_numpy(), np.int64), start=col("start"), width=col("width"),
                benchmark=col("benchmark"), item=col("item"))


__all__ = ["compute_matches", "hits_for_rows", "load_file_matches"]
