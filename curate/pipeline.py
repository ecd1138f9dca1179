"""Pipelines: a reader, an ordered list of stages, and output/execution settings.

A pipeline is written in YAML::

    name: commoncrawl
    input:
      format: warc            # warc | jsonl | parquet | auto (by file extension)
      paths: []               # optional; --input on the command line replaces them
      options: {max_payload_bytes: 5000000}
    stages:
      - extract_html: {engine: trafilatura}
      - fasttext_language_id: {}
      - language_filter: {languages: [en], min_score: 0.65}
    output:
      rejects: full           # full | minimal (id, url, source, dropped_by, reason)
    execution:
      batch_rows: 500

or built in Python with :class:`Pipeline` directly.  Every setting of every stage and
section is checked against its declared type when the file is loaded, and by
:func:`validate_pipeline` for pipelines built in Python (see :mod:`curate.settings`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from curate.config import ExecutionConfig, InputConfig, OutputConfig
from curate.plan import describe_plan
from curate.registry import build_stage, stage_reference
from curate.settings import PipelineConfigError, check_instance, check_settings, describe_value
from curate.stage import Stage


@dataclass
class Pipeline:
    stages: list[Stage]
    name: str = "pipeline"
    input: InputConfig = field(default_factory=InputConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    source_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": dataclasses.asdict(self.input),
            "stages": [{stage_reference(stage): stage.config()} for stage in self.stages],
            "output": dataclasses.asdict(self.output),
            "execution": dataclasses.asdict(self.execution),
        }

    def describe(self) -> str:
        """The plan as Ray will run it: which stages share a worker, tasks or actor pool."""
        return describe_plan(self.name, self.input, self.stages, self.output)


def _prefix(source_file: str | None) -> str:
    return f"{source_file}: " if source_file else ""


def _section(cls: type, data: dict[str, Any] | None, what: str, source_file: str | None = None) -> Any:
    data = data or {}
    where = f"{_prefix(source_file)}{what}"
    if not isinstance(data, dict):
        raise PipelineConfigError(f"{where}: expected a mapping of settings, got {data!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise PipelineConfigError(f"{where}: unknown settings {sorted(unknown)}; known: {sorted(names)}")
    return cls(**check_settings(cls, data, where))


def stages_from_config(entries: list[Any], source_file: str | None = None) -> list[Stage]:
    prefix = _prefix(source_file)
    if entries and not isinstance(entries, list):
        raise PipelineConfigError(f"{prefix}stages: write a list ('- name: {{settings}}' per stage), not a mapping")
    stages = []
    for i, entry in enumerate(entries or []):
        config: dict[str, Any]
        if isinstance(entry, str):
            name, config = entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            name, config = next(iter(entry.items()))
            config = config or {}
        else:
            raise PipelineConfigError(
                f"{prefix}stage {i + 1}: write each stage as 'name' or 'name: {{settings}}', got {entry!r}"
            )
        if not isinstance(config, dict):
            raise PipelineConfigError(f"{prefix}stage {i + 1} ({name}): settings must be a mapping, got {config!r}")
        stages.append(build_stage(name, config, where=f"{prefix}stage {i + 1}"))
    return stages


def validate_pipeline(pipeline: Pipeline) -> None:
    """Check every setting of ``pipeline`` (its sections and stages) against its declared type.

    Pipelines loaded from YAML are checked when loaded; this covers pipelines built (or
    changed) in Python.  ``run_pipeline`` calls it before any work starts.  Values are
    converted in place where unambiguous (``languages: "en"`` -> ``["en"]``); a wrong one
    raises a one-line :class:`~curate.settings.SettingsError`.
    """
    prefix = _prefix(pipeline.source_file)
    if not isinstance(pipeline.name, str):
        raise PipelineConfigError(f"{prefix}name: expected a string, got {pipeline.name!r}")
    for what, section, cls in (
        ("input", pipeline.input, InputConfig),
        ("output", pipeline.output, OutputConfig),
        ("execution", pipeline.execution, ExecutionConfig),
    ):
        if not isinstance(section, cls):
            raise PipelineConfigError(f"{prefix}{what}: expected a {cls.__name__}, got {section!r}")
        check_instance(section, f"{prefix}{what}")
    for i, stage in enumerate(pipeline.stages):
        if not isinstance(stage, Stage):
            raise PipelineConfigError(f"{prefix}stage {i + 1}: expected a curate Stage, got {stage!r}")
        check_instance(stage, f"{prefix}stage {i + 1} ({stage.stage_id})")


def pipeline_from_dict(data: dict[str, Any], source_file: str | None = None) -> Pipeline:
    prefix = _prefix(source_file)
    known = {"name", "description", "input", "stages", "output", "execution"}
    unknown = set(data) - known
    if unknown:
        raise PipelineConfigError(f"{prefix}unknown top-level keys {sorted(unknown)}; known: {sorted(known)}")
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise PipelineConfigError(f"{prefix}name: expected a string, got {describe_value(name)}")
    output = _section(OutputConfig, data.get("output"), "output", source_file)
    if output.rejects not in ("full", "minimal"):
        raise PipelineConfigError(f"{prefix}output.rejects: use 'full' or 'minimal', not {output.rejects!r}")
    return Pipeline(
        name=name or (Path(source_file).stem if source_file else "pipeline"),
        input=_section(InputConfig, data.get("input"), "input", source_file),
        stages=stages_from_config(data.get("stages") or [], source_file),
        output=output,
        execution=_section(ExecutionConfig, data.get("execution"), "execution", source_file),
        source_file=source_file,
    )


def load_pipeline(path: str | Path) -> Pipeline:
    path = Path(path)
    if not path.exists():
        raise PipelineConfigError(f"pipeline file {path} does not exist")
    with path.open() as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise PipelineConfigError(f"{path}: expected a mapping at the top level")
    return pipeline_from_dict(data, source_file=str(path))
