"""The decontamination index: every n-gram hash of the benchmarks, sorted, saved once.

An index is a folder:

- ``index.parquet``: one row per distinct (n-gram hash, benchmark, item), sorted by hash:
  ``hash`` (uint64), ``benchmark`` (uint16, position in ``index.json``'s list), ``item``
  (uint32, the item's position in its benchmark);
- ``items.parquet``: ``benchmark``, ``item`` and the item's ``id``;
- ``index.json``: the benchmarks (name, source, items, items indexed and too short,
  n-grams), the n-gram widths in use, the settings and a fingerprint of the benchmarks'
  bytes and the settings.  It is written last, so a folder without it is incomplete.

Items are indexed with ``ngram``-word n-grams; an item with fewer words but at least
``min_ngram`` is indexed as one n-gram of all its words (a shorter n for short items);
shorter items are not indexed and are counted as ``items_too_short``.

The index holds exact 64-bit hashes, so a clean n-gram is taken for a benchmark one only
when its hash collides with one of the ``entries`` hashes: a probability of
``entries / 2**64`` per n-gram (5e-12 for 10**8 entries), stated in ``index.json``.
Memory: 14 bytes per entry plus a 2 MiB bitmap in every worker that loads it; an index
larger than the stage's ``broadcast_max_mb`` is not loaded whole but joined by hash
partition (see :mod:`curate.decontam.partitioned`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.decontam.benchmarks import Benchmark, BenchmarkError
from curate.decontam.ngrams import build_bitmap, item_ngrams, word_counts
from curate.execution.workdir import WorkDir
from curate.storage import join, read_parquet

INDEX_FORMAT = "curate.decontamination-index/1"
ENTRY_BYTES = 14  # hash 8 + benchmark 2 + item 4


class IndexMismatchError(BenchmarkError):
    """A saved index does not fit the settings (named, with what to do)."""


def fingerprint(benchmarks: list[Benchmark], ngram: int, min_ngram: int) -> str:
    digest = hashlib.sha256(json.dumps({"format": INDEX_FORMAT, "ngram": ngram, "min_ngram": min_ngram}).encode())
    for bench in benchmarks:
        digest.update(bench.name.encode())
        digest.update(bench.content_hash().encode())
    return digest.hexdigest()[:20]


def item_widths(counts: np.ndarray, ngram: int, min_ngram: int) -> np.ndarray:
    """The n-gram width of each item: ``ngram``, all its words when it has fewer but at
    least ``min_ngram``, else 0 (not indexed)."""
    return np.where(counts >= ngram, ngram, np.where(counts >= min_ngram, counts, 0)).astype(np.int64)


def build_index(benchmarks: list[Benchmark], ngram: int, min_ngram: int, folder: str) -> dict[str, Any]:
    """Build the index of ``benchmarks`` into ``folder`` (a local path or URL); returns its
    ``index.json`` contents."""
    if not benchmarks:
        raise BenchmarkError("decontaminate: no benchmarks given; name at least one (benchmarks: [...] / --benchmarks)")
    parts = []
    item_tables = []
    described = []
    for b, bench in enumerate(benchmarks):
        ids, texts = bench.items()
        array = pa.array(texts, pa.large_string())
        counts = word_counts(array)
        widths = item_widths(counts, ngram, min_ngram)
        hashes, items = item_ngrams(array, widths)
        table = pa.table({"hash": pa.array(hashes, pa.uint64()), "benchmark": pa.array(np.full(len(hashes), b, np.uint16)),
                          "item": pa.array(items.astype(np.uint32))})
        table = table.group_by(["hash", "benchmark", "item"]).aggregate([])  # distinct entries
        parts.append(table)
        item_tables.append(pa.table({"benchmark": pa.array(np.full(len(ids), b, np.uint16)),
                                     "item": pa.array(np.arange(len(ids), dtype=np.uint32)), "id": pa.array(ids, pa.string())}))
        indexed = int((widths > 0).sum())
        described.append({
            **bench.to_dict(), "items": len(ids), "items_indexed": indexed, "items_too_short": len(ids) - indexed,
            "ngrams": int(pc.count_distinct(table["hash"]).as_py()),
            "widths": sorted({int(w) for w in widths[widths > 0]}),
        })
    entries = pa.concat_tables(parts).sort_by([("hash", "ascending"), ("benchmark", "ascending"), ("item", "ascending")])
    widths_in_use = sorted({w for d in described for w in d["widths"]})
    n = entries.num_rows
    meta = {
        "format": INDEX_FORMAT,
        "fingerprint": fingerprint(benchmarks, ngram, min_ngram),
        "ngram": ngram,
        "min_ngram": min_ngram,
        "widths": widths_in_use,
        "entries": n,
        "bytes": n * ENTRY_BYTES,
        "false_positive_rate_per_ngram": n / 2.0**64,
        "benchmarks": described,
    }
    work = WorkDir(folder)  # atomic writes; index.json last, so a folder without it is incomplete
    work.write_table(work.path("index.parquet"), entries)
    work.write_table(work.path("items.parquet"), pa.concat_tables(item_tables))
    work.write_json("index.json", meta)
    return meta


def read_meta(folder: str) -> dict[str, Any] | None:
    """``index.json`` of a complete index folder, else None."""
    meta: dict[str, Any] | None = WorkDir(folder).read_json("index.json")
    if meta is not None and meta.get("format") != INDEX_FORMAT:
        raise IndexMismatchError(f"{folder} is not a curate decontamination index (format {meta.get('format')!r})")
    return meta


@dataclass
class IndexInfo:
    """What an index says of itself (``index.json``) and its items' ids, without its hashes."""

    meta: dict[str, Any]
    folder: str

    @property
    def names(self) -> list[str]:
        return [b["name"] for b in self.meta["benchmarks"]]

    @property
    def widths(self) -> np.ndarray:
        return np.asarray(self.meta["widths"], np.int64)

    def item_ids(self, benchmark: int) -> np.ndarray:
        """The ids of the benchmark's items, by item position (read once, on first use)."""
        cached = self.__dict__.get("_item_ids")
        if cached is None:
            work = WorkDir(self.folder)
            table = read_parquet(work.fs, work.path("items.parquet"))
            order = np.lexsort((table["item"].to_numpy(), table["benchmark"].to_numpy()))
            ids = table["id"].to_numpy(zero_copy_only=False)[order]
            bench = table["benchmark"].to_numpy()[order]
            cached = self.__dict__["_item_ids"] = [ids[bench == b] for b in range(len(self.names))]
        return cached[benchmark]


@dataclass
class LoadedIndex(IndexInfo):
    """An index in memory: sorted hashes with their benchmark and item, and a bitmap."""

    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    benchmark: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint16))
    item: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    bitmap: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))


def index_info(folder: str) -> IndexInfo:
    """The :class:`IndexInfo` of a complete index folder."""
    meta = read_meta(folder)
    if meta is None:
        raise IndexMismatchError(f"{folder}: no decontamination index there (index.json missing: build it with curate decontaminate --benchmarks ...)")
    return IndexInfo(meta=meta, folder=folder)


def load_index(folder: str) -> LoadedIndex:
    """Read a complete index folder into memory."""
    info = index_info(folder)
    work = WorkDir(folder)
    table = read_parquet(work.fs, work.path("index.parquet"))
    hashes = table["hash"].to_numpy()
    return LoadedIndex(meta=info.meta, folder=folder, hashes=hashes, benchmark=table["benchmark"].to_numpy(),
                       item=table["item"].to_numpy(), bitmap=build_bitmap(hashes))


def ensure_index(benchmarks: list[Benchmark], ngram: int, min_ngram: int, folder: str | None,
                 default_root: str) -> tuple[str, dict[str, Any], bool]:
    """The index folder to use, its ``index.json``, and whether it was built now.

    - ``folder`` given and complete: used as it is when no benchmarks are given; with
      benchmarks, only when its fingerprint matches them (else a one-line error: curate
      never replaces a folder it was pointed at);
    - ``folder`` given and empty: built there;
    - no ``folder``: ``default_root/index-<fingerprint>``, built when missing (a later run
      with the same benchmarks and settings reuses it).
    """
    if folder:
        meta = read_meta(folder)
        if meta is not None:
            if benchmarks:
                wanted = fingerprint(benchmarks, ngram, min_ngram)
                if meta.get("fingerprint") != wanted:
                    raise IndexMismatchError(
                        f"the index at {folder} was built from other benchmarks or settings (fingerprint "
                        f"{meta.get('fingerprint')} != {wanted}); point index: at a new folder, or drop benchmarks: to use it as it is")
            return folder, meta, False
        if not benchmarks:
            raise IndexMismatchError(f"{folder}: no decontamination index there, and no benchmarks to build one from")
        return folder, build_index(benchmarks, ngram, min_ngram, folder), True
    target = join(default_root, f"index-{fingerprint(benchmarks, ngram, min_ngram)}")
    meta = read_meta(target)
    if meta is not None:
        return target, meta, False
    return target, build_index(benchmarks, ngram, min_ngram, target), True


__all__ = ["ENTRY_BYTES", "IndexInfo", "LoadedIndex", "index_info", "build_index", "ensure_index", "fingerprint", "item_widths", "load_index", "read_meta"]
