"""The arrays of packed sequences: ``input_ids``, ``position_ids``, ``document_ids``,
``cu_seqlens`` and ``loss_mask`` built from a window of tokens and their document keys.

:class:`SequenceArrays` holds the output settings of a loader; the loader hands it the
tokens of whole sequences (or the trailing partial one) with, per token, a *key* counting
documents along the stream and its position inside its document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FIELDS = ("input_ids", "position_ids", "document_ids", "cu_seqlens", "loss_mask")


class SequenceArrays:
    """Build the output arrays of sequences of ``seq_len`` tokens.

    ``fields`` are the arrays to produce; ``dtype`` is that of ``input_ids`` (``None``: the
    stored ``token_dtype``); ``pad_id`` pads the trailing partial sequence;
    ``continue_positions`` keeps counting ``position_ids`` of a document continued from the
    previous sequence (else they are capped to restart at 0).
    """

    def __init__(
        self,
        seq_len: int,
        fields: Sequence[str],
        *,
        dtype: np.dtype | None,
        token_dtype: np.dtype,
        pad_id: int,
        continue_positions: bool,
        arange: np.ndarray | None = None,
    ) -> None:
        self.seq_len = seq_len
        self.fields = fields
        self.want = set(fields)
        self.dtype = dtype
        self.token_dtype = token_dtype
        self.pad_id = pad_id
        self.continue_positions = continue_positions
        self.arange = np.arange(seq_len, dtype=np.int64) if arange is None else arange

    @property
    def need_keys(self) -> bool:
        """Whether any field needs the document keys and positions of the tokens."""
        return bool(self.want & {"document_ids", "cu_seqlens", "position_ids"})

    def block(
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
                    pos.copy() if self.continue_positions else np.minimum(pos, self.arange)
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

    def padded(
        self, tok: np.ndarray, keys: np.ndarray, pos_in: np.ndarray, need_keys: bool
    ) -> dict[str, np.ndarray]:
        """The trailing partial sequence, padded to seq_len; the padding is one more segment."""
        L, c = self.seq_len, len(tok)
        out: dict[str, np.ndarray] = {}
        want = self.fields
        if "input_ids" in want:
            ids = np.full(
                L, self.pad_id, dtype=self.token_dtype if self.dtype is None else self.dtype
            )
            ids[:c] = tok
            out["input_ids"] = ids
        if need_keys:
            doc = (keys - keys[0]).astype(np.int32)
            pad_doc = int(doc[-1]) + 1
            if "document_ids" in want:
                out["document_ids"] = np.concatenate([doc, np.full(L - c, pad_doc, np.int32)])
            if "position_ids" in want:
                real = pos_in if self.continue_positions else np.minimum(pos_in, self.arange[:c])
                out["position_ids"] = np.concatenate([real, self.arange[: L - c]])
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

    def stack(self, batch: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """A batch of sequences: arrays [B, L]; ``cu_seqlens`` of the flattened B * L tokens."""
        out: dict[str, np.ndarray] = {}
        for key in self.fields:
            if key == "cu_seqlens":
                parts = [row[key][:-1] + i * self.seq_len for i, row in enumerate(batch)]
                parts.append(np.array([len(batch) * self.seq_len], dtype=np.int32))
                out[key] = np.concatenate(parts).astype(np.int32, copy=False)
            else:
                out[key] = np.stack([row[key] for row in batch])
        return out
