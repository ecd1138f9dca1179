"""Run a list of independent tasks in this process or as Ray tasks across a cluster.

Global stages (deduplication) are a few all-to-all steps; each step is a list of tasks
that read and write files in a work directory, so a step runs the same way on one machine
and on a cluster whose workers share that directory (a local path on one machine, an
object-store URL on a cluster).  A task returns a small dict of statistics, including
the peak resident memory of the process that ran it.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from curate.events import emit, get_logger
from curate.execution.workdir import WorkDir

log = get_logger("dedup")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[dict[str, Any]], dict[str, Any]], spec: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    result = fn(spec) or {}
    result.setdefault("seconds", time.perf_counter() - started)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


class TaskRunner:
    """Runs ``fn(spec)`` for every spec and returns the results in order."""

    parallelism: int = 1

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError


class LocalRunner(TaskRunner):
    """One task after another in this process (tests, ``--executor local``)."""

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [_timed(fn, spec) for spec in specs]


class RayRunner(TaskRunner):
    """One Ray task per spec, one CPU each, retried when a worker dies."""

    def __init__(self) -> None:
        import ray

        self.parallelism = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(num_cpus=1, max_retries=3)(_timed)

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        import ray

        refs = [self._remote.remote(fn, spec) for spec in specs]
        return ray.get(refs)


@contextmanager
def task_runner(executor: str, execution: Any = None, ray_address: str | None = None) -> Iterator[TaskRunner]:
    """A runner for ``executor`` (``local`` or ``ray``).  For Ray it connects to
    ``ray_address`` (or RAY_ADDRESS) or starts a local Ray, and stops it afterwards when it
    started it; ``execution`` is the pipeline's ExecutionConfig (CPUs, memory)."""
    if executor not in ("ray", "auto"):  # auto: Ray, for work whose size is not known up front
        yield LocalRunner()
        return
    from curate.config import ExecutionConfig
    from curate.execution.ray_executor import start_ray

    started = start_ray(execution or ExecutionConfig(), ray_address)
    try:
        yield RayRunner()
    finally:
        if started:
            import ray

            ray.shutdown()


MAXIMA = ("largest_", "max_")


def summarise(step: str, results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """One step's statistics: wall seconds, tasks, summed counters, peak memory.

    Counters named ``largest_*`` or ``max_*`` are maxima: the step reports the largest
    over its tasks, not their sum."""
    out: dict[str, Any] = {"step": step, "tasks": len(results), "seconds": round(seconds, 3)}
    for result in results:
        for key, value in result.items():
            if key in ("seconds", "peak_rss_mb") or not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if key.startswith(MAXIMA):
                out[key] = max(out.get(key, value), value)
            else:
                out[key] = out.get(key, 0) + value
    out["peak_rss_mb"] = max((r.get("peak_rss_mb", 0.0) for r in results), default=0.0)
    return out


def log_step(summary: dict[str, Any]) -> dict[str, Any]:
    """Log a finished step of a global stage as it ends (a long dedup shows where it is)."""
    extras = ", ".join(f"{k} {v:,}" for k, v in summary.items() if k not in ("step", "seconds", "peak_rss_mb", "tasks") and isinstance(v, int))
    emit(log, "", f"  {summary['step']:<14} {summary['tasks']:>5} tasks {summary['seconds']:>8.1f}s  "
                  f"peak {summary.get('peak_rss_mb', 0.0):,.0f} MiB  {extras}")
    return summary


def _step_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one task of a step and record it as done (so a resumed run skips it)."""
    fn = spec["fn"]
    result = _timed(fn, spec)
    WorkDir(spec["work"]).mark_done(spec["step"], spec["task"], result)
    return result


def run_step(work: WorkDir, step: str, fn: Any, specs: list[dict[str, Any]], runner: TaskRunner) -> dict[str, Any]:
    """Run the tasks of ``step`` that have not finished before; summarise all of them."""
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    todo = []
    for spec in specs:
        previous = work.is_done(step, spec["task"])
        if previous is not None:
            results.append(previous)
        else:
            todo.append({**spec, "fn": fn, "step": step, "work": work.root})
    if todo:
        results += runner.map(_step_task, todo)
    return log_step(summarise(step, results, time.perf_counter() - started))
