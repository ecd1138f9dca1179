"""Library code reports through ``logging`` and prints nothing; the ``curate`` command
renders the records, keeps Ray's native stderr notices off the terminal, and says what a
resumed run skipped, phase by phase."""

from __future__ import annotations

import ast
import io
import logging
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from rich.console import Console

from curate.cli_output import TerminalHandler, TerminalProgress
from curate.events import emit
from curate.pipeline import load_pipeline
from curate.run import run_pipeline

from .conftest import REPO, SAMPLE_WARC

PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"
# modules that render for the terminal; every other module of curate is library code
RENDERING_MODULES = {"cli.py", "cli_output.py", "inspect_view.py", "diff_view.py", "loader.py"}


def messages(caplog: pytest.LogCaptureFixture, name: str = "curate.run") -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name]


def test_the_library_prints_nothing_and_logs_what_it_does(tmp_path, capfd, caplog):
    with caplog.at_level(logging.INFO, logger="curate"):
        result = run_pipeline(load_pipeline(PIPELINE), [str(SAMPLE_WARC)], str(tmp_path / "out"), executor="local")
    out, err = capfd.readouterr()
    assert out == "" and err == "", (out, err)
    said = messages(caplog)
    assert "phase 1/2: " + "1 inputs -> extract_html" in " ".join(said)
    assert any(m.startswith("done in ") and f"{result.kept} documents kept" in m for m in said)
    assert any(m.strip().startswith("decisions") for m in messages(caplog, "curate.dedup"))  # each dedup step as it ends


def test_no_library_module_imports_rich_or_prints():
    """``rich`` and ``print`` belong to the command's rendering modules only."""
    offenders = []
    for path in sorted((REPO / "curate").rglob("*.py")):
        if path.name in RENDERING_MODULES or path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rich":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} imports rich")
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "rich" for a in node.names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} imports rich")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} prints")
    assert offenders == []


def test_the_terminal_handler_renders_labels_and_escapes_markup():
    buffer = io.StringIO()
    handler = TerminalHandler(Console(file=buffer, width=300))
    logger = logging.getLogger("curate.test_render")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        emit(logger, "resume", "2 of 3 inputs [bold]already[/bold] complete")
        emit(logger, "warning", "a page's own [red]markup[/red]", logging.WARNING)
        emit(logger, "", "  read    in 36")
        logger.warning("a plain warning")
    finally:
        logger.removeHandler(handler)
    assert buffer.getvalue().splitlines() == [
        "resume: 2 of 3 inputs [bold]already[/bold] complete",
        "warning: a page's own [red]markup[/red]",
        "  read    in 36",
        "warning: a plain warning",
    ]


def test_progress_off_a_terminal_prints_a_line_only_every_interval():
    buffer = io.StringIO()
    view = TerminalProgress(Console(file=buffer, width=300), every_s=0.0)
    snap = {"elapsed": 2.0, "inputs_done": 1, "skipped_inputs": 0, "total_inputs": 2, "rows": 10, "records": 20,
            "documents_kept": 4}
    view.update(snap)  # the first call starts the clock: a short run prints no line
    assert buffer.getvalue() == ""
    view.update(snap)
    assert buffer.getvalue().strip() == "files 1/2  documents read 10 (20 records)  kept 4  5 documents/s  2s"
    view.close()


def test_a_resumed_run_says_what_each_phase_skipped(tmp_path, caplog):
    """One of three inputs of the last phase was left unfinished: the dedup phase reports
    2 of 3 complete, the first phase 3 of 3 with nothing to do (issue 13 saw "7 skipped")."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(3):
        shutil.copy(SAMPLE_WARC, inputs / f"c{i}.warc.gz")
    pipeline = load_pipeline(PIPELINE)
    pipeline.output.keep_intermediate = True
    out = tmp_path / "out"
    run_pipeline(pipeline, [str(inputs)], str(out), executor="local")
    reports = sorted((out / "_curate" / "inputs").glob("*.json"))
    assert len(reports) == 3
    reports[1].unlink()  # as if the run had been killed before this input's phase-2 report
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="curate"):
        result = run_pipeline(load_pipeline(PIPELINE).__class__(**{**pipeline.__dict__}), [str(inputs)], str(out), executor="local")
    said = messages(caplog)
    assert "resume: 3 of 3 inputs already complete, skipping them; nothing left to do in this phase" in said
    assert "resume: 2 of 3 inputs already complete, skipping them" in said
    assert result.inputs_skipped == 3
    assert any("(3 read by an earlier run)" in m for m in said)


NATIVE_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from curate.cli_output import NativeStderr

    native = NativeStderr(sys.argv[1])
    native.start()
    os.write(2, b"[2026-12-05 15:51:33,422 E 1 2] core_worker.cc:2465: Actor with class name: 'MapWorker' has "
                b"constructor arguments in the object store and max_restarts > 0. See ray#53727\\n")
    os.write(2, b"[mutex.cc : 2418] RAW: Lock blocking 0x1234 @\\n")
    if sys.argv[2] == "other":
        os.write(2, b"raylet: the node ran out of disk\\n")
    print("curate line", file=sys.stderr)
    # a worker's stderr line as Ray forwards it to the driver (through sys.stderr)
    print("(_timed pid=25981) [mutex.cc : 452] RAW: Lock blocking 0x7f55cc007a20 @ 0x7f55e5e2b1a2", file=sys.stderr)
    print("after the notice", file=sys.stderr)
    print(f"note={native.finish()}", file=sys.stderr)
    """
)


@pytest.mark.parametrize("kind", ["benign", "other"])
def test_native_stderr_goes_to_a_log_named_only_when_it_matters(tmp_path, kind):
    logs = tmp_path / "logs"
    done = subprocess.run([sys.executable, "-c", NATIVE_SCRIPT, str(logs), kind], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "curate line" in done.stderr and "curate line\nafter the notice\n" in done.stderr
    assert "core_worker" not in done.stderr and "RAW:" not in done.stderr and "raylet" not in done.stderr
    files = list(logs.iterdir())
    if kind == "benign":
        assert "note=None" in done.stderr and files == []
    else:
        assert len(files) == 1 and f"1 lines that Ray and native libraries wrote are in {files[0]}" in done.stderr
        assert "raylet: the node ran out of disk" in files[0].read_text()


@pytest.mark.ray
@pytest.mark.slow
def test_a_ray_run_shows_no_ray_core_worker_lines(tmp_path):
    """Ray Data's actor pools make the driver's core worker print a ``max_restarts`` error
    line on every run; the command keeps it off the terminal."""
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    env.pop("CURATE_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "curate.cli", "run", str(PIPELINE), "--input", str(SAMPLE_WARC), "--output",
         str(tmp_path / "out"), "--executor", "ray", "--num-cpus", "2"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ray: starting an embedded Ray" in done.stderr and "done in " in done.stderr
    assert "core_worker.cc" not in done.stderr and "max_restarts" not in done.stderr, done.stderr
