"""One input file spreads over every worker of an actor pool (embedded 2-CPU Ray).

A read task's batches are merged by Ray Data into blocks of ``target_max_block_size``
(128 MiB by default), and a block is the unit an actor takes: a single input of a few tens
of MB used to be one block, processed by one actor while the other stayed idle.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.execution.ray_executor import MAX_BLOCK_BYTES, MIN_BLOCK_BYTES, target_block_bytes
from curate.pipeline import pipeline_from_dict
from curate.readers.base import InputFile
from curate.run import run_pipeline

pytestmark = pytest.mark.ray

PROBE = '''
import os
import time

import pyarrow as pa

from curate.stage import Stage


class PidProbe(Stage):
    """Records which worker process handled each row (a stateful stage: an actor pool)."""

    stateful = True

    def process(self, table):
        if table.num_rows:
            time.sleep(1.0)
        return table.append_column("probe_pid", pa.array([os.getpid()] * table.num_rows, pa.int64()))
'''


def test_target_block_bytes_depends_on_total_size_not_on_file_count(tmp_path: Path) -> None:
    one = [InputFile(str(tmp_path / "one"), size=64 << 20)]
    two = [InputFile(str(tmp_path / "a"), size=32 << 20), InputFile(str(tmp_path / "b"), size=32 << 20)]
    assert target_block_bytes(one, 2) == target_block_bytes(two, 2) == (64 << 20) * 4 // 8
    assert target_block_bytes([InputFile("x", size=1)], 2) == MIN_BLOCK_BYTES
    assert target_block_bytes([InputFile("x", size=1 << 40)], 2) == MAX_BLOCK_BYTES
    many = [InputFile(f"x{i}", size=1) for i in range(8)]
    assert target_block_bytes(many, 2) == MAX_BLOCK_BYTES


def test_one_input_is_processed_by_every_actor(ray_session, tmp_path: Path) -> None:
    probe = tmp_path / "probe_stage.py"
    probe.write_text(PROBE)
    source = tmp_path / "one.jsonl"
    rows = 2000
    with source.open("w") as f:
        for i in range(rows):
            f.write(json.dumps({"id": f"doc-{i:05d}", "text": f"document {i} " + "lorem ipsum dolor " * 800}) + "\n")
    assert source.stat().st_size > 20 << 20
    pipeline = pipeline_from_dict(
        {
            "name": "spread",
            "input": {"format": "jsonl"},
            "stages": [{f"{probe}:PidProbe": {}}],
            "execution": {"batch_rows": 100},
        }
    )
    out = tmp_path / "out"
    result = run_pipeline(pipeline, [str(source)], str(out))
    data = pa.concat_tables([pq.read_table(p) for p in sorted((out / "data").glob("part-*.parquet"))])
    assert result.kept == rows == data.num_rows
    assert sorted(data["id"].to_pylist()) == [f"doc-{i:05d}" for i in range(rows)]
    pids = set(data["probe_pid"].to_pylist())
    assert len(pids) == 2, f"one input's blocks went to {len(pids)} of 2 actors"
    # still one read report for the input
    assert len(list((out / "_curate" / "inputs").glob("*.json"))) == 1
