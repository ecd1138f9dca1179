"""The url_filter's lists: reading list files and UT1 blocklists, datatrove's shipped
lists, and the normal forms (domains, URL keys, words) entries are compared in."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from curate.stage import require
from curate.urls import url_keys

# URL tokens as datatrove splits them: runs of ASCII letters and digits.
NON_ALNUM_RE = r"[^a-z0-9]+"

# Settings that name list files, and settings that hold list entries inline.
LIST_FILE_SETTINGS = (
    "blocklists",
    "domain_files",
    "url_files",
    "banned_words_files",
    "soft_banned_words_files",
    "banned_subwords_files",
)
INLINE_LIST_SETTINGS = ("extra_domains", "extra_urls", "banned_words", "soft_banned_words", "banned_subwords")


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """A setting that holds one path or entry, several, or none, as a list of strings."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [str(value)]
    return [str(v) for v in value]


def _text(data: bytes) -> pa.Array:
    """A whole list file as a one-element Arrow string, without copying valid UTF-8."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        text = pa.array([data.decode("utf-8", errors="replace")], pa.large_string())
    return text


def _has(text: pa.Array, pattern: str) -> bool:
    return bool(pc.match_substring_regex(text, pattern)[0].as_py())


def _split_lines(text: pa.Array, lower: bool = False) -> pa.Array:
    """Stripped, non-empty, non-comment lines.  Whole-file checks first, so the usual
    clean file (one lower-case entry per line) costs one split."""
    if _has(text, "\r"):
        text = pc.replace_substring(text, "\r", "")
    if lower and _has(text, r"[A-Z]|[^\x00-\x7F]"):
        text = pc.utf8_lower(text)
    lines = pc.list_flatten(pc.split_pattern(text, "\n"))
    if _has(text, r"(?:^|\n)[ \t\f\v]|[ \t\f\v](?:\n|$)"):
        lines = pc.utf8_trim_whitespace(lines)
    keep = pc.greater(pc.binary_length(lines), 0)
    if _has(text, r"(?:^|\n)[ \t]*#"):
        keep = pc.and_(keep, pc.invert(pc.starts_with(lines, "#")))
    return lines.filter(keep)


def list_entries(data: bytes) -> pa.Array:
    """The entries of a list file (plain or gzipped): one a line, ``#`` comments."""
    return _split_lines(_text(data))


def domain_entries(data: bytes) -> pa.Array:
    """The entries of a domain list, normalised (see :func:`normalize_domains`)."""
    text = _text(data)
    lines = _split_lines(text, lower=True)
    if _has(text, r"[ \t#*]|\n\.|\.\n|^\.|\.$"):
        lines = normalize_domains(lines)
    return lines


def read_bytes(path: str) -> bytes:
    import fsspec

    with fsspec.open(path, "rb") as f:
        return f.read()


def _is_archive(path: str) -> bool:
    return path.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz"))


def iter_ut1(path: str) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
    """Yield ``(category, kind, read)`` for each ``domains``/``urls`` file of a UT1 layout.

    The layout is ``<root>/<category>/domains`` and ``<root>/<category>/urls`` (either may
    be gzipped: ``domains.gz``), as a directory or a tar archive.  Files directly under the
    root (datatrove's flat archive) get the root's name as their category.  ``read()``
    returns the file's bytes; call it during the iteration (unwanted categories are never
    read).
    """
    root_name = Path(path.rstrip("/")).name
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"):
        if root_name.endswith(suffix):
            root_name = root_name[: -len(suffix)]
            break

    def kind_of(name: str) -> str | None:
        base = name[:-3] if name.endswith(".gz") else name
        return base if base in ("domains", "urls") else None

    if _is_archive(path):
        with tarfile.open(fileobj=io.BytesIO(read_bytes(path)), mode="r:*") as tar:
            for member in tar.getmembers():
                parts = [p for p in member.name.split("/") if p not in ("", ".")]
                kind = kind_of(parts[-1]) if parts else None
                if kind is None or not (member.isfile() or member.issym() or member.islnk()):
                    continue
                try:
                    handle = tar.extractfile(member)
                except (KeyError, tarfile.TarError):
                    continue  # a link to a file the archive does not hold
                if handle is None:
                    continue
                category = parts[-2] if len(parts) >= 2 else root_name
                yield category, kind, handle.read
        return
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"url_filter: blocklist {path} is neither a directory nor a tar archive")
    for file in sorted(root.rglob("*")):
        kind = kind_of(file.name)
        if kind is None or not file.is_file():
            continue
        category = root_name if file.parent == root else file.parent.name
        yield category, kind, file.read_bytes


def normalize_domains(values: pa.Array) -> pa.Array:
    """Lower-case list entries and strip what is not part of a domain.

    Accepts hosts-file lines (``0.0.0.0 example.com``), leading ``*.`` or ``.`` wildcards,
    trailing dots and inline ``# comments``; drops entries left empty or with spaces.
    """
    values = pc.utf8_lower(values)
    values = pc.replace_substring_regex(values, r"\s+#.*$", "")
    values = pc.replace_substring_regex(values, r"^(?:0\.0\.0\.0|127\.0\.0\.1)\s+", "")
    values = pc.replace_substring_regex(values, r"^\*?\.+|\.+$", "")
    values = pc.utf8_trim_whitespace(values)
    keep = pc.and_(pc.greater(pc.utf8_length(values), 0), pc.invert(pc.match_substring_regex(values, r"\s")))
    return values.filter(keep)


def normalize_urls(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The form URLs and list entries are compared in: curate's URL key
    (:func:`curate.urls.url_keys`: no scheme, user info, ``www.``, default port, fragment or
    trailing slash, escapes normalised, query parameters sorted; UT1 lists URLs as
    ``host/path``), then lower-cased, so that matching a blocklist ignores case."""
    return pc.utf8_lower(url_keys(values))


def normalize_word(values: pa.Array) -> pa.Array:
    """datatrove's word normalisation: lower case, ASCII letters and digits only."""
    values = pc.replace_substring_regex(pc.utf8_lower(values), NON_ALNUM_RE, "")
    return pc.filter(values, pc.greater(pc.utf8_length(values), 0))


def datatrove_assets() -> Path:
    """The folder of list files that the ``datatrove`` package ships (FineWeb's lists)."""
    require("datatrove", extra="datatrove")
    from importlib.resources import files

    # datatrove's package data (its private datatrove.utils._import_utils.ASSETS_PATH is
    # this folder): banned_words.txt, ..., url_filterblacklistsv0_3_0.tar.gz.
    return Path(str(files("datatrove").joinpath("assets")))
