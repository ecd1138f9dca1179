"""Mixture pipelines: several source pipelines (web, books, code) into one tokenized output.

A mixture is written in YAML::

    name: mixture
    sources:
      web:
        pipeline: commoncrawl.yaml   # relative to this file; its own inputs, stages, output
        inputs: [crawl/*.warc.gz]    # or on the command line: --input web=PATH
        weight: 0.7                  # share of the tokens
      books: {pipeline: books.yaml, weight: 0.15}
      code:  {pipeline: code.yaml, weight: 0.15}
      wiki:  {data: curated/wiki/data, weight: 0.1}   # already curated Parquet: no pipeline
    tokenize:
      tokenizer: tiktoken:cl100k_base
      total_tokens: null             # default: all the sources' tokens, re-weighted
      shard_tokens: 100000000
      seed: 0

``curate run mixture.yaml --output OUT`` runs each source's pipeline into
``OUT/sources/NAME/`` (a finished source is not run again, so a killed mixture resumes),
then tokenizes, mixes by the weights, shuffles and shards them into ``OUT/tokens/`` with
``OUT/manifest.json`` (see :mod:`curate.tokenize.shards`).  The manifest records the
mixture file, every source pipeline's configuration and per-source figures.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from curate.events import emit, get_logger
from curate.pipeline import Pipeline, PipelineConfigError, load_pipeline

log = get_logger("mixture")

TOKENIZE_OPTIONS = {"tokenizer", "add_bos", "add_eos", "total_tokens", "shard_tokens", "row_group_tokens", "seed", "batch_rows",
                    "max_repeats_warning"}
SOURCE_OPTIONS = {"pipeline", "inputs", "data", "weight"}


@dataclass
class MixtureSource:
    """One component: a pipeline with its inputs, or already curated Parquet (``data``)."""

    name: str
    weight: float | None = None
    pipeline: Pipeline | None = None
    inputs: list[str] = field(default_factory=list)
    data: str | None = None


@dataclass
class Mixture:
    name: str
    sources: list[MixtureSource]
    tokenize: dict[str, Any]
    source_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source_file": self.source_file,
            "sources": {
                s.name: {"weight": s.weight, "inputs": s.inputs, "data": s.data,
                         "pipeline": s.pipeline.to_dict() if s.pipeline else None}
                for s in self.sources
            },
            "tokenize": self.tokenize,
        }


def is_mixture_file(path: str | Path) -> bool:
    """True when the YAML file describes a mixture (a top-level ``sources`` mapping)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and isinstance(data.get("sources"), dict)


_SOURCE_TYPES: dict[str, Any] = {"pipeline": str, "inputs": list[str] | None, "data": str | None, "weight": float | None}


def _tokenize_types() -> dict[str, Any]:
    from curate.settings import setting_types
    from curate.tokenize.shards import TokenizedSettings

    types = setting_types(TokenizedSettings)
    types["tokenizer"] = str | None  # may come from --tokenizer instead
    return types


def load_mixture(path: str | Path) -> Mixture:
    from curate.settings import check_value, setting_error

    def check(where: str, name: str, tp: Any, value: Any) -> Any:
        try:
            return check_value(tp, value)
        except ValidationError:
            raise setting_error(where, name, tp, value) from None

    path = Path(path)
    if not path.exists():
        raise PipelineConfigError(f"mixture file {path} does not exist")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise PipelineConfigError(f"{path}: expected a mapping at the top level")
    unknown = set(data) - {"name", "description", "sources", "tokenize"}
    if unknown:
        raise PipelineConfigError(f"{path}: unknown top-level keys {sorted(unknown)}; a mixture has name, sources, tokenize")
    check(str(path), "name", str | None, data.get("name"))
    if not isinstance(data.get("tokenize") or {}, dict):
        raise PipelineConfigError(f"{path}: tokenize: expected a mapping of settings, got {data['tokenize']!r}")
    tokenize = dict(data.get("tokenize") or {})
    unknown = set(tokenize) - TOKENIZE_OPTIONS
    if unknown:
        raise PipelineConfigError(f"{path}: tokenize: unknown settings {sorted(unknown)}; known: {sorted(TOKENIZE_OPTIONS)}")
    types = _tokenize_types()
    for key, value in list(tokenize.items()):
        check(f"{path}: tokenize", key, types[key], value)
    if not isinstance(data.get("sources") or {}, dict):
        raise PipelineConfigError(f"{path}: sources: expected a mapping of NAME: {{pipeline, inputs, data, weight}}")
    sources = []
    for name, spec in (data.get("sources") or {}).items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise PipelineConfigError(f"{path}: sources.{name}: expected a mapping (pipeline, inputs, data, weight)")
        unknown = set(spec) - SOURCE_OPTIONS
        if unknown:
            raise PipelineConfigError(f"{path}: sources.{name}: unknown settings {sorted(unknown)}; known: {sorted(SOURCE_OPTIONS)}")
        if ("pipeline" in spec) == ("data" in spec):
            raise PipelineConfigError(f"{path}: sources.{name}: give either pipeline (a YAML file) or data (curated Parquet)")
        spec = {key: check(f"{path}: sources.{name}", key, _SOURCE_TYPES[key], value) for key, value in spec.items()}
        pipeline = None
        if spec.get("pipeline"):
            pipeline_path = Path(spec["pipeline"])
            if not pipeline_path.is_absolute():
                pipeline_path = path.parent / pipeline_path
            pipeline = load_pipeline(pipeline_path)
        sources.append(MixtureSource(
            name=str(name), weight=spec.get("weight"), pipeline=pipeline,
            inputs=list(spec.get("inputs") or []), data=spec.get("data"),
        ))
    if not sources:
        raise PipelineConfigError(f"{path}: a mixture needs at least one source under sources:")
    return Mixture(name=data.get("name") or path.stem, sources=sources, tokenize=tokenize, source_file=str(path))


def assign_inputs(mixture: Mixture, specs: list[str] | None) -> None:
    """Apply ``--input NAME=PATH`` arguments: they replace that source's inputs (or data)."""
    given: dict[str, list[str]] = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise PipelineConfigError(f"--input {spec!r}: a mixture takes NAME=PATH (one of {', '.join(s.name for s in mixture.sources)})")
        given.setdefault(name, []).append(path)
    names = {s.name for s in mixture.sources}
    for name in given:
        if name not in names:
            raise PipelineConfigError(f"--input {name}=...: the mixture has no source {name!r} (it has {', '.join(sorted(names))})")
    for source in mixture.sources:
        if source.name in given:
            if source.pipeline is None:
                source.data = given[source.name][0] if len(given[source.name]) == 1 else None
                source.inputs = given[source.name] if source.data is None else []
            else:
                source.inputs = given[source.name]


def run_mixture(
    mixture: Mixture,
    output: str,
    *,
    inputs: list[str] | None = None,
    executor: str = "ray",
    ray_address: str | None = None,
    overwrite: bool = False,
    progress: Any = None,
    tokenizer: str | None = None,
    allow_other_files: bool = False,
) -> dict[str, Any]:
    """Run every source's pipeline, then write the mixed, tokenized shards; return the manifest.

    ``overwrite`` deletes what curate wrote in ``output`` before (never other files);
    ``progress`` is a :class:`curate.events.ProgressView` for each source's run.  What the
    run does is logged to ``curate.mixture`` and ``curate.run`` (see :mod:`curate.events`).
    """
    from curate.config import ExecutionConfig
    from curate.errors import RunError
    from curate.execution.tasks import task_runner
    from curate.output import OutputLayout
    from curate.ownership import ForeignFilesError, Ownership
    from curate.tokenize.shards import write_manifest

    started = time.time()
    assign_inputs(mixture, inputs)
    options = dict(mixture.tokenize)
    if tokenizer:
        options["tokenizer"] = tokenizer
    if not options.get("tokenizer"):
        raise RunError("the mixture names no tokenizer: set tokenize.tokenizer or pass --tokenizer")
    layout = OutputLayout(output)
    root = layout.root
    try:
        owner = Ownership.claim(root, allow_other_files=allow_other_files, kind="mixture")
    except ForeignFilesError as exc:
        raise RunError(str(exc)) from None
    if overwrite:
        owner.remove_owned()
    # One Ray for every source's pipeline and the tokenizing tasks (run_pipeline reuses a
    # running Ray instead of starting its own).
    with task_runner(executor, ExecutionConfig(), ray_address) as runner:
        manifest = _run_sources(mixture, root, options, runner, executor, ray_address, progress, owner,
                                allow_other_files)
    manifest["seconds"] = round(time.time() - started, 3)
    write_manifest(root, manifest, owner)
    totals = manifest["totals"]
    emit(log, "mixture", f"{totals['tokens']:,} tokens of {totals['documents']:,} documents in {len(manifest['shards'])} shards -> {root}/tokens")
    for name, info in manifest["mixture"]["sources"].items():
        weight = "" if info["weight"] is None else f" (weight {info['weight']})"
        emit(log, "", f"  {name:<10} {info['tokens']:>14,} tokens available, rate {info['rate']:.3f}, share {info['achieved']:.3f}{weight}")
    for warning in manifest.get("warnings") or []:
        emit(log, "warning", warning, logging.WARNING)
    return manifest


def _run_sources(
    mixture: Mixture, root: str, options: dict[str, Any], runner: Any, executor: str,
    ray_address: str | None, progress: Any, owner: Any, allow_other_files: bool,
) -> dict[str, Any]:
    from curate.errors import RunError
    from curate.inputs import expand_inputs
    from curate.run import run_pipeline
    from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized

    sources: list[Source] = []
    summaries: dict[str, Any] = {}
    for source in mixture.sources:
        if source.pipeline is None:
            if not source.data and not source.inputs:
                raise RunError(f"source {source.name}: no data; set sources.{source.name}.data or pass --input {source.name}=PATH")
            files = [f.path for f in expand_inputs([source.data] if source.data else source.inputs)]
            sources.append(Source(source.name, files, source.weight))
            summaries[source.name] = {"data": source.data or source.inputs, "files": len(files)}
            continue
        if not source.inputs and not source.pipeline.input.paths:
            raise RunError(f"source {source.name}: no inputs; set sources.{source.name}.inputs or pass --input {source.name}=PATH")
        target = f"{root}/sources/{source.name}"
        emit(log, f"source {source.name}", f"{source.pipeline.source_file or source.pipeline.name} -> {target}")
        result = run_pipeline(
            source.pipeline, inputs=source.inputs or None, output=target, executor=executor,
            ray_address=ray_address, progress=progress, allow_other_files=allow_other_files,
        )
        files = [f["path"] for f in result.files if f["kind"] == "data"]
        if not files:
            raise RunError(f"source {source.name}: its pipeline kept no documents ({result.rejected:,} rejected); see curate inspect {target}")
        sources.append(Source(source.name, files, source.weight))
        summaries[source.name] = {"output": f"sources/{source.name}", "documents": result.stats["documents"]}
    settings = TokenizedSettings(**options)
    manifest = write_tokenized(sources, root, settings, runner, pipeline=mixture.to_dict(),
                               owner=owner)
    manifest["sources"] = summaries
    return manifest


__all__ = ["Mixture", "MixtureSource", "assign_inputs", "is_mixture_file", "load_mixture", "run_mixture"]
