"""Pieces both executors share: reading one input, running a stage, writing a batch."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from curate.config import ExecutionConfig, OutputConfig
from curate.execution.progress import ProgressClient
from curate.output import OutputLayout, write_parts
from curate.readers.base import READ_STAGE, InputFile, Reader, ReadReport
from curate.schema import INPUT_KEY, SEQ
from curate.stage import Stage, run_stage


@dataclass
class PhaseWork:
    """What one phase streams: its inputs through the reader and stages into a layout."""

    inputs: list[InputFile]
    reader: Reader
    stages: list[Stage]
    layout: OutputLayout
    output: OutputConfig
    execution: ExecutionConfig


def read_input(
    reader: Reader, source: InputFile, layout: OutputLayout, progress: ProgressClient
) -> Iterator[pa.Table]:
    """Yield the input's batches tagged with its key; record the read report at the end.

    Any failure while reading marks the input damaged and keeps what was read before it.
    """
    report = ReadReport(input=source.path, key=source.key)
    records_seen = 0
    rows_seen = 0
    reading = 0.0  # time spent inside the reader, not downstream while it is suspended
    try:
        batches = iter(reader.read(source, report))
        while True:
            started = time.perf_counter()
            table = next(batches, None)
            reading += time.perf_counter() - started
            if table is None:
                break
            table = table.append_column(INPUT_KEY, pa.array([source.key] * table.num_rows, pa.string()))
            if SEQ not in table.column_names:
                table = table.append_column(SEQ, pa.array(np.arange(rows_seen, rows_seen + table.num_rows, dtype=np.int64)))
            rows_seen += table.num_rows
            progress.add_read(report.records - records_seen, table.num_rows)
            records_seen = report.records
            yield table
    except Exception as exc:  # a reader bug or an unreadable input must not stop the run
        report.damaged = f"reader failed: {type(exc).__name__}: {exc}"
        report.damaged += " | " + traceback.format_exc(limit=2).strip().splitlines()[-1]
    if records_seen != report.records:
        progress.add_read(report.records - records_seen, 0)
    report.seconds = round(reading, 6)
    progress.add_stage({"stage": READ_STAGE, "rows_in": report.rows, "rows_out": report.rows, "seconds": reading, "dropped": {}})
    layout.write_json(layout.report_path(source.key), report.to_dict())
    progress.input_done(report.to_dict())


def apply_stage(stage: Stage, table: pa.Table, progress: ProgressClient) -> pa.Table:
    out, stats = run_stage(stage, table)
    progress.add_stage(stats.to_dict())
    return out


def write_batch(
    layout: OutputLayout, table: pa.Table, config: OutputConfig, progress: ProgressClient
) -> list[dict[str, Any]]:
    written = write_parts(layout, table, config)
    kept = sum(f["rows"] for f in written if f["kind"] == "data")
    progress.add_written(kept, sum(f["rows"] for f in written) - kept)
    return written
