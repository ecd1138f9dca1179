"""Open what an input spec names as a repository source, and find the repository's licence."""

from __future__ import annotations

import os
import tarfile
import zipfile
from typing import Any

from curate.code.archives import TarSource, ZipSource
from curate.code.base import RepositoryError, RepoSource
from curate.code.git import GitSource, is_bare_repository, is_work_tree
from curate.code.licenses import SECONDARY_RANK, detect_license, license_file_rank
from curate.code.walk import DirectorySource, WorkTreeSource

# Licence files larger than this are not read (no licence text is near it).
MAX_LICENSE_BYTES = 1 << 20


def open_repository(
    spec: str, revision: str | None = None, storage_options: dict[str, Any] | None = None
) -> RepoSource:
    """The source for ``spec``; RepositoryError (one line naming it) when it is not one.

    * a bare git repository: read through git at ``revision`` (default ``HEAD``);
    * a git working tree: through git at ``revision`` when set, else its files on disk
      as git lists them (tracked and untracked, not ignored);
    * another directory: every file under it (``revision`` is an error there);
    * a tar or zip archive (local or an fsspec URL).
    """
    local = "://" not in spec or spec.startswith("file://")
    path = spec.removeprefix("file://") if local else spec
    if local and os.path.isdir(path):
        if is_bare_repository(path) or (revision and is_work_tree(path)):
            return GitSource(path, revision or "HEAD")
        if revision:
            raise RepositoryError(
                f"{spec}: not a git repository, so it cannot be read at revision {revision!r}"
            )
        return WorkTreeSource(path) if is_work_tree(path) else DirectorySource(path)
    if local and not os.path.exists(path):
        raise RepositoryError(f"{spec}: does not exist")
    if revision:
        raise RepositoryError(f"{spec}: an archive has no revisions; drop the revision option")
    return _open_archive(spec, path, local, storage_options)


def _open_archive(
    spec: str, path: str, local: bool, storage_options: dict[str, Any] | None
) -> RepoSource:
    import fsspec

    try:
        handle = (
            open(path, "rb") if local else fsspec.open(spec, "rb", **(storage_options or {})).open()
        )
    except OSError as exc:
        raise RepositoryError(f"{spec}: cannot open it: {exc}") from exc
    try:
        is_zip = zipfile.is_zipfile(handle)
        handle.seek(0)
        is_tar = not is_zip and _is_tar(handle)
        handle.seek(0)
    except OSError as exc:
        handle.close()
        raise RepositoryError(f"{spec}: cannot read it: {exc}") from exc
    if is_zip:
        return ZipSource(spec, handle)
    if is_tar:
        return TarSource(spec, handle)
    handle.close()
    raise RepositoryError(
        f"{spec}: not a repository: neither a directory, a git repository nor a tar or zip archive"
    )


def _is_tar(handle: Any) -> bool:
    """Whether ``handle`` opens as a (possibly compressed) tar archive with a first member."""
    try:
        with tarfile.open(fileobj=handle, mode="r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, EOFError, OSError, ValueError):
        return False


def repository_license(repo: RepoSource) -> str | None:
    """The SPDX id of the repository's licence, from its root licence files; None if none.

    The first plain licence file (``LICENSE``, ``LICENSE.md``, ``COPYING`` ...) that is
    recognised decides; failing that, per-licence files (``LICENSE-MIT`` and
    ``LICENSE-APACHE``) are combined as ``Apache-2.0 OR MIT``.
    """
    ranked = sorted(
        (rank, name) for name in repo.root_files() if (rank := license_file_rank(name)) is not None
    )
    secondary: set[str] = set()
    for rank, name in ranked:
        spdx = _file_license(repo, name)
        if spdx is None:
            continue
        if rank < SECONDARY_RANK:
            return spdx
        secondary.add(spdx)
    return " OR ".join(sorted(secondary)) or None


def _file_license(repo: RepoSource, name: str) -> str | None:
    try:
        data = repo.read_root_file(name)
    except (OSError, RepositoryError):
        return None
    if not data or len(data) > MAX_LICENSE_BYTES:
        return None
    return detect_license(data.decode("utf-8", "replace"))
