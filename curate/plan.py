"""The planner: how a pipeline's stages are grouped into phases and worker segments.

It reads the pipeline's settings (:mod:`curate.config`) and its stages, nothing else: no
Ray, no filesystem.  A pipeline runs as one *phase* per global stage boundary (a global
stage, such as deduplication, must see every document before it decides; see
:mod:`curate.execution.global_stage`), and inside a phase consecutive stages that can share
a worker form a *segment* (one Ray Data operator; see :mod:`curate.execution.ray_executor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from curate.config import InputConfig, OutputConfig
from curate.stage import Stage

if TYPE_CHECKING:
    from curate.execution.global_stage import GlobalStage
    from curate.pipeline import Pipeline
    from curate.readers.base import InputFile


def split_at_global_stages(stages: list[Stage]) -> list[tuple[Stage | None, list[Stage]]]:
    """``[(None, stages before the first global stage), (global stage, the map stages
    after it), ...]``: a pipeline runs one phase per group (see :func:`plan_phases`)."""
    groups: list[tuple[Stage | None, list[Stage]]] = [(None, [])]
    for stage in stages:
        if stage.is_global:
            groups.append((stage, []))
        else:
            groups[-1][1].append(stage)
    return groups


def plan_segments(stages: list[Stage]) -> list[list[Stage]]:
    """Group consecutive stages that can share a worker.

    CPU stages run together in one worker (one Ray operator), so a batch goes through the
    whole chain where it is and every CPU works on the slowest stage; a new segment starts
    where the resource kind changes (a GPU stage gets its own pool).
    """
    segments: list[list[Stage]] = []
    for stage in stages:
        if segments and (segments[-1][-1].resources.gpus > 0) == (stage.resources.gpus > 0):
            segments[-1].append(stage)
        else:
            segments.append([stage])
    return segments


def segment_resources(segment: list[Stage]) -> dict[str, Any]:
    """The Ray resources one worker of ``segment`` asks for: the most any stage needs."""
    args: dict[str, Any] = {"num_cpus": max(s.resources.cpus for s in segment)}
    gpus = max(s.resources.gpus for s in segment)
    if gpus:
        args["num_gpus"] = gpus
    memory = [s.resources.memory_bytes for s in segment if s.resources.memory_bytes]
    if memory:
        args["memory"] = max(memory)
    return args


@dataclass
class Phase:
    """Map stages that stream from one reader to one output folder.

    A pipeline without global stages is one phase.  Each global stage (deduplication)
    starts a new phase: its clusters are computed over the previous phase's output (or
    the Parquet inputs themselves), then applied as the new phase's first stage.
    """

    stages: list[Stage]
    global_stage: GlobalStage | None = None


def plan_phases(pipeline: Pipeline, fmt: str, files: list[InputFile]) -> list[Phase]:
    """The phases of ``pipeline`` over ``files`` read as ``fmt``."""
    from curate.readers import reader_format_for

    phases = [Phase(stages, global_stage) for global_stage, stages in split_at_global_stages(pipeline.stages)]  # type: ignore[arg-type]
    all_parquet = all(reader_format_for(f.path) == "parquet" for f in files) if fmt == "auto" else fmt == "parquet"
    if len(phases) > 1 and not phases[0].stages and all_parquet:
        phases = phases[1:]  # a global stage can read Parquet inputs directly
    return phases


def _settings(stage: Stage) -> dict[str, Any]:
    return {k: v for k, v in stage.config().items() if v not in (None, {}, [])}


def describe_plan(name: str, input: InputConfig, stages: list[Stage], output: OutputConfig) -> str:
    """The plan as Ray will run it: which stages share a worker, tasks or actor pool."""
    lines = [f"pipeline {name}", f"  read        {input.format} {input.options or ''}".rstrip()]
    n = 0
    for global_stage, group in split_at_global_stages(stages):
        if global_stage is not None:
            lines.append(f"  global      {global_stage.stage_id}  {_settings(global_stage)}")
            lines.append("              (all documents so far are written, clusters are computed by tasks over them,")
            lines.append("               then the decisions are applied while the documents stream on)")
        for segment in plan_segments(group):
            n += 1
            how = "actor pool" if any(st.stateful for st in segment) else "tasks"
            where = "GPU" if segment[0].resources.gpus else "CPU"
            lines.append(f"  segment {n}: {how} ({where}; one worker per {where}, stages run in order in each worker)")
            for stage in segment:
                model = " [loads state once per worker]" if stage.stateful else ""
                lines.append(f"    {stage.stage_id}{model}  {_settings(stage)}")
    lines.append(f"  write       parquet ({output.compression}), rejects: {output.rejects}")
    return "\n".join(lines)


__all__ = ["Phase", "describe_plan", "plan_phases", "plan_segments", "segment_resources", "split_at_global_stages"]
