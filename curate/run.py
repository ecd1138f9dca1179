"""``curate run``: resolve inputs, resume, execute on Ray (or in-process), finalise."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from rich.markup import escape

from curate import __version__
from curate.execution.progress import ProgressClient, RunProgress
from curate.inputs import expand_inputs
from curate.output import OutputLayout, clear_output, plan_resume
from curate.pipeline import Pipeline
from curate.readers import build_reader, reader_format_for
from curate.readers.base import READ_STAGE, InputFile
from curate.stats import compute_stats


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
            "set input.format in the pipeline (warc, jsonl or parquet)"
        )
    return "auto"


def _stage_fingerprint(pipeline: Pipeline) -> str:
    data = pipeline.to_dict()
    return json.dumps({"input": {"format": data["input"]["format"], "options": data["input"]["options"]}, "stages": data["stages"]}, sort_keys=True, default=str)


def language_support_warnings(pipeline: Pipeline) -> list[str]:
    """Filters whose rules do not cover the languages an earlier language filter keeps."""
    kept: set[str] | None = None  # None: any language may reach this point
    warnings = []
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
    progress: bool = True,
    console: Any = None,
) -> RunResult:
    from rich.console import Console

    console = console or Console(stderr=True)
    started = time.time()
    output = output or pipeline.output.path
    if not output:
        raise RunError("no output directory: pass --output DIR (or set output.path in the pipeline)")
    specs = list(inputs or pipeline.input.paths or [])
    if not specs:
        raise RunError("no inputs: pass --input PATH (or set input.paths in the pipeline)")
    files = expand_inputs(specs, pipeline.input.paths_base_url, pipeline.input.storage_options, pipeline.input.limit)
    fmt = _pick_format(pipeline, files)
    reader_options = {"batch_rows": pipeline.execution.batch_rows, **pipeline.input.options}
    if pipeline.input.storage_options:
        reader_options.setdefault("storage_options", pipeline.input.storage_options)
    reader = build_reader(fmt, reader_options)
    for stage in pipeline.stages:
        stage.validate()
    for warning in language_support_warnings(pipeline):
        console.print(f"[yellow]warning[/yellow]: {escape(warning)}")

    layout = OutputLayout(output)
    if overwrite:
        clear_output(layout)
    run_state = layout.path("_curate", "run.json")
    fingerprint = _stage_fingerprint(pipeline)
    if layout.has_output() and layout.fs.exists(run_state):
        previous = layout.read_json(run_state)
        if previous.get("fingerprint") != fingerprint:
            raise RunError(
                f"{output} holds the output of a different pipeline configuration; "
                "use --overwrite to replace it, or another --output"
            )
    layout.makedirs()
    complete, _ = plan_resume(layout, [f.key for f in files])
    todo = [f for f in files if f.key not in complete]
    if complete:
        console.print(
            f"[bold]resume[/bold]: {len(complete)} of {len(files)} inputs already complete in {output}, skipping them"
            + ("" if todo else "; nothing left to do (use --overwrite to start fresh)")
        )
    previous_seconds: dict[str, float] = {}
    if layout.fs.exists(run_state):
        previous_seconds = layout.read_json(run_state).get("stage_seconds", {})
    layout.write_json(
        run_state,
        {"fingerprint": fingerprint, "pipeline": pipeline.to_dict(), "curate_version": __version__, "stage_seconds": previous_seconds},
    )

    snapshot: dict[str, Any] = {}
    if todo:
        snapshot = _execute(pipeline, todo, reader, layout, executor, ray_address, progress, console, len(files), len(complete))

    stage_seconds = dict(previous_seconds)
    for name, entry in snapshot.get("stages", {}).items():
        stage_seconds[name] = stage_seconds.get(name, 0.0) + entry["seconds"]
    read_seconds = stage_seconds.get(READ_STAGE, 0.0)
    stats, written = compute_stats(layout, pipeline, READ_STAGE, stage_seconds, read_seconds, [f.key for f in files])
    stats["seconds_this_run"] = round(time.time() - started, 3)
    layout.write_json(layout.path("stats.json"), stats)
    layout.write_json(run_state, {"fingerprint": fingerprint, "pipeline": pipeline.to_dict(), "curate_version": __version__, "stage_seconds": stage_seconds})
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
    result = RunResult(output, len(files), len(complete), stats, written, time.time() - started)
    _print_summary(console, result)
    return result


def _execute(
    pipeline: Pipeline,
    todo: list[InputFile],
    reader: Any,
    layout: OutputLayout,
    executor: str,
    ray_address: str | None,
    show_progress: bool,
    console: Any,
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
            console,
            show_progress,
        )
        return client.get_snapshot()
    if executor != "ray":
        raise RunError(f"unknown executor {executor!r}; use 'ray' or 'local'")

    import ray

    from curate.execution.ray_executor import execute_ray, make_progress_actor, start_ray

    started_ray = start_ray(pipeline.execution, ray_address)
    try:
        actor = make_progress_actor(total, skipped, [st.stage_id for st in pipeline.stages])
        client = ProgressClient(actor)
        _run_watched(
            lambda: execute_ray(todo, reader, pipeline.stages, layout, pipeline.output, pipeline.execution, actor),
            client,
            console,
            show_progress,
        )
        return client.get_snapshot()
    finally:
        if started_ray:
            ray.shutdown()


def _run_watched(work: Any, client: ProgressClient, console: Any, show: bool) -> None:
    """Run ``work`` in a thread while this one shows progress; re-raise its failure here."""
    failed: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=target, name="curate-run", daemon=True)
    thread.start()
    _watch(thread, client, console, show)
    if failed:
        raise failed[0]


def _progress_line(snap: dict[str, Any]) -> str:
    elapsed = max(snap["elapsed"], 1e-6)
    done = snap["inputs_done"] + snap["skipped_inputs"]
    return (
        f"files {done}/{snap['total_inputs']}  records {snap['records']:,}  "
        f"documents kept {snap['documents_kept']:,}  "
        f"{snap['records'] / elapsed:,.0f} records/s  {elapsed:,.0f}s"
    )


def _watch(thread: threading.Thread, client: ProgressClient, console: Any, show: bool) -> None:
    if not show:
        thread.join()
        return
    if console.is_terminal:
        from rich.live import Live

        with Live(console=console, refresh_per_second=4, transient=True) as live:
            while thread.is_alive():
                thread.join(0.5)
                try:
                    live.update(_progress_line(client.get_snapshot()))
                except Exception:
                    pass
        return
    last = 0.0
    while thread.is_alive():
        thread.join(1.0)
        if time.time() - last >= 10:
            last = time.time()
            try:
                console.print(_progress_line(client.get_snapshot()))
            except Exception:
                pass


def _print_summary(console: Any, result: RunResult) -> None:
    stats = result.stats
    console.print(
        f"[bold]done[/bold] in {result.seconds:.1f}s: {stats['documents']['kept']:,} documents kept, "
        f"{stats['documents']['rejected']:,} rejected, from {result.inputs_total} inputs "
        f"({result.inputs_skipped} skipped as already complete) -> {escape(result.output)}"
    )
    for stage in stats["stages"]:
        drops = ", ".join(f"{r} {n:,}" for r, n in stage["dropped"].items()) or "-"
        drops = escape(drops)
        console.print(f"  {escape(stage['stage']):<24} in {stage['rows_in']:>9,}  out {stage['rows_out']:>9,}  dropped: {drops}")
    for item in stats["damaged_inputs"]:
        console.print(f"[yellow]damaged input[/yellow] {escape(item['input'])}: {escape(item['damage'])}")
    if stats.get("warning"):
        console.print(f"[red]warning[/red]: {escape(stats['warning'])}")
