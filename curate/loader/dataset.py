"""Read a tokenized dataset directory: its manifest, shards, units and token data.

:class:`TokenDataset` reads the manifest (see :mod:`curate.loader.format` for the layout)
and the Parquet footers.  The unit of work is one *row group* of one shard (a
:class:`~curate.loader.format.Unit`); its document and token counts come from the footers,
so listing units reads no token data.  A dataset with fewer non-empty units than ranks can
have its row groups split into runs of documents (:meth:`TokenDataset.split_units`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from curate.loader.format import (
    FORMAT,
    INPUT_IDS,
    MANIFEST,
    NUM_TOKENS,
    TOKEN_DTYPES,
    ShardInfo,
    TokenDatasetError,
    TokenizerInfo,
    Unit,
)


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
