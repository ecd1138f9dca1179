"""A process that reads Parquet from a remote filesystem exits cleanly.

Arrow's I/O threads reading through a Python file object hold Python-owned buffers; one
released by such a thread while the interpreter shuts down aborts the process (SIGABRT in
``arrow::py::PyBuffer::~PyBuffer`` from ``pthread_exit``, seen once in 52 runs of a
pipeline).  Reading with ``pq.read_table(fsspec_handle)`` while the process exits aborted
2 of 8 runs of this test's script (19 of 30 with a local file opened through fsspec);
``curate.storage.read_parquet`` must never.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import threading, time
    import fsspec, numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from curate.storage import read_parquet

    fs = fsspec.filesystem("memory")
    with fs.open("/t.parquet", "wb") as f:
        pq.write_table(pa.table({"a": np.arange(400_000), "b": np.random.rand(400_000)}), f,
                       compression="none", row_group_size=20_000)

    def loop():
        while True:
            read_parquet(fs, "memory:///t.parquet", ["a", "b"])

    for _ in range(4):
        threading.Thread(target=loop, daemon=True).start()
    time.sleep(0.3)  # exit while the threads are reading
    """
)


def test_exit_while_reading_remote_parquet_is_clean():
    codes = [subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, timeout=60).returncode for _ in range(8)]
    assert codes == [0] * 8, f"exit codes {codes} (-6 is SIGABRT)"
