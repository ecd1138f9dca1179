"""Readers: turn input files into Arrow tables of records, and the registry of input formats.

A pipeline's ``input.format`` names a reader: a built-in one (``warc``, ``jsonl``,
``parquet``, ``code``, ``text``, ``epub``, ``html``), one registered from Python with
:func:`register_reader`, or a class referenced as ``module:Class`` (or
``path/to/file.py:Class``) right in the YAML, as stages are.  ``auto`` picks each input's
reader by its file name (the readers' ``extensions``), registered readers included.

Modules: :mod:`~curate.readers.base` (the ``Reader`` base class, ``InputFile``, the per-input
``ReadReport``), :mod:`~curate.readers.warc` (WARC / WET; with :mod:`~curate.readers.warc_rows`,
:mod:`~curate.readers.warc_resync` for damaged files and :mod:`~curate.readers.arc` for
legacy ARC), :mod:`~curate.readers.jsonl` (JSONL and Parquet), :mod:`~curate.readers.books` (Gutenberg text, EPUB, HTML books),
:mod:`~curate.readers.code` (source-code repositories), :mod:`~curate.readers.http`
(ranged HTTP reads of remote inputs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from curate.readers.base import InputFile, Reader, ReadReport
from curate.readers.books import EpubReader, HtmlBookReader, TextBookReader
from curate.readers.code import CodeReader
from curate.readers.jsonl import JsonlReader, ParquetReader
from curate.readers.warc import WarcReader
from curate.references import register_class, resolve_class

# The registry: format name -> reader class.  Built-in formats first; register_reader adds.
READERS: dict[str, type[Reader]] = {
    "warc": WarcReader,
    "jsonl": JsonlReader,
    "parquet": ParquetReader,
    "code": CodeReader,
    "text": TextBookReader,
    "epub": EpubReader,
    "html": HtmlBookReader,
}


class UnknownReaderError(ValueError):
    """An ``input.format`` that names no registered reader and no importable class."""


def register_reader(cls: type[Reader] | None = None, *, name: str | None = None, replace: bool = False) -> Any:
    """Register a :class:`~curate.readers.base.Reader` subclass as input format ``name``
    (default: the class's ``name``), usable as ``@register_reader`` or
    ``@register_reader(name="csv")``.  Its ``extensions`` make ``format: auto`` choose it
    for files named so."""

    def do(reader_cls: type[Reader]) -> type[Reader]:
        return register_class(READERS, reader_cls, base=Reader, what="input format", name=name, replace=replace)

    return do(cls) if cls is not None else do


def get_reader_class(fmt: str) -> type[Reader]:
    """The reader of input format ``fmt``: a registered name or a ``module:Class`` reference."""
    unknown = (f"unknown input format {fmt!r}; use one of {sorted(READERS)} or auto, "
               "or reference your own reader as 'module:Class'")
    return resolve_class(READERS, fmt, base=Reader, what="input format", error=UnknownReaderError, unknown=unknown)


def reader_format_for(path: str) -> str | None:
    """The reader format a file name implies (longest matching extension), or None."""
    name = path.lower().split("?", 1)[0]
    best: tuple[int, str] | None = None
    for fmt, cls in READERS.items():
        for ext in cls.extensions:
            if name.endswith(ext) and (best is None or len(ext) > best[0]):
                best = (len(ext), fmt)
    return best[1] if best else None


class FormatDispatchReader(Reader):
    """Reads each input with the reader its file name implies (``format: auto``).

    Options shared by all readers (``batch_rows``, ``storage_options``) go to each; any
    other option goes to the readers that have it.
    """

    name = "read"
    options: dict[str, Any] | None = None

    def _reader_for(self, fmt: str) -> Reader:
        cache = self.__dict__.setdefault("_readers", {})
        if fmt not in cache:
            cls = READERS[fmt]
            known = {f.name for f in dataclasses.fields(cls)}
            opts = {k: v for k, v in (self.options or {}).items() if k in known}
            opts.update(batch_rows=self.batch_rows, batch_bytes=self.batch_bytes, storage_options=self.storage_options)
            cache[fmt] = cls(**opts)
        return cache[fmt]

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        fmt = reader_format_for(source.path)
        if fmt is None:
            report.damaged = "unknown file type: name it .warc.gz, .arc.gz, .jsonl(.gz), .parquet, .txt, .epub or .htm(l), or set input.format"
            return iter(())
        return self._reader_for(fmt).read(source, report)


def build_reader(fmt: str, options: dict[str, Any] | None = None) -> Reader:
    """The reader for ``fmt`` (``warc``, ``jsonl``, ``parquet``, or ``auto``)."""
    options = dict(options or {})
    if fmt == "auto":
        shared = {k: options.pop(k) for k in ("batch_rows", "batch_bytes", "storage_options") if k in options}
        unknown = set(options) - {f.name for cls in READERS.values() for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown reader options {sorted(unknown)}")
        return FormatDispatchReader(options=options, **shared)  # type: ignore[call-arg]  # a dataclass by Reader.__init_subclass__
    return get_reader_class(fmt)(**options)


__all__ = [
    "READERS",
    "CodeReader",
    "InputFile",
    "JsonlReader",
    "ParquetReader",
    "ReadReport",
    "Reader",
    "WarcReader",
    "EpubReader",
    "HtmlBookReader",
    "TextBookReader",
    "UnknownReaderError",
    "build_reader",
    "get_reader_class",
    "reader_format_for",
    "register_reader",
]
