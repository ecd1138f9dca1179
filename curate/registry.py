"""The registry of named stages.

Every built-in stage has a stable snake_case name usable in YAML.  User stages are
referenced as ``module:Class`` (or ``path/to/file.py:Class``) or registered with
:func:`register`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from curate.stage import Stage

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
        if not (isinstance(stage_cls, type) and issubclass(stage_cls, Stage)):
            raise TypeError(f"{stage_cls!r} is not a curate Stage subclass")
        key = name or stage_cls.name
        existing = _REGISTRY.get(key)
        if existing is not None and existing is not stage_cls and not replace:
            if f"{existing.__module__}.{existing.__qualname__}" != (
                f"{stage_cls.__module__}.{stage_cls.__qualname__}"
            ):
                raise ValueError(f"a stage named {key!r} is already registered ({existing!r})")
        _REGISTRY[key] = stage_cls
        return stage_cls

    if cls is not None:
        return do(cls)
    return do


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def _import_reference(reference: str) -> Any:
    module_name, _, attr = reference.rpartition(":")
    if module_name.endswith(".py") or "/" in module_name:
        path = Path(module_name)
        if not path.exists():
            raise UnknownStageError(f"stage {reference!r}: file {path} does not exist")
        resolved = str(path.resolve())
        cached = sys.modules.get(path.stem)
        if cached is not None and getattr(cached, "__file__", None) == resolved:
            module = cached  # load a file once, so its classes stay the same objects
        else:
            spec = importlib.util.spec_from_file_location(path.stem, resolved)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
    else:
        # Like ``python -m``: user modules in the current directory are importable, also
        # when curate runs as a console script (whose sys.path[0] is its bin directory).
        cwd = str(Path.cwd())
        if cwd not in sys.path and "" not in sys.path:
            sys.path.insert(0, cwd)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise UnknownStageError(
                f"stage {reference!r}: cannot import module {module_name!r} ({exc})"
            ) from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise UnknownStageError(f"stage {reference!r}: {module_name} has no {attr!r}") from exc


def get_stage_class(name: str) -> type[Stage]:
    """Resolve a registry name or a ``module:Class`` reference to a stage class."""
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        obj = _import_reference(name)
        if isinstance(obj, type) and issubclass(obj, Stage):
            return obj
        raise UnknownStageError(f"{name!r} is not a curate Stage subclass (got {obj!r})")
    known = ", ".join(sorted(_REGISTRY))
    raise UnknownStageError(
        f"unknown stage {name!r}; registered stages: {known}; "
        "or reference your own as 'module:Class'"
    )


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
