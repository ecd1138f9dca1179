"""Directories read as they are on disk: a plain directory tree, or a git working tree.

A plain directory lists every file under it (symbolic links are listed, not followed).
A git working tree lists what git would commit: tracked files and untracked files its
ignore rules do not exclude (``git ls-files --cached --others --exclude-standard``), as
they are on disk now, so ``.git/`` and ignored build output are never listed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from curate.code.base import FILE, MISSING, SPECIAL, SUBMODULE, SYMLINK, Entry, RepoSource
from curate.code.git import repository_name, run_git
from curate.code.paths import printable


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class DirectorySource(RepoSource):
    """Every file under a directory, sorted by path."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.name = os.path.basename(self.root.rstrip("/")) or self.root

    def root_files(self) -> list[str]:
        return sorted(
            n for n in os.listdir(self.root) if os.path.isfile(os.path.join(self.root, n))
        )

    def read_root_file(self, name: str) -> bytes | None:
        try:
            return _read(os.path.join(self.root, name))
        except OSError:
            return None

    def paths(self) -> list[str]:
        """Relative POSIX paths of the files (and links) under the root, sorted."""
        found: list[str] = []
        for current, dirs, files in os.walk(self.root):
            rel = os.path.relpath(current, self.root).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            links = [d for d in dirs if os.path.islink(os.path.join(current, d))]
            dirs[:] = [d for d in dirs if d not in links]
            found.extend(prefix + name for name in (*files, *links))
        return sorted(found)

    def entries(self) -> Iterator[Entry]:
        for rel in self.paths():
            yield self.entry(rel)

    def entry(self, rel: str) -> Entry:
        """The entry for one relative path, from ``lstat``."""
        full = os.path.join(self.root, *rel.split("/"))
        name = printable(rel)
        try:
            info = os.lstat(full)
        except FileNotFoundError:
            return Entry(name, None, MISSING)
        if stat.S_ISLNK(info.st_mode):
            return Entry(name, info.st_size, SYMLINK)
        if stat.S_ISDIR(info.st_mode):
            return Entry(name, None, SUBMODULE)
        if not stat.S_ISREG(info.st_mode):
            return Entry(name, None, SPECIAL)
        return Entry(name, info.st_size, FILE, lambda: _read(full))


class WorkTreeSource(DirectorySource):
    """A git working tree's files as git lists them (tracked and untracked, not ignored)."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.name = repository_name(self.root)

    def paths(self) -> list[str]:
        out = run_git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        return sorted({os.fsdecode(p) for p in out.split(b"\0") if p})
