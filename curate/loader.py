"""Read a tokenized dataset and pack it into fixed-length training sequences.

A tokenized dataset is a directory (local path or fsspec URL) written by curate's tokenize
step::

    DIR/manifest.json                   format "curate.tokenized/1", tokenizer, dtype, shards, totals
    DIR/tokens/shard-NNNNN.parquet      id, input_ids (list<uint16|uint32>), num_tokens, source, ...

:class:`TokenDataset` reads the manifest and the Parquet footers.  The unit of work is one
*row group* of one shard (a :class:`Unit`); its document and token counts come from the
footers, so listing units reads no token data.

:class:`PackedSequenceLoader` deals the units to ranks (and, inside a rank, to data-loader
workers), concatenates each rank's documents in order and cuts the stream into sequences of
exactly ``seq_len`` tokens.  A document may span two (or more) sequences.  Every item carries
the document boundaries, so attention can be masked per document (FlashAttention varlen via
``cu_seqlens``, or a block-diagonal mask from ``document_ids``).

Stream order, for one epoch:

1. The units are listed in shard order, then row-group order.  With ``shuffle=True`` that
   list is permuted with a generator seeded by ``(seed, epoch)``.
2. The permuted list is dealt to ranks greedily by token count (each unit goes to the rank
   with the fewest tokens so far; ties to the lowest rank), then the same way from each
   rank's list to its ``num_workers`` workers.  Ranks (and workers) get disjoint units that
   together cover the dataset; token loads differ by at most one unit.  A dataset with
   fewer non-empty units than ranks (a small dataset: one shard of one row group) has its
   row groups split into runs of documents first (:meth:`TokenDataset.split_units`, a pure
   function of the dataset and ``world_size``), so that every rank gets tokens; one with
   fewer non-empty documents than ranks is refused with a :class:`TokenDatasetError`.
3. Inside a unit the documents keep their stored order (the writer shuffled them globally),
   or with ``shuffle_documents`` are permuted with a generator seeded by
   ``(seed, epoch, unit index)``.
4. A rank's documents are concatenated unit after unit and cut every ``seq_len`` tokens.
   The trailing partial sequence is dropped (``drop_last=True``) or padded.

The stream is a pure function of the dataset, ``seed``, ``epoch``, ``shuffle``,
``shuffle_documents``, ``rank``/``world_size`` and ``worker_id``/``num_workers``; sequence
``k`` starts at token ``k * seq_len`` of the rank's stream.  That is what makes resuming
cheap: :meth:`PackedSequenceLoader.state_dict` records the unit, document and token offset
of the next sequence, and a loader built from it re-reads only that row group.

Memory is bounded by one row group (its tokens plus a few per-token int64 arrays for the
outputs) and one carried-over partial sequence.
"""

from __future__ import annotations

import argparse
import functools
import heapq
import json
import math
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

FORMAT = "curate.tokenized/1"
MANIFEST = "manifest.json"
INPUT_IDS = "input_ids"
NUM_TOKENS = "num_tokens"
TOKEN_DTYPES = ("uint8", "uint16", "uint32", "int16", "int32", "int64")
FIELDS = ("input_ids", "position_ids", "document_ids", "cu_seqlens", "loss_mask")
STATE_VERSION = 1


class TokenDatasetError(ValueError):
    """A tokenized dataset that cannot be read, or a loader state that does not fit it."""


@dataclass(frozen=True)
class TokenizerInfo:
    """The tokenizer recorded in the manifest."""

    name: str | None
    kind: str | None
    fingerprint: str | None
    vocab_size: int | None
    bos_id: int | None
    eos_id: int | None
    pad_id: int | None

    @property
    def padding_id(self) -> int:
        """The id used to pad: ``pad_id``, else ``eos_id``, else 0."""
        if self.pad_id is not None:
            return self.pad_id
        if self.eos_id is not None:
            return self.eos_id
        return 0


@dataclass(frozen=True)
class ShardInfo:
    """One shard as listed in the manifest (``path`` relative to the dataset directory)."""

    path: str
    documents: int | None
    tokens: int | None
    sources: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """One row group of one shard (or a run of its documents): the unit that is dealt to
    ranks and workers.

    ``index`` is the unit's place in :meth:`TokenDataset.units` (shard order, then row
    group) or :meth:`TokenDataset.split_units`; ``shard`` is the shard's index in the
    manifest and ``path`` its manifest path.  ``first_doc`` and ``documents`` are the stored
    rows of the row group the unit holds (all of them unless the row group was split).
    """

    index: int
    shard: int
    path: str
    row_group: int
    documents: int
    tokens: int
    first_doc: int = 0


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


class TokenDataset:
    """A tokenized dataset directory: manifest, tokenizer, totals, shards and units.

    ``path`` is a local directory or an fsspec URL (``s3://bucket/tok``); ``storage_options``
    go to fsspec.  Raises :class:`TokenDatasetError` (one line, naming the path) when the
    manifest is missing, is not JSON, or has an unknown ``format``.
    """

    def __init__(self, path: str, *, storage_options: Mapping[str, Any] | None = None) -> None:
        self.path = str(path)
        if self.path.endswith("/") and not self.path.endswith("://"):
            self.path = self.path.rstrip("/")
        self.storage_options = dict(storage_options or {})
        self.fs, self._root = fsspec.core.url_to_fs(self.path, **self.storage_options)
        self._local = isinstance(self.fs, LocalFileSystem)
        self.manifest_path = f"{self.path}/{MANIFEST}"
        self.manifest = self._read_manifest()
        m = self.manifest
        tok = m.get("tokenizer") or {}
        if not isinstance(tok, Mapping):
            raise self._error("'tokenizer' is not an object")
        self.tokenizer = TokenizerInfo(
            name=tok.get("name"),
            kind=tok.get("kind"),
            fingerprint=tok.get("fingerprint"),
            vocab_size=_int_or_none(tok.get("vocab_size")),
            bos_id=_int_or_none(tok.get("bos_id")),
            eos_id=_int_or_none(tok.get("eos_id")),
            pad_id=_int_or_none(tok.get("pad_id")),
        )
        dtype = m.get("dtype")
        if dtype not in TOKEN_DTYPES:
            raise self._error(
                f"unsupported dtype {dtype!r} (expected one of {', '.join(TOKEN_DTYPES)})"
            )
        self.dtype = np.dtype(dtype)
        shards = m.get("shards")
        if not isinstance(shards, list):
            raise self._error("'shards' is missing or not a list")
        self.shards: list[ShardInfo] = []
        for i, s in enumerate(shards):
            if not isinstance(s, Mapping) or not isinstance(s.get("path"), str):
                raise self._error(f"shard {i} has no 'path'")
            self.shards.append(
                ShardInfo(
                    path=s["path"],
                    documents=_int_or_none(s.get("documents")),
                    tokens=_int_or_none(s.get("tokens")),
                    sources={str(k): int(v) for k, v in (s.get("sources") or {}).items()},
                )
            )
        totals = m.get("totals") or {}
        self.totals: dict[str, Any] = {
            "documents": _int_or_none(totals.get("documents")),
            "tokens": _int_or_none(totals.get("tokens")),
            "by_source": {str(k): int(v) for k, v in (totals.get("by_source") or {}).items()},
        }
        if self.totals["tokens"] is None and all(s.tokens is not None for s in self.shards):
            self.totals["tokens"] = sum(s.tokens or 0 for s in self.shards)
        if self.totals["documents"] is None and all(s.documents is not None for s in self.shards):
            self.totals["documents"] = sum(s.documents or 0 for s in self.shards)
        self.seed = m.get("seed")
        self.curate_version = m.get("curate_version")
        self._units: list[Unit] | None = None
        self._split: dict[int, list[Unit]] = {}
        self._metadata: dict[int, pq.FileMetaData] = {}

    # -- manifest -------------------------------------------------------------------------

    def _error(self, what: str) -> TokenDatasetError:
        return TokenDatasetError(f"{self.manifest_path}: {what}")

    def _read_manifest(self) -> dict[str, Any]:
        try:
            with self.fs.open(f"{self._root}/{MANIFEST}", "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise TokenDatasetError(
                f"{self.manifest_path}: no manifest (not a curate tokenized dataset, "
                "or its tokenize run has not finished)"
            ) from None
        except (IsADirectoryError, NotADirectoryError, PermissionError) as e:
            raise TokenDatasetError(f"{self.manifest_path}: cannot read manifest ({e})") from None
        try:
            manifest = json.loads(raw)
        except ValueError as e:
            raise TokenDatasetError(
                f"{self.manifest_path}: manifest is not valid JSON ({e})"
            ) from None
        if not isinstance(manifest, dict):
            raise TokenDatasetError(f"{self.manifest_path}: manifest is not a JSON object")
        fmt = manifest.get("format")
        if fmt != FORMAT:
            raise TokenDatasetError(
                f"{self.manifest_path}: unknown format {fmt!r} (this loader reads {FORMAT!r})"
            )
        return manifest

    # -- shards and units -----------------------------------------------------------------

    def shard_location(self, shard: int) -> str:
        """Where shard ``shard`` lives (a local path or URL, for messages and opening)."""
        rel = self.shards[shard].path
        if "://" in rel or rel.startswith("/"):
            return rel
        return f"{self.path}/{rel}"

    def _fs_path(self, shard: int) -> tuple[Any, str]:
        rel = self.shards[shard].path
        if "://" in rel:
            return fsspec.core.url_to_fs(rel, **self.storage_options)
        if rel.startswith("/"):
            return self.fs, rel
        return self.fs, f"{self._root}/{rel}"

    def open_shard(self, shard: int) -> pq.ParquetFile:
        """Open shard ``shard`` as a ParquetFile, reusing the footer read by :meth:`units`."""
        fs, path = self._fs_path(shard)
        metadata = self._metadata.get(shard)
        try:
            if isinstance(fs, LocalFileSystem):
                return pq.ParquetFile(path, metadata=metadata)
            return pq.ParquetFile(fs.open(path, "rb"), metadata=metadata)
        except FileNotFoundError:
            raise TokenDatasetError(
                f"{self.shard_location(shard)}: shard listed in {self.manifest_path} is missing"
            ) from None
        except (pa.ArrowInvalid, OSError) as e:
            raise TokenDatasetError(
                f"{self.shard_location(shard)}: cannot read shard ({e})"
            ) from None

    def _shard_units(self, shard: int) -> tuple[pq.FileMetaData, list[tuple[int, int]]]:
        """(footer, [(documents, tokens) per row group]) for one shard."""
        info = self.shards[shard]
        where = self.shard_location(shard)
        with self.open_shard(shard) as pf:
            md = pf.metadata
            names = md.schema.names
            if INPUT_IDS not in pf.schema_arrow.names:
                raise TokenDatasetError(f"{where}: no '{INPUT_IDS}' column")
            leaf = next(
                (
                    j
                    for j in range(md.num_columns)
                    if md.schema.column(j).path.split(".")[0] == INPUT_IDS
                ),
                None,
            )
            docs = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
            tokens: list[int] | None = None
            if leaf is not None and info.tokens is not None:
                # The leaf column's value count is the token count when no list is empty
                # or null (each such list adds one); the manifest tells whether it adds up.
                guess = [md.row_group(i).column(leaf).num_values for i in range(md.num_row_groups)]
                if sum(guess) == info.tokens:
                    tokens = guess
            if tokens is None:
                tokens = []
                has_counts = NUM_TOKENS in names
                for i in range(md.num_row_groups):
                    if has_counts:
                        col = pf.read_row_group(i, columns=[NUM_TOKENS]).column(0)
                        tokens.append(int(pc.sum(col).as_py() or 0))
                    else:
                        col = pf.read_row_group(i, columns=[INPUT_IDS]).column(0)
                        tokens.append(int(pc.sum(pc.list_value_length(col)).as_py() or 0))
        if info.documents is not None and sum(docs) != info.documents:
            raise TokenDatasetError(
                f"{where}: {sum(docs)} documents, the manifest says {info.documents}"
            )
        if info.tokens is not None and sum(tokens) != info.tokens:
            raise TokenDatasetError(
                f"{where}: {sum(tokens)} tokens, the manifest says {info.tokens}"
            )
        return md, list(zip(docs, tokens))

    def units(self) -> list[Unit]:
        """Every (shard, row group) with its document and token counts, from the footers.

        Reads only Parquet footers (plus the small ``num_tokens`` column of a shard whose
        footer count does not match the manifest, which happens only with empty documents).
        Cached after the first call.
        """
        if self._units is None:
            n = len(self.shards)
            if n > 1 and not self._local:
                with ThreadPoolExecutor(min(16, n)) as pool:
                    found = list(pool.map(self._shard_units, range(n)))
            else:
                found = [self._shard_units(i) for i in range(n)]
            units: list[Unit] = []
            for shard, (md, groups) in enumerate(found):
                self._metadata[shard] = md
                for rg, (docs, tokens) in enumerate(groups):
                    units.append(Unit(len(units), shard, self.shards[shard].path, rg, docs, tokens))
            total = sum(u.tokens for u in units)
            if self.totals["tokens"] is not None and total != self.totals["tokens"]:
                raise self._error(
                    f"the shards hold {total} tokens, totals.tokens says {self.totals['tokens']}"
                )
            self._units = units
        return list(self._units)

    def document_tokens(self, unit: Unit) -> np.ndarray:
        """The token count of each document of ``unit``, in stored order (int64).

        Reads the ``num_tokens`` column when the shard has one, else the list lengths of
        ``input_ids``.
        """
        with self.open_shard(unit.shard) as pf:
            if NUM_TOKENS in pf.schema_arrow.names:
                col = pf.read_row_group(unit.row_group, columns=[NUM_TOKENS]).column(0)
            else:
                col = pc.list_value_length(
                    pf.read_row_group(unit.row_group, columns=[INPUT_IDS]).column(0)
                )
        lengths = pc.fill_null(col, 0).to_numpy().astype(np.int64)
        return lengths[unit.first_doc : unit.first_doc + unit.documents]

    def split_units(self, parts: int) -> list[Unit]:
        """The units to deal to ``parts`` ranks: :meth:`units`, with row groups split into
        runs of documents when fewer than ``parts`` units hold tokens.

        Row groups are then cut at the documents nearest to every ``1 / parts`` of the
        dataset's tokens (each piece is read from its row group), so that every part gets
        tokens; if that still leaves too few pieces, every document is a unit of its own.
        A pure function of the dataset and ``parts``: the same on every rank and every run.
        Raises :class:`TokenDatasetError` when the dataset has fewer non-empty documents
        than ``parts``.
        """
        if parts < 1:
            raise ValueError(f"parts must be >= 1, not {parts}")
        units = self.units()
        if sum(1 for u in units if u.tokens) >= parts:
            return units
        if parts not in self._split:
            self._split[parts] = self._split_units(units, parts)
        return list(self._split[parts])

    def _split_units(self, units: list[Unit], parts: int) -> list[Unit]:
        lengths = {u.index: self.document_tokens(u) for u in units if u.tokens}
        nonempty = sum(int((v > 0).sum()) for v in lengths.values())
        if nonempty < parts:
            raise TokenDatasetError(
                f"{self.path}: {nonempty} non-empty documents ({sum(u.tokens for u in units)} "
                f"tokens in {len(units)} row groups) cannot be split between {parts} ranks or "
                f"workers; use a world size of at most {nonempty}, or more data"
            )
        target = sum(u.tokens for u in units) / parts
        for single in (False, True):
            pieces: list[tuple[Unit, int, int]] = []
            done = 0
            for u in units:
                if not u.tokens:
                    pieces.append((u, 0, u.documents))
                    continue
                cum = done + np.cumsum(lengths[u.index])
                if single:
                    bounds = np.flatnonzero(lengths[u.index]) + 1
                else:
                    marks = target * np.arange(1, parts)
                    bounds = np.searchsorted(cum, marks[(marks > done) & (marks < cum[-1])]) + 1
                cuts = np.unique(np.concatenate([[0], bounds, [u.documents]]))
                pieces += [(u, int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]
                done = int(cum[-1])
            if sum(1 for u, a, b in pieces if u.tokens and lengths[u.index][a:b].sum()) >= parts:
                break
        out: list[Unit] = []
        for u, a, b in pieces:
            tokens = int(lengths[u.index][a:b].sum()) if u.tokens else 0
            out.append(Unit(len(out), u.shard, u.path, u.row_group, b - a, tokens, u.first_doc + a))
        return out

    @property
    def num_tokens(self) -> int:
        """Tokens in the whole dataset (from the footers)."""
        return sum(u.tokens for u in self.units())

    @property
    def num_documents(self) -> int:
        """Documents in the whole dataset (from the footers)."""
        return sum(u.documents for u in self.units())

    def read_unit(self, unit: Unit) -> tuple[np.ndarray, np.ndarray]:
        """The tokens of one unit: a flat array (stored dtype) and int64 offsets.

        Document ``j`` is ``tokens[offsets[j]:offsets[j + 1]]``, in stored row order (row
        ``unit.first_doc + j`` of the row group).
        """
        with self.open_shard(unit.shard) as pf:
            table = pf.read_row_group(unit.row_group, columns=[INPUT_IDS])
        col = table.column(0)
        arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
        if not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
            raise TokenDatasetError(
                f"{self.shard_location(unit.shard)}: '{INPUT_IDS}' is {arr.type}, not a list"
            )
        offsets = np.asarray(arr.offsets, dtype=np.int64)
        values = arr.values
        if values.null_count:
            raise TokenDatasetError(f"{self.shard_location(unit.shard)}: null token ids")
        tokens = values.to_numpy(zero_copy_only=False)
        if unit.first_doc or len(offsets) > unit.documents + 1:
            offsets = offsets[unit.first_doc : unit.first_doc + unit.documents + 1]
        if offsets[0] != 0 or offsets[-1] != len(tokens):
            tokens = tokens[offsets[0] : offsets[-1]]
            offsets = offsets - offsets[0]
        if tokens.dtype != self.dtype:
            raise TokenDatasetError(
                f"{self.shard_location(unit.shard)}: token ids are {tokens.dtype}, "
                f"the manifest says {self.dtype}"
            )
        if len(offsets) != unit.documents + 1 or offsets[-1] != unit.tokens:
            raise TokenDatasetError(
                f"{self.shard_location(unit.shard)}: row group {unit.row_group} does not match "
                "its footer counts"
            )
        return tokens, offsets

    def __repr__(self) -> str:
        return (
            f"TokenDataset({self.path!r}, shards={len(self.shards)}, "
            f"tokens={self.totals['tokens']}, dtype={self.dtype})"
        )


# -- dealing units --------------------------------------------------------------------------


def deal_units(units: Sequence[Unit], parts: int) -> list[list[Unit]]:
    """Split ``units`` (in the given order) into ``parts`` disjoint lists balanced by tokens.

    Each unit goes to the part with the fewest tokens so far (ties to the lowest index),
    keeping the given order inside each part.  Together the parts hold every unit once.
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1, not {parts}")
    out: list[list[Unit]] = [[] for _ in range(parts)]
    heap = [(0, p) for p in range(parts)]
    for unit in units:
        load, p = heapq.heappop(heap)
        out[p].append(unit)
        heapq.heappush(heap, (load + unit.tokens, p))
    return out


def unit_order(units: Sequence[Unit], seed: int, epoch: int, shuffle: bool) -> list[Unit]:
    """The epoch's unit order: as listed, or permuted by a generator seeded by (seed, epoch)."""
    if not shuffle:
        return list(units)
    perm = np.random.default_rng([seed, epoch, 0]).permutation(len(units))
    return [units[i] for i in perm]


def round_robin_consumed(counts: Sequence[int], consumed: int) -> list[int]:
    """How many items each worker had produced after ``consumed`` items in round-robin order.

    ``counts`` are the items each worker yields in total.  Round ``t`` takes one item from
    every worker that has more than ``t`` items, in worker order: this is the order of a
    ``torch.utils.data.DataLoader`` over an IterableDataset (``in_order=True``).
    """
    if consumed < 0:
        raise ValueError("consumed must be >= 0")
    total = sum(counts)
    if consumed >= total:
        return list(counts)
    lo, hi = 0, max(counts, default=0)
    while lo < hi:  # largest t with sum(min(c, t)) <= consumed
        mid = (lo + hi + 1) // 2
        if sum(min(c, mid) for c in counts) <= consumed:
            lo = mid
        else:
            hi = mid - 1
    out = [min(c, lo) for c in counts]
    rest = consumed - sum(out)
    for w, c in enumerate(counts):
        if rest == 0:
            break
        if c > lo:
            out[w] += 1
            rest -= 1
    return out


# -- packing --------------------------------------------------------------------------------


@dataclass
class _Loaded:
    """The unit being packed: tokens in stream order, their doc offsets and stored rows."""

    index: int  # position in the loader's unit list
    tokens: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray | None  # stored row of each stream document (None: identity)


class PackedSequenceLoader:
    """Iterate fixed-length packed sequences of a tokenized dataset for one rank.

    Arguments:
        path: the dataset directory or URL, or an open :class:`TokenDataset`.
        seq_len: tokens per sequence.
        rank, world_size: this process's share (disjoint units, together everything).
        seed, epoch: seed the unit order (and document order); ``set_epoch`` changes epoch.
        shuffle: permute the unit order per epoch (else shard / row-group order).
        shuffle_documents: also permute documents inside each row group (default: same as
            ``shuffle``).  The writer already shuffled documents globally.
        drop_last: drop the rank's trailing partial sequence (and, with ``batch_size``, a
            trailing partial batch), so every item has the full shape.  With ``False`` the
            partial sequence is padded and ``loss_mask`` marks its real tokens, and the
            last batch may hold fewer sequences.
        batch_size: ``None`` yields single sequences; an int yields ``[batch_size, seq_len]``.
        dtype: dtype of ``input_ids`` (default int64, what embedding layers take);
            ``None`` keeps the stored dtype (uint16 / uint32).
        pad_id: padding id (default: tokenizer pad_id, else eos_id, else 0).
        continue_positions: ``position_ids`` of a document continued from the previous
            sequence keep counting from where it stopped; by default (``False``) they restart
            at 0, so positions are always ``< seq_len``.
        fields: which arrays to produce (default all of :data:`FIELDS`).
        prefetch: read the next row group in a background thread while packing the current
            one (hides remote-storage latency; memory becomes two row groups).
        worker_id, num_workers: split this rank's units further between data-loader workers.
        state: a :meth:`state_dict` to resume from.
        storage_options: fsspec options when ``path`` is a URL.

    Each item is a dict of numpy arrays (single sequence / batch):

    - ``input_ids``: ``[seq_len]`` / ``[B, seq_len]`` token ids (``dtype``).
    - ``position_ids``: int64, position inside each document (see ``continue_positions``).
    - ``document_ids``: int32, which document each token belongs to inside its sequence:
      0, 0, 0, 1, 1, 2, ...  Padding forms one more segment of its own.
    - ``cu_seqlens``: int32, cumulative segment boundaries for FlashAttention varlen:
      ``[0, ..., seq_len]`` for one sequence; for a batch the boundaries of the flattened
      ``[B * seq_len]`` tokens, ``[0, ..., seq_len, ..., B * seq_len]``.  The maximum
      segment length (``max_seqlen``) is ``np.diff(cu_seqlens).max()``.
    - ``loss_mask``: bool, True on real tokens, False on padding.

    The loader is an iterator: it yields from where it is, and :meth:`state_dict` says where
    that is.  Iterating again after the end yields nothing until :meth:`set_epoch`.
    """

    def __init__(
        self,
        path: str | TokenDataset,
        seq_len: int,
        *,
        rank: int = 0,
        world_size: int = 1,
        seed: int = 0,
        shuffle: bool = True,
        shuffle_documents: bool | None = None,
        drop_last: bool = True,
        epoch: int = 0,
        batch_size: int | None = None,
        dtype: Any = np.int64,
        pad_id: int | None = None,
        continue_positions: bool = False,
        fields: Sequence[str] | None = None,
        prefetch: bool = False,
        worker_id: int = 0,
        num_workers: int = 1,
        state: Mapping[str, Any] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.dataset = (
            path
            if isinstance(path, TokenDataset)
            else TokenDataset(path, storage_options=storage_options)
        )
        if seq_len < 1:
            raise ValueError(f"seq_len must be >= 1, not {seq_len}")
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in range for world_size {world_size}")
        if num_workers < 1 or not 0 <= worker_id < num_workers:
            raise ValueError(f"worker_id {worker_id} is not in range for num_workers {num_workers}")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, not {batch_size}")
        if seed < 0 or epoch < 0:
            raise ValueError("seed and epoch must be >= 0")
        self.seq_len = int(seq_len)
        self.rank, self.world_size = int(rank), int(world_size)
        self.worker_id, self.num_workers = int(worker_id), int(num_workers)
        self.seed = int(seed)
        self.shuffle = bool(shuffle)
        self.shuffle_documents = (
            self.shuffle if shuffle_documents is None else bool(shuffle_documents)
        )
        self.drop_last = bool(drop_last)
        self.batch_size = batch_size
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.pad_id = self.dataset.tokenizer.padding_id if pad_id is None else int(pad_id)
        self.continue_positions = bool(continue_positions)
        self.prefetch = bool(prefetch)
        self.fields = tuple(FIELDS if fields is None else fields)
        unknown = set(self.fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}; known: {', '.join(FIELDS)}")
        # Row groups are split into runs of documents when there are fewer than ranks.
        self._all_units = self.dataset.split_units(self.world_size)
        self._arange = np.arange(self.seq_len, dtype=np.int64)
        self._start_epoch(int(epoch))
        if state is not None:
            self.load_state_dict(state)

    # -- epoch layout ---------------------------------------------------------------------

    def _units_for(self, epoch: int, rank: int, worker: int, num_workers: int) -> list[Unit]:
        order = unit_order(self._all_units, self.seed, epoch, self.shuffle)
        mine = deal_units(order, self.world_size)[rank]
        return deal_units(mine, num_workers)[worker]

    def _start_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.units = self._units_for(epoch, self.rank, self.worker_id, self.num_workers)
        self._cum = np.zeros(len(self.units) + 1, dtype=np.int64)
        np.cumsum([u.tokens for u in self.units], out=self._cum[1:])
        self.tokens = int(self._cum[-1])
        self._sequences = 0  # sequences yielded this epoch
        self._pos = (0, 0)  # (unit index, token in that unit's stream) of the next sequence
        self._loaded: _Loaded | None = None
        self._gen: Iterator[dict[str, np.ndarray]] | None = None
        self._normalize()

    def _normalize(self) -> None:
        u, p = self._pos
        while u < len(self.units) and p >= self.units[u].tokens:
            p -= self.units[u].tokens
            u += 1
        self._pos = (u, p if u < len(self.units) else 0)

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` from its beginning (new unit order when shuffling)."""
        if epoch < 0:
            raise ValueError("epoch must be >= 0")
        self._start_epoch(int(epoch))

    # -- sizes ----------------------------------------------------------------------------

    def _count(self, tokens: int) -> int:
        return tokens // self.seq_len if self.drop_last else -(-tokens // self.seq_len)

    def _items(self, sequences: int) -> int:
        if self.batch_size is None:
            return sequences
        return sequences // self.batch_size if self.drop_last else -(-sequences // self.batch_size)

    def num_sequences(self) -> int:
        """Sequences this rank (worker) yields in the current epoch (exact)."""
        return self._count(self.tokens)

    def __len__(self) -> int:
        """Items (sequences, or batches with ``batch_size``) in the current epoch (exact)."""
        return self._items(self.num_sequences())

    def sequences_per_rank(self) -> list[int]:
        """Sequences every rank yields this epoch (computed from footers, no data read).

        Ranks can differ by a few sequences; distributed training that needs the same step
        count on every rank should stop at ``min(sequences_per_rank())``.
        """
        order = unit_order(self._all_units, self.seed, self.epoch, self.shuffle)
        return [
            self._count(sum(u.tokens for u in part)) for part in deal_units(order, self.world_size)
        ]

    def items_per_worker(self, num_workers: int) -> list[int]:
        """Items each of ``num_workers`` workers of this rank yields this epoch."""
        return [
            self._items(
                self._count(
                    sum(u.tokens for u in self._units_for(self.epoch, self.rank, w, num_workers))
                )
            )
            for w in range(num_workers)
        ]

    def stats(self) -> dict[str, Any]:
        """What this rank (worker) gets and has yielded in the current epoch.

        ``dropped_tokens`` is the trailing partial sequence dropped with ``drop_last`` (and
        ``dropped_sequences`` a trailing partial batch); ``pad_tokens`` the padding added
        without it.  Counts of yielded items are since the start of the epoch, resumes
        included.
        """
        L = self.seq_len
        full, rest = divmod(self.tokens, L)
        sequences = self.num_sequences()
        items = len(self)
        per_item = self.batch_size or 1
        dropped_sequences = (
            sequences - items * per_item if self.drop_last and self.batch_size else 0
        )
        yielded = self._sequences
        real = min(yielded * L, self.tokens)
        return {
            "epoch": self.epoch,
            "rank": self.rank,
            "world_size": self.world_size,
            "worker_id": self.worker_id,
            "num_workers": self.num_workers,
            "seq_len": L,
            "batch_size": self.batch_size,
            "drop_last": self.drop_last,
            "units": len(self.units),
            "documents": sum(u.documents for u in self.units),
            "tokens": self.tokens,
            "sequences": sequences,
            "items": items,
            "dropped_tokens": rest if self.drop_last else 0,
            "dropped_sequences": dropped_sequences,
            "pad_tokens": (L - rest) if (rest and not self.drop_last) else 0,
            "sequences_yielded": yielded,
            "tokens_yielded": real,
            "pad_tokens_yielded": max(0, yielded * L - self.tokens) if not self.drop_last else 0,
        }

    # -- state ----------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "seq_len": self.seq_len,
            "rank": self.rank,
            "world_size": self.world_size,
            "worker_id": self.worker_id,
            "num_workers": self.num_workers,
            "seed": self.seed,
            "shuffle": self.shuffle,
            "shuffle_documents": self.shuffle_documents,
            "dataset_units": len(self._all_units),
            "dataset_tokens": sum(u.tokens for u in self._all_units),
        }

    def _unit_stream(self, index: int) -> _Loaded:
        """Unit ``index`` of this loader's list (kept as the current unit)."""
        if self._loaded is None or self._loaded.index != index:
            self._loaded = self._read_stream(index)
        return self._loaded

    def _read_stream(self, index: int) -> _Loaded:
        """Read unit ``index`` of this loader's list, documents in stream order."""
        unit = self.units[index]
        tokens, offsets = self.dataset.read_unit(unit)
        rows = None
        n = len(offsets) - 1
        if self.shuffle_documents and n > 1:
            rows = np.random.default_rng([self.seed, self.epoch, 1, unit.index]).permutation(n)
            lengths = np.diff(offsets)
            lens = lengths[rows]
            starts = offsets[:-1][rows]
            new = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lens, out=new[1:])
            gather = np.arange(new[-1], dtype=np.int64)
            gather += np.repeat(starts - new[:-1], lens)
            tokens = tokens[gather]
            offsets = new
        return _Loaded(index, tokens, offsets, rows)

    def state_dict(self) -> dict[str, Any]:
        """Where the loader is: a small JSON-able dict for :meth:`load_state_dict`.

        ``sequences`` yielded so far this epoch; ``unit`` (index in this rank's unit list),
        ``shard``/``row_group`` of that unit, ``doc`` (document in the unit's stream order),
        ``row`` (its stored Parquet row) and ``offset`` (tokens of it already yielded) of the
        next sequence's first token; nothing is carried over between sequences.
        """
        u, p = self._pos
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "epoch": self.epoch,
            "sequences": self._sequences,
            "unit": u,
            "token": p,
            "doc": 0,
            "row": 0,
            "offset": 0,
            "shard": None,
            "row_group": None,
            "config": self._config(),
        }
        if u < len(self.units):
            unit = self.units[u]
            state["shard"], state["row_group"] = unit.path, unit.row_group
            if p:
                loaded = self._unit_stream(u)
                doc = int(np.searchsorted(loaded.offsets, p, side="right")) - 1
                state["doc"] = doc
                row = int(loaded.rows[doc]) if loaded.rows is not None else doc
                state["row"] = unit.first_doc + row
                state["offset"] = int(p - loaded.offsets[doc])
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state``: the next items are those the saved run would have yielded.

        Only the row group holding the next sequence is read.  Raises
        :class:`TokenDatasetError` when the state belongs to another dataset or layout.
        """
        if state.get("version") != STATE_VERSION:
            raise TokenDatasetError(
                f"loader state version {state.get('version')!r} is not {STATE_VERSION}"
            )
        config = dict(state.get("config") or {})
        mine = self._config()
        diff = {k: (config.get(k), v) for k, v in mine.items() if config.get(k) != v}
        if diff:
            what = ", ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in sorted(diff.items()))
            raise TokenDatasetError(f"{self.dataset.path}: loader state does not fit ({what})")
        self._start_epoch(int(state["epoch"]))
        sequences = int(state["sequences"])
        self._seek_sequences(sequences)
        u, p = self._pos
        saved_u = int(state["unit"])
        if u < len(self.units):
            unit = self.units[u]
            if (
                saved_u != u
                or state.get("shard") != unit.path
                or state.get("row_group") != unit.row_group
            ):
                raise TokenDatasetError(
                    f"{self.dataset.path}: loader state points at unit {saved_u} "
                    f"({state.get('shard')} row group {state.get('row_group')}), "
                    f"the dataset has {unit.path} row group {unit.row_group} there"
                )
            doc, offset = int(state.get("doc", 0)), int(state.get("offset", 0))
            if p or doc or offset:
                loaded = self._unit_stream(u)
                if doc >= len(loaded.offsets) - 1 or int(loaded.offsets[doc]) + offset != p:
                    raise TokenDatasetError(
                        f"{self.dataset.path}: loader state (doc {doc}, offset {offset}) does not "
                        f"match {unit.path} row group {unit.row_group}"
                    )

    def _seek_sequences(self, sequences: int) -> None:
        if sequences < 0:
            raise ValueError("sequences must be >= 0")
        start = sequences * self.seq_len
        self._sequences = min(sequences, self.num_sequences())
        self._gen = None
        if start >= self.tokens:
            self._pos = (len(self.units), 0)
            return
        u = int(np.searchsorted(self._cum, start, side="right")) - 1
        self._pos = (u, int(start - self._cum[u]))
        self._normalize()

    def seek(self, items: int) -> None:
        """Go to item ``items`` of the current epoch (0 is the start), reading no data."""
        self._seek_sequences(items * (self.batch_size or 1))

    # -- iteration ------------------------------------------------------------------------

    def __iter__(self) -> PackedSequenceLoader:
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        if self._gen is None:
            self._gen = self._items_from(self._pos)
        return next(self._gen)

    def _items_from(self, pos: tuple[int, int]) -> Iterator[dict[str, np.ndarray]]:
        rows = self._rows_from(pos)
        if self.batch_size is None:
            for item, next_pos in rows:
                self._pos = next_pos
                self._normalize()
                self._sequences += 1
                yield item
            return
        batch: list[dict[str, np.ndarray]] = []
        for item, next_pos in rows:
            batch.append(item)
            if len(batch) == self.batch_size:
                self._pos = next_pos
                self._normalize()
                self._sequences += len(batch)
                yield self._stack(batch)
                batch = []
        if batch and not self.drop_last:
            self._pos = (len(self.units), 0)
            self._sequences += len(batch)
            yield self._stack(batch)

    def _stack(self, batch: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for key in self.fields:
            if key == "cu_seqlens":
                parts = [row[key][:-1] + i * self.seq_len for i, row in enumerate(batch)]
                parts.append(np.array([len(batch) * self.seq_len], dtype=np.int32))
                out[key] = np.concatenate(parts).astype(np.int32, copy=False)
            else:
                out[key] = np.stack([row[key] for row in batch])
        return out

    def _rows_from(
        self, pos: tuple[int, int]
    ) -> Iterator[tuple[dict[str, np.ndarray], tuple[int, int]]]:
        """Yield (sequence, position of the next sequence) from ``pos`` to the epoch's end.

        Each unit's remaining tokens are appended to the carried-over partial sequence (the
        *window*), all full sequences of the window are computed at once, and the rest is
        carried to the next unit.  Document keys count documents along the stream, so
        ``document_ids`` of a row is its keys minus the row's first key.
        """
        L = self.seq_len
        want = set(self.fields)
        need_keys = bool(want & {"document_ids", "cu_seqlens", "position_ids"})
        start_u, start_p = pos
        carry_tok = np.zeros(0, dtype=self.dataset.dtype)
        carry_key = np.zeros(0, dtype=np.int64)
        carry_pos = np.zeros(0, dtype=np.int64)
        keys = pos_in = carry_key
        next_key = 0
        todo = [u for u in range(start_u, len(self.units)) if self.units[u].tokens]
        pool = ThreadPoolExecutor(1) if self.prefetch and len(todo) > 1 else None
        ahead: Future[_Loaded] | None = None
        try:
            for i, u in enumerate(todo):
                if ahead is not None:
                    self._loaded = ahead.result()
                loaded = self._unit_stream(u)
                if pool is not None and i + 1 < len(todo):
                    ahead = pool.submit(self._read_stream, todo[i + 1])
                tokens, offsets = loaded.tokens, loaded.offsets
                p0 = start_p if u == start_u else 0
                total = len(tokens)
                if p0 >= total:
                    continue
                c = len(carry_tok)
                win_tok = np.concatenate([carry_tok, tokens[p0:]]) if c else tokens[p0:]
                if need_keys:
                    d0 = int(np.searchsorted(offsets, p0, side="right")) - 1
                    lens = np.diff(offsets[d0:])
                    lens[0] -= p0 - offsets[d0]
                    keys_of_doc = next_key + np.cumsum(lens > 0) - 1
                    keys = np.repeat(keys_of_doc, lens)
                    next_key = int(keys[-1]) + 1
                    starts = np.zeros(len(lens), dtype=np.int64)
                    np.cumsum(lens[:-1], out=starts[1:])
                    pos_in = np.arange(total - p0, dtype=np.int64) - np.repeat(starts, lens)
                    pos_in[: lens[0]] += p0 - offsets[d0]
                    if c:
                        keys = np.concatenate([carry_key, keys])
                        pos_in = np.concatenate([carry_pos, pos_in])
                n = len(win_tok) // L
                if n:
                    m = n * L
                    block = self._block(win_tok[:m], keys[:m], pos_in[:m], n, need_keys)
                    cu = block.pop("cu_seqlens", None)
                    for r in range(n):
                        item = {k: v[r] for k, v in block.items()}
                        if cu is not None:
                            item["cu_seqlens"] = cu[r]
                        nxt = (r + 1) * L - c + p0
                        yield item, ((u, nxt) if nxt < total else (u + 1, 0))
                carry_tok = win_tok[n * L :].copy()
                if need_keys:
                    carry_key = keys[n * L :].copy()
                    carry_pos = pos_in[n * L :].copy()
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._loaded = None
        if len(carry_tok) and not self.drop_last:
            yield self._padded(carry_tok, carry_key, carry_pos, need_keys), (len(self.units), 0)

    def _block(
        self, tok: np.ndarray, keys: np.ndarray, pos_in: np.ndarray, n: int, need_keys: bool
    ) -> dict[str, Any]:
        """The outputs of ``n`` full sequences at once: arrays [n, L] (cu_seqlens: a list)."""
        L = self.seq_len
        out: dict[str, Any] = {}
        want = self.fields
        if "input_ids" in want:
            ids = tok.reshape(n, L)
            out["input_ids"] = ids.astype(self.dtype) if self.dtype is not None else ids.copy()
        if need_keys:
            k = keys.reshape(n, L)
            if "document_ids" in want:
                out["document_ids"] = (k - k[:, :1]).astype(np.int32)
            if "position_ids" in want:
                pos = pos_in.reshape(n, L)
                out["position_ids"] = (
                    pos.copy() if self.continue_positions else np.minimum(pos, self._arange)
                )
            if "cu_seqlens" in want:
                change = k[:, 1:] != k[:, :-1]
                rows, cols = np.nonzero(change)
                bounds = np.searchsorted(rows, np.arange(n + 1))
                cols = (cols + 1).astype(np.int32)
                zero, end = np.zeros(1, np.int32), np.array([L], np.int32)
                out["cu_seqlens"] = [
                    np.concatenate([zero, cols[bounds[r] : bounds[r + 1]], end]) for r in range(n)
                ]
        if "loss_mask" in want:
            out["loss_mask"] = np.ones((n, L), dtype=bool)
        return out

    def _padded(
        self, tok: np.ndarray, keys: np.ndarray, pos_in: np.ndarray, need_keys: bool
    ) -> dict[str, np.ndarray]:
        """The trailing partial sequence, padded to seq_len; the padding is one more segment."""
        L, c = self.seq_len, len(tok)
        out: dict[str, np.ndarray] = {}
        want = self.fields
        if "input_ids" in want:
            ids = np.full(
                L, self.pad_id, dtype=self.dataset.dtype if self.dtype is None else self.dtype
            )
            ids[:c] = tok
            out["input_ids"] = ids
        if need_keys:
            doc = (keys - keys[0]).astype(np.int32)
            pad_doc = int(doc[-1]) + 1
            if "document_ids" in want:
                out["document_ids"] = np.concatenate([doc, np.full(L - c, pad_doc, np.int32)])
            if "position_ids" in want:
                real = pos_in if self.continue_positions else np.minimum(pos_in, self._arange[:c])
                out["position_ids"] = np.concatenate([real, self._arange[: L - c]])
            if "cu_seqlens" in want:
                inner = (np.flatnonzero(keys[1:] != keys[:-1]) + 1).astype(np.int32)
                out["cu_seqlens"] = np.concatenate(
                    [np.zeros(1, np.int32), inner, np.array([c, L], np.int32)]
                )
        if "loss_mask" in want:
            mask = np.zeros(L, dtype=bool)
            mask[:c] = True
            out["loss_mask"] = mask
        return out


# -- torch --------------------------------------------------------------------------------


@functools.cache
def _torch_class() -> type:
    """Define TorchPackedDataset on first use (importing torch only then)."""
    try:
        import torch
        from torch.utils.data import IterableDataset, get_worker_info
    except ImportError as e:
        raise ImportError(f"TorchPackedDataset needs PyTorch (pip install torch): {e}") from None

    class TorchPackedDataset(IterableDataset):  # type: ignore[misc,valid-type]
        """A :class:`PackedSequenceLoader` as a ``torch.utils.data.IterableDataset``.

        Takes the loader's arguments.  Each DataLoader worker reads its own share of the
        rank's units (no data is read twice) and yields torch tensors.  Use the loader's
        ``batch_size`` with ``DataLoader(ds, batch_size=None, num_workers=N)`` (variable
        length ``cu_seqlens`` cannot be collated by torch), or ask only for fixed-shape
        ``fields`` and let torch batch.

        Resume: count the items taken from the DataLoader this epoch and save
        ``ds.state_dict(items_taken)``; later ``ds.load_state_dict(state)`` before making
        the DataLoader iterator.  Every item is yielded exactly once, provided the DataLoader
        keeps its default ``in_order=True`` and the same ``num_workers``; when the saved
        count falls inside a round of the workers' round-robin, the remaining items of that
        round come in worker order again.  Call :meth:`set_epoch` before each epoch (not
        with ``persistent_workers``, whose workers keep their copy).
        """

        def __init__(self, path: str | TokenDataset, seq_len: int, **kwargs: Any) -> None:
            super().__init__()
            for bad in ("worker_id", "num_workers", "state"):
                if bad in kwargs:
                    raise TypeError(f"TorchPackedDataset sets {bad} itself")
            self.path = path
            self.seq_len = seq_len
            self.epoch = int(kwargs.pop("epoch", 0))
            self.kwargs = kwargs
            self._resume_items = 0
            self._resume_workers: int | None = None
            self._dataset: TokenDataset | None = path if isinstance(path, TokenDataset) else None

        def _token_dataset(self) -> TokenDataset:
            if self._dataset is None:
                self._dataset = TokenDataset(
                    str(self.path), storage_options=self.kwargs.get("storage_options")
                )
            return self._dataset

        def _loader(self, worker_id: int, num_workers: int) -> PackedSequenceLoader:
            kwargs = {k: v for k, v in self.kwargs.items() if k != "storage_options"}
            return PackedSequenceLoader(
                self._token_dataset(),
                self.seq_len,
                epoch=self.epoch,
                worker_id=worker_id,
                num_workers=num_workers,
                **kwargs,
            )

        def set_epoch(self, epoch: int) -> None:
            """Use epoch ``epoch`` for the next iteration, from its start."""
            self.epoch = int(epoch)
            self._resume_items = 0
            self._resume_workers = None

        def num_items(self, num_workers: int = 0) -> int:
            """Items a DataLoader with ``num_workers`` workers yields this epoch (exact)."""
            return sum(self._loader(0, 1).items_per_worker(max(1, num_workers)))

        def state_dict(self, items_taken: int, num_workers: int | None = None) -> dict[str, Any]:
            """The resume state after ``items_taken`` items of this epoch."""
            return {"epoch": self.epoch, "items": int(items_taken), "num_workers": num_workers}

        def load_state_dict(self, state: Mapping[str, Any]) -> None:
            """Resume at ``state`` on the next iteration."""
            self.epoch = int(state["epoch"])
            self._resume_items = int(state["items"])
            self._resume_workers = state.get("num_workers")

        def __iter__(self) -> Iterator[dict[str, Any]]:
            info = get_worker_info()
            num_workers = info.num_workers if info is not None else 1
            worker_id = info.id if info is not None else 0
            if self._resume_workers is not None and self._resume_workers != num_workers:
                raise TokenDatasetError(
                    f"state saved with {self._resume_workers} DataLoader workers, now {num_workers}"
                )
            loader = self._loader(worker_id, num_workers)
            if self._resume_items:
                counts = loader.items_per_worker(num_workers)
                loader.seek(round_robin_consumed(counts, self._resume_items)[worker_id])
            for item in loader:
                # Copies: a yielded row is a view of its whole row group's block, which a
                # worker would otherwise move to shared memory as a whole.
                yield {k: torch.from_numpy(np.array(v)) for k, v in item.items()}

        def __getstate__(self) -> dict[str, Any]:
            state = self.__dict__.copy()
            if not isinstance(self.path, TokenDataset):
                state["_dataset"] = None
            return state

    TorchPackedDataset.__module__ = __name__
    TorchPackedDataset.__qualname__ = "TorchPackedDataset"
    return TorchPackedDataset


def torch_dataset(path: str | TokenDataset, seq_len: int, **kwargs: Any) -> Any:
    """A ``TorchPackedDataset`` (torch IterableDataset) with the loader's arguments.

    Raises ImportError when PyTorch is not installed.
    """
    return _torch_class()(path, seq_len, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "TorchPackedDataset":
        return _torch_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- throughput -----------------------------------------------------------------------------


def loader_throughput(
    path: str | TokenDataset, seq_len: int = 2048, *, max_items: int | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Time one pass of a :class:`PackedSequenceLoader` (kwargs as for the loader).

    Returns sequences, real tokens, setup seconds (manifest and footers), iteration seconds
    and tokens per second of iteration.
    """
    t0 = time.perf_counter()
    loader = PackedSequenceLoader(path, seq_len, **kwargs)
    t1 = time.perf_counter()
    sequences = tokens = 0
    for i, item in enumerate(loader):
        if max_items is not None and i >= max_items:
            break
        mask = item.get("loss_mask")
        ids = item["input_ids"] if "input_ids" in item else next(iter(item.values()))
        sequences += 1 if ids.ndim == 1 else ids.shape[0]
        tokens += int(mask.sum()) if mask is not None else int(ids.size)
    t2 = time.perf_counter()
    seconds = t2 - t1
    return {
        "sequences": sequences,
        "tokens": tokens,
        "setup_seconds": round(t1 - t0, 4),
        "seconds": round(seconds, 4),
        "tokens_per_second": tokens / seconds if seconds > 0 else math.inf,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m curate.loader DIR``: print the dataset summary and loader throughput."""
    parser = argparse.ArgumentParser(prog="python -m curate.loader", description=main.__doc__)
    parser.add_argument("path")
    parser.add_argument("--seq-len", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--max-items", type=int, default=None)
    parser.add_argument("--prefetch", action="store_true")
    args = parser.parse_args(argv)
    try:
        ds = TokenDataset(args.path)
        result = loader_throughput(
            ds,
            args.seq_len,
            batch_size=args.batch_size,
            shuffle=not args.no_shuffle,
            prefetch=args.prefetch,
            max_items=args.max_items,
        )
    except TokenDatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"dataset": repr(ds), "units": len(ds.units()), **result}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
