"""Git repositories read at a revision through the git CLI, without a checkout.

``git ls-tree -r -l -z REV`` lists the files with their sizes (so too large files are
skipped unread) and one ``git cat-file --batch`` process streams their contents.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterator
from typing import IO

from curate.code.base import FILE, SUBMODULE, SYMLINK, Entry, RepositoryError, RepoSource
from curate.storage import is_remote

# safe.directory: reading a repository another user owns is fine (only protected
# configuration, which includes the command line, may set it).
_GIT = ("git", "-c", "safe.directory=*", "-c", "core.quotePath=false")
_STRIPPED_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_NAMESPACE",
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def git_command(path: str, *args: str) -> list[str]:
    return [*_GIT, "-C", path, *args]


def run_git(path: str, *args: str, ok_codes: tuple[int, ...] = (0,)) -> bytes:
    """Run ``git -C path ARGS``, return its output; RepositoryError naming ``path`` if it fails."""
    try:
        proc = subprocess.run(
            git_command(path, *args), capture_output=True, env=_env(), check=False
        )
    except FileNotFoundError as exc:
        raise RepositoryError(
            f"{path}: git is not installed; it is needed to read git repositories"
        ) from exc
    if proc.returncode not in ok_codes:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RepositoryError(
            f"{path}: git {args[0]} failed: {message[-1] if message else proc.returncode}"
        )
    return proc.stdout


def is_bare_repository(path: str) -> bool:
    """Whether ``path`` looks like a bare repository (``HEAD``, ``objects/``, ``refs/``)."""
    return all(
        check(os.path.join(path, name))
        for check, name in (
            (os.path.isfile, "HEAD"),
            (os.path.isdir, "objects"),
            (os.path.isdir, "refs"),
        )
    )


def is_work_tree(path: str) -> bool:
    """Whether ``path`` is the top of a git working tree (has ``.git``, a directory or a file)."""
    return os.path.exists(os.path.join(path, ".git"))


def repository_name(path: str) -> str:
    """The name of a repository: ``owner/name`` from a hosted ``origin`` remote
    (``https://host/owner/name.git``, ``git@host:owner/name.git``), else its own
    directory's name.  A remote that is a local path (a clone of a clone) names the other
    checkout, not this one, so two clones of ``.../main`` would share a name: not used."""
    url = (
        run_git(path, "config", "--get", "remote.origin.url", ok_codes=(0, 1))
        .decode("utf-8", "replace")
        .strip()
    )
    hosted = is_remote(url) or (":" in url and "@" in url.split(":", 1)[0])  # https://..., git@host:owner/name
    if hosted:
        tail = url.rstrip("/").split("://", 1)[-1].replace(":", "/").split("/")[1:]
        name = "/".join(tail[-2:]).removesuffix(".git")
        if name:
            return name
    base = os.path.basename(os.path.abspath(path).rstrip("/"))
    return base.removesuffix(".git") or base


def resolve_revision(path: str, revision: str) -> str:
    """The commit sha ``revision`` names in the repository at ``path``."""
    try:
        out = run_git(path, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except RepositoryError as exc:
        raise RepositoryError(f"{path}: no commit {revision!r} in the repository") from exc
    return out.decode().strip()


class GitSource(RepoSource):
    """A repository (working tree or bare) read at one commit."""

    def __init__(self, path: str, revision: str = "HEAD") -> None:
        self.path = path
        self.name = repository_name(path)
        self.revision = resolve_revision(path, revision)
        listing = run_git(path, "ls-tree", "-r", "-l", "-z", "--full-tree", self.revision)
        self._files: list[tuple[str, str, str, int | None]] = []  # (path, mode, sha, size)
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, _kind, sha, size = meta.decode().split()
            self._files.append(
                (name.decode("utf-8", "replace"), mode, sha, None if size == "-" else int(size))
            )
        self._blobs: dict[str, str] = {
            p: sha for p, mode, sha, _ in self._files if "/" not in p and mode.startswith("100")
        }
        self._process: subprocess.Popen[bytes] | None = None

    def root_files(self) -> list[str]:
        return sorted(self._blobs)

    def read_root_file(self, name: str) -> bytes | None:
        sha = self._blobs.get(name)
        return self._cat(sha) if sha else None

    def entries(self) -> Iterator[Entry]:
        for path, mode, sha, size in self._files:
            if mode == "120000":
                yield Entry(path, size, SYMLINK)
            elif mode == "160000":
                yield Entry(path, None, SUBMODULE)
            else:
                yield Entry(path, size, FILE, functools.partial(self._cat, sha))

    def _cat(self, sha: str) -> bytes:
        """One object's content through the ``git cat-file --batch`` process."""
        if self._process is None:
            self._process = subprocess.Popen(
                git_command(self.path, "cat-file", "--batch"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_env(),
            )
        stdin: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        stdout: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        stdin.write(sha.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:
            answer = b" ".join(header).decode(errors="replace")
            raise OSError(f"git cat-file: object {sha} is missing ({answer})")
        size = int(header[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        if len(data) != size:
            raise OSError(f"git cat-file: object {sha} truncated")
        return data

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()  # type: ignore[union-attr]
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            process.stdout.close()  # type: ignore[union-attr]
