"""Pack a tokenized dataset into fixed-length training sequences, for one rank (and worker).

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
of the next sequence (:mod:`curate.loader.state`), and a loader built from it re-reads only
that row group.

Memory is bounded by one row group (its tokens plus a few per-token int64 arrays for the
outputs) and one carried-over partial sequence.

The unit order lives in :mod:`curate.loader.order` and the output arrays are built by
:mod:`curate.loader.arrays`; this module walks the stream.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from curate.loader.arrays import FIELDS, SequenceArrays
from curate.loader.dataset import TokenDataset
from curate.loader.format import Unit
from curate.loader.order import deal_units, document_order, permute_documents, unit_order
from curate.loader.state import check_document, check_fit, check_unit, locate, new_state


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
            rows = document_order(n, self.seed, self.epoch, unit.index)
            tokens, offsets = permute_documents(tokens, offsets, rows)
        return _Loaded(index, tokens, offsets, rows)

    def state_dict(self) -> dict[str, Any]:
        """Where the loader is: a small JSON-able dict for :meth:`load_state_dict`.

        ``sequences`` yielded so far this epoch; ``unit`` (index in this rank's unit list),
        ``shard``/``row_group`` of that unit, ``doc`` (document in the unit's stream order),
        ``row`` (its stored Parquet row) and ``offset`` (tokens of it already yielded) of the
        next sequence's first token; nothing is carried over between sequences.
        """
        u, p = self._pos
        state = new_state(self.epoch, self._sequences, u, p, self._config())
        if u < len(self.units):
            loaded = self._unit_stream(u) if p else None
            locate(
                state,
                self.units[u],
                None if loaded is None else loaded.offsets,
                None if loaded is None else loaded.rows,
            )
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state``: the next items are those the saved run would have yielded.

        Only the row group holding the next sequence is read.  Raises
        :class:`TokenDatasetError` when the state belongs to another dataset or layout.
        """
        where = self.dataset.path
        check_fit(state, self._config(), where)
        self._start_epoch(int(state["epoch"]))
        self._seek_sequences(int(state["sequences"]))
        u, p = self._pos
        unit = self.units[u] if u < len(self.units) else None
        check_unit(state, where, u, unit)
        if unit is not None and (p or int(state.get("doc", 0)) or int(state.get("offset", 0))):
            check_document(state, where, unit, self._unit_stream(u).offsets, p)

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

    def _arrays(self) -> SequenceArrays:
        """The output-array builder for the loader's current settings."""
        return SequenceArrays(
            self.seq_len,
            self.fields,
            dtype=self.dtype,
            token_dtype=self.dataset.dtype,
            pad_id=self.pad_id,
            continue_positions=self.continue_positions,
            arange=self._arange,
        )

    def _items_from(self, pos: tuple[int, int]) -> Iterator[dict[str, np.ndarray]]:
        arrays = self._arrays()
        rows = self._rows_from(pos, arrays)
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
                yield arrays.stack(batch)
                batch = []
        if batch and not self.drop_last:
            self._pos = (len(self.units), 0)
            self._sequences += len(batch)
            yield arrays.stack(batch)

    def _rows_from(
        self, pos: tuple[int, int], arrays: SequenceArrays
    ) -> Iterator[tuple[dict[str, np.ndarray], tuple[int, int]]]:
        """Yield (sequence, position of the next sequence) from ``pos`` to the epoch's end.

        Each unit's remaining tokens are appended to the carried-over partial sequence (the
        *window*), all full sequences of the window are computed at once, and the rest is
        carried to the next unit.  Document keys count documents along the stream, so
        ``document_ids`` of a row is its keys minus the row's first key.
        """
        L = self.seq_len
        need_keys = arrays.need_keys
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
                    block = arrays.block(win_tok[:m], keys[:m], pos_in[:m], n, need_keys)
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
            yield arrays.padded(carry_tok, carry_key, carry_pos, need_keys), (len(self.units), 0)
