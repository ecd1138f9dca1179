"""The ``curate`` command exits cleanly even with Arrow threads busy at exit.

Threads of Ray and Arrow may still be inside C++ code when a command has finished; the
interpreter's teardown under them can abort the process (SIGABRT in
``arrow::py::PyBuffer::~PyBuffer`` from ``pthread_exit``: seen once in 52 runs of a
pipeline).  In this test's script, four threads read Parquet through a Python file object
while the process ends: ending by a normal interpreter exit aborted 19 of 30 times, so the
command ends through ``curate.cli.exit_now``, which skips that teardown.  The library's
own remote reads avoid the pattern too (``curate.storage.read_parquet``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    import fsspec, numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from curate.cli import exit_now

    path = sys.argv[1]
    pq.write_table(pa.table({"a": np.arange(400_000), "b": np.random.rand(400_000)}), path,
                   compression="none", row_group_size=20_000)
    fs = fsspec.filesystem("file")

    def loop():
        while True:
            with fs.open(path, "rb") as f:
                pq.read_table(f)

    for _ in range(4):
        threading.Thread(target=loop, daemon=True).start()
    time.sleep(0.3)  # end while the threads are reading
    print("done", flush=True)
    exit_now(0)
    """
)


@pytest.mark.parametrize("run", range(8))
def test_the_command_exits_cleanly_while_arrow_threads_read(tmp_path, run):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "t.parquet")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, f"exit code {done.returncode} (-6 is SIGABRT)"
    assert done.stdout.strip() == "done"


def test_the_console_script_goes_through_exit_now():
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'curate = "curate.cli:run_and_exit"' in pyproject
