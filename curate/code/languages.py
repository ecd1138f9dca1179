"""Language detection for source files, GitHub Linguist style.

Order of the strategies (a simplified Linguist): the exact file name (``Makefile``,
``Dockerfile``, ``CMakeLists.txt``, ``.bashrc``), then the longest known extension
(``.cmake.in`` before ``.in``), resolved by a content heuristic when the extension is
ambiguous (``.h`` is C, C++ or Objective-C), then the interpreter of a ``#!`` line for
files whose name says nothing.  Unknown files get ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from curate.code.language_table import HEURISTICS, LANGUAGES

# How much of a file the heuristics and the shebang look at.
HEAD_BYTES = 16 << 10


@dataclass(frozen=True)
class LanguageTable:
    """Lookups built from the ``Name | extensions | file names | interpreters`` table."""

    names: tuple[str, ...]
    by_extension: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_filename: dict[str, str] = field(default_factory=dict)
    by_interpreter: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, table: str) -> LanguageTable:
        names: list[str] = []
        by_extension: dict[str, list[str]] = {}
        by_filename: dict[str, str] = {}
        by_interpreter: dict[str, str] = {}
        for line in re.sub(r"\n[ \t]+", " ", table.strip()).splitlines():
            name, extensions, filenames, interpreters = (part.strip() for part in line.split("|"))
            names.append(name)
            for ext in extensions.split():
                by_extension.setdefault(ext.lower(), []).append(name)
            for filename in filenames.split():
                by_filename.setdefault(filename, name)
            for interpreter in interpreters.split():
                by_interpreter.setdefault(interpreter, name)
        return cls(
            names=tuple(names),
            by_extension={ext: tuple(langs) for ext, langs in by_extension.items()},
            by_filename=by_filename,
            by_interpreter=by_interpreter,
        )


TABLE = LanguageTable.parse(LANGUAGES)
KNOWN_LANGUAGES: frozenset[str] = frozenset(TABLE.names) | {
    lang for rules in HEURISTICS.values() for lang, _ in rules
}

_SHEBANG = re.compile(rb"^#!\s*(\S+)(.*)$")
_VERSION_SUFFIX = re.compile(r"[\d.]+$")


def extension_candidates(name: str) -> list[str]:
    """The compound extensions of a file name, longest first: ``a.tar.gz`` -> ``.tar.gz``, ``.gz``.

    A dot file's whole name counts as an extension (``.bashrc``), as in Linguist.
    """
    lowered = name.lower()
    return [lowered[i:] for i, ch in enumerate(lowered) if ch == "." and i < len(lowered) - 1]


def interpreter_of(head: bytes) -> str | None:
    """The interpreter a ``#!`` line names, less a version suffix (``python3.11`` -> ``python``).

    ``#!/usr/bin/env [-S] [VAR=x] prog args`` names ``prog``.
    """
    if not head.startswith(b"#!"):
        return None
    match = _SHEBANG.match(head.split(b"\n", 1)[0].rstrip(b"\r"))
    if not match:
        return None
    words = [match.group(1), *match.group(2).split()]
    program = words[0].rsplit(b"/", 1)[-1]
    if program == b"env":
        rest = [w for w in words[1:] if not w.startswith(b"-") and b"=" not in w]
        if not rest:
            return None
        program = rest[0].rsplit(b"/", 1)[-1]
    name = program.decode("ascii", "replace")
    if name in TABLE.by_interpreter:
        return name
    stripped = _VERSION_SUFFIX.sub("", name)
    return stripped or None


@lru_cache(maxsize=4096)
def _by_name(name: str) -> tuple[str | None, str | None]:
    """``(language, None)`` from a base name alone, or ``(None, ext)`` when ``ext`` is ambiguous.

    The exact file name wins, else the longest known extension; ``(None, None)``: unknown.
    """
    if name in TABLE.by_filename:
        return TABLE.by_filename[name], None
    for ext in extension_candidates(name):
        if ext in HEURISTICS:
            return None, ext
        if ext in TABLE.by_extension:
            return TABLE.by_extension[ext][0], None
    return None, None


def detect_language(path: str, head: bytes = b"") -> str | None:
    """The Linguist name of the language of the file at ``path`` (POSIX, relative).

    ``head`` is the start of the file (``HEAD_BYTES`` are enough), used by the heuristics
    for ambiguous extensions and by the shebang fallback; None when unknown.
    """
    language, ambiguous = _by_name(path.rsplit("/", 1)[-1])
    if language:
        return language
    if ambiguous:
        return _resolve(ambiguous, head)
    interpreter = interpreter_of(head)
    return TABLE.by_interpreter.get(interpreter) if interpreter else None


def _resolve(ext: str, head: bytes) -> str | None:
    """Pick among the languages of an ambiguous extension with the first matching rule."""
    text = head[:HEAD_BYTES].decode("utf-8", "replace")
    for language, pattern in HEURISTICS[ext]:
        if pattern is None or pattern.search(text):
            return language
    return None
