"""Readers: turn input files into Arrow tables of records."""

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

READERS: dict[str, type[Reader]] = {
    "warc": WarcReader,
    "jsonl": JsonlReader,
    "parquet": ParquetReader,
    "code": CodeReader,
    "text": TextBookReader,
    "epub": EpubReader,
    "html": HtmlBookReader,
}


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
        return FormatDispatchReader(options=options, **shared)
    if fmt not in READERS:
        raise ValueError(f"unknown input format {fmt!r}; use one of {sorted(READERS)} or auto")
    return READERS[fmt](**options)


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
    "build_reader",
    "reader_format_for",
]
