"""Paths on any filesystem: one place that turns a user's path or URL into (fs, URL).

fsspec filesystems strip the protocol from the paths they return (``s3fs.ls("s3://b/x")``
lists ``b/x/...``).  A stripped path handed to anything that builds its own filesystem
from a string (a sub-folder's layout, a reader on a Ray worker, ``fsspec.open``) is read
as a *local* path, so a run with an ``s3://`` output would write part of its state to the
working directory of whichever node ran the task.  Everything in curate that names a file
of an output therefore uses :func:`url_of`, which gives back the full URL on remote
filesystems and the plain absolute path on the local one.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem

TMP_PREFIX = ".tmp-"


def tmp_name(name: str, tag: str | None = None) -> str:
    """A temporary name for ``name``; ``tag`` (an output id) marks whose it is."""
    return f"{TMP_PREFIX}{tag + '-' if tag else ''}{name}.{uuid.uuid4().hex[:8]}"


def is_remote(path: str) -> bool:
    """Whether ``path`` names a non-local filesystem (``s3://``, ``gs://``, ``memory://``...)."""
    return "://" in path and not path.startswith("file://")


def absolute(path: str) -> str:
    """A local path made absolute (workers on other machines need it); URLs unchanged."""
    if "://" in path:
        return path
    return os.path.abspath(os.path.expanduser(path))


def is_local_fs(fs: AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def url_of(fs: AbstractFileSystem, path: str) -> str:
    """``path`` as returned by ``fs`` (protocol stripped) turned back into a full URL."""
    if is_local_fs(fs) or "://" in path:
        return path
    return fs.unstrip_protocol(path)


@dataclass
class Folder:
    """A folder of a run (an output, a work folder) on any filesystem: ``fs``, and ``base``,
    the root as a full URL (an absolute path locally), so every path built from it with
    :meth:`path`, and every sub-folder built from those, stays on the folder's filesystem."""

    root: str

    def __post_init__(self) -> None:
        self.fs, self.base = filesystem(self.root)
        if "://" not in self.root:
            self.root = self.base

    def path(self, *parts: str) -> str:
        return "/".join([self.base, *parts])


def filesystem(root: str, storage_options: dict[str, Any] | None = None) -> tuple[AbstractFileSystem, str]:
    """(filesystem, root as a full URL, or an absolute local path) for a user's path."""
    root = absolute(root)
    fs, base = fsspec.core.url_to_fs(root, **(storage_options or {}))
    return fs, url_of(fs, base.rstrip("/") or base)


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


def commit(fs: AbstractFileSystem, tmp: str, final: str) -> None:
    """Move a completely written temporary file into place (atomic where the filesystem is)."""
    if is_local_fs(fs):
        os.replace(tmp.removeprefix("file://"), final.removeprefix("file://"))
    else:
        fs.mv(tmp, final)


def write_text_atomic(fs: AbstractFileSystem, final: str, text: str, tag: str | None = None, *,
                      makedirs: bool = False) -> None:
    """Write ``text`` to a temporary name beside ``final``, then move it into place, so a
    killed writer never leaves a complete-looking file."""
    directory, name = final.rsplit("/", 1)
    if makedirs:
        fs.makedirs(directory, exist_ok=True)
    tmp = f"{directory}/{tmp_name(name, tag)}"
    with fs.open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    commit(fs, tmp, final)


def refresh(fs: AbstractFileSystem, path: str) -> None:
    """Forget ``fs``'s cached listings of ``path``: other processes (Ray workers, other
    nodes) write there, and object-store filesystems cache directory listings."""
    try:
        fs.invalidate_cache(path)
    except Exception:  # a filesystem without a listings cache
        pass


def exists(fs: AbstractFileSystem, path: str) -> bool:
    """``fs.exists`` that does not trust a cached listing of the parent folder."""
    refresh(fs, path)
    return fs.exists(path)


def list_files(fs: AbstractFileSystem, directory: str) -> list[str]:
    """Full URLs (or local paths) of the entries directly in ``directory``; [] when absent."""
    refresh(fs, directory)
    if not fs.exists(directory):
        return []
    return sorted(url_of(fs, p) for p in fs.ls(directory, detail=False))


def find_files(fs: AbstractFileSystem, directory: str) -> list[str]:
    """Full URLs (or local paths) of every file under ``directory``, recursively."""
    refresh(fs, directory)
    if not fs.exists(directory):
        return []
    return sorted(url_of(fs, p) for p in fs.find(directory))


def read_parquet(fs: AbstractFileSystem, path: str, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file as a table.

    A local file is read by path, with Arrow's own I/O.  A remote one is fetched whole
    through fsspec and copied into an Arrow-owned buffer before Arrow parses it: Arrow's
    I/O threads reading through a Python file object hold Python-owned buffers
    (``arrow::py::PyBuffer``), and one released by such a thread while the interpreter
    shuts down aborts the process (SIGABRT from ``pthread_exit``).  Files read this way
    are bounded (output parts, one partition of a work folder), so the copy is too.
    """
    if is_local_fs(fs):
        return pq.read_table(path.removeprefix("file://"), columns=columns)
    return parquet_file(fs, path).read(columns=columns)


def parquet_file(fs: AbstractFileSystem, path: str) -> pq.ParquetFile:
    """One Parquet file, opened to read row group by row group, the way
    :func:`read_parquet` reads (by path locally; a remote file copied whole into an
    Arrow-owned buffer first)."""
    if is_local_fs(fs):
        return pq.ParquetFile(path.removeprefix("file://"))
    data = fs.cat_file(path)
    buffer = pa.allocate_buffer(len(data))
    np.frombuffer(buffer, dtype=np.uint8)[:] = np.frombuffer(data, dtype=np.uint8)
    return pq.ParquetFile(pa.BufferReader(buffer))
