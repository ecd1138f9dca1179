"""``decontaminate``: find benchmark text in the training documents, and drop, cut or flag it.

Every document's word n-grams (13 words by default, normalised like the dedup shingles:
case, punctuation and spacing ignored, Unicode words, CJK characters as words; see
:mod:`curate.decontam.ngrams`) are looked up in an index of the benchmarks' n-grams
(:mod:`curate.decontam.index`), built once before the run and saved.  Policies:

- ``drop``: a document with at least ``min_matches`` benchmark n-grams is dropped with
  reason ``contaminated:<benchmark>`` (the benchmark with the most matches);
- ``remove_spans``: the matched spans, widened by ``margin_chars`` characters on each
  side, are cut out; the document is dropped only when fewer than
  ``min_remaining_chars`` characters are left or it falls into more than ``max_pieces``
  pieces (the GPT-3 paper's filtering, Brown et al. 2020, appendix C);
- ``flag``: columns only.

Every document gets ``contamination_benchmarks`` (the benchmarks it overlaps, most matches
first), ``contamination_ngrams`` (benchmark n-grams found), ``contamination_fraction`` (the
share of its words inside them), ``contamination_items`` (``benchmark:item id``, at most
``max_items_recorded``) and, with ``remove_spans``, ``contamination_removed_chars``.  As
datatrove's ``NGramsDecontFilter``, with span removal and per-benchmark figures added.

The index is loaded whole in every worker (an actor pool) when it is at most
``broadcast_max_mb``; a larger one makes the stage global: documents and index are joined
by hash partition (:mod:`curate.decontam.partitioned`) and the matches applied per file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.decontam.benchmarks import Benchmark, parse_benchmarks
from curate.decontam.columns import (
    BENCHMARKS,
    FRACTION,
    ITEMS,
    NGRAMS,
    REASON_PREFIX,
    REMOVED_CHARS,
)
from curate.decontam.hits import Hits, covered_words, expand_entries
from curate.decontam.ngrams import find_matches, word_byte_spans
from curate.execution.global_stage import GlobalStage
from curate.registry import register
from curate.schema import ROW, TEXT
from curate.stage import mark_dropped, put_column
from curate.storage import join

if TYPE_CHECKING:
    from curate.decontam.index import IndexInfo, LoadedIndex
    from curate.execution.tasks import TaskRunner
    from curate.execution.workdir import WorkDir
    from curate.output import OutputLayout



@register
@dataclass(kw_only=True)
class Decontaminate(GlobalStage):
    """Drop, cut or flag documents that contain benchmark n-grams.

    Drops (``policy: drop``, or ``remove_spans`` when too little is left): documents with at
    least ``min_matches`` n-grams of a benchmark, reason ``contaminated:<benchmark>``.
    Method: 13-gram overlap as in GPT-3 (Brown et al. 2020), Llama 2 and OLMo
    (Groeneveld et al. 2024); datatrove's ``NGramsDecontFilter``.
    """

    name: ClassVar[str] = "decontaminate"
    summary_key: ClassVar[str | None] = "decontamination"

    benchmarks: list[Any] | None = None
    index: str | None = None
    ngram: int = 13
    min_ngram: int = 8
    policy: Literal["drop", "remove_spans", "flag"] = "drop"
    min_matches: int = 1
    margin_chars: int = 200
    min_remaining_chars: int = 200
    max_pieces: int = 10
    max_items_recorded: int = 100
    broadcast_max_mb: float = 1024.0
    partitions: int | None = None
    text_column: str = TEXT

    # -- configuration ---------------------------------------------------------------------
    def validate(self) -> None:
        super().validate()
        if self.ngram < 1 or self.min_ngram < 1 or self.min_ngram > self.ngram:
            raise ValueError(f"decontaminate: need 1 <= min_ngram ({self.min_ngram}) <= ngram ({self.ngram})")
        if self.min_matches < 1:
            raise ValueError("decontaminate: min_matches must be at least 1")
        if not self.benchmarks and not self.index:
            raise ValueError("decontaminate: give benchmarks: [...] (files or datasets) or index: (a saved index folder)")
        parse_benchmarks(self.benchmarks)

    def parsed_benchmarks(self) -> list[Benchmark]:
        return parse_benchmarks(self.benchmarks)

    def prepare(self, work_root: str) -> None:
        """Build (or find) the index on the driver before any worker starts; workers load
        it from ``prepared_index`` (a plain attribute, shipped with the stage)."""
        from curate.decontam.index import ensure_index

        folder, meta, built = ensure_index(self.parsed_benchmarks(), self.ngram, self.min_ngram, self.index,
                                           join(work_root, "decontaminate", self.stage_id))
        self.__dict__["prepared_index"] = folder
        self.__dict__["prepared_meta"] = {k: v for k, v in meta.items() if k != "benchmarks"} | {
            "benchmarks": [b["name"] for b in meta["benchmarks"]], "built_now": built}

    @property
    def index_folder(self) -> str:
        """The index this run uses (prepared on the driver, else the ``index`` setting)."""
        folder = self.__dict__.get("prepared_index") or self.index
        if folder is None:
            raise RuntimeError("decontaminate: the index was not prepared (run the stage through run_pipeline or curate decontaminate)")
        return str(folder)

    @property
    def partitioned(self) -> bool:
        """Whether the index is too large to load in every worker."""
        meta = self.__dict__.get("prepared_meta") or {}
        return bool(meta) and float(meta["bytes"]) > self.broadcast_max_mb * 2**20

    @property  # type: ignore[override]
    def is_global(self) -> bool:  # type: ignore[override]
        return self.partitioned

    @property  # type: ignore[override]
    def stateful(self) -> bool:  # type: ignore[override]
        return not self.partitioned

    # -- the broadcast path ----------------------------------------------------------------
    def loaded_index(self) -> LoadedIndex:
        from curate.decontam.index import load_index

        loaded = self.__dict__.get("_index")
        if loaded is None:
            loaded = self.__dict__["_index"] = load_index(self.index_folder)
        return loaded

    def setup(self) -> None:
        if not self.partitioned and (self.__dict__.get("prepared_index") or self.index):
            self.loaded_index()

    def process(self, table: pa.Table) -> pa.Table:
        if self.partitioned:
            return super().process(table)
        index = self.loaded_index()
        texts = _texts(table, self.text_column)
        matches = find_matches(texts, index.widths, index.hashes, index.bitmap)
        hits = expand_entries(matches, index)
        return self.apply(table, texts, matches.words, hits, index)

    def probe(self, table: pa.Table) -> pa.Table:
        return self.apply(table, _texts(table, self.text_column), np.zeros(table.num_rows, np.int64), Hits.empty(), None)

    # -- the partitioned path (a global stage) ---------------------------------------------
    def compute(self, files: list[str], reader_options: dict[str, Any], work: WorkDir, runner: TaskRunner,
                origin_keys: list[str] | None = None) -> dict[str, Any]:
        from curate.decontam.partitioned import compute_matches

        return compute_matches(self.index_folder, self.__dict__["prepared_meta"], self.partitions, self.broadcast_max_mb, self.text_column, files, reader_options, work, runner)

    def load_decisions(self, work: WorkDir, file_index: int) -> Any:
        from curate.decontam.partitioned import load_file_matches

        return load_file_matches(work, file_index)

    def decide(self, table: pa.Table, decisions: Any) -> pa.Table:
        from curate.decontam.ngrams import word_counts
        from curate.decontam.partitioned import hits_for_rows

        texts = _texts(table, self.text_column)
        if decisions is None or table.num_rows == 0:
            return self.apply(table, texts, np.zeros(table.num_rows, np.int64), Hits.empty(), None)
        hits = hits_for_rows(decisions, table[ROW].to_numpy(zero_copy_only=False))
        return self.apply(table, texts, word_counts(texts), hits, self.index_info())

    def index_info(self) -> IndexInfo:
        """The index's names and item ids without its hashes (the partitioned path)."""
        from curate.decontam.index import index_info

        info = self.__dict__.get("_index_info")
        if info is None:
            info = self.__dict__["_index_info"] = index_info(self.index_folder)
        return info

    # -- columns and the policy ------------------------------------------------------------
    def apply(self, table: pa.Table, texts: pa.Array, words: np.ndarray, hits: Hits, index: IndexInfo | None) -> pa.Table:
        """Columns from ``hits`` (the batch's matched n-grams with their benchmark and item),
        then the policy."""
        n = table.num_rows
        per_doc = np.bincount(hits.unique_doc, minlength=n) if n else np.zeros(0, np.int64)
        covered = covered_words(hits, n)
        fraction = np.divide(covered, words, out=np.zeros(n, np.float64), where=words > 0)
        bench_lists, top, item_lists = self._benchmarks_and_items(hits, n, index)
        table = put_column(table, BENCHMARKS, bench_lists)
        table = put_column(table, NGRAMS, pa.array(per_doc.astype(np.int64), pa.int64()))
        table = put_column(table, FRACTION, pa.array(fraction, pa.float64()))
        table = put_column(table, ITEMS, item_lists)
        contaminated = per_doc >= self.min_matches
        if self.policy == "flag" or not contaminated.any():
            if self.policy == "remove_spans":
                table = put_column(table, REMOVED_CHARS, pa.array(np.zeros(n, np.int64), pa.int64()))
            return table
        reasons = np.full(n, None, dtype=object)
        if self.policy == "drop":
            reasons[contaminated] = REASON_PREFIX + top[contaminated]
            return mark_dropped(table, pa.array(reasons, pa.string()))
        # remove_spans: cut the contaminated documents' spans (a loop over those only)
        rows = np.flatnonzero(contaminated)
        removed = np.zeros(n, np.int64)
        cut_texts: list[str] = []
        starts, widths = hits.unique_start, hits.unique_width
        for row, text in zip(rows.tolist(), texts.take(pa.array(rows)).to_pylist()):
            mask = hits.unique_doc == row
            cut, pieces, removed[row] = self.cut_spans(text or "", starts[mask], widths[mask])
            if len(cut) < self.min_remaining_chars or pieces > self.max_pieces:
                reasons[row] = REASON_PREFIX + top[row]
                cut = text or ""  # a dropped document keeps its text, for the rejects
            cut_texts.append(cut)
        table = put_column(table, REMOVED_CHARS, pa.array(removed, pa.int64()))
        replaced = pc.replace_with_mask(texts, pa.array(contaminated), pa.array(cut_texts, texts.type))
        table = put_column(table, self.text_column, replaced)
        if any(r is not None for r in reasons):
            table = mark_dropped(table, pa.array(reasons, pa.string()))
        return table

    def cut_spans(self, text: str, starts: np.ndarray, widths: np.ndarray) -> tuple[str, int, int]:
        """``text`` without the words ``starts[i] .. starts[i] + widths[i] - 1`` and
        ``margin_chars`` characters either side: (what is left, its pieces joined by a
        newline; the number of pieces; characters removed)."""
        word_starts, word_ends = word_byte_spans(text)
        data = text.encode("utf-8")
        # character index of every byte offset (continuation bytes do not start characters)
        char_at = np.concatenate([[0], np.cumsum((np.frombuffer(data, np.uint8) & 0xC0) != 0x80)])
        first = word_starts[starts]
        last = word_ends[starts + widths - 1]
        lo = np.maximum(char_at[first] - self.margin_chars, 0)
        hi = np.minimum(char_at[last] + self.margin_chars, len(text))
        order = np.argsort(lo, kind="stable")
        pieces: list[str] = []
        position = 0
        removed = 0
        span_lo, span_hi = -1, -1
        for a, b in zip(lo[order].tolist() + [len(text) + 1], hi[order].tolist() + [len(text) + 1]):
            if span_lo >= 0 and a <= span_hi:
                span_hi = max(span_hi, b)
                continue
            if span_lo >= 0:
                piece = text[position:span_lo].strip()
                if piece:
                    pieces.append(piece)
                removed += span_hi - span_lo
                position = span_hi
            span_lo, span_hi = a, b
        tail = text[position:].strip()
        if tail:
            pieces.append(tail)
        return "\n".join(pieces), len(pieces), removed

    def _benchmarks_and_items(self, hits: Hits, n: int, index: IndexInfo | None) -> tuple[pa.Array, np.ndarray, pa.Array]:
        """Per document: its benchmarks by matches (most first), the first of them (an
        object array, "" when none), and its items as ``benchmark:id`` (at most
        ``max_items_recorded``, by benchmark then item position)."""
        top = np.full(n, "", dtype=object)
        if index is None or len(hits.doc) == 0:
            return _lists(np.zeros(0, np.int64), pa.array([], pa.string()), n), top, _lists(np.zeros(0, np.int64), pa.array([], pa.string()), n)
        names = pa.array(index.names, pa.string())
        # matches per (doc, benchmark): distinct n-gram occurrences
        pairs = pa.table({"doc": hits.doc, "benchmark": hits.benchmark, "key": hits.occurrence})
        counted = pairs.group_by(["doc", "benchmark"]).aggregate([("key", "count_distinct")])
        counted = counted.sort_by([("doc", "ascending"), ("key_count_distinct", "descending"), ("benchmark", "ascending")])
        docs = counted["doc"].to_numpy()
        bench_names = names.take(counted["benchmark"])
        first = np.ones(len(docs), bool)
        first[1:] = docs[1:] != docs[:-1]
        top[docs[first]] = np.asarray(bench_names.to_pylist(), dtype=object)[first]
        items = pa.table({"doc": hits.doc, "benchmark": hits.benchmark, "item": hits.item})
        items = items.group_by(["doc", "benchmark", "item"]).aggregate([]).sort_by(
            [("doc", "ascending"), ("benchmark", "ascending"), ("item", "ascending")])
        item_doc = items["doc"].to_numpy()
        group_start = np.flatnonzero(np.concatenate([[True], item_doc[1:] != item_doc[:-1]])) if len(item_doc) else np.zeros(0, np.int64)
        rank = np.arange(len(item_doc)) - np.repeat(group_start, np.diff(np.append(group_start, len(item_doc))))
        keep = rank < self.max_items_recorded
        item_doc = item_doc[keep]
        item_bench = items["benchmark"].to_numpy()[keep]
        item_pos = items["item"].to_numpy()[keep]
        labels = np.empty(len(item_doc), dtype=object)
        for b in np.unique(item_bench).tolist():  # a loop over the benchmarks found
            at = item_bench == b
            labels[at] = [f"{index.names[b]}:{i}" for i in index.item_ids(b)[item_pos[at]].tolist()]
        return (_lists(docs, bench_names, n), top, _lists(item_doc, pa.array(labels.tolist(), pa.string()), n))

    # -- figures for stats.json ------------------------------------------------------------
    def output_summary(self, layout: OutputLayout) -> dict[str, Any]:
        from curate.decontam.summary import contamination_summary

        return contamination_summary(self, layout)


def _lists(docs: np.ndarray, values: pa.Array | pa.ChunkedArray, n: int) -> pa.Array:
    """A list<string> array of ``n`` rows from ``values`` grouped by their (sorted) ``docs``."""
    offsets = np.zeros(n + 1, np.int32)
    if len(docs):
        np.cumsum(np.bincount(docs, minlength=n), out=offsets[1:])
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values.cast(pa.string()))


def _texts(table: pa.Table, column: str) -> pa.Array:
    """The batch's texts as one array (the stage sees live rows only; nulls stay null)."""
    texts = table[column] if column in table.column_names else pa.nulls(table.num_rows, pa.string())
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    return texts


__all__ = ["Decontaminate"]
