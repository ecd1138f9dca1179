"""What every deduplication stage shares: document keys, keep policies, clusters to decisions.

The dedup stages are global stages (:mod:`curate.execution.global_stage`): their
``compute`` runs restartable steps (:func:`curate.execution.tasks.run_step`) over every
input file and ends with *decisions*: for every input file, the rows in a cluster, in
``decisions/p<file index>/`` of the work folder; :class:`DedupStage` applies them per batch
(by row position, the reader's ``_row`` column) and drops the duplicates.

Documents are named by a 64-bit key: the input file's index in the high bits and the row
position in that file in the low 36 bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.execution.global_stage import GlobalStage
from curate.execution.workdir import WorkDir
from curate.schema import ID, ORDER_COLUMNS, ORIGIN, ROW, SEQ, TEXT
from curate.stage import mark_dropped, put_column
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


def node_partition(keys: np.ndarray, partitions: int) -> np.ndarray:
    """Partition of 64-bit document keys, spread by a multiplicative hash."""
    mixed = (keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    return (mixed % np.uint64(partitions)).astype(np.int64)


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
    table = put_column(table, "duplicate_cluster_id", cluster_id)
    table = put_column(table, "duplicate_cluster_size", size)
    table = put_column(table, "duplicate_of", pc.if_else(removed, rep, pa.scalar(None, pa.string())))
    return mark_dropped(table, pc.if_else(removed, pa.scalar(reason), pa.scalar(None, pa.string())))


@dataclass(kw_only=True)
class DedupStage(GlobalStage):
    """A deduplication stage: its decisions mark rows as duplicates of a kept one."""

    reason: ClassVar[str] = "duplicate"

    def load_decisions(self, work: WorkDir, file_index: int) -> Any:
        """The rows of input file ``file_index`` that are in a cluster (cached per worker)."""
        return work.read_partition(DECISIONS, file_index)

    def decide(self, table: pa.Table, decisions: Any) -> pa.Table:
        """Apply one file's decisions to a batch of its rows: drop the duplicates."""
        return apply_duplicate_decisions(table, decisions, self.reason)
