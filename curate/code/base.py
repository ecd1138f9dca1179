"""What every repository source yields: entries (one per file) with their content on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

# Entry kinds besides plain files: each is skipped with the kind as its reason.
FILE = "file"
SYMLINK = "symlink"
SUBMODULE = "submodule"
SPECIAL = "special_file"  # fifo, device, socket: nothing to read
MISSING = "missing"  # listed (a working tree's index) but gone from the disk


class RepositoryError(Exception):
    """A repository that cannot be opened or read; the message is one line naming it."""


@dataclass(frozen=True)
class Entry:
    """One file of a repository: its relative POSIX path, size, kind and a content loader.

    ``read`` must be called before the next entry is requested (archives are streamed).
    """

    path: str
    size: int | None
    kind: str = FILE
    read: Callable[[], bytes] | None = None


class RepoSource:
    """A repository opened for reading: its name, revision, root files and entries."""

    name: str = ""
    revision: str | None = None

    def root_files(self) -> list[str]:
        """Names of the files at the repository root (for finding the licence file)."""
        raise NotImplementedError

    def read_root_file(self, name: str) -> bytes | None:
        """Content of a root file (small files only), None when it cannot be read."""
        raise NotImplementedError

    def entries(self) -> Iterator[Entry]:
        """Every file of the repository, in a stable order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release processes and file handles."""

    def __enter__(self) -> RepoSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
