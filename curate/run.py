"""``curate run``: resolve inputs, resume, execute on Ray (or in-process), finalise."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from curate import __version__
from curate.dedup.tasks import TaskRunner, task_runner
from curate.events import ProgressView, emit, get_logger
from curate.execution.progress import ProgressClient, RunProgress
from curate.inputs import discover_inputs
from curate.output import (
    OutputLayout,
    load_reports,
    part_key,
    plan_resume,
    plan_schemas,
    rows_per_input,
)
from curate.ownership import JSON_KEY, ForeignFilesError, Ownership, remove_files
from curate.pipeline import Pipeline, split_at_global_stages, validate_pipeline
from curate.readers import build_reader, reader_format_for
from curate.readers.base import READ_STAGE, InputFile
from curate.stage import Stage
from curate.stats import compute_stats
from curate.storage import filesystem, join

log = get_logger("run")


class RunError(RuntimeError):
    """A problem the user can fix; printed as one line."""


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


# ``executor="auto"`` runs inputs of at most this many bytes (all local) in this process:
# an embedded Ray costs 10-20 s to start, more than such a run takes.
AUTO_LOCAL_MAX_BYTES = 32 << 20


def resolve_executor(executor: str, files: list[InputFile], ray_address: str | None) -> str:
    """``auto``: Ray when an address is given (or Ray already runs here), or the inputs are
    remote or larger than AUTO_LOCAL_MAX_BYTES; else this process, and say so."""
    import os

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
    import os

    try:
        import ray

        if ray.is_initialized():
            return
    except ImportError:
        return
    address = ray_address or os.environ.get("RAY_ADDRESS")
    emit(log, "ray", f"connecting to {address} ..." if address else "starting an embedded Ray ...")


def resolve_prefilter_languages(pipeline: Pipeline) -> list[str]:
    """``prefilter_languages: auto`` (``extract_html``'s cascade) takes the languages the
    pipeline's later ``language_filter`` stages keep, so the two cannot drift apart; with no
    language filter after it the cascade is off.  Returns notes saying what was chosen."""
    notes = []
    for i, stage in enumerate(pipeline.stages):
        if getattr(stage, "prefilter_languages", None) != ["auto"]:
            continue
        later = _languages_kept_after(pipeline, i)
        stage.prefilter_languages = sorted(later) if later else None  # type: ignore[attr-defined]
        if not later:
            notes.append(f"{stage.stage_id}: prefilter_languages is auto but no language_filter follows; the cascade is off")
    return notes


def _languages_kept_after(pipeline: Pipeline, index: int) -> set[str]:
    """The languages the ``language_filter`` stages after stage ``index`` keep (any of them)."""
    return {lang for s in pipeline.stages[index + 1:] if s.name == "language_filter" for lang in getattr(s, "languages", None) or []}


def language_support_warnings(pipeline: Pipeline) -> list[str]:
    """Filters whose rules do not cover the languages an earlier language filter keeps."""
    kept: set[str] | None = None  # None: any language may reach this point
    warnings = []
    for i, stage in enumerate(pipeline.stages):
        if not getattr(stage, "prefilter_languages", None):
            continue
        lost = _languages_kept_after(pipeline, i) - set(stage.prefilter_languages)
        if lost:
            warnings.append(
                f"{stage.stage_id}'s prefilter_languages ({', '.join(stage.prefilter_languages)}) rejects pages in "
                f"{', '.join(sorted(lost))}, which language_filter keeps; add them to prefilter_languages"
            )
    for stage in pipeline.stages:
        languages = getattr(stage, "languages", None)
        if stage.name == "language_filter" and languages:
            kept = set(languages) if kept is None else kept & set(languages)
            continue
        supported = stage.supported_languages
        if supported is None:
            continue
        if kept is None:
            warnings.append(
                f"{stage.stage_id} supports {', '.join(supported)} only, but no language_filter before it "
                "restricts the languages it sees"
            )
        elif not kept <= set(supported):
            warnings.append(
                f"{stage.stage_id} supports {', '.join(supported)} only, but the pipeline keeps "
                f"{', '.join(sorted(kept - set(supported)))} as well"
            )
    return warnings


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
    run_state = layout.path("_curate", "run.json")
    fingerprint = _stage_fingerprint(pipeline)
    previous: dict[str, Any] = {}
    if layout.has_output() and layout.fs.exists(run_state):
        previous = layout.read_json(run_state)
        if previous.get("fingerprint") != fingerprint:
            raise RunError(
                f"{output} holds the output of a different pipeline configuration; "
                "replace it (--overwrite; overwrite=True in Python) or write to another output"
            )
    layout.makedirs()
    input_keys = [f.key for f in files]
    previous_seconds: dict[str, float] = previous.get("stage_seconds", {})
    global_summaries: dict[str, Any] = previous.get("global_stages", {})

    def save_state(complete: bool) -> None:
        layout.write_json(run_state, {
            "fingerprint": fingerprint, "pipeline": pipeline.to_dict(), "curate_version": __version__,
            "stage_seconds": stage_seconds, "global_stages": global_summaries,
            "complete": complete, "inputs": input_keys, "final_inputs": final_inputs,
        })

    stage_seconds = dict(previous_seconds)
    final_inputs: list[str] = previous.get("final_inputs", [])
    phases = plan_phases(pipeline, fmt, files)
    reports_layout, skipped = layout, len(files)
    has_global = any(p.global_stage is not None for p in phases)
    if previous.get("complete") and previous.get("inputs") == input_keys and len(phases) > 1 and _final_complete(layout, previous):
        emit(log, "resume", f"{output} is complete; nothing left to do (--overwrite starts fresh)")
        reports_layout = _phase_layout(layout, 0, len(phases), pipeline)
    else:
        save_state(False)
        # one Ray for every phase and global stage (the executor reuses a running Ray)
        if executor == "ray" and has_global:  # otherwise the first phase's _execute starts Ray (and says so)
            announce_ray(ray_address or pipeline.execution.ray_address)
        with task_runner(executor if has_global else "local", pipeline.execution, ray_address) as runner:
            reports_layout, skipped, final_inputs = _run_phases(
                pipeline, phases, files, reader, reader_options, layout, executor, ray_address, progress,
                stage_seconds, global_summaries, runner,
            )
        if len(phases) > 1 and not pipeline.output.keep_intermediate:
            for i in range(1, len(phases)):
                phase_layout = _phase_layout(layout, i - 1, len(phases), pipeline)
                remove_files(phase_layout.fs, phase_layout.base, phase_layout.owned_part_files(phase_layout.data_dir))
        save_state(True)

    read_seconds = stage_seconds.get(READ_STAGE, 0.0)
    stats, written = compute_stats(layout, pipeline, READ_STAGE, stage_seconds, read_seconds, input_keys, reports_layout)
    if global_summaries:
        stats["dedup"] = global_summaries
    stats["seconds_this_run"] = round(time.time() - started, 3)
    stats[JSON_KEY] = owner.output_id
    layout.write_json(layout.path("stats.json"), stats)
    manifest = {
        "curate_version": __version__,
        "pipeline": pipeline.to_dict(),
        "inputs": [f.path for f in files],
        "documents": stats["documents"],
        "files": [
            {"kind": f["kind"], "path": f["path"].rsplit("/", 2)[-2] + "/" + f["path"].rsplit("/", 1)[-1], "rows": f["rows"]}
            for f in written
        ],
    }
    layout.write_json(layout.path("manifest.json"), manifest)
    if pipeline.output.tokenized is not None:
        _write_training_shards(pipeline, layout, executor, ray_address, [f["path"] for f in written if f["kind"] == "data"])
    result = RunResult(output, len(files), skipped, stats, written, time.time() - started)
    log_summary(result)
    return result


TOKENIZED_OPTIONS = {"shard_tokens", "row_group_tokens", "seed", "total_tokens", "keep_documents"}


def _write_training_shards(pipeline: Pipeline, layout: OutputLayout, executor: str, ray_address: str | None, files: list[str]) -> None:
    """``output.tokenized``: shuffle the kept, tokenized documents into training shards."""
    from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized
    from curate.tokenize.stage import Tokenize

    options = dict(pipeline.output.tokenized or {})
    unknown = set(options) - TOKENIZED_OPTIONS
    if unknown:
        raise RunError(f"output.tokenized: unknown settings {sorted(unknown)}; known: {sorted(TOKENIZED_OPTIONS)}")
    last = pipeline.stages[-1] if pipeline.stages else None
    if not isinstance(last, Tokenize):
        raise RunError("output.tokenized needs the pipeline's last stage to be tokenize: {tokenizer: ...}")
    keep_documents = options.pop("keep_documents", True)
    settings = TokenizedSettings(tokenizer=last.tokenizer, add_bos=last.add_bos, add_eos=last.add_eos, reuse_ids=True, **options)
    with task_runner(executor, pipeline.execution, ray_address) as runner:
        manifest = write_tokenized([Source(pipeline.name, sorted(files))], layout.root, settings, runner,
                                   pipeline=pipeline.to_dict())
    if not keep_documents:
        remove_files(layout.fs, layout.base, layout.owned_part_files(layout.data_dir))
    totals = manifest["totals"]
    emit(log, "tokenized", f"{totals['tokens']:,} tokens of {totals['documents']:,} documents in {len(manifest['shards'])} shards -> {layout.root}/tokens")


@dataclass
class Phase:
    """Map stages that stream from one reader to one output folder.

    A pipeline without global stages is one phase.  Each global stage (deduplication)
    starts a new phase: its clusters are computed over the previous phase's output (or
    the Parquet inputs themselves), then applied as the new phase's first stage.
    """

    stages: list[Stage]
    global_stage: Any = None


def plan_phases(pipeline: Pipeline, fmt: str, files: list[InputFile]) -> list[Phase]:
    phases = [Phase(stages, global_stage) for global_stage, stages in split_at_global_stages(pipeline.stages)]
    all_parquet = all(reader_format_for(f.path) == "parquet" for f in files) if fmt == "auto" else fmt == "parquet"
    if len(phases) > 1 and not phases[0].stages and all_parquet:
        phases = phases[1:]  # a global stage can read Parquet inputs directly
    return phases


def _final_complete(layout: OutputLayout, previous: dict[str, Any]) -> bool:
    """Whether the final phase's output of a finished phased run is still all on disk."""
    keys = previous.get("final_inputs") or []
    reports = load_reports(layout)
    counts, _ = rows_per_input(layout)
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


def _phase_layout(layout: OutputLayout, index: int, count: int, pipeline: Pipeline) -> OutputLayout:
    if index == count - 1:
        return layout
    return OutputLayout(join(work_root(layout, pipeline), "phases", str(index)), rejects_root=layout.rejects_dir,
                        intermediate=True, owner_id=layout.owner_id, rejects_schema=layout.rejects_schema)


def _run_phases(
    pipeline: Pipeline,
    phases: list[Phase],
    files: list[InputFile],
    reader: Any,
    reader_options: dict[str, Any],
    layout: OutputLayout,
    executor: str,
    ray_address: str | None,
    progress: ProgressView | None,
    stage_seconds: dict[str, float],
    global_summaries: dict[str, Any],
    runner: TaskRunner,
) -> tuple[OutputLayout, int, list[str]]:
    """Run every phase in order; return the layout holding the readers' reports, how
    many inputs the first phase found complete already, and the last phase's input keys."""
    from curate.dedup.base import ApplyDecisions
    from curate.dedup.workdir import WorkDir

    inputs = files
    first_layout, first_skipped = None, 0
    origin_keys = [f.key for f in files]
    earlier_phase_wrote = False
    for i, phase in enumerate(phases):
        phase_layout = _phase_layout(layout, i, len(phases), pipeline)
        first_layout = first_layout or phase_layout
        stages = list(phase.stages)
        phase_reader = reader
        if phase.global_stage is not None:
            stage = phase.global_stage
            options = {**reader_options, "fields": reader_options.get("fields") or ["*"]}
            options = {k: v for k, v in options.items() if k in _parquet_option_names()}
            work = WorkDir(join(work_root(layout, pipeline), "dedup", stage.stage_id))
            global_summaries[stage.stage_id] = _compute_global(stage, inputs, options, work, runner, stage_seconds, origin_keys)
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
            first_skipped = len(complete)
        if complete:
            emit(log, "resume", f"{len(complete)} of {len(inputs)} inputs already complete, skipping them"
                 + ("" if todo else "; nothing left to do in this phase"))
        if todo:
            earlier_phase_wrote = True
            sub = dataclasses.replace(pipeline, stages=stages)
            snapshot = _execute(sub, todo, phase_reader, phase_layout, executor, ray_address, progress, len(inputs), len(complete))
            for name, entry in snapshot.get("stages", {}).items():
                if name == READ_STAGE and phase_layout is not first_layout:
                    continue  # re-reading the previous phase's output is not the run's read
                stage_seconds[name] = stage_seconds.get(name, 0.0) + entry["seconds"]
        final_keys = keys
        inputs = [InputFile(p) for p in phase_layout.part_files(phase_layout.data_dir)]
        reader_options = {"batch_rows": pipeline.execution.batch_rows}
    return first_layout, first_skipped, final_keys


def _parquet_option_names() -> set[str]:
    from curate.readers.jsonl import ParquetReader

    return {f.name for f in dataclasses.fields(ParquetReader)}


def _compute_global(
    stage: Any, inputs: list[InputFile], options: dict[str, Any], work: Any, runner: TaskRunner,
    stage_seconds: dict[str, float], origin_keys: list[str],
) -> dict[str, Any]:
    paths = [f.path for f in inputs]
    done = work.read_json("complete.json")
    if done is not None and done.get("files") == paths and done.get("config") == stage.config():
        emit(log, "resume", f"{stage.stage_id} clusters already computed")
        return done["summary"]
    emit(log, stage.stage_id, f"computing over {len(paths)} files ...")
    started = time.time()
    summary = stage.compute(paths, options, work, runner, origin_keys)
    summary["seconds"] = round(time.time() - started, 3)
    stage_seconds[stage.stage_id] = stage_seconds.get(stage.stage_id, 0.0) + summary["seconds"]
    work.write_json("complete.json", {"files": paths, "config": stage.config(), "summary": summary})
    return summary


def _execute(
    pipeline: Pipeline,
    todo: list[InputFile],
    reader: Any,
    layout: OutputLayout,
    executor: str,
    ray_address: str | None,
    progress: ProgressView | None,
    total: int,
    skipped: int,
) -> dict[str, Any]:
    if executor == "local":
        from curate.execution.local import execute_local

        target = RunProgress(total, skipped, [st.stage_id for st in pipeline.stages])
        client = ProgressClient(target)
        _run_watched(
            lambda: execute_local(todo, reader, pipeline.stages, layout, pipeline.output, client),
            client,
            progress,
        )
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

    announce_ray(ray_address or pipeline.execution.ray_address)
    started_ray = start_ray(pipeline.execution, ray_address)
    try:
        try:
            check_shared_folders([layout.base, *([layout.rejects_root] if layout.rejects_root else [])], layout.owner_id)
        except UnsharedPathError as exc:
            raise RunError(str(exc)) from None
        actor = make_progress_actor(total, skipped, [st.stage_id for st in pipeline.stages])
        client = ProgressClient(actor)
        _run_watched(
            lambda: execute_ray(todo, reader, pipeline.stages, layout, pipeline.output, pipeline.execution, actor),
            client,
            progress,
        )
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
