"""User code named in YAML: ``module:Name`` or ``path/to/file.py:Name`` references.

Stages (:mod:`curate.registry`) and readers (:mod:`curate.readers`) both resolve a name
that is not registered this way.  A leaf module: it imports nothing from curate.
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
