"""Tokenized Parquet shards: a global shuffle, mixing by token weights, and a manifest.

``write_tokenized`` turns Parquet document datasets (one or several *sources*, e.g. web,
books, code) into ``DIR/tokens/shard-NNNNN.parquet`` plus ``DIR/manifest.json``:

1. ``tokenize`` (one task per input file): documents are tokenized (or their
   ``input_ids`` reused), given a shuffle key ``hash(seed, source, id)`` and written to
   buckets by key; each task reports the tokens per bucket and source.
2. Mixing: with weights, each source's sampling rate is ``weight * total / tokens``;
   documents are repeated ``floor(rate)`` times, and the fractional part is taken by
   token-tracking selection for sources of up to ``tracked_sampling_max_documents``
   documents (within about one document of the target, even for a few large books), else
   by a seeded draw per document with that probability.
   Sampling runs over groups of buckets (about one shard of sampled tokens each) and
   writes the result straight to the output shards' partitions by key, so repeated
   documents (each with its own key and id ``ID#k``) spread over all shards, and the
   step writes about ``shards x shards`` files.
3. ``shards`` (one task per shard): without mixing, consecutive buckets are grouped to
   about ``shard_tokens`` tokens; a task orders its rows by shuffle key and writes one
   shard with row groups of about ``row_group_tokens`` tokens.

Replacing an earlier output is atomic at the manifest: shards are written to
``_curate/tokenize/staged/`` first; a commit record (``_curate/tokenize/commit.json``)
then names the new shards and manifest, and is applied (shards moved into ``tokens/``,
the manifest replaced with a rename, the old output's other shards removed).  A run
killed before the record exists leaves the old manifest and shards as they were; one
killed while applying it is finished by the next run.  Only shards this output wrote
are ever removed (see :mod:`curate.ownership`).

No process holds more than one shard; the order is a deterministic function of the seed
and the documents' ids, so the same input and seed give the same shards.  Columns:
``id``, ``input_ids`` (uint16 when the vocabulary fits, else uint32), ``num_tokens``,
``source``.  The loader in :mod:`curate.loader` reads them; so do pyarrow, HF
``datasets``, DuckDB and polars.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate import __version__
from curate.dedup.base import live_mask
from curate.dedup.minhash import byte_hashes, mix64
from curate.dedup.tasks import LocalRunner, TaskRunner
from curate.dedup.workdir import WorkDir
from curate.events import emit, get_logger
from curate.ownership import JSON_KEY, ForeignFilesError, Ownership, listed_shards
from curate.schema import ID, TEXT
from curate.storage import (
    absolute,
    commit,
    exists,
    filesystem,
    join,
    list_files,
    tmp_name,
    write_text_atomic,
)
from curate.tokenize.stage import finish_encoding, start_encoding
from curate.tokenize.tokenizer import load_tokenizer, token_dtype

log = get_logger("tokenize")

FORMAT = "curate.tokenized/1"
CHARS_PER_TOKEN = 4.0
# The shuffle buckets are written once and read once, then deleted: uncompressed they
# take about 3x the bytes of zstd but write and read about 3x faster (3 s of 67 s for
# 40M tokens in benchmarks/tokenization.py).
INTERMEDIATE_COMPRESSION = "none"  # only to size the buckets before the real counts are known


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


def shuffle_keys(ids: pa.Array, source: str, seed: int) -> np.ndarray:
    """A 64-bit key per document from its id, its source and the seed."""
    base = byte_hashes(ids.cast(pa.string()))
    salt = int(byte_hashes(pa.array([f"{seed}\x00{source}"]))[0])
    return mix64(base ^ np.uint64(salt))


def _tokenize_task(spec: dict[str, Any]) -> dict[str, Any]:
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


def _select_tracked(
    work: WorkDir, sources: list[Source], rates: dict[str, float], documents: dict[str, int], buckets: int,
    settings: TokenizedSettings,
) -> list[str]:
    """Token-tracking selection for the sources sampled by a fraction that have at most
    ``tracked_sampling_max_documents`` documents: their keys and token counts are read
    from the buckets (two columns), the chosen keys written to ``selected/`` by bucket."""
    tracked = [
        s.name for s in sources
        if rates[s.name] % 1.0 > 0 and documents[s.name] <= settings.tracked_sampling_max_documents
    ]
    work.remove("selected")
    if not tracked:
        return []
    columns: dict[str, list[pa.Table]] = {name: [] for name in tracked}
    for bucket in range(buckets):
        part = work.read_partition("buckets", bucket, columns=["key", "num_tokens", "source"])
        if part is None:
            continue
        for name in tracked:
            rows = part.filter(pc.equal(part["source"], name))
            if rows.num_rows:
                columns[name].append(rows)
    chosen = []
    for name in tracked:
        if not columns[name]:
            continue
        table = pa.concat_tables(columns[name])
        keys = table["key"].to_numpy()
        chosen.append(tracked_selection(keys, table["num_tokens"].to_numpy(), rates[name] % 1.0, settings.seed))
    if chosen:
        keys = np.concatenate(chosen)
        work.write_partitioned("selected", "keys", pa.table({"key": pa.array(keys, pa.uint64())}),
                               (keys % np.uint64(buckets)).astype(np.int64), buckets)
    return tracked


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


def _sample_task(spec: dict[str, Any]) -> dict[str, Any]:
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
        part = _sample(part, spec["rates"], settings["seed"], selected, tracked)
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


def _sample(part: pa.Table, rates: dict[str, float], seed: int, selected: np.ndarray | None = None,
            tracked: set[str] | None = None) -> pa.Table:
    """Each row kept ``floor(rate)`` times, plus once more for the fractional part: for a
    tracked source when its key is in ``selected`` (see :func:`tracked_selection`), else
    with that probability (a seeded draw from its key).  Copies after the first get a new
    key and id ``ID#k``."""
    # per-source values through the dictionary of the source column (no per-row lookups)
    sources = pc.dictionary_encode(part["source"]).combine_chunks()
    names = sources.dictionary.to_pylist()
    codes = sources.indices.to_numpy()
    rate = np.array([rates[name] for name in names], np.float64)[codes]
    keys = part["key"].to_numpy()
    whole = np.floor(rate).astype(np.int64)
    extra = _draw(keys, seed) < rate - whole
    if tracked:
        in_tracked = np.array([name in tracked for name in names], bool)[codes]
        chosen = np.isin(keys, selected) if selected is not None and len(selected) else np.zeros(len(keys), bool)
        extra = np.where(in_tracked, chosen, extra)
    copies = whole + extra.astype(np.int64)
    index = np.repeat(np.arange(part.num_rows), copies)
    repeat = np.arange(len(index)) - np.repeat(np.cumsum(copies) - copies, copies)
    part = part.take(pa.array(index))
    keys = part["key"].to_numpy()
    if (repeat > 0).any():
        keys = np.where(repeat > 0, mix64(keys + repeat.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)), keys)
        ids = pc.if_else(pa.array(repeat > 0), pc.binary_join_element_wise(part["id"], pa.array(repeat.astype(str)), "#"), part["id"])
        part = part.set_column(part.schema.get_field_index("id"), "id", ids)
    return part.set_column(part.schema.get_field_index("key"), "key", pa.array(keys, pa.uint64()))


def _draw(keys: np.ndarray, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per key, fixed by the seed."""
    return (mix64(keys ^ np.uint64(0x5DEECE66D + seed)) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@numba.njit(cache=True)
def _track(tokens: np.ndarray, fraction: float) -> np.ndarray:  # pragma: no cover - compiled
    chosen = np.zeros(len(tokens), np.bool_)
    taken = 0.0
    seen = 0.0
    for i in range(len(tokens)):
        seen += tokens[i]
        if taken + tokens[i] / 2.0 <= fraction * seen:
            chosen[i] = True
            taken += tokens[i]
    return chosen


def tracked_selection(keys: np.ndarray, tokens: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The keys of the documents that make up ``fraction`` of these tokens.

    Documents are visited in a seeded random order; each is taken when taking it keeps
    the tokens taken closest to ``fraction`` of the tokens seen, so the total is within
    about half a document of the target and every document has about ``fraction`` chance.
    An independent draw per document has the same expectation but, for a source of a few
    large documents (books), often takes none or all of them.
    """
    order = np.argsort(_draw(keys, seed), kind="stable")
    chosen = _track(tokens[order].astype(np.float64), float(fraction))
    return keys[order][chosen]


def _shard_task(spec: dict[str, Any]) -> dict[str, Any]:
    """One shard: its buckets' documents in shuffle-key order, row groups by tokens."""
    work = WorkDir(spec["work"], compression=INTERMEDIATE_COMPRESSION)
    settings = spec["settings"]
    tables = [t for t in (work.read_partition(spec["step"], b) for b in spec["buckets"]) if t is not None and t.num_rows]
    if not tables:
        return {"documents": 0, "tokens": 0, "sources": {}}
    # One contiguous table first: take() on a many-chunk list column is about 3x slower.
    table = pa.concat_tables(tables).combine_chunks()
    table = table.take(pc.sort_indices(table["key"])).drop_columns(["key"])
    tokens = table["num_tokens"].to_numpy().astype(np.int64)
    mean = max(1.0, float(tokens.mean()))
    rows_per_group = max(1, int(settings["row_group_tokens"] / mean))
    _write_shard(spec["path"], table, rows_per_group, spec.get("owner_id"))
    by_source = {s: int(v) for s, v in zip(*_sum_by(table["source"], tokens))}
    return {"documents": table.num_rows, "tokens": int(tokens.sum()), "sources": by_source}


def _sum_by(labels: pa.ChunkedArray, values: np.ndarray) -> tuple[list[str], list[int]]:
    """Sum of ``values`` per distinct label (through the label column's dictionary)."""
    encoded = pc.dictionary_encode(labels).combine_chunks()
    sums = np.bincount(encoded.indices.to_numpy(), weights=values, minlength=len(encoded.dictionary))
    return encoded.dictionary.to_pylist(), list(sums.astype(np.int64))


def _write_shard(path: str, table: pa.Table, rows_per_group: int, owner_id: str | None = None) -> None:
    import pyarrow.parquet as pq

    fs, path = filesystem(path)
    directory, name = path.rsplit("/", 1)
    fs.makedirs(directory, exist_ok=True)
    tmp = f"{directory}/{tmp_name(name, owner_id)}"
    with fs.open(tmp, "wb") as f:
        # Dictionary-encoding only pays for ``source``; trying it on token ids costs ~20%.
        # zstd level 1: token ids compress within 2-4% of level 3, 20-30% faster.
        # Shards are not tagged with the output id (their bytes depend only on the input
        # and the seed); the manifest that lists them marks them as curate's.
        pq.write_table(table, f, compression="zstd", compression_level=1, row_group_size=rows_per_group,
                       use_dictionary=["source"])
    commit(fs, tmp, path)


class TokenizedOutputError(ValueError):
    """The output folder already holds a tokenized output (or files curate did not write)."""


def claim_tokenized_output(output: str, *, overwrite: bool = False, allow_other_files: bool = False) -> Ownership:
    """``curate tokenize``'s output folder: refused when it already holds a tokenized output
    and ``overwrite`` is not set, or holds files curate did not write (unless allowed)."""
    existing = Ownership.read(output)
    if existing is not None and not overwrite:
        fs, root = filesystem(output)
        if exists(fs, join(root, "manifest.json")) or exists(fs, join(root, "_curate", "tokenize", "commit.json")):
            raise TokenizedOutputError(f"{root} already holds a tokenized output; replace it (--overwrite; overwrite=True in Python) or write to another output")
    try:
        return Ownership.claim(output, allow_other_files=allow_other_files, kind="tokenized")
    except ForeignFilesError as exc:
        raise TokenizedOutputError(str(exc)) from None


def write_tokenized(
    sources: list[Source], output: str, settings: TokenizedSettings, runner: TaskRunner | None = None,
    pipeline: dict[str, Any] | None = None, owner: Ownership | None = None,
) -> dict[str, Any]:
    """Tokenize, mix, shuffle and shard ``sources`` into ``output``; return the manifest.

    ``owner`` is the output's ownership record (:func:`claim_tokenized_output`); without
    it the output is claimed here, and an earlier tokenized output curate wrote there is
    replaced.  What it does is logged to ``curate.tokenize``.
    """
    import fsspec

    runner = runner or LocalRunner()
    output = absolute(output)
    owner = owner or Ownership.claim(output, kind="tokenized")
    started = time.time()
    tokenizer = load_tokenizer(settings.tokenizer)
    if settings.add_bos and tokenizer.bos_id is None:
        raise ValueError(f"{tokenizer.name} has no BOS token; use --no-bos (add_bos: false)")
    if settings.add_eos and tokenizer.eos_id is None:
        raise ValueError(f"{tokenizer.name} has no EOS token; use --no-eos (add_eos: false)")
    fs, base = filesystem(output)
    fs.makedirs(base, exist_ok=True)
    work = WorkDir(join(base, "_curate", "tokenize"), compression=INTERMEDIATE_COMPRESSION)
    apply_commit(base, work, owner)  # a replacement a killed run left half-applied
    for step in ("buckets", "mixed", "selected", "staged"):
        work.remove(step)
    text_bytes = 0
    for source in sources:
        for path in source.files:
            text_bytes += fsspec.core.url_to_fs(path)[0].size(fsspec.core.url_to_fs(path)[1]) * 3  # parquet is ~3x compressed
    buckets = max(2 * runner.parallelism, math.ceil(text_bytes / CHARS_PER_TOKEN / max(settings.shard_tokens / 8, 1)))
    plain = {k: v for k, v in settings.__dict__.items()}
    specs = []
    for s_index, source in enumerate(sources):
        for f_index, path in enumerate(source.files):
            specs.append({"work": work.root, "settings": plain, "file": path, "index": f_index, "source": source.name,
                          "source_index": s_index, "buckets": buckets})
    emit(log, "tokenize", f"{len(specs)} files from {len(sources)} sources into {buckets} shuffle buckets ...")
    results = runner.map(_tokenize_task, specs)
    natural: dict[str, int] = {s.name: 0 for s in sources}
    bucket_tokens = np.zeros((len(sources), buckets), np.int64)
    documents: dict[str, int] = {s.name: 0 for s in sources}
    for spec, result in zip(specs, results):
        natural[spec["source"]] += result["tokens"]
        documents[spec["source"]] += result["documents"]
        bucket_tokens[spec["source_index"]] += np.asarray(result["tokens_per_bucket"], np.int64)
    rates = mixture_rates(sources, natural, settings.total_tokens)
    warnings = repeat_warnings(rates, natural, documents, settings.max_repeats_warning)
    for warning in warnings:
        emit(log, "warning", warning, logging.WARNING)
    tracked: list[str] = []
    if any(rate != 1.0 for rate in rates.values()):
        emit(log, "tokenize", f"sampling the sources at rates {', '.join(f'{k} {v:.3f}' for k, v in rates.items())} ...")
        tracked = _select_tracked(work, sources, rates, documents, buckets, settings)
        rate_column = np.array([rates[s.name] for s in sources])[:, None]
        expected = (bucket_tokens * rate_column).sum(axis=0)  # tokens per bucket after sampling
        shard_count = max(1, math.ceil(float(expected.sum()) / settings.shard_tokens))
        sample_specs = [
            {"work": work.root, "settings": plain, "group": g, "buckets": group, "rates": rates, "shards": shard_count,
             "tracked": tracked}
            for g, group in enumerate(_group_buckets(expected, settings.shard_tokens))
        ]
        runner.map(_sample_task, sample_specs)
        step, groups = "mixed", [[n] for n in range(shard_count)]
    else:
        step, groups = "buckets", _group_buckets(bucket_tokens.sum(axis=0), settings.shard_tokens)
    shard_specs = []
    for n, group in enumerate(groups):
        name = f"shard-{n:05d}.parquet"
        shard_specs.append({"work": work.root, "settings": plain, "buckets": group, "step": step,
                            "name": name, "path": work.path("staged", name), "owner_id": owner.output_id})
    emit(log, "tokenize", f"writing {len(shard_specs)} shards ...")
    shard_results = runner.map(_shard_task, shard_specs)
    shards = []
    by_source: dict[str, int] = {s.name: 0 for s in sources}
    for spec, result in zip(shard_specs, shard_results):
        if result["documents"] == 0:
            continue
        shards.append({"path": f"tokens/{spec['name']}", "documents": result["documents"], "tokens": result["tokens"], "sources": result["sources"]})
        for name, value in result["sources"].items():
            by_source[name] = by_source.get(name, 0) + value
    total = sum(s["tokens"] for s in shards)
    manifest = {
        "format": FORMAT,
        "tokenizer": {**tokenizer.info(), "spec": settings.tokenizer},
        "dtype": str(token_dtype(tokenizer.vocab_size)),
        "add_bos": (tokenizer.bos_id is not None) if settings.add_bos is None else settings.add_bos,
        "add_eos": settings.add_eos,
        "shards": shards,
        "totals": {"documents": sum(s["documents"] for s in shards), "tokens": total, "by_source": by_source},
        "mixture": {
            "sources": {
                s.name: {
                    "files": len(s.files), "documents": documents[s.name], "tokens": natural[s.name],
                    "weight": s.weight, "rate": round(rates[s.name], 6),
                    "repeated": round(rates[s.name], 6) if rates[s.name] > 1.0 else None,
                    "sampling": "tracked" if s.name in tracked else "draw" if rates[s.name] % 1.0 else "whole",
                    "achieved": round(by_source.get(s.name, 0) / total, 6) if total else 0.0,
                }
                for s in sources
            },
            "total_tokens_requested": settings.total_tokens,
        },
        "warnings": warnings,
        "seed": settings.seed,
        "shard_tokens": settings.shard_tokens,
        "settings": {**plain, "sources": [{"name": s.name, "files": s.files, "weight": s.weight} for s in sources]},
        "pipeline": pipeline,
        "curate_version": __version__,
        "seconds": round(time.time() - started, 3),
    }
    manifest[JSON_KEY] = owner.output_id
    work.write_json("commit.json", {"shards": [spec["name"] for spec in shard_specs], "manifest": manifest})
    apply_commit(base, work, owner)
    for step in ("buckets", "mixed", "selected"):
        work.remove(step)
    return manifest


def apply_commit(output: str, work: WorkDir, owner: Ownership) -> None:
    """Put a finished run's staged shards and manifest in place (see the module docstring).

    Idempotent: a run killed half-way through is finished by calling it again.
    """
    record = work.read_json("commit.json")
    if record is None:
        return
    fs, root = filesystem(output)
    tokens = join(root, "tokens")
    fs.makedirs(tokens, exist_ok=True)
    new = set(record["shards"])
    listed = listed_shards(fs, root, owner.output_id)
    for path in list_files(fs, tokens):
        name = path.rsplit("/", 1)[-1]
        mine = path in listed
        if name in new and not mine and exists(fs, work.path("staged", name)):
            raise TokenizedOutputError(f"{path} was not written by curate; move it away so the new shard can take its name")
        if name not in new and mine:
            fs.rm(path)  # a shard of the replaced output
    for name in record["shards"]:
        staged = work.path("staged", name)
        if exists(fs, staged):
            commit(fs, staged, join(tokens, name))
    write_manifest(root, record["manifest"], owner)
    work.remove("commit.json")
    work.remove("staged")


def write_manifest(output: str, manifest: dict[str, Any], owner: Ownership | None = None) -> None:
    """Replace ``output/manifest.json`` atomically (write, then rename)."""
    import json

    fs, base = filesystem(output)
    data = {**manifest, JSON_KEY: owner.output_id} if owner else manifest
    write_text_atomic(fs, join(base, "manifest.json"), json.dumps(data, indent=2), owner.output_id if owner else None)


def mixture_rates(sources: list[Source], natural: dict[str, int], total_tokens: int | None) -> dict[str, float]:
    """Sampling rate per source so that tokens follow the weights.

    Without weights every source is taken once (rate 1).  With weights, the total is
    ``total_tokens`` when given, else the sum of the sources' tokens; a source with too
    few tokens for its share is repeated (rate above 1), one with more is sampled down.
    """
    if all(s.weight is None for s in sources):
        return {s.name: 1.0 for s in sources}
    if any(s.weight is None for s in sources):
        raise ValueError("give a weight to every source, or to none")
    weight_sum = sum(s.weight for s in sources)
    total = total_tokens or sum(natural.values())
    rates = {}
    for s in sources:
        have = natural[s.name]
        if have == 0:
            raise ValueError(f"source {s.name!r} has no tokens; it cannot make up {s.weight / weight_sum:.0%} of the mixture")
        rates[s.name] = (s.weight / weight_sum) * total / have
    return rates


def repeat_warnings(
    rates: dict[str, float], natural: dict[str, int], documents: dict[str, int], limit: float | None,
) -> list[str]:
    """One message per source whose rate repeats its documents more than ``limit`` times.

    A model trained on a source repeated many times mostly memorises it: give the source
    more data, a lower weight, or a smaller ``total_tokens``.
    """
    if limit is None:
        return []
    return [
        f"source {name!r} is repeated {rate:.1f} times on average (its {documents.get(name, 0):,} documents, "
        f"{natural.get(name, 0):,} tokens, are too few for its weight; max_repeats_warning is {limit:g})"
        for name, rate in rates.items()
        if rate > limit
    ]


def _group_buckets(tokens: np.ndarray, shard_tokens: int) -> list[list[int]]:
    """Consecutive buckets in groups of about ``shard_tokens`` tokens."""
    groups: list[list[int]] = [[]]
    filled = 0.0
    for bucket, value in enumerate(tokens):
        if groups[-1] and filled + value > shard_tokens * 1.1:
            groups.append([])
            filled = 0.0
        groups[-1].append(bucket)
        filled += float(value)
    return [g for g in groups if g]
