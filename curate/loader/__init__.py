"""Read a tokenized dataset and pack it into fixed-length training sequences.

A tokenized dataset is a directory (local path or fsspec URL) written by curate's tokenize
step: ``manifest.json`` plus Parquet shards of ``input_ids``.  :class:`TokenDataset` reads
it; :class:`PackedSequenceLoader` deals its row groups to ranks and workers and cuts each
rank's stream into sequences of ``seq_len`` tokens carrying document boundaries, with a
small resumable state.  It needs only numpy, pyarrow and fsspec (torch only for
``TorchPackedDataset``).

Modules, one job each:

- :mod:`~curate.loader.format`: the format's names and dtypes, :class:`TokenDatasetError`,
  and the records :class:`TokenizerInfo`, :class:`ShardInfo` and :class:`Unit`; the
  on-disk layout is described there.
- :mod:`~curate.loader.dataset`: :class:`TokenDataset`, the manifest, footers, units and
  token data of one dataset directory.
- :mod:`~curate.loader.order`: the unit order of an epoch, the deal of units to ranks and
  workers, the document order inside a unit and the DataLoader's round-robin.
- :mod:`~curate.loader.packing`: :class:`PackedSequenceLoader`; the stream order and what
  makes resuming cheap are described there.
- :mod:`~curate.loader.arrays`: :data:`FIELDS` and the output arrays of packed sequences.
- :mod:`~curate.loader.state`: the loader's resume state, built and checked.
- :mod:`~curate.loader.torch_wrapper`: ``TorchPackedDataset`` and :func:`torch_dataset`,
  built on first use so torch is imported only then.
- :mod:`~curate.loader.timing`: :func:`loader_throughput`, one timed pass.
- :mod:`~curate.loader.cli`: ``python -m curate.loader DIR`` (summary and throughput).

Everything public is importable from ``curate.loader`` itself.
"""

from __future__ import annotations

from typing import Any

from curate.loader.arrays import FIELDS
from curate.loader.cli import main
from curate.loader.dataset import TokenDataset
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
from curate.loader.order import deal_units, round_robin_consumed, unit_order
from curate.loader.packing import PackedSequenceLoader
from curate.loader.state import STATE_VERSION
from curate.loader.timing import loader_throughput
from curate.loader.torch_wrapper import _torch_class, torch_dataset

__all__ = [
    "FIELDS",
    "FORMAT",
    "INPUT_IDS",
    "MANIFEST",
    "NUM_TOKENS",
    "STATE_VERSION",
    "TOKEN_DTYPES",
    "PackedSequenceLoader",
    "ShardInfo",
    "TokenDataset",
    "TokenDatasetError",
    "TokenizerInfo",
    "Unit",
    "deal_units",
    "loader_throughput",
    "main",
    "round_robin_consumed",
    "torch_dataset",
    "unit_order",
]


def __getattr__(name: str) -> Any:
    """``TorchPackedDataset``, built (and torch imported) on first access."""
    if name == "TorchPackedDataset":
        return _torch_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
