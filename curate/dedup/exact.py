"""Exact deduplication: whole documents by text or URL, and repeated lines across a corpus.

``exact_dedup`` hashes each document's normalised text (its word sequence: case and
punctuation ignored, so documents differing only in spacing or case are equal) or its
normalised URL, groups equal hashes by a shuffle on the hash, and keeps one document per
group by the keep policy.

``line_dedup`` counts, for every distinct line, the documents it occurs in (one shuffle
on the line hash), then removes from every document the lines found in more than
``max_documents`` documents: navigation, cookie banners, footers.  This is CCNet's
paragraph deduplication (Wenzek et al., 2020) and the line removal C4 applies to
repeated three-sentence spans (Raffel et al., 2020), done across the whole corpus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.dedup.base import (
    DedupStage,
    decisions_task,
    doc_keys,
    file_slot,
    keep_fields,
    keep_priority,
    read_task_file,
    row_order,
    total_rows,
    validate_keep,
    write_ids,
)
from curate.dedup.minhash import byte_hashes, word_sequence_hashes
from curate.execution.tasks import TaskRunner, run_step
from curate.execution.workdir import WorkDir
from curate.registry import register
from curate.schema import ID, TEXT, URL
from curate.stage import live_mask, mark_dropped, put_column
from curate.text.lines import removed_lines
from curate.urls import url_keys


def _hash_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    key, keep, index, partitions = spec["key"], spec["keep"], spec["index"], spec["partitions"]
    tables, ids = [], []
    first_row = 0
    stats = {"documents": 0, "hashed": 0}
    for table in read_task_file(spec, keep_fields(keep)):
        n = table.num_rows
        ids.append(table[ID])
        column = TEXT if key == "text" else URL
        live = live_mask(table, column)
        if key == "text":
            hashes, counts = word_sequence_hashes(table[TEXT])
            live &= counts > 0
        else:
            hashes = byte_hashes(url_keys(table[URL].fill_null("")))  # url_filter's URL key
        stats["documents"] += n
        stats["hashed"] += int(live.sum())
        if live.any():
            keys = doc_keys(index, first_row, n)
            tables.append(pa.table({
                "hash": pa.array(hashes[live], pa.uint64()),
                "doc": pa.array(keys[live], pa.uint64()),
                "prio": pa.array(keep_priority(table, keep)[live], pa.float64()),
                "order": pa.array(row_order(table, keys, spec.get("origin_keys"))[live], pa.uint64()),
            }))
        first_row += n
    if tables:
        table = pa.concat_tables(tables)
        part = (table["hash"].to_numpy() % np.uint64(partitions)).astype(np.int64)
        work.write_partitioned("hashes", f"f{index:06d}", table, part, partitions)
    write_ids(work, index, ids)
    return stats


def _group_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Equal hashes form a cluster; its best document (priority, then input order) stays."""
    work = WorkDir(spec["work"])
    table = work.read_partition("hashes", spec["p"])
    if table is None or table.num_rows == 0:
        return {"duplicate_groups": 0}
    h, doc, prio = table["hash"].to_numpy(), table["doc"].to_numpy(), table["prio"].to_numpy()
    sort = np.lexsort((doc, table["order"].to_numpy(), prio, h))
    h, doc = h[sort], doc[sort]
    start = np.ones(len(h), bool)
    start[1:] = h[1:] != h[:-1]
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    sizes = np.diff(np.append(first, len(h)))
    in_group = sizes[group] >= 2
    node, label = doc[in_group], doc[first][group][in_group]
    members = pa.table({"node": pa.array(node, pa.uint64()), "label": pa.array(label, pa.uint64())})
    work.write_partitioned("members", f"p{spec['p']:05d}", members, file_slot(label, spec), spec["file_slots"])
    return {"duplicate_groups": int((sizes >= 2).sum())}


@register
@dataclass(kw_only=True)
class ExactDedup(DedupStage):
    """Remove exact duplicates by normalised text or URL; keep one per group.

    Drops: every document whose text (``key: text``; its word sequence, ignoring case,
    punctuation and spacing) or URL (``key: url``; the key of :func:`curate.urls.url_keys`:
    no scheme, userinfo, fragment, default port or ``www.``, host lower-cased, path case
    kept, percent-encoding tidied, query parameters sorted) equals an earlier-kept one's, with reason ``exact_duplicate`` or
    ``duplicate_url`` and ``duplicate_of``.  Kept documents get ``duplicate_cluster_id``
    and ``duplicate_cluster_size``.  As datatrove's ``ExactDedup`` / URL dedup and NeMo
    Curator's ``ExactDuplicates``, on any number of workers.
    """

    name: ClassVar[str] = "exact_dedup"

    key: str = "text"
    keep: str = "first"
    partitions: int | None = None

    @property
    def reason(self) -> str:  # type: ignore[override]
        return "exact_duplicate" if self.key == "text" else "duplicate_url"

    def validate(self) -> None:
        super().validate()
        if self.key not in ("text", "url"):
            raise ValueError(f"exact_dedup: key must be text or url, not {self.key!r}")
        validate_keep(self.keep)

    def compute(
        self, files: list[str], reader_options: dict[str, Any], work: WorkDir, runner: TaskRunner, origin_keys: list[str] | None = None
    ) -> dict[str, Any]:
        partitions = self.partitions or max(2 * runner.parallelism, math.ceil(total_rows(files, reader_options) / 10_000_000))
        base = {"key": self.key, "keep": self.keep, "reader": reader_options, "partitions": partitions,
                "files": len(files), "file_slots": len(files), "origin_keys": origin_keys}
        steps = [run_step(work, "hashes", _hash_task, [{**base, "task": f"f{i:06d}", "file": f, "index": i} for i, f in enumerate(files)], runner)]
        for name in ("groups", "members", "decisions"):
            work.remove(name)
        steps.append(run_step(work, "groups", _group_task, [{**base, "task": f"p{p:05d}", "p": p} for p in range(partitions)], runner))
        specs = [{**base, "task": f"s{i:06d}", "slot": i, "ids_work": work.root, "ids_index": i} for i in range(len(files))]
        steps.append(run_step(work, "decisions", decisions_task, specs, runner))
        return {
            "method": f"exact_{self.key}", "keep": self.keep, "partitions": partitions,
            "documents": steps[0].get("documents", 0), "hashed": steps[0].get("hashed", 0),
            "clusters": steps[-1].get("clusters", 0), "removed": steps[-1].get("removed", 0),
            "largest_cluster": steps[-1].get("largest_cluster", 0),
            "peak_rss_mb": max(s.get("peak_rss_mb", 0.0) for s in steps), "steps": steps,
        }


def _line_table(text: pa.Array | pa.ChunkedArray) -> tuple[pa.ListArray, np.ndarray, np.ndarray]:
    """Lines of every text (a list array), each line's word-sequence hash and word count."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    lines = pc.split_pattern(text.cast(pa.large_string()).fill_null(""), "\n")
    hashes, counts = word_sequence_hashes(lines.flatten())
    return lines, hashes, counts


def _line_hash_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    partitions, min_words = spec["partitions"], spec["min_words"]
    pieces = []
    stats = {"documents": 0, "lines": 0}
    for table in read_task_file(spec, []):
        live = live_mask(table)
        stats["documents"] += int(live.sum())
        text = table[TEXT].filter(pa.array(live))
        if len(text) == 0:
            continue
        lines, hashes, counts = _line_table(text)
        doc = np.repeat(np.arange(len(text)), np.diff(lines.offsets.to_numpy()))
        ok = counts >= min_words
        stats["lines"] += int(ok.sum())
        pairs = np.unique(np.stack([doc[ok].astype(np.uint64), hashes[ok]]), axis=1)  # each line once per document
        pieces.append(pairs[1])
    if pieces:
        hashes = np.concatenate(pieces)
        table = pa.table({"hash": pa.array(hashes, pa.uint64())})
        part = (hashes % np.uint64(partitions)).astype(np.int64)
        work.write_partitioned("lines", f"f{spec['index']:06d}", table, part, partitions)
    return stats


def _line_count_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    table = work.read_partition("lines", spec["p"])
    if table is None or table.num_rows == 0:
        return {"distinct_lines": 0, "frequent_lines": 0}
    values, counts = np.unique(table["hash"].to_numpy(), return_counts=True)
    frequent = values[counts > spec["max_documents"]]
    work.write_table(work.path("frequent", f"p{spec['p']:05d}.parquet"), pa.table({"hash": pa.array(frequent, pa.uint64()), "documents": pa.array(counts[counts > spec["max_documents"]], pa.int64())}))
    return {"distinct_lines": int(len(values)), "frequent_lines": int(len(frequent))}


@register
@dataclass(kw_only=True)
class LineDedup(DedupStage):
    """Remove lines that occur in more than ``max_documents`` documents of the corpus.

    Lines are compared by their words (case and punctuation ignored); lines with fewer
    than ``min_words`` words are left alone.  Drops: documents left with no text
    (``all_lines_duplicated``).  Adds ``duplicate_lines_removed`` and
    ``line_dedup_removed_lines`` (``list<struct<line: int32, text: large_string>>``: a
    document's first ``record_removed_lines`` (50) removed lines, each as ``line``, its
    index among the document's lines as split here (at ``\n``), and ``text``, the line
    cut to ``removed_line_chars`` (500) characters; an empty list when none was removed
    or ``record_removed_lines`` is 0), which ``curate report`` shows in place.  CCNet
    (Wenzek et al., 2020) removes repeated paragraphs this way; C4 removes repeated spans.
    """

    name: ClassVar[str] = "line_dedup"
    reason: ClassVar[str] = "all_lines_duplicated"

    max_documents: int = 10
    min_words: int = 1
    partitions: int | None = None
    record_removed_lines: int = 50
    removed_line_chars: int = 500

    def validate(self) -> None:
        super().validate()
        if self.max_documents < 1:
            raise ValueError("line_dedup: max_documents must be at least 1")
        if self.record_removed_lines < 0 or self.removed_line_chars < 0:
            raise ValueError("line_dedup: record_removed_lines and removed_line_chars must be at least 0")

    def compute(
        self, files: list[str], reader_options: dict[str, Any], work: WorkDir, runner: TaskRunner, origin_keys: list[str] | None = None
    ) -> dict[str, Any]:
        partitions = self.partitions or max(2 * runner.parallelism, math.ceil(total_rows(files, reader_options) / 200_000))
        base = {"reader": reader_options, "partitions": partitions, "min_words": self.min_words, "max_documents": self.max_documents}
        steps = [run_step(work, "line_hashes", _line_hash_task, [{**base, "task": f"f{i:06d}", "file": f, "index": i} for i, f in enumerate(files)], runner)]
        work.remove("frequent")
        work.remove("line_counts")
        steps.append(run_step(work, "line_counts", _line_count_task, [{**base, "task": f"p{p:05d}", "p": p} for p in range(partitions)], runner))
        return {
            "method": "lines", "max_documents": self.max_documents, "partitions": partitions,
            "documents": steps[0].get("documents", 0), "lines": steps[0].get("lines", 0),
            "distinct_lines": steps[1].get("distinct_lines", 0), "frequent_lines": steps[1].get("frequent_lines", 0),
            "peak_rss_mb": max(s.get("peak_rss_mb", 0.0) for s in steps), "steps": steps,
        }

    def load_decisions(self, work: WorkDir, file_index: int) -> Any:
        cache = self.__dict__.setdefault("_frequent", {})
        if work.root not in cache:
            table = work.read_dir(work.path("frequent"), ["hash"])
            cache[work.root] = np.sort(table["hash"].to_numpy()) if table is not None else np.zeros(0, np.uint64)
        return cache[work.root]

    def decide(self, table: pa.Table, frequent: Any) -> pa.Table:
        lines, hashes, counts = _line_table(table[TEXT])
        if frequent is not None and len(frequent):
            at = np.minimum(np.searchsorted(frequent, hashes), len(frequent) - 1)
            repeated = (frequent[at] == hashes) & (counts >= self.min_words)
        else:
            repeated = np.zeros(len(hashes), bool)
        offsets = lines.offsets.to_numpy()
        doc = np.repeat(np.arange(len(table)), np.diff(offsets))
        removed = np.bincount(doc[repeated], minlength=len(table)).astype(np.int64)
        recorded = removed_lines(lines.flatten(), doc, repeated, len(table), self.record_removed_lines, self.removed_line_chars)
        keep = ~repeated
        new_offsets = np.concatenate([[0], np.cumsum(np.bincount(doc[keep], minlength=len(table)))]).astype(np.int32)
        kept_lines = pa.ListArray.from_arrays(pa.array(new_offsets), lines.flatten().filter(pa.array(keep)))
        text = pc.binary_join(kept_lines, pa.scalar("\n", pa.large_string()))
        original = table[TEXT]
        text = pc.if_else(pc.greater(pa.array(removed), 0), text, original)
        table = table.set_column(table.schema.get_field_index(TEXT), TEXT, text)
        idx = table.schema.get_field_index("duplicate_lines_removed")
        column = pa.array(removed)
        table = table.set_column(idx, "duplicate_lines_removed", column) if idx >= 0 else table.append_column("duplicate_lines_removed", column)
        table = put_column(table, "line_dedup_removed_lines", recorded)
        empty = pc.and_(pc.greater(pa.array(removed), 0), pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0))
        return mark_dropped(table, pc.if_else(empty, pa.scalar(self.reason), pa.scalar(None, pa.string())))
