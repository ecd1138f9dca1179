"""Source-code repositories as a source: listing, language and licence detection, skip rules.

A repository is a directory (a working tree, read as it is), a git repository read at a
revision through the git CLI (``git ls-tree`` and one ``git cat-file --batch``), or a
tar/zip archive of one.  :class:`curate.readers.code.CodeReader` turns it into one record
per file.
"""

from curate.code.base import Entry, RepositoryError, RepoSource
from curate.code.languages import detect_language
from curate.code.licenses import detect_license, spdx_header
from curate.code.sources import open_repository, repository_license

__all__ = [
    "Entry",
    "RepoSource",
    "RepositoryError",
    "detect_language",
    "detect_license",
    "open_repository",
    "repository_license",
    "spdx_header",
]
