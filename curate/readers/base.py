"""Reader base class and the per-input read report."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import fsspec
import pyarrow as pa

from curate.stage import snake_case
from curate.storage import absolute

# ``dropped_by`` of the rows readers reject, and the first stage's name in stats.json.
READ_STAGE = "read"


@dataclass(frozen=True)
class InputFile:
    """One input of a run: a local path or an fsspec URL."""

    path: str
    size: int | None = None

    def __post_init__(self) -> None:
        # One canonical form whatever the user typed (``../data/x.warc.gz``, ``~/x``):
        # the key below, the resume state and stats.json name an input by it, and workers
        # on other machines need absolute paths.
        object.__setattr__(self, "path", absolute(self.path))

    @property
    def key(self) -> str:
        """Stable short key naming this input in output file names and resume state."""
        digest = hashlib.sha1(self.path.encode()).hexdigest()[:12]
        base = self.path.rstrip("/").rsplit("/", 1)[-1]
        for suffix in (".gz", ".zst", ".bz2", ".xz"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        # A part file of an earlier phase (``part-<key>-<uid>.parquet``) is named by what it
        # holds, not as ``part-part-...parqu``.
        base = base.removesuffix(".parquet").removeprefix("part-")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in base)[:60]
        return f"{safe}-{digest}"

    @property
    def is_local(self) -> bool:
        return "://" not in self.path or self.path.startswith("file://")

    def open(self, storage_options: dict[str, Any] | None = None) -> Any:
        return fsspec.open(self.path, "rb", **(storage_options or {})).open()


@dataclass
class ReadReport:
    """What a reader saw in one input: records, skips by reason, and damage."""

    input: str
    key: str
    records: int = 0
    rows: int = 0
    records_by_type: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    damaged: str | None = None
    seconds: float = 0.0

    def count_type(self, record_type: str) -> None:
        self.records_by_type[record_type] = self.records_by_type.get(record_type, 0) + 1

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(kw_only=True)
class Reader:
    """Turns one input into a stream of Arrow tables of at most ``batch_rows`` rows.

    Records the reader skips are emitted as rows already marked dropped (reason set), so
    they reach the rejects output and are counted, never silently lost.  ``report`` holds
    the counts for the input being read.
    """

    name: ClassVar[str] = "reader"
    extensions: ClassVar[tuple[str, ...]] = ()

    batch_rows: int = 500
    batch_bytes: int = 64 << 20
    storage_options: dict[str, Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = snake_case(cls.__name__)
        if "__dataclass_fields__" not in cls.__dict__:
            dataclass(kw_only=True)(cls)

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        raise NotImplementedError

    def output_schema(self) -> pa.Schema | None:
        """The columns every batch of this reader has, when they are fixed (None: they
        depend on the data, like JSONL's ``fields``).  The run plans its output schema
        from it before reading anything."""
        return None

    def config(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _binary_array(values: list[bytes | None], type_: pa.DataType) -> pa.Array:
    """Build a large_binary array from bytes with one join (``pa.array`` copies per item)."""
    import numpy as np

    lengths = np.fromiter((len(v) if v is not None else 0 for v in values), dtype=np.int64, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = pa.py_buffer(b"".join(v for v in values if v is not None))
    validity = None
    if any(v is None for v in values):
        validity = pa.array([v is not None for v in values], pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(offsets), data])


class ColumnBuffer:
    """Accumulates rows column-wise and flushes them as Arrow tables of bounded size."""

    def __init__(self, schema: pa.Schema, max_rows: int, max_bytes: int) -> None:
        self.schema = schema
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self._rows = 0
        self._bytes = 0

    def append(self, nbytes: int = 0, **values: Any) -> pa.Table | None:
        for name, column in self._columns.items():
            column.append(values.get(name))
        self._rows += 1
        self._bytes += nbytes
        if self._rows >= self.max_rows or self._bytes >= self.max_bytes:
            return self.flush()
        return None

    def flush(self) -> pa.Table | None:
        if not self._rows:
            return None
        arrays = [
            _binary_array(self._columns[f.name], f.type)
            if pa.types.is_large_binary(f.type)
            else pa.array(self._columns[f.name], type=f.type)
            for f in self.schema
        ]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        self._columns = {name: [] for name in self.schema.names}
        self._rows = 0
        self._bytes = 0
        return table
