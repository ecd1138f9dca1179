"""The output directory: Parquet parts, rejects, resume state, statistics and manifest.

Layout of ``DIR``::

    data/part-<input key>-<id>.parquet      kept documents (zstd)
    rejects/part-<input key>-<id>.parquet   dropped rows, with dropped_by and reason
    stats.json                              per-stage rows in/out, drops by reason, time
    manifest.json                           every file with its row count, totals, config
    _curate/inputs/<input key>.json         what the reader saw in each finished input

Every file is written under a temporary name and renamed into place, so a killed run never
leaves a file that looks complete.  An input is complete when the reader's report exists
and the rows in its parts add up to the rows the reader emitted; resume redoes the rest.

One schema per folder
---------------------
``data/`` and ``rejects/`` are each one Parquet dataset: every part file of a run has the
same columns, in the same order, with the same types, so pyarrow.dataset, polars, DuckDB
(without ``union_by_name``) and Hugging Face ``datasets`` read either folder as one table.
The schemas come from the pipeline plan (:func:`plan_schemas`), computed once per run on
the driver: an empty batch with the reader's columns goes through every stage (global
stages through their per-batch ``decide``), which makes each stage add its columns with
their types without loading a model or reading a document.  The writer then conforms
every part to the planned schema (:func:`conform`): a column the batch lacks (a stage that
saw no live row in that batch, a later phase's ``duplicate_of`` or scores for a row
dropped earlier) is written as nulls, a column that is all-null in a batch gets the
planned type, and columns come in the planned order.

Score columns stay flat, one nullable column each (``gopher_word_count``,
``language_score``, ``duplicate_of``, ...), rather than gathered into one struct: flat
columns are what every reader filters and projects best, and a row a stage never scored
simply holds null there.  ``rejects: full`` has every planned column (less ``payload``
and the internal bookkeeping columns) with ``dropped_by`` and ``reason``;
``rejects: minimal`` has exactly ``id, url, source, dropped_by, reason`` plus
``duplicate_of`` when a deduplication stage of the pipeline names kept documents
(``minhash_dedup``, ``exact_dedup``).

The caller (curate.run) sets the schemas on the :class:`OutputLayout` (``data_schema``,
``rejects_schema``) before any executor runs; a layout without them is written as is.

Limits: columns whose type only the data decides (JSONL/Parquet reader ``fields``, a
stage that fails on an empty batch without its model, such as ``tokenize``) are not in
the plan; they are appended after the planned columns as they come (all-null ones as
strings), and a value that cannot be cast to its planned type is written with its own
type.  With such a stage in the pipeline ``data/`` is not conformed at all.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.config import OutputConfig
from curate.ownership import JSON_KEY, PARQUET_KEY, TMP_PREFIX, tagged, tmp_name
from curate.readers.base import ReadReport
from curate.schema import (
    DROPPED_BY,
    ID,
    INPUT_KEY,
    INTERNAL_COLUMNS,
    ORDER_COLUMNS,
    ORIGIN,
    PAYLOAD,
    REASON,
    REJECT_DROPPED_BY,
    REJECT_ONLY_COLUMNS,
    REJECT_REASON,
    ROW,
    SOURCE,
    TEXT,
    URL,
)
from curate.storage import Folder, commit, list_files, parquet_file, write_text_atomic

PART_NAME = re.compile(r"^part-(?P<key>.+)-(?P<uid>[0-9a-f]{12})\.parquet$")


@dataclass
class OutputLayout(Folder):
    """Paths inside an output directory (local path or fsspec URL)."""

    # A phase of a pipeline with global stages writes its rejects to the final output's
    # rejects folder directly.
    rejects_root: str | None = None
    # An intermediate phase's output keeps each row's origin (see schema.ORIGIN).
    intermediate: bool = False
    # The output id (curate.ownership): written into every Parquet footer, JSON file and
    # temporary name, so that curate later deletes and counts only what it wrote.
    owner_id: str | None = None
    # The run's schemas (see plan_schemas): every part written to data/ (rejects/) is
    # conformed to it.  Set once per run by the caller; every phase of a pipeline with
    # global stages carries the same rejects_schema, as all write to one rejects folder.
    data_schema: pa.Schema | None = None
    rejects_schema: pa.Schema | None = None

    @property
    def data_dir(self) -> str:
        return self.path("data")

    @property
    def rejects_dir(self) -> str:
        return self.rejects_root or self.path("rejects")

    @property
    def state_dir(self) -> str:
        return self.path("_curate", "inputs")

    def makedirs(self) -> None:
        for d in (self.data_dir, self.rejects_dir, self.state_dir):
            self.fs.makedirs(d, exist_ok=True)

    def exists(self) -> bool:
        return self.fs.exists(self.base)

    def has_output(self) -> bool:
        return any(self.fs.exists(p) for p in (self.data_dir, self.rejects_dir, self.state_dir))

    # -- atomic writes ----------------------------------------------------------------------
    def write_text(self, final: str, text: str) -> None:
        write_text_atomic(self.fs, final, text, self.owner_id)

    def write_json(self, final: str, data: Any) -> None:
        if self.owner_id and isinstance(data, dict):
            data = {**data, JSON_KEY: self.owner_id}
        self.write_text(final, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")

    def read_json(self, path: str) -> Any:
        with self.fs.open(path, "r") as f:
            return json.load(f)

    def read_json_file(self, name: str) -> Any | None:
        """The output's JSON file ``name`` (``stats.json``, ``manifest.json``), or None when
        it is absent."""
        path = self.path(name)
        return self.read_json(path) if self.fs.exists(path) else None

    def read_folder(self, directory: str, columns: list[str], ids: pa.Array | None = None) -> pa.Table | None:
        """``columns`` (those present) of every part file in ``directory``, row group by row
        group; with ``ids``, only the rows whose ``id`` is one of them, the other columns read
        only from the row groups that hold one.  None when the folder has no part files."""
        tables = []
        for path in self.part_files(directory):
            pf = parquet_file(self.fs, path)
            present = [c for c in columns if c in pf.schema_arrow.names]
            for i in range(pf.num_row_groups):
                if ids is None:
                    tables.append(pf.read_row_group(i, columns=present, use_threads=False))
                    continue
                mask = pc.is_in(pf.read_row_group(i, columns=[ID], use_threads=False)[ID].cast(pa.string()),
                                value_set=ids)
                if pc.any(mask).as_py():
                    tables.append(pf.read_row_group(i, columns=present, use_threads=False).filter(mask))
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="permissive")

    def write_parquet(self, directory: str, name: str, table: pa.Table, config: OutputConfig,
                      metadata: dict[bytes, bytes] | None = None) -> str:
        """Write ``table`` as ``directory/name`` atomically, tagged with the output id and
        ``metadata`` in its footer."""
        final = f"{directory}/{name}"
        tmp = f"{directory}/{tmp_name(name, self.owner_id)}"
        table = tagged(table, self.owner_id)
        if metadata:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
        with self.fs.open(tmp, "wb") as f:
            pq.write_table(
                table,
                f,
                compression=config.compression,
                compression_level=config.compression_level,
                row_group_size=config.row_group_rows,
            )
        commit(self.fs, tmp, final)
        return final

    # -- listing ----------------------------------------------------------------------------
    def part_files(self, directory: str) -> list[str]:
        return [p for p in list_files(self.fs, directory) if PART_NAME.match(p.rsplit("/", 1)[-1])]

    def owned_part_files(self, directory: str) -> list[str]:
        """The part files in ``directory`` written for this output (footer id checked)."""
        from curate.ownership import parquet_owner

        parts = self.part_files(directory)
        if not self.owner_id:
            return parts
        return [p for p in parts if parquet_owner(self.fs, p) == self.owner_id]

    def tmp_files(self) -> list[str]:
        """Temporary files a killed run of this output left behind (never a user's file)."""
        prefix = f"{TMP_PREFIX}{self.owner_id}-" if self.owner_id else TMP_PREFIX
        found = []
        for d in (self.data_dir, self.rejects_dir, self.state_dir, self.path("_curate"), self.base):
            found += [p for p in list_files(self.fs, d) if p.rsplit("/", 1)[-1].startswith(prefix)]
        return found

    def report_path(self, key: str) -> str:
        return f"{self.state_dir}/{key}.json"


def part_key(path: str) -> str | None:
    match = PART_NAME.match(path.rsplit("/", 1)[-1])
    return match.group("key") if match else None


def _data_table(table: pa.Table, intermediate: bool = False) -> pa.Table:
    if intermediate and ORIGIN not in table.column_names and INPUT_KEY in table.column_names:
        table = table.append_column(ORIGIN, table[INPUT_KEY])
    order = () if intermediate else ORDER_COLUMNS
    drop = [c for c in (*INTERNAL_COLUMNS, PAYLOAD, *REJECT_ONLY_COLUMNS, *order) if c in table.column_names]
    return table.drop_columns(drop)


def _rejects_table(table: pa.Table, mode: str) -> pa.Table:
    table = table.rename_columns(
        [REJECT_DROPPED_BY if c == DROPPED_BY else REJECT_REASON if c == REASON else c for c in table.column_names]
    )
    drop = [c for c in (INPUT_KEY, ROW, PAYLOAD, *ORDER_COLUMNS) if c in table.column_names]
    table = table.drop_columns(drop)
    if mode == "minimal":
        keep = [c for c in (ID, URL, SOURCE, REJECT_DROPPED_BY, REJECT_REASON, *REJECT_ONLY_COLUMNS) if c in table.column_names]
        table = table.select(keep)
    return table


def _normalise_types(table: pa.Table) -> pa.Table:
    """Give columns that are all-null (type ``null``) a concrete type for Parquet readers."""
    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type):
            target = pa.large_string() if f.name == TEXT else pa.string()
            table = table.set_column(i, f.name, pa.nulls(table.num_rows, target))
    return table


def conform(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """``table`` with the columns of ``schema``, in its order and with its types.

    Missing columns become nulls; columns not in ``schema`` follow the planned ones (see
    the module docstring's limits); a column that cannot be cast keeps its own type.
    """
    if schema is None:
        return table
    n = table.num_rows
    names, arrays = [], []
    for f in schema:
        if f.name in table.column_names:
            column = table[f.name]
            if column.type != f.type:
                try:
                    column = column.cast(f.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    pass
        else:
            column = pa.nulls(n, f.type)
        names.append(f.name)
        arrays.append(column)
    planned = set(schema.names)
    for name in table.column_names:
        if name not in planned:
            names.append(name)
            arrays.append(table[name])
    return pa.Table.from_arrays(arrays, names=names, metadata=table.schema.metadata)


def _reader_schemas(reader: Any, paths: Iterable[str]) -> list[pa.Schema]:
    """The columns the reader is known to emit (readers with a fixed schema)."""
    from curate.readers import FormatDispatchReader, reader_format_for

    if isinstance(reader, FormatDispatchReader):
        formats = dict.fromkeys(f for f in (reader_format_for(p) for p in paths) if f is not None)
        probe = copy.copy(reader)  # its reader cache stays off the reader that is shipped
        probe.__dict__.pop("_readers", None)
        return [s for fmt in formats for s in _reader_schemas(probe._reader_for(fmt), ())]
    schema = reader.output_schema()
    return [schema] if schema is not None else []


# Every reader emits these (see curate.schema).
CORE_SCHEMA = pa.schema([(ID, pa.string()), (TEXT, pa.large_string()), (URL, pa.string()), (SOURCE, pa.string())])


def probe_stage(stage: Any, table: pa.Table) -> tuple[pa.Table, bool]:
    """What ``stage`` makes of an empty batch (the columns it adds, with their types), and
    whether it could tell.

    Runs on a shallow copy, so what a stage loads lazily stays off the driver's stage."""
    from curate.stage import ensure_drop_columns

    try:
        out = copy.copy(stage).probe(table)
    except Exception:  # a stage that needs real rows (or its model): its columns stay data-defined
        return table, False
    if not isinstance(out, pa.Table):
        return table, False
    return ensure_drop_columns(out), True


def plan_schemas(
    stages: Iterable[Any], reader: Any = None, paths: Iterable[str] = (), rejects: str = "full"
) -> tuple[pa.Schema | None, pa.Schema]:
    """The schemas of ``data/`` and ``rejects/`` for a run of ``stages`` (every stage of
    the pipeline, global ones included, in order) over inputs read by ``reader``.

    An empty batch goes through every stage (no ``setup()``: no model is loaded), so each
    stage adds its columns as it would for real rows.  ``paths`` (the run's inputs) pick
    the readers of ``format: auto``.  Every field is nullable.

    The data schema is None when a stage cannot be probed (it needs its model, as
    ``tokenize`` does): such a stage may remove columns, and kept rows, which passed every
    stage, then keep the columns they come with.
    """
    fields: dict[str, pa.Field] = {}
    for schema in [*_reader_schemas(reader, list(paths)), CORE_SCHEMA]:
        for f in schema:
            fields.setdefault(f.name, f)
    table = pa.schema(list(fields.values())).empty_table()
    probed = True
    for stage in stages:
        table, ok = probe_stage(stage, table)
        probed = probed and ok
    if DROPPED_BY not in table.column_names:
        from curate.stage import ensure_drop_columns

        table = ensure_drop_columns(table)
    data = _normalise_types(_data_table(table))
    rejected = _normalise_types(_rejects_table(table, rejects))
    return (_nullable(data.schema) if probed else None), _nullable(rejected.schema)


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema])


def write_parts(layout: OutputLayout, table: pa.Table, config: OutputConfig) -> list[dict[str, Any]]:
    """Write one batch: split by input, then kept vs rejected; returns the files written."""
    written: list[dict[str, Any]] = []
    if table.num_rows == 0:
        return written
    keys = pc.unique(table[INPUT_KEY]).to_pylist()
    for key in keys:
        part = table.filter(pc.equal(table[INPUT_KEY], key)) if len(keys) > 1 else table
        if DROPPED_BY in part.column_names:
            dropped = pc.is_valid(part[DROPPED_BY])
            kept, rejected = part.filter(pc.invert(dropped)), part.filter(dropped)
        else:
            kept, rejected = part, part.slice(0, 0)
        uid = uuid.uuid4().hex[:12]
        for kind, rows, directory in (
            ("data", kept, layout.data_dir),
            ("rejects", rejected, layout.rejects_dir),
        ):
            if rows.num_rows == 0:
                continue
            if kind == "data":
                out = conform(_data_table(rows, layout.intermediate), layout.data_schema)
            else:
                out = conform(_rejects_table(rows, config.rejects), layout.rejects_schema)
            out = _normalise_types(out)
            path = layout.write_parquet(directory, f"part-{key}-{uid}.parquet", out, config,
                                        {SIZES_KEY: json.dumps(part_sizes(rows, kind)).encode()})
            written.append({"kind": kind, "path": path, "input": key, "rows": rows.num_rows})
    return written


# Footer key of what a part file holds (see part_sizes).
SIZES_KEY = b"curate.sizes"


def part_sizes(rows: pa.Table, kind: str) -> Any:
    """What a part file records in its footer of the rows it holds, so that stats.json
    needs no column of it: for kept rows, their bytes (UTF-8 text; a raw record without
    text yet, its payload); for rejected rows, ``{"stage\treason": [rows, bytes]}``, each
    row's bytes as it was when dropped (counted before ``rejects: minimal`` drops the
    text)."""
    def sizes(column: str) -> Any:  # null where the value is null (an all-null column too)
        values = rows[column]
        if pa.types.is_null(values.type):
            return pa.nulls(rows.num_rows, pa.int64())
        return pc.binary_length(values).cast(pa.int64())

    lengths: Any = pa.array(np.zeros(rows.num_rows, np.int64))
    if PAYLOAD in rows.column_names:  # a raw record that never got text: its payload's size
        lengths = pc.coalesce(sizes(PAYLOAD), lengths)
    if TEXT in rows.column_names:
        lengths = pc.coalesce(sizes(TEXT), lengths)
    if kind == "data":
        return int(pc.sum(lengths).as_py() or 0)
    keys = pc.binary_join_element_wise(pc.fill_null(rows[DROPPED_BY], ""), pc.fill_null(rows[REASON], ""), "\t")
    grouped = pa.table({"key": keys, "bytes": lengths}).group_by("key").aggregate([("bytes", "sum"), ("bytes", "count")])
    return {k: [int(n), int(b)] for k, n, b in zip(grouped["key"].to_pylist(), grouped["bytes_count"].to_pylist(),
                                                     grouped["bytes_sum"].to_pylist())}


def rows_per_input(layout: OutputLayout) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Rows written per input key (data + rejects), and every part file with its rows.

    Only parts written for this output count: a file that merely has a part's name (a
    user's, or another output's) is not output.
    """
    counts: dict[str, int] = {}
    files = []
    for kind, directory in (("data", layout.data_dir), ("rejects", layout.rejects_dir)):
        for path in layout.part_files(directory):
            key = cast(str, part_key(path))  # part_files lists part names only
            with layout.fs.open(path, "rb") as f:
                parquet = pq.ParquetFile(f)
                rows = parquet.metadata.num_rows
                metadata = parquet.schema_arrow.metadata or {}
                owner = metadata.get(PARQUET_KEY)
            if layout.owner_id and (owner or b"").decode() != layout.owner_id:
                continue
            counts[key] = counts.get(key, 0) + rows
            entry = {"kind": kind, "path": path, "input": key, "rows": rows}
            if SIZES_KEY in metadata:  # parts written by an older curate carry none
                entry["sizes"] = json.loads(metadata[SIZES_KEY])
            files.append(entry)
    return counts, files


def load_reports(layout: OutputLayout) -> dict[str, ReadReport]:
    reports = {}
    for path in list_files(layout.fs, layout.state_dir):
        name = path.rsplit("/", 1)[-1]
        if name.startswith(TMP_PREFIX) or not name.endswith(".json"):
            continue
        data = layout.read_json(path)
        data.pop(JSON_KEY, None)
        reports[data["key"]] = ReadReport(**data)
    return reports


def plan_resume(layout: OutputLayout, keys: Iterable[str]) -> tuple[set[str], set[str]]:
    """Split input keys into (complete, to_redo) and delete the partial output of the latter.

    Also removes temporary files a killed run left behind.
    """
    for tmp in layout.tmp_files():
        layout.fs.rm(tmp)
    reports = load_reports(layout)
    counts, files = rows_per_input(layout)
    complete, redo = set(), set()
    for key in keys:
        report = reports.get(key)
        if report is not None and counts.get(key, 0) == report.rows:
            complete.add(key)
        else:
            redo.add(key)
    stale = [f["path"] for f in files if f["input"] in redo]
    for path in stale:
        layout.fs.rm(path)
    for key in redo:
        if layout.fs.exists(layout.report_path(key)):
            layout.fs.rm(layout.report_path(key))
    return complete, redo


