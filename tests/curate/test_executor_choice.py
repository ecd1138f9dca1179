"""``--executor auto`` (the CLI's default): small local inputs run in this process, with a
note saying so; an address, a running Ray, remote or larger inputs go to Ray."""

from __future__ import annotations

import logging

import pytest

from curate.execution import executor as run_module
from curate.execution.executor import resolve_executor
from curate.readers.base import InputFile

from .conftest import SAMPLE_WARC


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def choose(files, address=None):
    """The executor chosen, and what was logged about it."""
    logger = logging.getLogger("curate")
    handler, level = _Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        chosen = resolve_executor("auto", files, address)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return chosen, "\n".join(handler.lines)


@pytest.fixture(autouse=True)
def no_ray_address(monkeypatch):
    """No address, and no Ray running in this process (the suite's other tests may have one)."""
    import ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)


def test_small_local_input_runs_in_this_process_and_says_so():
    chosen, said = choose([InputFile(str(SAMPLE_WARC))])
    assert chosen == "local"
    assert "running in this process" in said and "--executor ray" in said


def test_larger_remote_or_addressed_inputs_go_to_ray(monkeypatch):
    assert choose([InputFile("s3://bucket/x.warc.gz")])[0] == "ray"
    assert choose([InputFile(str(SAMPLE_WARC))], address="127.0.0.1:6379")[0] == "ray"
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    assert choose([InputFile(str(SAMPLE_WARC))])[0] == "ray"
    monkeypatch.delenv("RAY_ADDRESS")
    monkeypatch.setattr(run_module, "AUTO_LOCAL_MAX_BYTES", SAMPLE_WARC.stat().st_size - 1)
    assert choose([InputFile(str(SAMPLE_WARC))]) == ("ray", "")


def test_a_running_ray_is_used(monkeypatch):
    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: True)
    assert choose([InputFile(str(SAMPLE_WARC))])[0] == "ray"


def test_explicit_choices_are_kept():
    for executor in ("ray", "local"):
        assert resolve_executor(executor, [InputFile("s3://b/x")], None) == executor
