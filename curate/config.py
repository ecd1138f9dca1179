"""The settings of a pipeline's sections: input, output and execution.

A leaf module: it imports nothing from curate, so the planner, the executors, the output
layout and the CLI can all read these settings without importing each other.  The stages
are configured by their own dataclass fields (see :mod:`curate.stage`); a whole pipeline
(sections plus stages) is :class:`curate.pipeline.Pipeline`.  Every field is type-checked
when a pipeline is loaded or run (:mod:`curate.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class InputConfig:
    """``input:`` -- what is read and how."""

    # warc | jsonl | parquet | text | epub | html | code | auto (by file extension), or a
    # reader registered with curate.readers.register_reader / named as ``module:Class``
    format: str = "auto"
    paths: list[str] = field(default_factory=list)
    paths_base_url: str = "https://data.commoncrawl.org/"
    options: dict[str, Any] = field(default_factory=dict)
    storage_options: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None


@dataclass
class OutputConfig:
    """``output:`` -- where the documents go and how the Parquet files are written."""

    path: str | None = None
    rejects: str = "full"
    compression: str = "zstd"
    compression_level: int | None = 3
    min_rows_per_file: int = 5000
    row_group_rows: int = 10_000
    # Pipelines with global stages (dedup) run in phases; keep each phase's output?
    keep_intermediate: bool = False
    # Write training shards: {shard_tokens, row_group_tokens, seed, keep_documents}; the
    # pipeline's last stage must be tokenize.  See curate.tokenize.shards.
    tokenized: dict[str, Any] | None = None


@dataclass
class ExecutionConfig:
    """``execution:`` -- batch size and the Ray cluster the stages run on."""

    batch_rows: int = 500
    ray_address: str | None = None
    num_cpus: int | None = None
    actors_per_stage: int | None = None
    object_store_memory: int | None = None
    # A shared URL (s3://..., or a mount every node sees) for the intermediate data of
    # global stages (phase outputs, dedup work folders); default: OUTPUT/_curate.
    scratch: str | None = None


__all__ = ["ExecutionConfig", "InputConfig", "OutputConfig"]
