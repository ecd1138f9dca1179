"""Type checking of settings: every stage's and pipeline section's fields against their annotations.

A stage (or section) is a dataclass; its field annotations say what each setting takes.
:func:`check_settings` validates values from YAML (or Python) against them with pydantic,
before any work starts, and fails with one line naming the setting, the expected type and
the value given::

    pipelines/x.yaml: stage 4 (gopher_quality): min_doc_words: expected an integer, got 'lots' (str)

Only unambiguous conversions are made: a single string where a list of strings is expected
becomes a one-element list (``"en"`` -> ``["en"]``), a list where a tuple is expected becomes
a tuple, an integer is accepted for a number (float), a path for a string and numpy's
integers and booleans for Python's.  Strings are
never turned into numbers or booleans, booleans are not integers, and numbers are not strings.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import numbers
import operator
import os
import types
import typing
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BeforeValidator, ConfigDict, Strict, TypeAdapter, ValidationError
from pydantic.errors import PydanticUserError


class PipelineConfigError(ValueError):
    """A pipeline or mixture file (or a pipeline built in Python) is not valid."""


class SettingsError(PipelineConfigError):
    """A setting's value does not match its declared type."""


# -- which settings a class has, and their types ---------------------------------------------


def setting_types(cls: type) -> dict[str, Any]:
    """``{field name: resolved annotation}`` of the settings (init fields) of dataclass ``cls``.

    Annotations are strings under ``from __future__ import annotations``; they are resolved
    in the globals of the module that defines each class (what :func:`typing.get_type_hints`
    does).  An annotation that does not resolve is a bug in the class: it fails here.
    """
    return dict(_setting_types(cls))


@cache
def _setting_types(cls: type) -> tuple[tuple[str, Any], ...]:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:  # NameError, TypeError, SyntaxError of a bad annotation
        raise PipelineConfigError(
            f"cannot check the settings of {cls.__module__}.{cls.__qualname__}: "
            f"a field annotation does not resolve ({type(exc).__name__}: {exc})"
        ) from exc
    return tuple(
        (f.name, hints.get(f.name, Any)) for f in dataclasses.fields(cls) if f.init
    )


# -- the pydantic types that implement the rules ----------------------------------------------


def _path_to_str(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _integral_to_int(value: Any) -> Any:
    # numpy's integers are integers (bools are not: they fail the strict int check)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return operator.index(value)
    return value


def _numpy_bool_to_bool(value: Any) -> Any:
    dtype = getattr(value, "dtype", None)
    return bool(value) if getattr(value, "shape", None) == () and getattr(dtype, "kind", None) == "b" else value


def _one_string_to_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_STRICT = Strict()
_SCALARS: dict[Any, Any] = {
    int: Annotated[int, _STRICT, BeforeValidator(_integral_to_int)],
    float: Annotated[float, _STRICT],  # strict float still accepts an int
    bool: Annotated[bool, _STRICT, BeforeValidator(_numpy_bool_to_bool)],
    str: Annotated[str, _STRICT, BeforeValidator(_path_to_str)],
}


_SEQUENCES = (list, set, frozenset, tuple, abc.Sequence, abc.MutableSequence, abc.Set, abc.MutableSet)
_MAPPINGS = (dict, abc.Mapping, abc.MutableMapping)


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def _accepts_string(tp: Any) -> bool:
    """True when ``tp`` is str, a Literal of strings, or a union with one of those."""
    if tp is str:
        return True
    origin = get_origin(tp)
    if origin is Literal:
        return all(isinstance(a, str) for a in get_args(tp))
    if origin is Annotated:
        return _accepts_string(get_args(tp)[0])
    if _is_union(origin):
        return any(_accepts_string(a) for a in get_args(tp))
    return False


def strict_type(tp: Any) -> Any:
    """``tp`` with its scalars made strict and the one-string-to-list rule added."""
    if isinstance(tp, type) and tp in _SCALARS:
        return _SCALARS[tp]
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is None or not args:
        return tp
    if origin is Annotated:
        return Annotated[(strict_type(args[0]),) + tuple(tp.__metadata__)]  # type: ignore[misc]
    if origin is Literal:
        return tp
    if _is_union(origin):
        return Union[tuple(strict_type(a) for a in args)]  # noqa: UP007  (a Union of computed members)
    if origin in _SEQUENCES:
        homogeneous = origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)
        if origin is tuple:
            inner = (strict_type(args[0]), ...) if homogeneous else tuple(strict_type(a) for a in args)
        else:
            inner = tuple(strict_type(a) for a in args)
        rebuilt = origin[inner] if origin is tuple else (origin[inner[0]] if len(inner) == 1 else tp)
        if homogeneous and _accepts_string(args[0]):
            return Annotated[rebuilt, BeforeValidator(_one_string_to_list)]
        return rebuilt
    if origin in _MAPPINGS and len(args) == 2:
        return origin[strict_type(args[0]), strict_type(args[1])]
    try:  # collections.abc generics and the like: keep them, strict inside where possible
        return origin[tuple(strict_type(a) for a in args)]
    except Exception:  # Callable[[...], X] and other forms that do not rebuild so
        return tp


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    strict = strict_type(tp)
    try:
        return TypeAdapter(strict, config=ConfigDict(arbitrary_types_allowed=True))
    except PydanticUserError:  # a dataclass / model type carries its own config
        return TypeAdapter(strict)


def _adapter_for(tp: Any) -> TypeAdapter[Any]:
    try:
        return _adapter(tp)
    except TypeError:  # an unhashable annotation: build it each time
        return _adapter.__wrapped__(tp)


def check_value(tp: Any, value: Any) -> Any:
    """``value`` validated against annotation ``tp`` (with the conversions above)."""
    return _adapter_for(tp).validate_python(value)


# -- messages -----------------------------------------------------------------------------


_NAMES = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a string", "strings"),
          bool: ("true or false", "booleans (true/false)"), type(None): ("null", "nulls")}


def describe_type(tp: Any, plural: bool = False) -> str:
    """Words for annotation ``tp``: ``list[str] | None`` -> ``a list of strings or null``."""
    if tp is Any or tp is object:
        return "anything"
    if isinstance(tp, type) and tp in _NAMES:
        return _NAMES[tp][plural]
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return describe_type(args[0], plural)
    if origin is Literal:
        choices = ", ".join(repr(a) for a in args)
        return f"one of {choices}" if len(args) > 1 else choices
    if _is_union(origin):
        parts = [a for a in args if a is not type(None)]
        words = " or ".join(describe_type(a, plural) for a in parts)
        return f"{words} or null" if len(parts) < len(args) else words
    if origin in _SEQUENCES or tp in _SEQUENCES:
        lists = "lists" if plural else "a list"
        if not args:
            return lists
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return f"{lists} [{', '.join(describe_type(a) for a in args)}]"
        if args[0] is Any:
            return lists
        return f"{lists} of {describe_type(args[0], plural=True)}"
    if origin in _MAPPINGS or tp in _MAPPINGS:
        maps = "mappings" if plural else "a mapping"
        if len(args) != 2 or (args[1] is Any and args[0] in (str, Any)):
            return maps
        return f"{maps} of {describe_type(args[0], plural=True)} to {describe_type(args[1], plural=True)}"
    name = getattr(tp, "__name__", None) or str(tp)
    return f"{name} objects" if plural else f"a {name}"


def describe_value(value: Any, limit: int = 80) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{text} ({type(value).__name__})"


def _first_bad_item(tp: Any, value: Any) -> str:
    """``, where item 2 is 3 (int)`` for the first element of a list/mapping that fails, else ''."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _first_bad_item(args[0], value)
    if _is_union(origin):
        members = [a for a in args if a is not type(None)]
        containers = [a for a in members if get_origin(a) in (list, tuple, set, frozenset, dict)]
        if value is None or len(containers) != 1:
            return ""
        return _first_bad_item(containers[0], value)
    if origin in (list, set, frozenset) or (origin is tuple and len(args) == 2 and args[1] is Ellipsis):
        if not isinstance(value, (list, tuple, set, frozenset)) or not args:
            return ""
        for i, item in enumerate(value):
            try:
                check_value(args[0], item)
            except ValidationError:
                return f", where item {i + 1} is {describe_value(item)}"
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        for key, item in value.items():
            try:
                check_value(args[0], key)
            except ValidationError:
                return f", where key {describe_value(key)} is not {describe_type(args[0])}"
            try:
                check_value(args[1], item)
            except ValidationError:
                return f", where {key!r} is {describe_value(item)}"
    return ""


def setting_error(where: str, name: str, tp: Any, value: Any) -> SettingsError:
    prefix = f"{where}: " if where else ""
    return SettingsError(
        f"{prefix}{name}: expected {describe_type(tp)}, got {describe_value(value)}{_first_bad_item(tp, value)}"
    )


# -- the checks ---------------------------------------------------------------------------


def check_settings(cls: type, values: dict[str, Any], where: str = "") -> dict[str, Any]:
    """``values`` (settings of dataclass ``cls``) checked against the field types.

    Returns the values with the unambiguous conversions applied; names that are not fields
    are passed through (the constructor reports them).  Raises :class:`SettingsError`.
    """
    types_ = setting_types(cls)
    checked = dict(values)
    for name, value in values.items():
        if name not in types_:
            continue
        tp = types_[name]
        try:
            result = check_value(tp, value)
        except ValidationError:
            raise setting_error(where, name, tp, value) from None
        if _changed(value, result):
            checked[name] = result
    return checked


def check_instance(obj: Any, where: str = "") -> None:
    """Check the settings of a dataclass instance in place (converted values are stored)."""
    values = {name: getattr(obj, name) for name in setting_types(type(obj)) if hasattr(obj, name)}
    for name, value in check_settings(type(obj), values, where).items():
        if value is not values[name]:
            object.__setattr__(obj, name, value)


def _changed(before: Any, after: Any) -> bool:
    """Keep the caller's object unless a conversion really changed it (``"en"`` -> ``["en"]``,
    a list -> a tuple, a path -> a string); an int accepted as a float stays an int."""
    if before is after:
        return False
    if type(before) is not type(after) and not (isinstance(before, int) and isinstance(after, float)):
        return True
    try:
        return bool(before != after) or _changed_inside(before, after)
    except Exception:
        return False


def _changed_inside(before: Any, after: Any) -> bool:
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        return any(_changed(b, a) for b, a in zip(before, after))
    if isinstance(before, dict) and isinstance(after, dict):
        return any(_changed(before[k], after.get(k)) for k in before)
    return False


__all__ = [
    "PipelineConfigError",
    "SettingsError",
    "check_instance",
    "check_settings",
    "check_value",
    "describe_type",
    "setting_types",
]
