"""A run's state and its phases: resume, global stages, and the phase-by-phase loop.

:class:`Run` carries what every phase of one ``curate run`` shares (the pipeline, its
inputs and reader, the output layout, the executor, per-stage seconds, the global stages'
summaries, the task runner) so that no function passes them by hand.  ``curate.run``
builds it (:func:`curate.run.run_pipeline`) and finishes it (statistics, manifest, global
sinks); this module runs the phases in between:

- a phase streams its inputs through its map stages (:func:`curate.execution.executor.execute`);
- a phase after a global stage first computes the stage's decisions over the previous
  phase's output (restartably, in a work folder) and applies them as its first stage;
- inputs already complete in the output are skipped; a phase whose input changed starts afresh.

What happens is logged to ``curate.run`` (see :mod:`curate.events`); live counters go to
the run's :class:`~curate.events.ProgressView`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from curate._version import __version__
from curate.events import ProgressView, emit, get_logger
from curate.execution.common import PhaseWork
from curate.execution.executor import announce_ray, execute
from curate.execution.global_stage import ApplyDecisions, GlobalStage
from curate.execution.tasks import TaskRunner, task_runner
from curate.execution.workdir import WorkDir
from curate.output import OutputLayout, load_reports, part_key, plan_resume, rows_per_input
from curate.ownership import remove_files
from curate.plan import Phase
from curate.readers import build_reader
from curate.readers.base import READ_STAGE, InputFile, Reader
from curate.storage import filesystem, join

if TYPE_CHECKING:
    from curate.pipeline import Pipeline

log = get_logger("run")


@dataclass
class Run:
    """One run of a pipeline over resolved inputs into one output."""

    pipeline: Pipeline
    output: str  # as the user gave it
    files: list[InputFile]
    fmt: str  # the reader's format (``auto``: by file name)
    reader: Reader
    reader_options: dict[str, Any]
    layout: OutputLayout
    executor: str
    ray_address: str | None = None
    progress: ProgressView | None = None
    fingerprint: str = ""
    # filled as the run goes, and carried over from an interrupted run of the same output
    stage_seconds: dict[str, float] = field(default_factory=dict)
    global_summaries: dict[str, Any] = field(default_factory=dict)
    final_inputs: list[str] = field(default_factory=list)
    reports_layout: OutputLayout | None = None
    skipped: int = 0

    @property
    def input_keys(self) -> list[str]:
        return [f.key for f in self.files]

    @property
    def state_path(self) -> str:
        return self.layout.path("_curate", "run.json")

    def save_state(self, complete: bool) -> None:
        """``_curate/run.json``: what a later run of the same output resumes from."""
        self.layout.write_json(self.state_path, {
            "fingerprint": self.fingerprint, "pipeline": self.pipeline.to_dict(), "curate_version": __version__,
            "stage_seconds": self.stage_seconds, "global_stages": self.global_summaries,
            "complete": complete, "inputs": self.input_keys, "final_inputs": self.final_inputs,
        })

    def resume_from(self, previous: dict[str, Any]) -> None:
        """Take over the figures of an earlier, interrupted run of this output."""
        self.stage_seconds = dict(previous.get("stage_seconds", {}))
        self.global_summaries = previous.get("global_stages", {})
        self.final_inputs = previous.get("final_inputs", [])

    # -- the phases ----------------------------------------------------------------------
    def execute(self, phases: list[Phase], previous: dict[str, Any]) -> None:
        """Run every phase that is not complete yet, then drop the intermediate outputs."""
        pipeline, layout = self.pipeline, self.layout
        self.reports_layout, self.skipped = layout, len(self.files)
        has_global = any(p.global_stage is not None for p in phases)
        if previous.get("complete") and previous.get("inputs") == self.input_keys and len(phases) > 1 and self._final_complete(previous):
            emit(log, "resume", f"{self.output} is complete; nothing left to do (--overwrite starts fresh)")
            self.reports_layout = self.phase_layout(0, len(phases))
            return
        self.save_state(False)
        # one Ray for every phase and global stage (the executor reuses a running Ray)
        if self.executor == "ray" and has_global:  # otherwise the first phase's execute starts Ray (and says so)
            announce_ray(self.ray_address or pipeline.execution.ray_address)
        with task_runner(self.executor if has_global else "local", pipeline.execution, self.ray_address) as runner:
            self._run_phases(phases, runner)
        if len(phases) > 1 and not pipeline.output.keep_intermediate:
            for i in range(1, len(phases)):
                phase_layout = self.phase_layout(i - 1, len(phases))
                remove_files(phase_layout.fs, phase_layout.base, phase_layout.owned_part_files(phase_layout.data_dir))
        self.save_state(True)

    def _run_phases(self, phases: list[Phase], runner: TaskRunner) -> None:
        """Run every phase in order; record the layout holding the readers' reports, how
        many inputs the first phase found complete already, and the last phase's input keys."""
        pipeline, layout = self.pipeline, self.layout
        inputs = self.files
        reader, reader_options = self.reader, self.reader_options
        first_layout: OutputLayout | None = None
        earlier_phase_wrote = False
        for i, phase in enumerate(phases):
            phase_layout = self.phase_layout(i, len(phases))
            first_layout = first_layout or phase_layout
            stages = list(phase.stages)
            phase_reader = reader
            if phase.global_stage is not None:
                stage = phase.global_stage
                options = {**reader_options, "fields": reader_options.get("fields") or ["*"]}
                options = {k: v for k, v in options.items() if k in _parquet_option_names()}
                work = WorkDir(join(work_root(layout, pipeline), "dedup", stage.stage_id))
                self.global_summaries[stage.stage_id] = self._compute_global(stage, inputs, options, work, runner)
                stages.insert(0, ApplyDecisions(stage=stage, work=work.root, file_index={f.key: j for j, f in enumerate(inputs)}))
                phase_reader = build_reader("parquet", options)
            if len(phases) > 1:
                names = ", ".join(st.stage_id for st in stages) or "(no stages)"
                emit(log, f"phase {i + 1}/{len(phases)}", f"{len(inputs)} inputs -> {names}")
            phase_layout.makedirs()
            keys = [f.key for f in inputs]
            state_name = layout.path("_curate", "phases", f"{i}.json")
            recorded = layout.read_json(state_name)["inputs"] if layout.fs.exists(state_name) else None
            if i > 0 and (earlier_phase_wrote or (recorded is not None and recorded != keys)):
                # this phase reads the previous one's output, which changed: start it afresh
                _clear_phase(phase_layout, set(keys) | set(recorded or []))
            layout.fs.makedirs(layout.path("_curate", "phases"), exist_ok=True)
            layout.write_json(state_name, {"inputs": keys})
            complete, _ = plan_resume(phase_layout, keys)
            todo = [f for f in inputs if f.key not in complete]
            if i == 0:
                self.skipped = len(complete)
            if complete:
                emit(log, "resume", f"{len(complete)} of {len(inputs)} inputs already complete, skipping them"
                     + ("" if todo else "; nothing left to do in this phase"))
            if todo:
                earlier_phase_wrote = True
                phase_work = PhaseWork(todo, phase_reader, stages, phase_layout, pipeline.output, pipeline.execution)
                snapshot = execute(self.executor, phase_work, self.ray_address, self.progress, (len(inputs), len(complete)))
                for name, entry in snapshot.get("stages", {}).items():
                    if name == READ_STAGE and phase_layout is not first_layout:
                        continue  # re-reading the previous phase's output is not the run's read
                    self.stage_seconds[name] = self.stage_seconds.get(name, 0.0) + entry["seconds"]
            self.final_inputs = keys
            inputs = [InputFile(p) for p in phase_layout.part_files(phase_layout.data_dir)]
            reader_options = {"batch_rows": pipeline.execution.batch_rows}
        self.reports_layout = first_layout

    def _compute_global(
        self, stage: GlobalStage, inputs: list[InputFile], options: dict[str, Any], work: WorkDir, runner: TaskRunner,
    ) -> dict[str, Any]:
        paths = [f.path for f in inputs]
        done = work.read_json("complete.json")
        if done is not None and done.get("files") == paths and done.get("config") == stage.config():
            emit(log, "resume", f"{stage.stage_id} clusters already computed")
            return done["summary"]
        emit(log, stage.stage_id, f"computing over {len(paths)} files ...")
        started = time.time()
        summary = stage.compute(paths, options, work, runner, self.input_keys)
        summary["seconds"] = round(time.time() - started, 3)
        self.stage_seconds[stage.stage_id] = self.stage_seconds.get(stage.stage_id, 0.0) + summary["seconds"]
        work.write_json("complete.json", {"files": paths, "config": stage.config(), "summary": summary})
        return summary

    def phase_layout(self, index: int, count: int) -> OutputLayout:
        """Where phase ``index`` of ``count`` writes: the output itself for the last phase,
        else a folder under the run's work root."""
        layout = self.layout
        if index == count - 1:
            return layout
        return OutputLayout(join(work_root(layout, self.pipeline), "phases", str(index)), rejects_root=layout.rejects_dir,
                            intermediate=True, owner_id=layout.owner_id, rejects_schema=layout.rejects_schema)

    def _final_complete(self, previous: dict[str, Any]) -> bool:
        """Whether the final phase's output of a finished phased run is still all on disk."""
        keys = previous.get("final_inputs") or []
        reports = load_reports(self.layout)
        counts, _ = rows_per_input(self.layout)
        return bool(keys) and all(k in reports and counts.get(k, 0) == reports[k].rows for k in keys)


def _clear_phase(layout: OutputLayout, keys: set[str]) -> None:
    """Remove a phase's earlier output: its inputs changed, so it is redone from scratch."""
    for kind_dir in (layout.data_dir, layout.rejects_dir):
        for path in layout.owned_part_files(kind_dir):
            if part_key(path) in keys or (layout.intermediate and kind_dir == layout.data_dir):
                layout.fs.rm(path)
    for key in keys:
        if layout.fs.exists(layout.report_path(key)):
            layout.fs.rm(layout.report_path(key))


def work_root(layout: OutputLayout, pipeline: Pipeline) -> str:
    """Where a run keeps the intermediate data of its global stages: the output's
    ``_curate/`` folder, or ``execution.scratch/<output id>`` when a shared scratch URL is
    set.  Either is on a filesystem every node reads, never a node's own disk by accident."""
    scratch = pipeline.execution.scratch
    if not scratch:
        return layout.path("_curate")
    _, root = filesystem(scratch)
    return join(root, f"curate-{layout.owner_id}")


def remove_scratch(layout: OutputLayout, pipeline: Pipeline) -> None:
    """``--overwrite``: the scratch folder of this output (named by its id), if any."""
    if pipeline.execution.scratch and layout.owner_id:
        fs, root = filesystem(work_root(layout, pipeline))
        if fs.exists(root):
            fs.rm(root, recursive=True)


def _parquet_option_names() -> set[str]:
    import dataclasses

    from curate.readers.jsonl import ParquetReader

    return {f.name for f in dataclasses.fields(ParquetReader)}


__all__ = ["Run", "remove_scratch", "work_root"]
