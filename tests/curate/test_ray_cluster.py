"""The same command on an existing Ray cluster: ``--ray-address`` (a local head node here).

Workers of a separate cluster do not share the driver's working directory, so this also
checks that a user's filter module reaches them (shipped by value).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from .conftest import REPO

pytestmark = [pytest.mark.ray, pytest.mark.slow]

USER_FILTER = '''
import pyarrow.compute as pc
from curate import Filter


class LongEnough(Filter):
    """Drop documents shorter than ``min_chars`` characters."""
    min_chars: int = 1000

    def score(self, batch):
        return pc.utf8_length(batch["text"])

    def keep(self, score):
        return pc.greater_equal(score, self.min_chars)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_cluster():
    """A Ray head node in its own process group (``ray start --block``), killed as a group
    afterwards, so the test never touches other Ray instances on the machine."""
    import signal
    import tempfile
    import time

    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("the 'ray' command is not installed next to this Python")
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="rc", dir="/tmp")  # AF_UNIX paths must stay short
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    head = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false", f"--temp-dir={temp_dir}", "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if head.poll() is not None:
                pytest.skip(f"could not start a Ray head node: {head.stderr.read().decode()[-500:]}")
            probe = subprocess.run(
                [sys.executable, "-c", f"import ray; ray.init(address='{address}', logging_level='ERROR'); print(ray.cluster_resources().get('CPU'))"],
                capture_output=True, text=True, env=env, timeout=120,
            )
            if probe.returncode == 0:
                break
            time.sleep(1)
        else:
            pytest.skip("the Ray head node did not come up within 120 s")
        yield address
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, sig)
                head.wait(timeout=20)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_run_on_existing_cluster_with_user_filter(ray_cluster, tmp_path, sample_warc):
    work = tmp_path / "project"
    work.mkdir()
    (work / "user_filters_cluster.py").write_text(USER_FILTER)
    pipeline = work / "pipeline.yaml"
    text = (REPO / "pipelines" / "commoncrawl.yaml").read_text()
    text = text.replace("  - language_filter:", "  - user_filters_cluster:LongEnough: {min_chars: 1200}\n  - language_filter:")
    pipeline.write_text(text)
    shutil.copy(sample_warc, work / "sample.warc.gz")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "curate.cli", "run", str(pipeline), "--input", "sample.warc.gz",
         "--output", str(out), "--ray-address", ray_cluster, "-q"],
        cwd=work, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": "", "RAY_AUTH_MODE": "disabled"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = pa.concat_tables([pq.read_table(p) for p in sorted((out / "data").glob("part-*.parquet"))])
    assert data.num_rows > 0
    assert pc.min(data["long_enough"]).as_py() >= 1200
    rejects = pa.concat_tables([pq.read_table(p) for p in sorted((out / "rejects").glob("part-*.parquet"))], promote_options="permissive")
    assert "long_enough" in rejects["dropped_by"].to_pylist()
