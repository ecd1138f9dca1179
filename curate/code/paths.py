"""Repository paths: normalising archive member names and matching include/exclude globs.

Glob syntax (gitignore-like): a pattern without ``/`` matches the file name at any depth
(``*.py``); a pattern with ``/`` matches the whole relative path from the root
(``json/*.py``), where ``*`` and ``?`` stay within one path component, ``**`` spans any
number of them (``src/**/*.c``) and ``[...]`` is a character class.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable


def printable(path: str) -> str:
    """``path`` with undecodable bytes (surrogate escapes) replaced, so Arrow can store it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def normalise_member(name: str) -> str | None:
    """An archive member name as a clean relative POSIX path; None for the root itself."""
    path = posixpath.normpath(printable(name).replace("\\", "/").lstrip("/"))
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    return "/".join(parts) or None


def glob_to_regex(pattern: str) -> str:
    """The regular expression (anchored, full match) of one glob pattern."""
    anchored = "/" in pattern.strip("/")
    pattern = pattern.strip("/")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    body = "".join(out)
    return body if anchored else f"(?:.*/)?{body}"


def compile_globs(patterns: Iterable[str] | None) -> re.Pattern[str] | None:
    """One pattern whose ``fullmatch`` matches any of ``patterns`` (None when there are none)."""
    patterns = [p for p in (patterns or []) if p]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{glob_to_regex(p)})" for p in patterns))
