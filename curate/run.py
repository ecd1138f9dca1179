"""``curate run``: resolve inputs, resume, execute on Ray (or in-process), finalise.

:func:`run_pipeline` is the whole run in three steps: :func:`prepare_run` checks the
settings, finds the inputs, picks the reader and the executor, claims the output and
builds a :class:`~curate.execution.phases.Run`; the run executes its phases
(:mod:`curate.execution.phases`); :func:`finish_run` writes ``stats.json`` and
``manifest.json`` and runs the global sinks (``output.tokenized``).  What the run does
is logged to ``curate.run`` (see :mod:`curate.events`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from curate._version import __version__
from curate.errors import RunError
from curate.events import ProgressView, emit, get_logger
from curate.execution.executor import resolve_executor
from curate.execution.global_stage import GlobalSink
from curate.execution.phases import Run, remove_scratch, work_root
from curate.execution.tasks import task_runner
from curate.inputs import discover_inputs
from curate.output import OutputLayout, plan_schemas
from curate.ownership import JSON_KEY, ForeignFilesError, Ownership
from curate.pipeline import Pipeline, validate_pipeline
from curate.pipeline_checks import language_support_warnings, resolve_prefilter_languages
from curate.plan import plan_phases
from curate.readers import build_reader, reader_format_for
from curate.readers.base import READ_STAGE, InputFile
from curate.stats import compute_stats

log = get_logger("run")


@dataclass
class RunResult:
    output: str
    inputs_total: int
    inputs_skipped: int
    stats: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def kept(self) -> int:
        return self.stats["documents"]["kept"]

    @property
    def rejected(self) -> int:
        return self.stats["documents"]["rejected"]


def run_pipeline(
    pipeline: Pipeline,
    inputs: list[str] | None = None,
    output: str | None = None,
    *,
    executor: str = "ray",
    ray_address: str | None = None,
    overwrite: bool = False,
    progress: ProgressView | None = None,
    allow_other_files: bool = False,
) -> RunResult:
    """Run ``pipeline`` over ``inputs`` into ``output`` (a local path or any fsspec URL).

    ``overwrite`` deletes what curate wrote there before (never other files);
    ``allow_other_files`` lets the output folder hold files curate did not write.
    ``progress`` shows live counters (the ``curate`` command passes its terminal line).
    What the run does is logged to ``curate.run`` (see :mod:`curate.events`).
    """
    started = time.time()
    run, owner = prepare_run(pipeline, inputs, output, executor=executor, ray_address=ray_address,
                             overwrite=overwrite, progress=progress, allow_other_files=allow_other_files)
    previous: dict[str, Any] = {}
    layout = run.layout
    if layout.has_output() and layout.fs.exists(run.state_path):
        previous = layout.read_json(run.state_path)
        if previous.get("fingerprint") != run.fingerprint:
            raise RunError(
                f"{run.output} holds the output of a different pipeline configuration; "
                "replace it (--overwrite; overwrite=True in Python) or write to another output"
            )
    layout.makedirs()
    run.resume_from(previous)
    run.execute(plan_phases(pipeline, run.fmt, run.files), previous)
    return finish_run(run, owner, started)


def prepare_run(
    pipeline: Pipeline,
    inputs: list[str] | None,
    output: str | None,
    *,
    executor: str,
    ray_address: str | None,
    overwrite: bool,
    progress: ProgressView | None,
    allow_other_files: bool,
) -> tuple[Run, Ownership]:
    """Everything before the first document is read: settings, inputs, reader, executor,
    the output's schemas and ownership (``overwrite`` removes what curate wrote there)."""
    output = output or pipeline.output.path
    if not output:
        raise RunError("no output directory: pass --output DIR (or set output.path in the pipeline)")
    specs = list(inputs or pipeline.input.paths or [])
    if not specs:
        raise RunError("no inputs: pass --input PATH (or set input.paths in the pipeline)")
    validate_pipeline(pipeline)  # settings of every section and stage, before any work
    for note in resolve_prefilter_languages(pipeline):
        emit(log, "note", note)
    found = discover_inputs(specs, pipeline.input.paths_base_url, pipeline.input.storage_options, pipeline.input.limit, fmt=pipeline.input.format)
    files = found.files
    for note in found.notes:
        emit(log, "note", note)
    fmt = _pick_format(pipeline, files)
    executor = resolve_executor(executor, files, ray_address or pipeline.execution.ray_address)
    reader_options = {"batch_rows": pipeline.execution.batch_rows, **pipeline.input.options}
    if pipeline.input.storage_options:
        reader_options.setdefault("storage_options", pipeline.input.storage_options)
    reader = build_reader(fmt, reader_options)
    for stage in pipeline.stages:
        stage.validate()
    for warning in language_support_warnings(pipeline):
        emit(log, "warning", warning, logging.WARNING)

    layout = OutputLayout(output)
    # one schema for data/ and one for rejects/ over the whole run, every phase included
    layout.data_schema, layout.rejects_schema = plan_schemas(pipeline.stages, reader, [f.path for f in files], pipeline.output.rejects)
    try:
        owner = Ownership.claim(layout.root, allow_other_files=allow_other_files)
    except ForeignFilesError as exc:
        raise RunError(str(exc)) from None
    layout.owner_id = owner.output_id
    if overwrite:
        remove_scratch(layout, pipeline)
        owner.remove_owned()
    for stage in pipeline.stages:  # work a stage does once on the driver (decontaminate's index)
        stage.prepare(work_root(layout, pipeline))
    run = Run(pipeline=pipeline, output=output, files=files, fmt=fmt, reader=reader, reader_options=reader_options, layout=layout,
              executor=executor, ray_address=ray_address, progress=progress, fingerprint=_stage_fingerprint(pipeline))
    return run, owner


def finish_run(run: Run, owner: Ownership, started: float) -> RunResult:
    """``stats.json``, ``manifest.json`` and the global sinks of a run whose phases are done."""
    pipeline, layout = run.pipeline, run.layout
    read_seconds = run.stage_seconds.get(READ_STAGE, 0.0)
    stats, written = compute_stats(layout, pipeline, READ_STAGE, run.stage_seconds, read_seconds, run.input_keys, run.reports_layout)
    summarized = set()
    for stage in pipeline.stages:  # figures a stage counts from the finished output
        key = stage.summary_key
        figures = stage.output_summary(layout) if key else None
        if key is None or figures is None:
            continue
        summarized.add(stage.stage_id)
        if stage.stage_id in run.global_summaries:  # its global part's figures (decontaminate's partitioned join)
            figures["global"] = run.global_summaries[stage.stage_id]
        stats.setdefault(key, {})[stage.stage_id] = figures
    dedup = {name: figures for name, figures in run.global_summaries.items() if name not in summarized}
    if dedup:
        stats["dedup"] = dedup
    stats["seconds_this_run"] = round(time.time() - started, 3)
    stats[JSON_KEY] = owner.output_id
    layout.write_json(layout.path("stats.json"), stats)
    manifest = {
        "curate_version": __version__,
        "pipeline": pipeline.to_dict(),
        "inputs": [f.path for f in run.files],
        "documents": stats["documents"],
        "files": [
            {"kind": f["kind"], "path": f["path"].rsplit("/", 2)[-2] + "/" + f["path"].rsplit("/", 1)[-1], "rows": f["rows"]}
            for f in written
        ],
    }
    layout.write_json(layout.path("manifest.json"), manifest)
    kept_files = [f["path"] for f in written if f["kind"] == "data"]
    for sink in global_sinks(pipeline):
        with task_runner(run.executor, pipeline.execution, run.ray_address) as runner:
            emit(log, sink.name, sink.write(kept_files, layout, runner, pipeline.to_dict()))
    result = RunResult(run.output, len(run.files), run.skipped, stats, written, time.time() - started)
    log_summary(result)
    return result


def global_sinks(pipeline: Pipeline) -> list[GlobalSink]:
    """The work a finished run does over all its kept documents (``output.tokenized``)."""
    if pipeline.output.tokenized is None:
        return []
    from curate.tokenize.sink import TokenizedShards

    return [TokenizedShards.from_pipeline(pipeline)]


def _pick_format(pipeline: Pipeline, inputs: list[InputFile]) -> str:
    fmt = pipeline.input.format
    if fmt != "auto":
        return fmt
    unknown = [f.path for f in inputs if reader_format_for(f.path) is None]
    if unknown:
        raise RunError(
            f"cannot tell the format of {unknown[0]} from its name; "
            "set input.format in the pipeline (warc, jsonl, parquet, text, epub or html; code for repositories)"
        )
    return "auto"


def _stage_fingerprint(pipeline: Pipeline) -> str:
    data = pipeline.to_dict()
    return json.dumps({"input": {"format": data["input"]["format"], "options": data["input"]["options"]}, "stages": data["stages"]}, sort_keys=True, default=str)


def summary_lines(result: RunResult) -> list[tuple[str, str, int]]:
    """The end-of-run summary as (label, text, log level) lines."""
    stats = result.stats
    lines = [(
        f"done in {result.seconds:.1f}s",
        f"{stats['documents']['kept']:,} documents kept, "
        f"{stats['documents']['rejected']:,} rejected, from {result.inputs_total} inputs "
        f"({result.inputs_skipped} read by an earlier run) -> {result.output}",
        logging.INFO,
    )]
    for stage in stats["stages"]:
        drops = ", ".join(f"{r} {n:,}" for r, n in stage["dropped"].items()) or "-"
        lines.append(("", f"  {stage['stage']:<24} in {stage['rows_in']:>9,}  out {stage['rows_out']:>9,}  dropped: {drops}", logging.INFO))
    for item in stats["damaged_inputs"]:
        lines.append(("damaged input", f"{item['input']}: {item['damage']}", logging.WARNING))
    if stats.get("warning"):
        lines.append(("warning", stats["warning"], logging.WARNING))
    return lines


def log_summary(result: RunResult) -> None:
    for label, text, level in summary_lines(result):
        emit(log, label, text, level)


__all__ = ["RunError", "RunResult", "finish_run", "prepare_run", "run_pipeline", "summary_lines"]
