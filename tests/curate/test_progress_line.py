"""The progress line counts what the summary counts: documents read (the ``read`` rows),
with the WARC records behind them beside; a Parquet phase (no records) still shows progress."""

from __future__ import annotations

from curate.events import progress_line as _progress_line


def snapshot(**values):
    base = {"elapsed": 2.0, "inputs_done": 0, "skipped_inputs": 0, "total_inputs": 1, "records": 0, "rows": 0,
            "documents_kept": 0}
    return {**base, **values}


def test_documents_read_are_the_summarys_read_rows():
    line = _progress_line(snapshot(records=76, rows=36, documents_kept=18, inputs_done=1))
    assert "documents read 36 (76 records)" in line and "kept 18" in line and "files 1/1" in line


def test_a_parquet_phase_shows_its_rows():
    line = _progress_line(snapshot(records=0, rows=18))
    assert "documents read 18" in line and "records" not in line and "9 documents/s" in line
