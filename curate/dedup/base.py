"""Global stages: stages that must see the whole dataset before deciding about a row.

A global stage (deduplication) runs in two parts:

1. ``compute``: a few all-to-all steps over every input file (tasks that read and write
   a work directory; see :mod:`curate.dedup.workdir`).  It ends with *decisions*: for
   every input file, the rows to drop or change, in ``decisions/p<file index>/``.
2. ``apply``: a plain per-batch stage that joins each batch with its file's decisions
   (by row position, the reader's ``_row`` column) and marks rows dropped or adds
   columns.  It runs in the ordinary streaming executor, so its rejects, statistics and
   resume work like every other stage's.

Documents are named by a 64-bit key: the input file's index in the high bits and the row
position in that file in the low 36 bits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.dedup.tasks import TaskRunner, _timed, log_step, summarise
from curate.dedup.workdir import WorkDir
from curate.schema import DROPPED_BY, ID, ORDER_COLUMNS, ORIGIN, ROW, SEQ, TEXT
from curate.stage import Stage, mark_dropped
from curate.storage import read_parquet

ROW_BITS = 36
ROW_MASK = np.uint64((1 << ROW_BITS) - 1)
# Files of an earlier run's index (deduplicate against) get this bit in their file index.
REFERENCE_FILE = 1 << 26

DECISIONS = "decisions"
IDS = "ids"


def doc_keys(file_index: int, first_row: int, n: int) -> np.ndarray:
    return (np.uint64(file_index) << np.uint64(ROW_BITS)) | (np.uint64(first_row) + np.arange(n, dtype=np.uint64))


def file_of(keys: np.ndarray) -> np.ndarray:
    return (keys >> np.uint64(ROW_BITS)).astype(np.int64)


def row_of(keys: np.ndarray) -> np.ndarray:
    return (keys & ROW_MASK).astype(np.int64)


def keep_priority(table: pa.Table, keep: str) -> np.ndarray:
    """Priority of each row under a keep policy; lower is kept first (ties: input order).

    ``first``: input order; ``longest``: most characters of text; ``score:COLUMN``: the
    highest value of a numeric column (missing values last).
    """
    n = table.num_rows
    if keep == "first":
        return np.zeros(n, np.float64)
    if keep == "longest":
        lengths = pc.fill_null(pc.utf8_length(table[TEXT]), 0)
        return -np.asarray(lengths.to_numpy(zero_copy_only=False), np.float64)
    if keep.startswith("score:"):
        column = keep.split(":", 1)[1]
        if column not in table.column_names:
            raise ValueError(f"keep: {keep!r} names a column the data does not have (columns: {table.column_names})")
        values = pc.cast(table[column], pa.float64())
        values = pc.fill_null(values, float("-inf"))
        return -np.asarray(values.to_numpy(zero_copy_only=False), np.float64)
    raise ValueError(f"keep: use first, longest or score:COLUMN, not {keep!r}")


def row_order(table: pa.Table, keys: np.ndarray, origin_keys: list[str] | None) -> np.ndarray:
    """Each row's place in the run's input order: ties under a keep policy go to the
    earlier one.  Rows of an intermediate phase carry their origin (input key and row);
    other rows are ordered by their key (file index, then row)."""
    if origin_keys and ORIGIN in table.column_names and SEQ in table.column_names:
        index = pc.index_in(table[ORIGIN], value_set=pa.array(origin_keys, pa.string()))
        index = np.asarray(pc.fill_null(index, len(origin_keys)).to_numpy(zero_copy_only=False), np.uint64)
        seq = np.asarray(pc.fill_null(table[SEQ], 0).to_numpy(zero_copy_only=False), np.uint64)
        return (index << np.uint64(ROW_BITS)) | seq
    return keys


def keep_fields(keep: str) -> list[str]:
    """The columns a keep policy reads besides the text (``score:COLUMN``)."""
    return [keep.split(":", 1)[1]] if keep.startswith("score:") else []


def read_task_file(spec: dict[str, Any], fields: list[str]) -> Any:
    """The batches of a task's input file (``spec["file"]``), read with the run's Parquet
    reader options plus ``fields`` and the rows' origin columns."""
    from curate.readers.base import InputFile, ReadReport
    from curate.readers.jsonl import ParquetReader

    reader = ParquetReader(**{**spec["reader"], "fields": [*fields, *ORDER_COLUMNS]})
    source = InputFile(spec["file"])
    return reader.read(source, ReadReport(input=source.path, key=source.key))


def live_mask(table: pa.Table, column: str = TEXT) -> np.ndarray:
    """Rows that no earlier stage or reader dropped and whose ``column`` is present."""
    live = pc.is_valid(table[column])
    if DROPPED_BY in table.column_names:
        live = pc.and_(live, pc.is_null(table[DROPPED_BY]))
    return np.asarray(live.to_numpy(zero_copy_only=False), bool)


def write_ids(work: WorkDir, index: int, ids: list[pa.Array | pa.ChunkedArray]) -> None:
    """The id of every row of input file ``index``, in row order (the run's index)."""
    arrays = [(a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a).cast(pa.string()) for a in ids]
    column = pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())
    work.write_table(work.path(IDS, f"f{index:06d}.parquet"), pa.table({"id": column}))


def validate_keep(keep: str) -> None:
    if keep not in ("first", "longest") and not (keep.startswith("score:") and len(keep) > 6):
        raise ValueError(f"keep: use first, longest or score:COLUMN, not {keep!r}")


def total_rows(files: list[str], reader_options: dict[str, Any]) -> int:
    """Rows in all the Parquet files (from their footers)."""
    import fsspec
    import pyarrow.parquet as pq

    total = 0
    for path in files:
        with fsspec.open(path, "rb", **(reader_options.get("storage_options") or {})) as f:
            total += pq.ParquetFile(f).metadata.num_rows
    return total


def _step_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one task of a step and record it as done (so a resumed run skips it)."""
    fn = spec["fn"]
    result = _timed(fn, spec)
    WorkDir(spec["work"]).mark_done(spec["step"], spec["task"], result)
    return result


def run_step(work: WorkDir, step: str, fn: Any, specs: list[dict[str, Any]], runner: TaskRunner) -> dict[str, Any]:
    """Run the tasks of ``step`` that have not finished before; summarise all of them."""
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    todo = []
    for spec in specs:
        previous = work.is_done(step, spec["task"])
        if previous is not None:
            results.append(previous)
        else:
            todo.append({**spec, "fn": fn, "step": step, "work": work.root})
    if todo:
        results += runner.map(_step_task, todo)
    return log_step(summarise(step, results, time.perf_counter() - started))


def file_slot(keys: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Which verification task holds a document's file: its own index, references after."""
    files = file_of(keys)
    return np.where(files >= REFERENCE_FILE, spec["files"] + (files - REFERENCE_FILE), files)


def members_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Final labels of one partition -> (node, label), regrouped by the label's file."""

    work = WorkDir(spec["work"])
    labels = read_parquet(work.fs, spec["labels_file"], ["node", "label"])
    slots = file_slot(labels["label"].to_numpy(), spec)
    work.write_partitioned("members", f"l{spec['index']:05d}", labels, slots, spec["file_slots"])
    return {"nodes": labels.num_rows}


def decisions_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Clusters whose kept document is in this file: sizes, kept id, decisions per file.

    When the kept document belongs to an earlier run's index and that run removed it as a
    duplicate, ``duplicate_of`` names the document that run kept instead.
    """

    work = WorkDir(spec["work"])
    members = work.read_partition("members", spec["slot"])
    if members is None or members.num_rows == 0:
        return {"clusters": 0, "removed": 0, "largest_cluster": 0}
    node, label = members["node"].to_numpy(), members["label"].to_numpy()
    labels, inverse, counts = np.unique(label, return_inverse=True, return_counts=True)
    # ``size`` is what the rows get as duplicate_cluster_size; the figures below count
    # the same clusters.  A cluster of an earlier run's documents only (an index) is no
    # cluster of this run: none of its rows is here.
    size = counts[inverse]
    files = file_of(node)
    local = files < REFERENCE_FILE
    here = np.zeros(len(labels), bool)
    here[inverse[local]] = True
    ids_work = WorkDir(spec["ids_work"])
    ids = read_parquet(ids_work.fs, ids_work.path(IDS, f"f{spec['ids_index']:06d}.parquet"))["id"]
    label_rows = row_of(label)
    rep_id = pc.take(ids, pa.array(label_rows))
    if spec.get("reference_slot"):
        earlier = ids_work.read_partition(DECISIONS, spec["ids_index"])
        if earlier is not None and earlier.num_rows:
            at = pc.index_in(pa.array(label_rows), value_set=earlier["row"])
            replaced = pc.if_else(pc.fill_null(pc.take(earlier["removed"], at), False), pc.take(earlier["rep_id"], at), rep_id)
            rep_id = replaced
    removed = node != label
    table = pa.table({
        "row": pa.array(row_of(node), pa.int64()),
        "rep_id": rep_id,
        "size": pa.array(size.astype(np.int64)),
        "removed": pa.array(removed),
    })
    table = table.filter(pa.array(local))
    work.write_partitioned(DECISIONS, f"s{spec['slot']:06d}", table, files[local], spec["files"])
    return {
        "clusters": int(here.sum()), "removed": int(removed[local].sum()),
        "largest_cluster": int(counts[here].max()) if here.any() else 0,
    }


@dataclass(kw_only=True)
class GlobalStage(Stage):
    """A stage that needs every document before it can decide about one."""

    is_global: ClassVar[bool] = True
    reason: ClassVar[str] = "duplicate"

    def compute(
        self, files: list[str], reader_options: dict[str, Any], work: WorkDir, runner: TaskRunner, origin_keys: list[str] | None = None
    ) -> dict[str, Any]:
        """Write ``decisions/`` for every file; return statistics for ``stats.json``.

        ``origin_keys``: the run's input keys in order, for rows that carry their origin."""
        raise NotImplementedError

    def process(self, table: pa.Table) -> pa.Table:
        raise TypeError(f"{self.stage_id} needs the whole dataset: it runs through run_pipeline or curate dedup, not per batch")

    def load_decisions(self, work: WorkDir, file_index: int) -> Any:
        """What ``decide`` needs for the rows of one input file (cached per worker)."""
        return work.read_partition(DECISIONS, file_index)

    def decide(self, table: pa.Table, decisions: Any) -> pa.Table:
        """Apply one file's decisions to a batch of its rows (default: drop duplicates)."""
        return apply_duplicate_decisions(table, decisions, self.reason)


def apply_duplicate_decisions(table: pa.Table, decisions: pa.Table | None, reason: str) -> pa.Table:
    """Mark removed duplicates dropped (with ``duplicate_of``); add cluster id and size.

    ``decisions`` has ``row, rep_id, size, removed`` for the rows of this file that are in
    a cluster of two or more; every other row is its own cluster of one.
    """
    n = table.num_rows
    own_id = table[ID]
    if decisions is None or decisions.num_rows == 0:
        cluster_id, size = own_id, pa.array(np.ones(n, np.int64))
        removed = pa.array(np.zeros(n, bool))
        rep = pa.nulls(n, pa.string())
    else:
        at = pc.index_in(table[ROW], value_set=decisions["row"])
        rep = pc.take(decisions["rep_id"], at)
        cluster_id = pc.coalesce(rep, own_id)
        size = pc.coalesce(pc.take(decisions["size"], at), pa.scalar(1, pa.int64()))
        removed = pc.fill_null(pc.take(decisions["removed"], at), False)
    table = _set(table, "duplicate_cluster_id", cluster_id)
    table = _set(table, "duplicate_cluster_size", size)
    table = _set(table, "duplicate_of", pc.if_else(removed, rep, pa.scalar(None, pa.string())))
    return mark_dropped(table, pc.if_else(removed, pa.scalar(reason), pa.scalar(None, pa.string())))


def _set(table: pa.Table, name: str, values: Any) -> pa.Table:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    idx = table.schema.get_field_index(name)
    if idx >= 0:
        return table.set_column(idx, name, values)
    return table.append_column(name, values)


@dataclass(kw_only=True)
class ApplyDecisions(Stage):
    """The per-batch half of a global stage: joins each batch with its file's decisions.

    Built by the runner, not named in YAML; it reports under the global stage's name.
    """

    name: ClassVar[str] = "_apply_decisions"

    stage: GlobalStage
    work: str
    file_index: dict[str, int] = field(default_factory=dict)

    @property
    def stage_id(self) -> str:
        return self.stage.stage_id

    def process(self, table: pa.Table) -> pa.Table:
        from curate.schema import INPUT_KEY

        work = WorkDir(self.work)
        keys = pc.unique(table[INPUT_KEY]).to_pylist()
        pieces = []
        for key in keys:
            part = table.filter(pc.equal(table[INPUT_KEY], key)) if len(keys) > 1 else table
            decisions = self._decisions(work, key)
            pieces.append(self.stage.decide(part, decisions))
        return pa.concat_tables(pieces, promote_options="permissive") if len(pieces) > 1 else pieces[0]

    def _decisions(self, work: WorkDir, key: str) -> pa.Table | None:
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            if len(cache) > 4:
                cache.clear()
            cache[key] = self.stage.load_decisions(work, self.file_index[key])
        return cache[key]
