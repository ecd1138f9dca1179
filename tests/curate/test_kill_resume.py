"""A run killed with SIGKILL half-way resumes without losing or duplicating documents."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.pipeline import load_pipeline
from curate.run import run_pipeline

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def ids(directory: Path) -> list[str]:
    files = sorted(directory.glob("part-*.parquet"))
    if not files:
        return []
    return sorted(pa.concat_tables([pq.read_table(f, columns=["id"]) for f in files])["id"].to_pylist())


def test_sigkill_mid_run_then_resume(tmp_path, sample_warc):
    inputs_dir = tmp_path / "inputs"
    inputs_dir.mkdir()
    n_inputs = 8
    for i in range(n_inputs):
        shutil.copy(sample_warc, inputs_dir / f"crawl-{i:02d}.warc.gz")

    reference = tmp_path / "reference"
    run_pipeline(load_pipeline(PIPELINE), [str(inputs_dir)], str(reference), executor="local")

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "curate.cli", "run", str(PIPELINE), "--input", str(inputs_dir), "--output", str(out), "-q", "--num-cpus", "2"]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    reports = out / "_curate" / "inputs"
    deadline = time.time() + 240
    try:
        while time.time() < deadline and proc.poll() is None:
            if reports.exists() and len(list(reports.glob("*.json"))) >= 2:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finished_before_kill = len(list(reports.glob("*.json"))) if reports.exists() else 0
    assert proc.returncode != 0, "the run finished before it could be killed; make the inputs larger"

    resumed = subprocess.run(
        [sys.executable, "-m", "curate.cli", "run", str(PIPELINE), "--input", str(inputs_dir), "--output", str(out), "-q", "--num-cpus", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    if finished_before_kill:
        assert "already complete" in resumed.stderr
    assert ids(out / "data") == ids(reference / "data")
    assert ids(out / "rejects") == ids(reference / "rejects")
    assert not list(out.rglob(".tmp-*"))
