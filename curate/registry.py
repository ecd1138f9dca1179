"""The registry of named stages.

Every built-in stage has a stable snake_case name usable in YAML.  User stages are
referenced as ``module:Class`` (or ``path/to/file.py:Class``) or registered with
:func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from curate.references import register_class, resolve_class
from curate.schema import TEXT
from curate.stage import Filter, Stage

# Modules holding the built-in stages; imported on first lookup.  They import their heavy
# dependencies inside ``setup()``, so importing them is cheap.
BUILTIN_MODULES = (
    "curate.stages.extract",
    "curate.stages.langid",
    "curate.filters.language",
    "curate.filters.classifier",
    "curate.filters.url",
    "curate.filters.pii",
    "curate.filters.normalize",
    "curate.stages.datatrove_adapter",
    "curate.filters.gopher",
    "curate.filters.fineweb",
    "curate.filters.c4",
    "curate.dedup.fuzzy",
    "curate.dedup.exact",
    "curate.decontam.stage",
    "curate.tokenize.stage",
)

_REGISTRY: dict[str, type[Stage]] = {}
_builtins_loaded = False


class UnknownStageError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it one readable line
        return str(self.args[0])


def register(cls: type[Stage] | None = None, *, name: str | None = None, replace: bool = False) -> Any:
    """Register a stage class under ``name`` (default: its ``name`` attribute).

    Usable as ``@register`` or ``@register(name="my_filter")``.
    """

    def do(stage_cls: type[Stage]) -> type[Stage]:
        return register_class(_REGISTRY, stage_cls, base=Stage, what="stage", name=name, replace=replace)

    return do(cls) if cls is not None else do


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def get_stage_class(name: str) -> type[Stage]:
    """Resolve a registry name or a ``module:Class`` reference to a stage class."""
    _load_builtins()
    unknown = (f"unknown stage {name!r}; registered stages: {', '.join(sorted(_REGISTRY))}; "
               "or reference your own as 'module:Class'")
    return resolve_class(_REGISTRY, name, base=Stage, what="stage", error=UnknownStageError, unknown=unknown)


def registered_stages() -> dict[str, type[Stage]]:
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def build_stage(name: str, config: dict[str, Any] | None = None, *, where: str | None = None) -> Stage:
    """Instantiate a stage from its name and YAML configuration.

    Every setting is checked against the stage's field types first (see
    :mod:`curate.settings`).  ``where`` says where the stage is written, e.g.
    ``pipelines/x.yaml: stage 4``; messages then start ``pipelines/x.yaml: stage 4
    (gopher_quality): ...`` (default: ``stage gopher_quality: ...``).
    """
    from curate.settings import check_settings

    cls = get_stage_class(name)
    config = dict(config or {})
    label = config.get("label")
    stage_id = label if isinstance(label, str) else cls.name
    config = check_settings(cls, config, f"{where} ({stage_id})" if where else f"stage {stage_id}")
    try:
        return cls(**config)
    except TypeError as exc:
        import dataclasses

        fields = ", ".join(f.name for f in dataclasses.fields(cls))
        raise ValueError(f"stage {name!r}: {exc}; its settings are: {fields}") from exc


def stage_reference(stage: Stage) -> str:
    """The name that builds this stage again: its registry name, else ``module:Class``."""
    cls = type(stage)
    if registered_stages().get(cls.name) is cls:
        return cls.name
    return f"{cls.__module__}:{cls.__qualname__}"


_register = register  # row_filter's ``register`` argument shadows the function


def row_filter(
    fn: Callable[[str], bool] | None = None,
    *,
    name: str | None = None,
    column: str = TEXT,
    reason: str | None = None,
    register: bool = True,
) -> Any:
    """Turn a function ``text -> bool`` (True keeps) into a registered :class:`Filter`.

    For quick ideas; it runs a Python call per row, so prefer a vectorised
    :class:`Filter` for anything that ends up in a large run::

        @row_filter
        def no_lorem(text: str) -> bool:
            return "lorem ipsum" not in text.lower()
    """

    def build(func: Callable[[str], bool]) -> type[Filter]:
        filter_name = name or func.__name__
        namespace = {
            "name": filter_name,
            "reason": reason or filter_name,
            "write_scores": False,
            "__doc__": func.__doc__,
            "__module__": func.__module__,
            "__qualname__": filter_name,
        }

        def score(self: Filter, batch: pa.Table) -> pa.Array:
            values = batch[column].to_pylist()
            return pa.array([bool(func(v)) if v is not None else False for v in values])

        def keep(self: Filter, score: pa.Array) -> pa.Array:
            return score

        namespace["score"] = score
        namespace["keep"] = keep
        cls = type(filter_name, (Filter,), namespace)
        cls.row_function = staticmethod(func)  # type: ignore[attr-defined]
        if register:
            _register(cls, name=filter_name, replace=True)
        return cls

    if fn is not None:
        return build(fn)
    return build
