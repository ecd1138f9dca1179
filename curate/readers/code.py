"""Source-code repositories: one record per file (``input.format: code``).

Each input is one repository: a directory (a working tree as it is on disk), a git
repository read at ``revision`` through git (a bare clone defaults to ``HEAD``), or a
tar/zip archive (see :func:`curate.code.open_repository`).  Files are read one at a time
and flushed in batches, so memory is bounded by the batch, never the repository.

Columns: ``id`` (``<repo>/<path>``, plus ``@<commit>`` when read at a revision),
``text``, ``url`` (null), ``source`` (the input), ``repo``, ``path`` (relative POSIX),
``language`` (GitHub Linguist name), ``license`` (SPDX id of the repository's licence
file, overridden by a file's own ``SPDX-License-Identifier:`` header), ``revision``
(commit sha, or null), ``size_bytes``, ``lines`` and ``extension`` (lower case, no dot).

Skipped files become rejected rows (``text`` null unless ``keep_skipped_text``) with
their reason: ``symlink``, ``submodule``, ``special_file``, ``missing``, ``unreadable``,
``excluded`` (include/exclude globs), ``vendored``, ``lock_file``, ``generated``,
``too_large``, ``binary``, ``minified``, and with ``languages`` set ``unknown_language``
or ``other_language``.  See :mod:`curate.code.skip` and :mod:`curate.code.text`.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa

from curate.code.base import FILE, Entry, RepositoryError, RepoSource
from curate.code.languages import HEAD_BYTES, KNOWN_LANGUAGES, detect_language
from curate.code.licenses import spdx_header
from curate.code.paths import compile_globs
from curate.code.skip import (
    VENDORED_DIRS,
    has_generated_marker,
    has_generated_name,
    is_lock_file,
    is_minified,
    vendored_matcher,
)
from curate.code.sources import open_repository, repository_license
from curate.code.text import count_lines, decode_source
from curate.readers.base import READ_STAGE, ColumnBuffer, InputFile, Reader, ReadReport
from curate.schema import DROPPED_BY, ID, REASON, SOURCE, TEXT, URL

CODE_SCHEMA = pa.schema(
    [
        (ID, pa.string()),
        (TEXT, pa.large_string()),
        (URL, pa.string()),
        (SOURCE, pa.string()),
        ("repo", pa.string()),
        ("path", pa.string()),
        ("language", pa.string()),
        ("license", pa.string()),
        ("revision", pa.string()),
        ("size_bytes", pa.int64()),
        ("lines", pa.int64()),
        ("extension", pa.string()),
        (DROPPED_BY, pa.string()),
        (REASON, pa.string()),
    ]
)

# Reading one file failed but the repository can go on (a bad zip member, a CRC error).
_ENTRY_ERRORS = (
    OSError,
    RuntimeError,
    NotImplementedError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
)


@dataclass
class _Outcome:
    """What became of one file: its text (None when skipped) and the skip reason."""

    text: str | None = None
    reason: str | None = None
    language: str | None = None
    size: int | None = None


class CodeReader(Reader):
    """Read source-code repositories, one record per file (see the module docstring).

    Options: ``revision`` (git), ``max_file_bytes`` (1 MB, as The Stack), ``include`` /
    ``exclude`` globs over the relative path, ``languages`` (keep only these Linguist
    names), ``skip_vendored`` and ``vendored_dirs``, ``keep_skipped_text``.
    """

    name = "code"
    reads_directories: ClassVar[bool] = True

    revision: str | None = None
    max_file_bytes: int = 1 << 20
    include: list[str] | None = None
    exclude: list[str] | None = None
    languages: list[str] | None = None
    skip_vendored: bool = True
    vendored_dirs: list[str] | None = None
    keep_skipped_text: bool = False

    def __post_init__(self) -> None:
        self._include = compile_globs(self.include)
        self._exclude = compile_globs(self.exclude)
        dirs = VENDORED_DIRS if self.vendored_dirs is None else self.vendored_dirs
        self._vendored = vendored_matcher(dirs) if self.skip_vendored else None
        self._languages = frozenset(self.languages) if self.languages else None
        unknown = sorted((self._languages or frozenset()) - KNOWN_LANGUAGES)
        if unknown:
            raise ValueError(
                f"code reader: unknown languages {unknown}; use GitHub Linguist names "
                "such as Python, JavaScript, C++, Shell"
            )

    def output_schema(self) -> pa.Schema:
        return CODE_SCHEMA

    def read(self, source: InputFile, report: ReadReport) -> Iterator[pa.Table]:
        try:
            repo = open_repository(source.path, self.revision, self.storage_options)
        except RepositoryError as exc:
            report.damaged = str(exc)
            return
        done = 0
        buffer = ColumnBuffer(CODE_SCHEMA, self.batch_rows, self.batch_bytes)
        try:
            with repo:
                license_id = repository_license(repo)
                for entry in repo.entries():
                    table = self._append(buffer, entry, repo, license_id, source, report)
                    done += 1
                    if table is not None:
                        yield table
        except (RepositoryError, *_ENTRY_ERRORS) as exc:
            report.damaged = (
                f"{source.path}: unreadable after {done} files: {type(exc).__name__}: {exc}"
            )
        table = buffer.flush()
        if table is not None:
            yield table

    def _append(
        self,
        buffer: ColumnBuffer,
        entry: Entry,
        repo: RepoSource,
        license_id: str | None,
        source: InputFile,
        report: ReadReport,
    ) -> pa.Table | None:
        outcome = self._outcome(entry, report)
        report.records += 1
        report.rows += 1
        if outcome.reason:
            report.skip(outcome.reason)
        text = outcome.text if outcome.reason is None or self.keep_skipped_text else None
        row_license = (spdx_header(outcome.text) if outcome.text else None) or license_id
        name = entry.path.rsplit("/", 1)[-1]
        dot = name.rfind(".")
        ext = name[dot + 1 :].lower() if dot > 0 and dot < len(name) - 1 else None
        suffix = f"@{repo.revision}" if repo.revision else ""
        return buffer.append(
            nbytes=len(text) if text else 0,
            **{
                ID: f"{repo.name}/{entry.path}{suffix}",
                TEXT: text,
                URL: None,
                SOURCE: source.path,
                "repo": repo.name,
                "path": entry.path,
                "language": outcome.language,
                "license": row_license,
                "revision": repo.revision,
                "size_bytes": outcome.size,
                "lines": count_lines(outcome.text) if outcome.text is not None else None,
                "extension": ext,
                DROPPED_BY: READ_STAGE if outcome.reason else None,
                REASON: outcome.reason,
            },
        )

    def _outcome(self, entry: Entry, report: ReadReport) -> _Outcome:
        """Classify one entry, reading it only when the path rules let it through."""
        path = entry.path
        out = _Outcome(size=entry.size, language=detect_language(path))
        if entry.kind != FILE or entry.read is None:
            out.reason = entry.kind
        elif (self._include and not self._include.fullmatch(path)) or (
            self._exclude and self._exclude.fullmatch(path)
        ):
            out.reason = "excluded"
        elif self._vendored is not None and self._vendored.search(path):
            out.reason = "vendored"
        elif is_lock_file(path):
            out.reason = "lock_file"
        elif has_generated_name(path):
            out.reason = "generated"
        elif entry.size is not None and entry.size > self.max_file_bytes:
            out.reason = "too_large"
        if out.reason:
            return out
        try:
            data = entry.read()  # type: ignore[misc]
        except _ENTRY_ERRORS:
            out.reason = "unreadable"
            return out
        report.bytes_read += len(data)
        out.size = len(data)
        if len(data) > self.max_file_bytes:
            out.reason = "too_large"
            return out
        out.language = detect_language(path, data[:HEAD_BYTES])
        out.text = decode_source(data)
        if out.text is None:
            out.reason = "binary"
        elif self._languages is not None and out.language not in self._languages:
            out.reason = "unknown_language" if out.language is None else "other_language"
        elif has_generated_marker(out.text):
            out.reason = "generated"
        elif is_minified(path, out.text):
            out.reason = "minified"
        return out
