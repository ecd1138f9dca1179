"""Choose where a phase runs (this process or Ray) and run its stages there.

:func:`execute` streams one phase: every input through the reader and the phase's map
stages into the output layout, on the local executor (:mod:`curate.execution.local`) or
on Ray Data (:mod:`curate.execution.ray_executor`), while the caller's
:class:`~curate.events.ProgressView` is fed live counters from this thread.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from curate.errors import RunError
from curate.events import ProgressView, emit, get_logger
from curate.execution.progress import ProgressClient, RunProgress

if TYPE_CHECKING:
    from curate.execution.common import PhaseWork
    from curate.readers.base import InputFile

log = get_logger("run")

# ``executor="auto"`` runs inputs of at most this many bytes (all local) in this process:
# an embedded Ray costs 10-20 s to start, more than such a run takes.
AUTO_LOCAL_MAX_BYTES = 32 << 20


def resolve_executor(executor: str, files: list[InputFile], ray_address: str | None) -> str:
    """``auto``: Ray when an address is given (or Ray already runs here), or the inputs are
    remote or larger than AUTO_LOCAL_MAX_BYTES; else this process, and say so."""
    if executor != "auto":
        return executor
    if ray_address or os.environ.get("RAY_ADDRESS"):
        return "ray"
    try:
        import ray

        if ray.is_initialized():
            return "ray"
    except ImportError:
        return "local"
    total = 0
    for f in files:
        path = f.path.removeprefix("file://")
        if not f.is_local or not os.path.isfile(path):
            return "ray"  # remote inputs, or directories read whole (repositories)
        total += os.path.getsize(path)
        if total > AUTO_LOCAL_MAX_BYTES:
            return "ray"
    emit(log, "executor", f"{total / 1e6:,.1f} MB of input: running in this process (--executor ray to use Ray)")
    return "local"


def announce_ray(ray_address: str | None) -> None:
    """Say what happens during the seconds Ray takes to start or connect."""
    try:
        import ray

        if ray.is_initialized():
            return
    except ImportError:
        return
    address = ray_address or os.environ.get("RAY_ADDRESS")
    emit(log, "ray", f"connecting to {address} ..." if address else "starting an embedded Ray ...")


def execute(executor: str, work: PhaseWork, ray_address: str | None, progress: ProgressView | None,
            counts: tuple[int, int]) -> dict[str, Any]:
    """Stream ``work`` (one phase) on ``executor``; return the final progress snapshot
    (per-stage rows and seconds).  ``counts``: the phase's inputs in all, and how many of
    them were complete already (for the progress line)."""
    total, skipped = counts
    stage_ids = [st.stage_id for st in work.stages]
    if executor == "local":
        from curate.execution.local import execute_local

        client = ProgressClient(RunProgress(total, skipped, stage_ids))
        _run_watched(lambda: execute_local(work, client), client, progress)
        return client.get_snapshot()
    if executor != "ray":
        raise RunError(f"unknown executor {executor!r}; use 'auto', 'ray' or 'local'")

    import ray

    from curate.execution.ray_executor import (
        UnsharedPathError,
        check_shared_folders,
        execute_ray,
        make_progress_actor,
        start_ray,
    )

    announce_ray(ray_address or work.execution.ray_address)
    started_ray = start_ray(work.execution, ray_address)
    layout = work.layout
    try:
        try:
            check_shared_folders([layout.base, *([layout.rejects_root] if layout.rejects_root else [])], layout.owner_id)
        except UnsharedPathError as exc:
            raise RunError(str(exc)) from None
        actor = make_progress_actor(total, skipped, stage_ids)
        client = ProgressClient(actor)
        _run_watched(lambda: execute_ray(work, actor), client, progress)
        return client.get_snapshot()
    finally:
        if started_ray:
            ray.shutdown()


def _run_watched(work: Any, client: ProgressClient, view: ProgressView | None) -> None:
    """Run ``work`` in a thread while this one feeds ``view``; re-raise its failure here."""
    failed: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=target, name="curate-run", daemon=True)
    thread.start()
    if view is None:
        thread.join()
    else:
        try:
            while thread.is_alive():
                thread.join(0.5)
                try:
                    view.update(client.get_snapshot())
                except Exception:  # a progress actor gone with its Ray: the work reports why
                    pass
        finally:
            view.close()
    if failed:
        raise failed[0]


__all__ = ["AUTO_LOCAL_MAX_BYTES", "announce_ray", "execute", "resolve_executor"]
