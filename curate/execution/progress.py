"""Live counters of a run: files, records read, documents kept, per-stage time.

The same :class:`RunProgress` object is used in-process (local executor) and as a Ray actor
(the Ray executor), where workers update it with fire-and-forget calls.
"""

from __future__ import annotations

import time
from typing import Any


class RunProgress:
    def __init__(self, total_inputs: int = 0, skipped_inputs: int = 0, stage_ids: list[str] | None = None) -> None:
        self.started = time.time()
        self.stage_ids = list(stage_ids or [])
        self.total_inputs = total_inputs
        self.skipped_inputs = skipped_inputs
        self.inputs_done = 0
        self.records = 0
        self.rows = 0
        self.kept = 0
        self.rejected = 0
        self.damaged: dict[str, str] = {}
        self.stages: dict[str, dict[str, Any]] = {}

    def add_read(self, records: int, rows: int) -> None:
        self.records += records
        self.rows += rows

    def input_done(self, report: dict[str, Any]) -> None:
        self.inputs_done += 1
        if report.get("damaged"):
            self.damaged[report["input"]] = report["damaged"]

    def add_stage(self, stats: dict[str, Any]) -> None:
        entry = self.stages.setdefault(
            stats["stage"], {"rows_in": 0, "rows_out": 0, "seconds": 0.0, "dropped": {}}
        )
        entry["rows_in"] += stats["rows_in"]
        entry["rows_out"] += stats["rows_out"]
        entry["seconds"] += stats["seconds"]
        for reason, n in stats["dropped"].items():
            entry["dropped"][reason] = entry["dropped"].get(reason, 0) + n

    def add_written(self, kept: int, rejected: int) -> None:
        self.kept += kept
        self.rejected += rejected

    def documents_kept(self) -> int:
        """Rows that passed every stage so far (written or still in flight)."""
        if self.stage_ids and self.stage_ids[-1] in self.stages:
            return max(self.kept, self.stages[self.stage_ids[-1]]["rows_out"])
        return self.kept

    def snapshot(self) -> dict[str, Any]:
        return {
            "documents_kept": self.documents_kept(),
            "elapsed": time.time() - self.started,
            "total_inputs": self.total_inputs,
            "skipped_inputs": self.skipped_inputs,
            "inputs_done": self.inputs_done,
            "records": self.records,
            "rows": self.rows,
            "kept": self.kept,
            "rejected": self.rejected,
            "damaged": dict(self.damaged),
            "stages": {k: dict(v, dropped=dict(v["dropped"])) for k, v in self.stages.items()},
        }


class ProgressClient:
    """Calls a :class:`RunProgress` directly, or through a Ray actor handle."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.remote = hasattr(target, "snapshot") and hasattr(target.snapshot, "remote")

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.target, name)
        if self.remote:
            return lambda *args, **kwargs: method.remote(*args, **kwargs)
        return method

    def get_snapshot(self) -> dict[str, Any]:
        if self.remote:
            import ray

            return ray.get(self.target.snapshot.remote())
        return self.target.snapshot()
