"""What ``write_tokenized`` is given: the sources of a mixture and the tokenized output's
settings (see :mod:`curate.tokenize.shards`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Source:
    """One component of a mixture: a name, its Parquet files, and its weight by tokens."""

    name: str
    files: list[str]
    weight: float | None = None


@dataclass
class TokenizedSettings:
    tokenizer: str
    add_bos: bool | None = None
    add_eos: bool = True
    shard_tokens: int = 100_000_000
    row_group_tokens: int = 1_000_000
    seed: int = 0
    total_tokens: int | None = None
    batch_rows: int = 1000
    reader: dict[str, Any] = field(default_factory=dict)
    # Documents that already carry input_ids (a pipeline ending in the tokenize stage)
    # are not tokenized again.
    reuse_ids: bool = False
    # Sources with at most this many documents are down-sampled by token-tracking
    # selection (achieved tokens within about one document of the target), larger ones
    # by an independent seeded draw per document (the same in expectation, cheaper).
    tracked_sampling_max_documents: int = 2_000_000
    # Warn (in the log and the manifest's "warnings") when mixing repeats a source's
    # documents more than this many times on average (its rate); None: never warn.
    max_repeats_warning: float | None = 4.0
