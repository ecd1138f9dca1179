"""The tasks before the shards of ``write_tokenized``: tokenize an input file into shuffle
buckets, and sample groups of buckets into the output shards' partitions when mixing
(see :mod:`curate.tokenize.shards`).  Tasks run through a task runner (locally or on Ray),
so they stay module-level functions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.dedup.minhash import byte_hashes, mix64
from curate.execution.workdir import WorkDir
from curate.schema import ID, TEXT
from curate.stage import live_mask
from curate.tokenize.sampling import sample_rows
from curate.tokenize.stage import finish_encoding, start_encoding
from curate.tokenize.tokenizer import load_tokenizer, token_dtype

# The shuffle buckets are written once and read once, then deleted: uncompressed they
# take about 3x the bytes of zstd but write and read about 3x faster (3 s of 67 s for
# 40M tokens in benchmarks/tokenization.py).
INTERMEDIATE_COMPRESSION = "none"  # only to size the buckets before the real counts are known


def shuffle_keys(ids: pa.Array, source: str, seed: int) -> np.ndarray:
    """A 64-bit key per document from its id, its source and the seed."""
    base = byte_hashes(ids.cast(pa.string()))
    salt = int(byte_hashes(pa.array([f"{seed}\x00{source}"]))[0])
    return mix64(base ^ np.uint64(salt))


def tokenize_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Tokenize one input file's live documents (or reuse their ``input_ids``), give each a
    shuffle key and write them to the shuffle buckets; returns the counts per bucket."""
    from curate.readers.base import InputFile, ReadReport
    from curate.readers.jsonl import ParquetReader

    work = WorkDir(spec["work"], compression=INTERMEDIATE_COMPRESSION)
    settings = spec["settings"]
    tokenizer = load_tokenizer(settings["tokenizer"])
    add_bos = (tokenizer.bos_id is not None) if settings["add_bos"] is None else settings["add_bos"]
    dtype = token_dtype(tokenizer.vocab_size)
    reader = ParquetReader(**{**settings["reader"], "batch_rows": settings["batch_rows"], "fields": ["input_ids", "num_tokens"]})
    source_file = InputFile(spec["file"])
    buckets = spec["buckets"]
    tokens_per_bucket = np.zeros(buckets, np.int64)
    docs_per_bucket = np.zeros(buckets, np.int64)
    pieces = []
    stats = {"documents": 0, "skipped": 0, "tokens": 0}
    report = ReadReport(input=source_file.path, key=source_file.key)
    extra = int(add_bos) + int(settings["add_eos"])

    def live_tables() -> Any:
        for table in reader.read(source_file, report):
            live = live_mask(table)
            stats["skipped"] += table.num_rows - int(live.sum())
            table = table.filter(pa.array(live))
            if table.num_rows:
                yield table

    reuse = settings.get("reuse_ids")

    def encode(table: pa.Table) -> Any:  # on the second thread: the Rust part only
        if reuse and "input_ids" in table.column_names:
            return None
        return start_encoding(tokenizer, table[TEXT])

    for table, raw in _overlapped(live_tables(), encode):
        if raw is None:
            input_ids = table["input_ids"].combine_chunks().cast(pa.list_(dtype))
            num_tokens = pc.list_value_length(input_ids).cast(pa.int32())
        else:
            input_ids, num_tokens = finish_encoding(tokenizer, raw, add_bos, settings["add_eos"])
        keep = pc.greater(num_tokens, extra)  # a document with no tokens besides BOS/EOS is empty
        stats["skipped"] += len(num_tokens) - (pc.sum(keep).as_py() or 0)
        ids = table[ID].combine_chunks().filter(keep)
        input_ids, num_tokens = input_ids.filter(keep), num_tokens.filter(keep)
        keys = shuffle_keys(ids, spec["source"], settings["seed"])
        bucket = (keys % np.uint64(buckets)).astype(np.int64)
        counts = num_tokens.to_numpy(zero_copy_only=False).astype(np.int64)
        np.add.at(tokens_per_bucket, bucket, counts)
        np.add.at(docs_per_bucket, bucket, 1)
        stats["documents"] += len(ids)
        stats["tokens"] += int(counts.sum())
        pieces.append(pa.table({
            "id": ids.cast(pa.string()), "input_ids": input_ids, "num_tokens": num_tokens,
            "source": pa.array([spec["source"]] * len(ids), pa.string()),
            "key": pa.array(keys, pa.uint64()), "bucket": pa.array(bucket),
        }))
    if report.damaged:
        raise ValueError(f"{spec['file']}: {report.damaged}; fix or remove the file and run again")
    if pieces:
        table = pa.concat_tables(pieces)
        work.write_partitioned("buckets", f"{spec['source_index']:03d}-{spec['index']:06d}", table.drop_columns(["bucket"]), table["bucket"].to_numpy(), buckets)
    return {**stats, "tokens_per_bucket": tokens_per_bucket.tolist(), "docs_per_bucket": docs_per_bucket.tolist()}


def _overlapped(tables: Any, encode: Any) -> Any:
    """``(table, encode(table))`` in order, encoding the next table on a second thread
    while the caller buckets and writes the previous one.  The tokenizers encode in Rust
    without the GIL, so reading, Arrow conversion and bucket writes (Python, one core) no
    longer leave the encoder's cores idle."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="curate-encode") as pool:
        pending = None
        for table in tables:
            future = pool.submit(encode, table)
            if pending is not None:
                yield pending[0], pending[1].result()
            pending = (table, future)
        if pending is not None:
            yield pending[0], pending[1].result()


def sample_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Mixing: sample a group of buckets' documents at their source's rate and write them
    straight to the output shards' partitions.

    A repeated document gets its own shuffle key and id ``ID#k``, so repeats spread over
    all shards.  Rows are held until about 1.5 ``shard_tokens`` tokens are sampled (a group
    is sized to about one shard), then written (one file per shard), so a task holds about one shard and the step writes
    about ``shards x shards`` files in all, not one per pair of buckets.
    """
    work = WorkDir(spec["work"], compression=INTERMEDIATE_COMPRESSION)
    settings = spec["settings"]
    shards = spec["shards"]
    tokens_out = np.zeros(shards, np.int64)
    held: list[pa.Table] = []
    held_tokens = 0
    flushes = 0
    documents = 0

    def flush() -> None:
        nonlocal held, held_tokens, flushes
        if held:
            table = pa.concat_tables(held)
            shard = (table["key"].to_numpy() % np.uint64(shards)).astype(np.int64)
            work.write_partitioned("mixed", f"g{spec['group']:05d}-{flushes:03d}", table, shard, shards)
            flushes += 1
        held, held_tokens = [], 0

    for bucket in spec["buckets"]:
        part = work.read_partition("buckets", bucket)
        if part is None or part.num_rows == 0:
            continue
        tracked = set(spec.get("tracked") or ())
        selected = None
        if tracked:
            chosen = work.read_partition("selected", bucket, columns=["key"])
            selected = chosen["key"].to_numpy() if chosen is not None else None
        part = sample_rows(part, spec["rates"], settings["seed"], selected, tracked)
        tokens = part["num_tokens"].to_numpy().astype(np.int64)
        shard = (part["key"].to_numpy() % np.uint64(shards)).astype(np.int64)
        np.add.at(tokens_out, shard, tokens)
        documents += part.num_rows
        held.append(part)
        held_tokens += int(tokens.sum())
        if held_tokens >= 1.5 * settings["shard_tokens"]:  # a group is sized to ~1 shard
            flush()
    flush()
    return {"documents": documents, "tokens_per_shard": tokens_out.tolist()}
