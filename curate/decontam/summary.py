"""Contamination per benchmark, counted from a finished output (for ``stats.json``).

Counted from the columns ``decontaminate`` wrote (``data/`` and ``rejects/``), row group by
row group, so the figures are exact, survive resumed runs, and memory stays bounded by a
row group: per benchmark, the documents that overlap it (kept and dropped), the n-grams
found, and the benchmark items touched (out of its items; an item counts when one of its
n-grams is in a document; at most ``max_items_recorded`` items are recorded per
document).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.decontam.columns import BENCHMARKS, ITEMS, NGRAMS, REASON_PREFIX, REMOVED_CHARS
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON
from curate.storage import parquet_file

if TYPE_CHECKING:
    from curate.decontam.stage import Decontaminate
    from curate.output import OutputLayout


def contamination_summary(stage: Decontaminate, layout: OutputLayout) -> dict[str, Any]:
    """``{"index": ..., "policy": ..., "benchmarks": {name: figures}, "documents": ...}``."""
    from curate.decontam.index import read_meta

    folder = stage.index_folder
    meta = read_meta(folder)
    per: dict[str, dict[str, Any]] = {}
    items: dict[str, set[str]] = {}
    if meta:
        for b in meta["benchmarks"]:
            per[b["name"]] = {"items": b["items"], "items_indexed": b["items_indexed"], "items_too_short": b["items_too_short"],
                              "documents": 0, "documents_kept": 0, "documents_dropped": 0, "documents_cut": 0}
            items[b["name"]] = set()
    totals = {"documents_flagged": 0, "documents_dropped": 0, "documents_cut": 0, "ngrams_found": 0}
    for kind, directory in (("kept", layout.data_dir), ("dropped", layout.rejects_dir)):
        for path in layout.part_files(directory):
            pf = parquet_file(layout.fs, path)
            names = pf.schema_arrow.names
            if BENCHMARKS not in names:
                continue
            columns = [c for c in (BENCHMARKS, ITEMS, NGRAMS, REMOVED_CHARS, REJECT_DROPPED_BY, REJECT_REASON) if c in names]
            for i in range(pf.num_row_groups):
                table = pf.read_row_group(i, columns=columns, use_threads=False)
                lengths = pc.fill_null(pc.list_value_length(table[BENCHMARKS]), 0)
                table = table.filter(pc.greater(lengths, 0))
                if table.num_rows == 0:
                    continue
                _count(table, kind, stage, per, items, totals)
    for name, figures in per.items():
        figures["items_touched"] = len(items.get(name, ()))
    out: dict[str, Any] = {"policy": stage.policy, "ngram": stage.ngram, "min_ngram": stage.min_ngram, **totals, "benchmarks": per}
    if meta:
        out["index"] = {"folder": folder, "entries": meta["entries"], "bytes": meta["bytes"], "widths": meta["widths"],
                        "false_positive_rate_per_ngram": meta["false_positive_rate_per_ngram"],
                        "partitioned": stage.partitioned}
    return out


def _count(table: pa.Table, kind: str, stage: Decontaminate, per: dict[str, dict[str, Any]], items: dict[str, set[str]],
           totals: dict[str, int]) -> None:
    dropped_here = np.zeros(table.num_rows, bool)
    if kind == "dropped" and REJECT_DROPPED_BY in table.column_names:
        by_stage = pc.fill_null(pc.equal(table[REJECT_DROPPED_BY], stage.stage_id), False)
        reason = pc.fill_null(pc.starts_with(table[REJECT_REASON], REASON_PREFIX), False)
        dropped_here = np.asarray(pc.and_(by_stage, reason).to_numpy(zero_copy_only=False), bool)
    cut = np.zeros(table.num_rows, bool)
    if REMOVED_CHARS in table.column_names:
        cut = np.asarray(pc.fill_null(pc.greater(table[REMOVED_CHARS], 0), False).to_numpy(zero_copy_only=False), bool) & ~dropped_here
    totals["documents_flagged"] += table.num_rows
    totals["documents_dropped"] += int(dropped_here.sum())
    totals["documents_cut"] += int(cut.sum()) if kind == "kept" else 0
    flat = pc.list_flatten(table[BENCHMARKS]).to_numpy(zero_copy_only=False)
    parent = pc.list_parent_indices(table[BENCHMARKS]).to_numpy()
    if NGRAMS in table.column_names:
        totals["ngrams_found"] += int(pc.sum(table[NGRAMS]).as_py() or 0)
    for name in np.unique(flat).tolist():
        rows = parent[flat == name]
        figures = per.setdefault(name, {"documents": 0, "documents_kept": 0, "documents_dropped": 0, "documents_cut": 0})
        figures["documents"] += len(rows)
        if kind == "kept":
            figures["documents_kept"] += len(rows)
            figures["documents_cut"] += int(cut[rows].sum())
        else:
            figures["documents_dropped"] += int(dropped_here[rows].sum())
    if ITEMS in table.column_names:
        for label in pc.unique(pc.list_flatten(table[ITEMS])).to_pylist():
            name = label.split(":", 1)[0] if label else ""
            items.setdefault(name, set()).add(label)


__all__ = ["contamination_summary"]
