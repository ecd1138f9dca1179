"""curate: turn web crawls, books and code into clean training data, on Ray.

Where things live (docs/architecture.md follows one document through them):

- configuration: :mod:`curate.config` (input/output/execution settings, a leaf module),
  :mod:`curate.pipeline` (a pipeline: settings plus stages; YAML loading),
  :mod:`curate.settings` (type checks), :mod:`curate.pipeline_checks` (cross-stage checks);
- stages: :mod:`curate.stage` (the Stage/Filter model), :mod:`curate.registry` (stage
  names, ``row_filter``), :mod:`curate.stages` (extraction, language ID),
  :mod:`curate.filters` (the filter library), :mod:`curate.dedup`, :mod:`curate.tokenize`;
- inputs: :mod:`curate.inputs` (finding the files), :mod:`curate.readers` (formats);
- planning and running: :mod:`curate.plan` (phases, segments; no Ray),
  :mod:`curate.execution` (executors, global stages, tasks, work folders),
  :mod:`curate.run` (``run_pipeline``), :mod:`curate.mixture`;
- output: :mod:`curate.output` (layout, schemas, parts), :mod:`curate.ownership`,
  :mod:`curate.storage` (fsspec, atomic commits), :mod:`curate.stats`;
- reporting: :mod:`curate.events` (logging and progress; no terminal code),
  :mod:`curate.inspect`, and the command line in :mod:`curate.cli` with its rendering in
  :mod:`curate.cli_output` and :mod:`curate.inspect_view`;
- training side: :mod:`curate.loader` (needs numpy, pyarrow and fsspec only);
  :mod:`curate.text` (word, line and sentence splitting shared by the filters).
"""

from __future__ import annotations

import importlib
from typing import Any

from curate._version import __version__

__all__ = [
    "Filter",
    "Pipeline",
    "Resources",
    "Stage",
    "__version__",
    "load_pipeline",
    "register",
    "row_filter",
]

# The public names and the module that holds each.  They are imported on first access
# (PEP 562), so ``import curate.loader`` (or any light submodule) does not pull in the
# pipeline machinery and its dependencies.
_LAZY: dict[str, str] = {
    "Pipeline": "curate.pipeline",
    "load_pipeline": "curate.pipeline",
    "register": "curate.registry",
    "row_filter": "curate.registry",
    "Filter": "curate.stage",
    "Resources": "curate.stage",
    "Stage": "curate.stage",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
