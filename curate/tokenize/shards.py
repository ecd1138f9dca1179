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

The tasks of steps 1 and 2 are in :mod:`curate.tokenize.bucket_tasks`, the mixing
arithmetic in :mod:`curate.tokenize.sampling`; this module runs the steps, writes the
shards and commits the output.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate import __version__
from curate.events import emit, get_logger
from curate.execution.tasks import LocalRunner, TaskRunner
from curate.execution.workdir import WorkDir
from curate.loader.format import FORMAT
from curate.ownership import JSON_KEY, ForeignFilesError, Ownership, listed_shards
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
from curate.tokenize.bucket_tasks import INTERMEDIATE_COMPRESSION, sample_task, tokenize_task
from curate.tokenize.sampling import group_buckets, mixture_rates, repeat_warnings, select_tracked
from curate.tokenize.settings import Source, TokenizedSettings
from curate.tokenize.tokenizer import load_tokenizer, token_dtype

log = get_logger("tokenize")

CHARS_PER_TOKEN = 4.0


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
    specs: list[dict[str, Any]] = []
    for s_index, source in enumerate(sources):
        for f_index, path in enumerate(source.files):
            specs.append({"work": work.root, "settings": plain, "file": path, "index": f_index, "source": source.name,
                          "source_index": s_index, "buckets": buckets})
    emit(log, "tokenize", f"{len(specs)} files from {len(sources)} sources into {buckets} shuffle buckets ...")
    results = runner.map(tokenize_task, specs)
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
        tracked = select_tracked(work, sources, rates, documents, buckets, settings)
        rate_column = np.array([rates[s.name] for s in sources])[:, None]
        expected = (bucket_tokens * rate_column).sum(axis=0)  # tokens per bucket after sampling
        shard_count = max(1, math.ceil(float(expected.sum()) / settings.shard_tokens))
        sample_specs: list[dict[str, Any]] = [
            {"work": work.root, "settings": plain, "group": g, "buckets": group, "rates": rates, "shards": shard_count,
             "tracked": tracked}
            for g, group in enumerate(group_buckets(expected, settings.shard_tokens))
        ]
        runner.map(sample_task, sample_specs)
        step, groups = "mixed", [[n] for n in range(shard_count)]
    else:
        step, groups = "buckets", group_buckets(bucket_tokens.sum(axis=0), settings.shard_tokens)
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
