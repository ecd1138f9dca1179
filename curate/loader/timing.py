"""Time one pass of a :class:`PackedSequenceLoader` (used by ``python -m curate.loader`` and
the tokenization benchmark)."""

from __future__ import annotations

import math
import time
from typing import Any

from curate.loader.dataset import TokenDataset
from curate.loader.packing import PackedSequenceLoader


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
