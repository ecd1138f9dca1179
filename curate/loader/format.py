"""The tokenized-dataset format: names, dtypes, the error type and the small records.

A tokenized dataset is a directory (local path or fsspec URL) written by curate's tokenize
step::

    DIR/manifest.json                   format "curate.tokenized/1", tokenizer, dtype, shards, totals
    DIR/tokens/shard-NNNNN.parquet      id, input_ids (list<uint16|uint32>), num_tokens, source, ...

The unit of work is one *row group* of one shard (a :class:`Unit`); its document and token
counts come from the Parquet footers, so listing units reads no token data.

Only the standard library is imported here, so the writer can share these names cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMAT = "curate.tokenized/1"
MANIFEST = "manifest.json"
INPUT_IDS = "input_ids"
NUM_TOKENS = "num_tokens"
TOKEN_DTYPES = ("uint8", "uint16", "uint32", "int16", "int32", "int64")


def is_tokenized_manifest(manifest: object) -> bool:
    """Whether ``manifest`` (a manifest.json as read) describes a tokenized dataset (of any
    version of :data:`FORMAT`; a mixture's too)."""
    return isinstance(manifest, dict) and str(manifest.get("format", "")).startswith(FORMAT.rsplit("/", 1)[0] + "/")


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
