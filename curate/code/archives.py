"""Tar (plain, gzip, bzip2, xz) and zip archives of a repository.

The member list is read first (a damaged archive fails there, before any row), then the
members are read in archive order.  When every member lies under one top-level folder,
as in GitHub's ``name-sha/`` archives, that folder is stripped from the paths.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from curate.code.base import FILE, SPECIAL, SYMLINK, Entry, RepositoryError, RepoSource
from curate.code.paths import normalise_member

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
# What opening or listing a damaged archive raises.
ARCHIVE_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
)  # fmt: skip


def archive_stem(path: str) -> str:
    """The archive's file name less its archive suffix (``req-2.3.tar.gz`` -> ``req-2.3``)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def common_folder(names: list[tuple[str, bool]]) -> str | None:
    """The one top-level folder all ``(path, is_dir)`` members lie under, or None."""
    tops = {name.split("/", 1)[0] for name, _ in names}
    if len(tops) != 1:
        return None
    top = next(iter(tops))
    has_files_below = any(name.startswith(top + "/") and not is_dir for name, is_dir in names)
    only_dir_itself = all(
        name.startswith(top + "/") or (name == top and is_dir) for name, is_dir in names
    )
    return top if has_files_below and only_dir_itself else None


class _ArchiveSource(RepoSource):
    """Shared: the member list as ``(path, member)``, stripped of a common top folder."""

    def __init__(self, spec: str, members: list[tuple[str, bool, Any]]) -> None:
        self.name = archive_stem(spec)
        top = common_folder([(name, is_dir) for name, is_dir, _ in members])
        cut = len(top) + 1 if top else 0
        self._members = [
            (name[cut:], member) for name, is_dir, member in members if not is_dir and name[cut:]
        ]
        self._root = {name: member for name, member in self._members if "/" not in name}

    def root_files(self) -> list[str]:
        return sorted(self._root)

    def read_root_file(self, name: str) -> bytes | None:
        member = self._root.get(name)
        if member is None:
            return None
        entry = self._entry(name, member)
        return entry.read() if entry.kind == FILE and entry.read else None

    def entries(self) -> Iterator[Entry]:
        for name, member in self._members:
            yield self._entry(name, member)

    def _entry(self, name: str, member: Any) -> Entry:
        raise NotImplementedError


class TarSource(_ArchiveSource):
    """A tar archive, compressed or not."""

    def __init__(self, spec: str, fileobj: IO[bytes]) -> None:
        self._file = fileobj
        try:
            self._tar = tarfile.open(fileobj=fileobj, mode="r:*")
            listed = self._tar.getmembers()
        except ARCHIVE_ERRORS as exc:
            fileobj.close()
            raise RepositoryError(
                f"{spec}: not a readable tar archive: {type(exc).__name__}: {exc}"
            ) from exc
        members = []
        for info in listed:
            name = normalise_member(info.name)
            if name is not None:
                members.append((name, info.isdir(), info))
        super().__init__(spec, members)

    def _entry(self, name: str, member: Any) -> Entry:
        info: tarfile.TarInfo = member
        if info.issym():
            return Entry(name, None, SYMLINK)
        if info.isreg() or info.islnk():
            size = info.size if info.isreg() else None
            return Entry(name, size, FILE, self._reader(info))
        return Entry(name, None, SPECIAL)

    def _reader(self, info: tarfile.TarInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            handle = self._tar.extractfile(info)
            if handle is None:
                raise OSError(f"cannot extract {info.name}")
            return handle.read()

        return read

    def close(self) -> None:
        self._tar.close()
        self._file.close()


class ZipSource(_ArchiveSource):
    """A zip archive."""

    def __init__(self, spec: str, fileobj: IO[bytes]) -> None:
        self._file = fileobj
        try:
            self._zip = zipfile.ZipFile(fileobj)
            listed = self._zip.infolist()
        except ARCHIVE_ERRORS as exc:
            fileobj.close()
            raise RepositoryError(
                f"{spec}: not a readable zip archive: {type(exc).__name__}: {exc}"
            ) from exc
        members = []
        for info in listed:
            name = normalise_member(info.filename)
            if name is not None:
                members.append((name, info.is_dir(), info))
        super().__init__(spec, members)

    def _entry(self, name: str, member: Any) -> Entry:
        info: zipfile.ZipInfo = member
        if stat.S_ISLNK(info.external_attr >> 16):
            return Entry(name, None, SYMLINK)
        return Entry(name, info.file_size, FILE, lambda: self._zip.read(info))

    def close(self) -> None:
        self._zip.close()
        self._file.close()
