"""In-process executor: no Ray.  Used by unit tests and ``curate run --executor local``."""

from __future__ import annotations

import pyarrow as pa

from curate.execution.common import PhaseWork, apply_stage, read_input, write_batch
from curate.execution.progress import ProgressClient


def execute_local(work: PhaseWork, progress: ProgressClient) -> None:
    inputs, reader, stages, layout, output = work.inputs, work.reader, work.stages, work.layout, work.output
    pending: list[pa.Table] = []
    pending_rows = 0
    for source in inputs:
        for table in read_input(reader, source, layout, progress):
            for stage in stages:
                table = apply_stage(stage, table, progress)
            pending.append(table)
            pending_rows += table.num_rows
            if pending_rows >= output.min_rows_per_file:
                write_batch(layout, pa.concat_tables(pending, promote_options="permissive"), output, progress)
                pending, pending_rows = [], 0
        # Flush per input so a finished input is complete on disk before the next starts.
        if pending:
            write_batch(layout, pa.concat_tables(pending, promote_options="permissive"), output, progress)
            pending, pending_rows = [], 0
