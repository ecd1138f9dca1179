"""Expand what the user passed as inputs into a sorted list of input files.

Accepted: local files and directories, globs, fsspec URLs (``s3://``, ``https://``, ...),
and Common Crawl ``*.paths.gz`` listings, whose lines are joined to ``paths_base_url``.

A directory stands for the readable files under it, except for a reader that reads whole
directories (``reads_directories``, e.g. ``format: code``, where a directory is one
repository): then it is one input, and globs may match directories too.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable

import fsspec

from curate.readers import READERS, reader_format_for
from curate.readers.base import InputFile

COMMON_CRAWL_BASE_URL = "https://data.commoncrawl.org/"


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
    return bool(getattr(READERS.get(fmt or ""), "reads_directories", False))


def expand_inputs(
    specs: Iterable[str],
    paths_base_url: str = COMMON_CRAWL_BASE_URL,
    storage_options: dict | None = None,
    limit: int | None = None,
    fmt: str | None = None,
) -> list[InputFile]:
    """Resolve input specs to files; raises :class:`InputError` naming a missing input.

    ``fmt`` is the input format; with a reader that reads directories a directory is
    kept as one input (see the module docstring).
    """
    whole_dirs = reads_directories(fmt)
    found: dict[str, InputFile] = {}
    for spec in specs:
        spec = str(spec)
        if "://" not in spec:
            # Workers (possibly on other machines of a cluster) need absolute paths.
            spec = os.path.abspath(os.path.expanduser(spec))
        if is_paths_listing(spec):
            for url in read_paths_listing(spec, paths_base_url, storage_options):
                found.setdefault(url, InputFile(url))
            continue
        fs, _, _ = fsspec.core.get_fs_token_paths(spec, storage_options=storage_options or {})
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        remote = "://" in spec and not spec.startswith("file://")

        def url_of(path: str, protocol: str = protocol, remote: bool = remote) -> str:
            if not remote:
                return path
            return path if "://" in path else f"{protocol}://{path}"

        if _has_glob(spec):
            matches = sorted(fs.glob(spec))
            if not matches:
                raise InputError(f"input {spec}: the pattern matches no files")
            for path in matches:
                if reader_format_for(path) or fs.isfile(path) or (whole_dirs and fs.isdir(path)):
                    found.setdefault(url_of(path), InputFile(url_of(path)))
            continue
        if remote and protocol in ("http", "https"):
            found.setdefault(spec, InputFile(spec))
            continue
        try:
            is_dir = fs.isdir(spec)
        except Exception as exc:  # remote listing errors: name the input
            raise InputError(f"input {spec}: cannot access it ({exc})") from exc
        if is_dir and whole_dirs:
            directory = url_of(spec.rstrip("/") or spec)
            found.setdefault(directory, InputFile(directory))
        elif is_dir:
            files = sorted(p for p in fs.find(spec) if reader_format_for(p))
            if not files:
                raise InputError(f"input {spec}: the directory holds no readable files (WARC, JSONL, Parquet)")
            for path in files:
                found.setdefault(url_of(path), InputFile(url_of(path)))
        elif fs.exists(spec):
            found.setdefault(spec, InputFile(spec))
        else:
            raise InputError(f"input {spec} does not exist")
    files = sorted(found.values(), key=lambda f: f.path)
    return files[:limit] if limit else files
