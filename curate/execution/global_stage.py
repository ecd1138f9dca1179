"""The one interface of global work: stages that see every document, and global sinks.

A **global stage** (deduplication) cannot decide about a document from its batch alone.
A run splits the pipeline at each global stage into phases (:mod:`curate.plan`), and runs
the stage in two parts:

1. :meth:`GlobalStage.compute`: a few restartable all-to-all steps over every file the
   previous phase wrote (tasks that read and write a :class:`~curate.execution.workdir.WorkDir`,
   run by a :class:`~curate.execution.tasks.TaskRunner`, in this process or as Ray tasks).
   It ends with *decisions* per input file.
2. :class:`ApplyDecisions`: a plain per-batch stage that the next phase runs first; it
   joins each batch with its file's decisions (:meth:`GlobalStage.load_decisions`, then
   :meth:`GlobalStage.decide`).  It streams like every other stage, so its rejects,
   statistics and resume work the same way.

A **global sink** (:class:`GlobalSink`; the tokenized training shards) runs once after
the last phase over every kept document, the same restartable way; it writes beside the
documents and changes none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from curate.execution.tasks import TaskRunner
from curate.execution.workdir import WorkDir
from curate.schema import INPUT_KEY, ROW
from curate.stage import Stage

if TYPE_CHECKING:
    from curate.output import OutputLayout


@dataclass(kw_only=True)
class GlobalStage(Stage):
    """A stage that needs every document before it can decide about one.

    Subclasses implement :meth:`compute`, :meth:`load_decisions` and :meth:`decide`
    (see :class:`curate.dedup.base.DedupStage` for the deduplication stages).
    """

    is_global: ClassVar[bool] = True

    def compute(
        self, files: list[str], reader_options: dict[str, Any], work: WorkDir, runner: TaskRunner, origin_keys: list[str] | None = None
    ) -> dict[str, Any]:
        """Write the decisions for every file into ``work``; return statistics for ``stats.json``.

        ``files`` are the Parquet files of the previous phase (or the Parquet inputs),
        read with ``reader_options``; ``origin_keys``: the run's input keys in order, for
        rows that carry their origin."""
        raise NotImplementedError

    def process(self, table: pa.Table) -> pa.Table:
        raise TypeError(f"{self.stage_id} needs the whole dataset: it runs through run_pipeline or curate dedup, not per batch")

    def probe(self, table: pa.Table) -> pa.Table:
        """The columns :meth:`decide` adds, from an empty batch and no decisions."""
        if ROW not in table.column_names:
            table = table.append_column(ROW, pa.array([], pa.int64()))
        return self.decide(table, None)

    def load_decisions(self, work: WorkDir, file_index: int) -> Any:
        """What :meth:`decide` needs for the rows of input file ``file_index`` (cached per worker)."""
        raise NotImplementedError

    def decide(self, table: pa.Table, decisions: Any) -> pa.Table:
        """Apply one file's decisions to a batch of its rows."""
        raise NotImplementedError


@dataclass(kw_only=True)
class ApplyDecisions(Stage):
    """The per-batch half of a global stage: joins each batch with its file's decisions.

    Built by the runner, not named in YAML; it reports under the global stage's name.
    """

    name: ClassVar[str] = "_apply_decisions"

    stage: GlobalStage
    work: str
    file_index: dict[str, int] = field(default_factory=dict)

    @property
    def stage_id(self) -> str:
        return self.stage.stage_id

    def process(self, table: pa.Table) -> pa.Table:
        work = WorkDir(self.work)
        keys = pc.unique(table[INPUT_KEY]).to_pylist()
        pieces = []
        for key in keys:
            part = table.filter(pc.equal(table[INPUT_KEY], key)) if len(keys) > 1 else table
            decisions = self._decisions(work, key)
            pieces.append(self.stage.decide(part, decisions))
        return pa.concat_tables(pieces, promote_options="permissive") if len(pieces) > 1 else pieces[0]

    def probe(self, table: pa.Table) -> pa.Table:
        return self.stage.probe(table)

    def _decisions(self, work: WorkDir, key: str) -> pa.Table | None:
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            if len(cache) > 4:
                cache.clear()
            cache[key] = self.stage.load_decisions(work, self.file_index[key])
        return cache[key]


class GlobalSink(Protocol):
    """Work over every kept document of a finished run, written beside them.

    ``write`` gets the run's kept Parquet files (``data/``), the output layout, a task
    runner, and the pipeline as a dict (for the sink's manifest); it returns a short
    summary line for the log.
    """

    name: str

    def write(self, files: list[str], layout: OutputLayout, runner: TaskRunner, pipeline: dict[str, Any]) -> str: ...


__all__ = ["ApplyDecisions", "GlobalSink", "GlobalStage"]
