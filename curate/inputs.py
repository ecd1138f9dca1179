"""Expand what the user passed as inputs into a sorted list of input files.

Accepted: local files and directories, globs, fsspec URLs (``s3://``, ``https://``, ...),
and Common Crawl ``*.paths.gz`` listings, whose lines are joined to ``paths_base_url``.

A directory stands for the files under it (searched recursively) of the pipeline's input
format (``fmt``, the pipeline's ``input.format``):

* a reader's format (``warc``, ``jsonl``, ``parquet``, ``text``, ``epub``, ``html``): the
  files with that reader's extensions only (``warc``: WARC, WET and ARC files);
* ``auto``: when the directory holds WARC-family files (``.warc(.gz)``, ``.wet(.gz)``,
  ``.arc(.gz)``, ``.warc.zst``) only those, since crawl directories keep listings, notes
  and metadata (``*.txt``, ``*.json``) beside their WARCs; otherwise every readable file.
  The readable files left out are logged (a warning naming a few) and listed by
  :func:`discover_inputs`;
* no format (``None``, for callers that read any table, e.g. mixing written outputs):
  every file some reader can read.

A reader that reads whole directories (``reads_directories``, e.g. ``format: code``,
where a directory is one repository) takes a directory as one input, and globs may
match directories too.  Files named explicitly and glob matches are taken as given,
whatever their type: to read the text files of a crawl directory, name them or set
``input.format``.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import fsspec

from curate.readers import get_reader_class, reader_format_for
from curate.readers.base import InputFile
from curate.storage import absolute, is_remote, url_of

COMMON_CRAWL_BASE_URL = "https://data.commoncrawl.org/"
# The format whose files a directory stands for under ``format: auto`` when it has any.
WEB_ARCHIVE_FORMAT = "warc"

log = logging.getLogger(__name__)


class InputError(ValueError):
    """An input that does not exist or cannot be listed."""


def is_paths_listing(spec: str) -> bool:
    name = spec.lower()
    return name.endswith(".paths.gz") or name.endswith(".paths")


def read_paths_listing(spec: str, base_url: str, storage_options: dict | None = None) -> list[str]:
    with fsspec.open(spec, "rb", **(storage_options or {})) as f:
        raw = f.read()
    if spec.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    base = base_url if base_url.endswith("/") else base_url + "/"
    lines = [ln.strip() for ln in io.StringIO(raw.decode("utf-8")).read().splitlines()]
    return [ln if "://" in ln else base + ln.lstrip("/") for ln in lines if ln and not ln.startswith("#")]


def _has_glob(spec: str) -> bool:
    return any(ch in spec for ch in "*?[")


def reads_directories(fmt: str | None) -> bool:
    """Whether the reader of ``fmt`` takes a whole directory as one input."""
    if not fmt or fmt == "auto":
        return False
    try:
        return bool(getattr(get_reader_class(fmt), "reads_directories", False))
    except ValueError:
        return False  # an unknown format: building the reader says so in one line


@dataclass
class InputDiscovery:
    """The inputs found, and the readable files directories held that were left out."""

    files: list[InputFile]
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def directory_files(paths: Iterable[str], fmt: str | None) -> tuple[list[str], list[str]]:
    """Split a directory's file paths into those of format ``fmt`` (see the module
    docstring) and the readable ones left out; unreadable files are neither."""
    readable = [(path, reader_format_for(path)) for path in sorted(paths)]
    readable = [(path, found) for path, found in readable if found]
    if fmt is None:
        wanted = None
    elif fmt == "auto":
        wanted = WEB_ARCHIVE_FORMAT if any(found == WEB_ARCHIVE_FORMAT for _, found in readable) else None
    else:
        wanted = fmt
    taken = [path for path, found in readable if wanted is None or found == wanted]
    left_out = [path for path, found in readable if wanted is not None and found != wanted]
    return taken, left_out


def _left_out_note(directory: str, fmt: str | None, taken: int, left_out: list[str]) -> str:
    names = ", ".join(path.rsplit("/", 1)[-1] for path in left_out[:5])
    more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
    kind, hint = ("WARC-family", "name them or set input.format") if fmt == "auto" else (str(fmt), "name them")
    return (
        f"input {directory}: read its {taken} {kind} files; left out {len(left_out)} other "
        f"readable files ({names}{more}); {hint} to read them"
    )


def expand_inputs(
    specs: Iterable[str],
    paths_base_url: str = COMMON_CRAWL_BASE_URL,
    storage_options: dict | None = None,
    limit: int | None = None,
    fmt: str | None = None,
) -> list[InputFile]:
    """Resolve input specs to files; raises :class:`InputError` naming a missing input.

    ``fmt`` is the input format: a directory stands for its files of that format, or
    is one input for a reader that reads directories (see the module docstring).  The
    readable files left out of directories are logged.
    """
    found = discover_inputs(specs, paths_base_url, storage_options, limit, fmt)
    for note in found.notes:
        log.warning("%s", note)
    return found.files


def discover_inputs(
    specs: Iterable[str],
    paths_base_url: str = COMMON_CRAWL_BASE_URL,
    storage_options: dict | None = None,
    limit: int | None = None,
    fmt: str | None = None,
) -> InputDiscovery:
    """:func:`expand_inputs`, also returning what directories held but were left out."""
    whole_dirs = reads_directories(fmt)
    found: dict[str, InputFile] = {}
    left_out: list[tuple[str, int, list[str]]] = []  # (directory, files taken, readable files left out)
    for spec in specs:
        spec = absolute(str(spec))  # workers (possibly on other machines) need absolute paths
        if is_paths_listing(spec):
            for url in read_paths_listing(spec, paths_base_url, storage_options):
                found.setdefault(url, InputFile(url))
            continue
        fs, _, _ = fsspec.core.get_fs_token_paths(spec, storage_options=storage_options or {})
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        remote = is_remote(spec)

        if _has_glob(spec):
            matches = sorted(fs.glob(spec))
            if not matches:
                raise InputError(f"input {spec}: the pattern matches no files")
            for path in matches:
                if reader_format_for(path) or fs.isfile(path) or (whole_dirs and fs.isdir(path)):
                    found.setdefault(url_of(fs, path), InputFile(url_of(fs, path)))
            continue
        if remote and protocol in ("http", "https"):
            found.setdefault(spec, InputFile(spec))
            continue
        try:
            is_dir = fs.isdir(spec)
        except Exception as exc:  # remote listing errors: name the input
            raise InputError(f"input {spec}: cannot access it ({exc})") from exc
        if is_dir and whole_dirs:
            directory = url_of(fs, spec.rstrip("/") or spec)
            found.setdefault(directory, InputFile(directory))
        elif is_dir:
            files, skipped = directory_files(fs.find(spec), fmt)
            if not files:
                what = "(WARC, JSONL, Parquet)" if fmt in (None, "auto") else f"of format {fmt}"
                raise InputError(f"input {spec}: the directory holds no readable files {what}")
            for path in files:
                found.setdefault(url_of(fs, path), InputFile(url_of(fs, path)))
            if skipped:
                left_out.append((spec, len(files), [url_of(fs, path) for path in skipped]))
        elif fs.exists(spec):
            found.setdefault(spec, InputFile(spec))
        else:
            raise InputError(f"input {spec} does not exist")
    inputs = sorted(found.values(), key=lambda f: f.path)
    # Files another spec named (a glob, the file itself, a subdirectory) are not left out.
    notes, unread = [], set()
    for directory, taken, skipped in left_out:
        skipped = [path for path in skipped if path not in found]
        if skipped:
            unread.update(skipped)
            notes.append(_left_out_note(directory, fmt, taken, skipped))
    return InputDiscovery(inputs[:limit] if limit else inputs, sorted(unread), notes)
