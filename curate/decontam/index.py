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
import pyarrow.parquet as pq

from curate.decontam.benchmarks import Benchmark, BenchmarkError
from curate.decontam.ngrams import build_bitmap, item_ngrams, word_counts
from curate.storage import filesystem, join, write_text_atomic

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


def build_index(benchmarks: list[Benchmark], ngram: int, min_ngram: int, folder: str,
                storage_options: dict[str, Any] | None = None) -> dict[str, Any]:
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
            "ngrams": int(pc_count_distinct(table["hash"])),
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
    fs, root = filesystem(folder, storage_options)
    fs.makedirs(root, exist_ok=True)
    _write_parquet(fs, join(root, "index.parquet"), entries)
    _write_parquet(fs, join(root, "items.parquet"), pa.concat_tables(item_tables))
    write_text_atomic(fs, join(root, "index.json"), json.dumps(meta, indent=2) + "\n")
    return meta


def pc_count_distinct(values: pa.ChunkedArray | pa.Array) -> int:
    import pyarrow.compute as pc

    return int(pc.count_distinct(values).as_py())


def _write_parquet(fs: Any, final: str, table: pa.Table) -> None:
    from curate.storage import commit, tmp_name

    directory, name = final.rsplit("/", 1)
    tmp = f"{directory}/{tmp_name(name)}"
    with fs.open(tmp, "wb") as f:
        pq.write_table(table, f, compression="zstd")
    commit(fs, tmp, final)


def read_meta(folder: str, storage_options: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """``index.json`` of a complete index folder, else None."""
    fs, root = filesystem(folder, storage_options)
    path = join(root, "index.json")
    if not fs.exists(path):
        return None
    with fs.open(path, "rb") as f:
        meta: dict[str, Any] = json.loads(f.read())
    if meta.get("format") != INDEX_FORMAT:
        raise IndexMismatchError(f"{folder} is not a curate decontamination index (format {meta.get('format')!r})")
    return meta


@dataclass
class LoadedIndex:
    """An index in memory: sorted hashes with their benchmark and item, and a bitmap."""

    meta: dict[str, Any]
    hashes: np.ndarray
    benchmark: np.ndarray
    item: np.ndarray
    bitmap: np.ndarray
    folder: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    _item_ids: list[np.ndarray] | None = None

    @property
    def names(self) -> list[str]:
        return [b["name"] for b in self.meta["benchmarks"]]

    @property
    def widths(self) -> np.ndarray:
        return np.asarray(self.meta["widths"], np.int64)

    def item_ids(self, benchmark: int) -> np.ndarray:
        """The ids of the benchmark's items, by item position (read once, on first use)."""
        if self._item_ids is None:
            fs, root = filesystem(self.folder, self.storage_options)
            with fs.open(join(root, "items.parquet"), "rb") as f:
                table = pq.read_table(f)
            order = np.lexsort((table["item"].to_numpy(), table["benchmark"].to_numpy()))
            ids = table["id"].to_numpy(zero_copy_only=False)[order]
            bench = table["benchmark"].to_numpy()[order]
            self._item_ids = [ids[bench == b] for b in range(len(self.names))]
        return self._item_ids[benchmark]


def load_index(folder: str, storage_options: dict[str, Any] | None = None) -> LoadedIndex:
    """Read a complete index folder into memory."""
    meta = read_meta(folder, storage_options)
    if meta is None:
        raise IndexMismatchError(f"{folder}: no decontamination index there (index.json missing: build it with curate decontaminate --benchmarks ...)")
    fs, root = filesystem(folder, storage_options)
    with fs.open(join(root, "index.parquet"), "rb") as f:
        table = pq.read_table(f)
    hashes = table["hash"].to_numpy()
    return LoadedIndex(meta=meta, hashes=hashes, benchmark=table["benchmark"].to_numpy(), item=table["item"].to_numpy(),
                       bitmap=build_bitmap(hashes), folder=folder, storage_options=dict(storage_options or {}))


def ensure_index(benchmarks: list[Benchmark], ngram: int, min_ngram: int, folder: str | None, default_root: str,
                 storage_options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any], bool]:
    """The index folder to use, its ``index.json``, and whether it was built now.

    - ``folder`` given and complete: used as it is when no benchmarks are given; with
      benchmarks, only when its fingerprint matches them (else a one-line error: curate
      never replaces a folder it was pointed at);
    - ``folder`` given and empty: built there;
    - no ``folder``: ``default_root/index-<fingerprint>``, built when missing (a later run
      with the same benchmarks and settings reuses it).
    """
    if folder:
        meta = read_meta(folder, storage_options)
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
        return folder, build_index(benchmarks, ngram, min_ngram, folder, storage_options), True
    target = join(default_root, f"index-{fingerprint(benchmarks, ngram, min_ngram)}")
    meta = read_meta(target, storage_options)
    if meta is not None:
        return target, meta, False
    return target, build_index(benchmarks, ngram, min_ngram, target, storage_options), True


__all__ = ["ENTRY_BYTES", "LoadedIndex", "build_index", "ensure_index", "fingerprint", "item_widths", "load_index", "read_meta"]
