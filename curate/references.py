"""Named classes: a registry table, and ``module:Name`` / ``path/to/file.py:Name`` references.

Stages (:mod:`curate.registry`) and readers (:mod:`curate.readers`) are both named this way:
a table of registered names (:func:`register_class`), and for any other name written in
YAML, the class it references (:func:`resolve_class`).  A leaf module: it imports nothing
from curate.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any


def import_reference(reference: str, what: str, error: type[Exception]) -> Any:
    """The object a ``module:Name`` or ``path/to/file.py:Name`` reference names.

    ``what`` (``stage``, ``reader``) starts the one-line ``error`` raised when the module
    or the name cannot be found."""
    module_name, _, attr = reference.rpartition(":")
    if module_name.endswith(".py") or "/" in module_name:
        path = Path(module_name)
        if not path.exists():
            raise error(f"{what} {reference!r}: file {path} does not exist")
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
            raise error(
                f"{what} {reference!r}: cannot import module {module_name!r} ({exc})"
            ) from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise error(f"{what} {reference!r}: {module_name} has no {attr!r}") from exc


def register_class(table: dict[str, Any], cls: Any, *, base: type, what: str, name: str | None = None,
                   replace: bool = False) -> Any:
    """Put ``cls`` (a ``base`` subclass) in ``table`` under ``name`` (default: its ``name``).

    A different class already registered under that name is refused unless ``replace``;
    the same class defined again (a module loaded twice) replaces it."""
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"{cls!r} is not a curate {base.__name__} subclass")
    key = name or cls.name  # type: ignore[attr-defined]  # every Stage and Reader class has one
    existing = table.get(key)
    if existing is not None and existing is not cls and not replace and _qualified(existing) != _qualified(cls):
        raise ValueError(f"the {what} name {key!r} is already registered ({existing!r})")
    table[key] = cls
    return cls


def resolve_class(table: dict[str, Any], name: str, *, base: type, what: str, error: type[Exception], unknown: str) -> Any:
    """The class ``name`` stands for: a registered name, else a ``module:Class`` reference;
    ``unknown`` is the message for a name that is neither."""
    if name in table:
        return table[name]
    if ":" in name:
        obj = import_reference(name, what, error)
        if isinstance(obj, type) and issubclass(obj, base):
            return obj
        raise error(f"{what} {name!r} is not a curate {base.__name__} subclass (got {obj!r})")
    raise error(unknown)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
