"""Benchmarks to keep out of the training data: where they are and which fields hold text.

A benchmark is given as a dict (YAML) or a string (the command line):

- ``{name: mmlu, path: evals/mmlu.jsonl, fields: [question, choices, answer]}``: JSONL
  (also ``.jsonl.gz`` / ``.json``) or Parquet files: a file, a directory, a glob or any
  fsspec URL;
- ``{name: hellaswag, dataset: Rowan/hellaswag, split: validation, fields: [ctx, endings]}``:
  a Hugging Face ``datasets`` dataset: a Hub name (needs the network), a folder written by
  ``Dataset.save_to_disk``, or a local dataset script / data folder; ``config`` picks a
  configuration;
- ``"mmlu=evals/mmlu.jsonl#question,choices,answer"`` or
  ``"hellaswag=hf:Rowan/hellaswag@validation#ctx,endings"`` (``hf:NAME[/CONFIG]@SPLIT``).

Each record becomes one *item*: the values of its ``fields`` (all string fields when none
are given), lists flattened, joined by newlines.  ``id_field`` names an id column; items
are otherwise named by their position.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from curate.storage import filesystem, url_of


class BenchmarkError(ValueError):
    """A benchmark cannot be read or holds no items; the message names it and what to do."""


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: a name, where it is, and which fields hold its text."""

    name: str
    path: str | None = None
    dataset: str | None = None
    config: str | None = None
    split: str = "test"
    fields: tuple[str, ...] = ()
    id_field: str | None = None
    storage_options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @staticmethod
    def parse(spec: Any) -> Benchmark:
        """A :class:`Benchmark` from a dict or a ``NAME=SOURCE#FIELDS`` string."""
        if isinstance(spec, Benchmark):
            return spec
        if isinstance(spec, str):
            return Benchmark._from_string(spec)
        if not isinstance(spec, dict):
            raise BenchmarkError(f"a benchmark is a mapping (name, path or dataset, fields) or NAME=PATH#FIELDS, not {spec!r}")
        known = {"name", "path", "dataset", "config", "split", "fields", "id_field", "storage_options"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise BenchmarkError(f"benchmark {spec.get('name', spec)!r}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if bool(spec.get("path")) == bool(spec.get("dataset")):
            raise BenchmarkError(f"benchmark {spec.get('name', spec)!r}: give exactly one of path (JSONL/Parquet files) or dataset (Hugging Face datasets)")
        fields = spec.get("fields") or ()
        if isinstance(fields, str):
            fields = tuple(f.strip() for f in fields.split(",") if f.strip())
        source = str(spec.get("path") or spec.get("dataset"))
        name = spec.get("name") or source.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
        return Benchmark(name=str(name), path=spec.get("path"), dataset=spec.get("dataset"), config=spec.get("config"),
                         split=str(spec.get("split") or "test"), fields=tuple(str(f) for f in fields),
                         id_field=spec.get("id_field"), storage_options=dict(spec.get("storage_options") or {}))

    @staticmethod
    def _from_string(spec: str) -> Benchmark:
        name = None
        rest = spec
        head, sep, tail = spec.partition("=")
        if sep and "/" not in head and ":" not in head:
            name, rest = head, tail
        source, _, fields_text = rest.partition("#")
        fields = [f.strip() for f in fields_text.split(",") if f.strip()]
        if source.startswith("hf:"):
            dataset, _, split = source[3:].partition("@")
            config = None
            parts = dataset.split("/")
            if len(parts) == 3:  # owner/name/config
                dataset, config = "/".join(parts[:2]), parts[2]
            return Benchmark.parse({"name": name, "dataset": dataset, "config": config, "split": split or "test", "fields": fields})
        return Benchmark.parse({"name": name, "path": source, "fields": fields})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.path:
            out["path"] = self.path
        else:
            out.update({"dataset": self.dataset, "config": self.config, "split": self.split})
        out["fields"] = list(self.fields)
        if self.id_field:
            out["id_field"] = self.id_field
        return out

    # -- reading ---------------------------------------------------------------------------
    def files(self) -> list[str]:
        """The benchmark's files (``path`` expanded: a file, a directory's JSONL / Parquet
        files, or a glob), sorted; a one-line BenchmarkError when there is none."""
        assert self.path is not None
        fs, root = filesystem(self.path, self.storage_options)
        if any(c in root for c in "*?["):
            found = sorted(fs.glob(root))
        elif fs.isdir(root):
            found = sorted(p for p in fs.find(root) if _is_data_file(p))
        elif fs.exists(root):
            found = [root]
        else:
            raise BenchmarkError(f"benchmark {self.name}: {self.path} does not exist")
        found = [p for p in found if _is_data_file(p)]
        if not found:
            raise BenchmarkError(f"benchmark {self.name}: no .jsonl, .json or .parquet file at {self.path}")
        return [url_of(fs, p) for p in found]

    def tables(self) -> Iterator[pa.Table]:
        """The benchmark's records as Arrow tables (file by file, or the dataset split)."""
        if self.dataset:
            yield _dataset_table(self)
            return
        for path in self.files():
            fs, local = filesystem(path, self.storage_options)
            try:
                with fs.open(local, "rb", compression="infer") as f:
                    if local.endswith(".parquet"):
                        import pyarrow.parquet as pq

                        yield pq.read_table(f)
                    else:
                        yield _json_table(f.read(), path)
            except BenchmarkError:
                raise
            except Exception as exc:  # unreadable: name the file
                raise BenchmarkError(f"benchmark {self.name}: cannot read {path}: {exc}") from None

    def items(self) -> tuple[list[str], list[str]]:
        """``(item ids, item texts)``: one per record with any text in ``fields``."""
        ids: list[str] = []
        texts: list[str] = []
        position = 0
        for table in self.tables():
            if table.num_rows == 0:
                continue
            columns = list(self.fields) or [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
            missing = [c for c in columns if c not in table.column_names]
            if missing:
                raise BenchmarkError(f"benchmark {self.name}: field(s) {', '.join(missing)} not in its records "
                                     f"(they have: {', '.join(table.column_names)})")
            if not columns:
                raise BenchmarkError(f"benchmark {self.name}: no text field; name them with fields: [...]")
            rows = table.select(columns).to_pylist()
            id_values = table[self.id_field].to_pylist() if self.id_field and self.id_field in table.column_names else None
            for i, row in enumerate(rows):
                text = "\n".join(_strings([row[c] for c in columns]))
                if text.strip():
                    ids.append(str(id_values[i]) if id_values is not None else str(position + i))
                    texts.append(text)
            position += len(rows)
        if position == 0:
            raise BenchmarkError(f"benchmark {self.name}: {self.path or self.dataset} holds no records; an empty benchmark "
                                 "cannot decontaminate anything: check the file or leave the benchmark out")
        if not texts:
            raise BenchmarkError(f"benchmark {self.name}: no items with text in fields {', '.join(self.fields) or '(all string fields)'}; "
                                 "is it the right file and are the fields right?")
        return ids, texts

    def content_hash(self) -> str:
        """A hash of the benchmark's settings and bytes (the files, or the dataset's
        fingerprint), so that a saved index is reused only for the same benchmark."""
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode())
        if self.path:
            for path in self.files():
                fs, local = filesystem(path, self.storage_options)
                digest.update(path.encode())
                with fs.open(local, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
        else:
            digest.update(str(getattr(_load_dataset(self), "_fingerprint", "")).encode())
        return digest.hexdigest()[:16]


def _is_data_file(path: str) -> bool:
    name = path.lower()
    return name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".parquet", ".jsonl.zst"))


def _json_table(data: bytes, path: str) -> pa.Table:
    """JSON Lines, or one JSON array / object of records."""
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return pa.table({})
    try:
        if text[0] == "[":
            records = json.loads(text)
        else:
            # JSON Lines are split on "\n" only: str.splitlines would also split inside strings
            # holding U+2028, U+0085 and the like (json.dumps(ensure_ascii=False) leaves them raw)
            records = [json.loads(line) for line in text.split("\n") if line.strip()]
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"{path}: not JSON Lines ({exc}); benchmarks are .jsonl, .json or .parquet") from None
    if isinstance(records, dict):
        records = [records]
    return pa.Table.from_pylist([r if isinstance(r, dict) else {"text": r} for r in records])


def _strings(values: list[Any]) -> list[str]:
    """Text of field values: strings as they are, numbers as text, lists and dicts flattened."""
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            out.extend(_strings(list(value.values())))
        elif isinstance(value, (list, tuple)):
            out.extend(_strings(list(value)))
        else:
            out.append(str(value))
    return out


def _load_dataset(bench: Benchmark) -> Any:
    from curate.stage import require

    datasets = require("datasets", package="datasets")
    from pathlib import Path

    source = bench.dataset or ""
    try:
        if Path(source).is_dir() and (Path(source) / "dataset_info.json").exists():
            return datasets.load_from_disk(source)
        if Path(source).is_dir() and (Path(source) / "dataset_dict.json").exists():
            return datasets.load_from_disk(source)[bench.split]
        return datasets.load_dataset(source, bench.config, split=bench.split)
    except Exception as exc:
        raise BenchmarkError(f"benchmark {bench.name}: cannot load dataset {source!r} (split {bench.split}): {exc}") from None


def _dataset_table(bench: Benchmark) -> pa.Table:
    data = _load_dataset(bench)
    table = data.data.table if hasattr(data, "data") else data.with_format("arrow")[:]
    return pa.table(table)


def parse_benchmarks(specs: list[Any] | None) -> list[Benchmark]:
    """Benchmarks from settings; names must be unique."""
    out = [Benchmark.parse(s) for s in specs or []]
    names = [b.name for b in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BenchmarkError(f"benchmark names must be unique: {', '.join(duplicates)} given twice; set name: for each")
    return out


__all__ = ["Benchmark", "BenchmarkError", "parse_benchmarks"]
