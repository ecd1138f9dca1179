"""JSON Lines and Parquet text-dataset readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.readers.base import READ_STAGE, InputFile, Reader, ReadReport
from curate.schema import DROPPED_BY, ID, INTERNAL_COLUMNS, REASON, ROW, SOURCE, TEXT, URL


def _id_column(ids: pa.Array | None, input_key: str, first_line: int, n: int) -> pa.Array:
    """Ids from the data when present, else ``<input key>:<line number>``."""
    derived = pa.array([f"{input_key}:{first_line + i}" for i in range(n)], pa.string())
    if ids is None:
        return derived
    return pc.coalesce(ids.cast(pa.string()), derived)


class JsonlReader(Reader):
    """Read JSON Lines (``.jsonl``, ``.json``, ``.ndjson``; gzip/zstd/bz2 compressed).

    ``text_field`` becomes ``text``; ``id_field`` and ``url_field`` become ``id`` and
    ``url`` (a missing id is derived from the input and the line number, so it is stable).
    ``fields`` lists further top-level fields to keep (``["*"]``: all of them), with
    their values as strings unless they are numbers or booleans.  A malformed line is emitted as a rejected row
    (``malformed_json``) and the read goes on.
    """

    extensions: ClassVar[tuple[str, ...]] = (
        ".jsonl",
        ".jsonl.gz",
        ".jsonl.zst",
        ".jsonl.bz2",
        ".json.gz",
        ".json",
        ".ndjson",
        ".ndjson.gz",
    )

    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    fields: list[str] | None = None
    chunk_bytes: int = 16 << 20

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        import fsspec

        line_no = 0
        try:
            with fsspec.open(source.path, "rb", compression="infer", **(self.storage_options or {})) as f:
                pending: list[bytes] = []
                pending_bytes = 0
                for line in f:
                    pending.append(line)
                    pending_bytes += len(line)
                    if len(pending) >= self.batch_rows or pending_bytes >= self.chunk_bytes:
                        yield self._parse(pending, source, report, line_no)
                        line_no += len(pending)
                        pending, pending_bytes = [], 0
                if pending:
                    yield self._parse(pending, source, report, line_no)
                    line_no += len(pending)
        except (OSError, EOFError, ValueError) as exc:
            report.damaged = f"unreadable after line {line_no}: {type(exc).__name__}: {exc}"

    def _parse(self, lines: list[bytes], source: InputFile, report: ReadReport, first: int) -> pa.Table:
        parsed = []
        for line in lines:
            stripped = line.strip()
            try:
                record = json.loads(stripped) if stripped else None
            except (ValueError, UnicodeDecodeError):
                record = ValueError
            parsed.append((line, stripped, record))
        if self.fields == ["*"]:
            reserved = {self.text_field, self.id_field, self.url_field, ID, TEXT, URL, SOURCE, *INTERNAL_COLUMNS}
            keep = list(dict.fromkeys(k for _, _, r in parsed if isinstance(r, dict) for k in r if k not in reserved))
        else:
            keep = self.fields or []
        rows: dict[str, list[Any]] = {ID: [], TEXT: [], URL: [], REASON: [], **{k: [] for k in keep}}
        for line, stripped, record in parsed:
            report.records += 1
            report.bytes_read += len(line)
            reason = None
            if not stripped:
                reason = "empty_line"
            elif record is ValueError or not isinstance(record, dict):
                reason, record = "malformed_json", None
            if record is None:
                record = {}
            text = record.get(self.text_field)
            if reason is None and not isinstance(text, str):
                reason = "missing_text"
                text = None
            rows[ID].append(None if record.get(self.id_field) is None else str(record.get(self.id_field)))
            rows[TEXT].append(text)
            rows[URL].append(_url_of(record, self.url_field))
            rows[REASON].append(reason)
            for key in keep:
                value = record.get(key)
                rows[key].append(value if isinstance(value, (int, float, bool)) or value is None else (value if isinstance(value, str) else json.dumps(value)))
            if reason:
                report.skip(reason)
        n = len(lines)
        report.rows += n
        reasons = pa.array(rows[REASON], pa.string())
        columns = {
            ID: _id_column(pa.array(rows[ID], pa.string()), source.key, first, n),
            TEXT: pa.array(rows[TEXT], pa.large_string()),
            URL: pa.array(rows[URL], pa.string()),
            SOURCE: pa.array([source.path] * n, pa.string()),
        }
        for key in keep:
            try:
                columns[key] = pa.array(rows[key])
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # mixed types: keep them as text
                columns[key] = pa.array([None if v is None else str(v) for v in rows[key]], pa.string())
        columns[DROPPED_BY] = pc.if_else(pc.is_valid(reasons), READ_STAGE, pa.scalar(None, pa.string()))
        columns[REASON] = reasons
        return pa.table(columns)


def _url_of(record: dict[str, Any], field: str) -> str | None:
    value = record.get(field)
    if value is None and isinstance(record.get("metadata"), dict):
        value = record["metadata"].get(field)
    return None if value is None else str(value)


class ParquetReader(Reader):
    """Read Parquet text datasets, one row group batch at a time (memory bounded).

    ``text_field`` becomes ``text``; ``id_field``/``url_field`` become ``id``/``url``
    (ids derived from the input and row number when absent); ``fields`` lists further
    columns to keep as they are (``["*"]``: every column).  Each row also carries its
    position in the file (``_row``), which global stages use to find it again.
    """

    extensions: ClassVar[tuple[str, ...]] = (".parquet", ".pq")

    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    fields: list[str] | None = None

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        import pyarrow.parquet as pq

        row = 0
        try:
            handle = source.open(self.storage_options)
            parquet = pq.ParquetFile(handle)
            names = set(parquet.schema_arrow.names)
            if self.text_field not in names:
                raise ValueError(f"no column {self.text_field!r} (columns: {sorted(names)}); set text_field")
            extra = [c for c in parquet.schema_arrow.names if c not in (self.text_field, self.id_field, self.url_field)] if self.fields == ["*"] else (self.fields or [])
            extra = [c for c in extra if c not in (ID, TEXT, URL, SOURCE, *INTERNAL_COLUMNS)]
            wanted = [c for c in parquet.schema_arrow.names if c in {self.text_field, self.id_field, self.url_field, SOURCE, *extra}]
            for batch in parquet.iter_batches(batch_size=self.batch_rows, columns=wanted):
                n = batch.num_rows
                report.records += n
                report.rows += n
                report.bytes_read += batch.nbytes
                text = batch.column(self.text_field).cast(pa.large_string())
                missing = pc.is_null(text)
                reasons = pc.if_else(missing, "missing_text", pa.scalar(None, pa.string()))
                columns: dict[str, Any] = {
                    ID: _id_column(batch.column(self.id_field) if self.id_field in names else None, source.key, row, n),
                    TEXT: text,
                    URL: batch.column(self.url_field).cast(pa.string()) if self.url_field in names else pa.nulls(n, pa.string()),
                    # A curate output (or a dataset) that names each row's source keeps it.
                    SOURCE: batch.column(SOURCE).cast(pa.string()) if SOURCE in names else pa.array([source.path] * n, pa.string()),
                }
                for key in extra:
                    if key in names:
                        columns[key] = batch.column(key)
                columns[DROPPED_BY] = pc.if_else(missing, READ_STAGE, pa.scalar(None, pa.string()))
                columns[REASON] = reasons
                columns[ROW] = pa.array(np.arange(row, row + n, dtype=np.int64))
                n_missing = pc.sum(missing).as_py() or 0
                if n_missing:
                    report.skipped["missing_text"] = report.skipped.get("missing_text", 0) + n_missing
                row += n
                yield pa.table(columns)
            handle.close()
        except (OSError, ValueError, pa.ArrowException) as exc:
            report.damaged = f"unreadable after row {row}: {type(exc).__name__}: {exc}"

