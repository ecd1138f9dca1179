"""Which files of an output folder curate wrote, so that it deletes only those.

An output folder curate writes to gets ``_curate/owner.json`` with a random output id the
first time.  Everything curate writes there is recognisable as its own:

* Parquet files (``data/``, ``rejects/``, ``tokens/``) carry the id in their footer
  metadata (``curate.output_id``); temporary files carry it in their name
  (``.tmp-<id>-...``), so a killed run's leftovers are known too.
* ``stats.json`` and ``manifest.json`` carry it as ``curate_output_id``.
* ``_curate/`` holds curate's own state under fixed names (``owner.json``, ``run.json``,
  ``inputs/``, ``phases/``, ``dedup/``, ``tokenize/``); anything else a user puts there
  is theirs.

A folder inside the output that has its own ``_curate/owner.json`` (the per-source runs
of a mixture) is judged by its own id.  Any other file is the user's: ``--overwrite``
leaves it alone, a part file that merely looks like curate's is not counted as output,
and a run into a folder holding such files is refused unless the user allows them
(``--allow-other-files``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem

from curate.storage import (
    TMP_PREFIX,
    filesystem,
    find_files,
    is_local_fs,
    join,
    tmp_name,
    write_text_atomic,
)

OWNER_FILE = "_curate/owner.json"
PARQUET_KEY = b"curate.output_id"
JSON_KEY = "curate_output_id"
# curate's state folders and files inside ``_curate/`` (relative to an output's root)
STATE_FOLDERS = ("_curate/inputs/", "_curate/phases/", "_curate/dedup/", "_curate/tokenize/", "_curate/decontaminate/")
STATE_FILES = ("_curate/owner.json", "_curate/run.json")
# user-visible files curate writes at an output's root, recognised by their JSON id
ROOT_JSON = ("stats.json", "manifest.json")
SHOWN = 5


class ForeignFilesError(ValueError):
    """The output folder holds files curate did not write."""


def tagged(table: pa.Table, output_id: str | None) -> pa.Table:
    """``table`` with the output id in its schema metadata (kept in the Parquet footer)."""
    if not output_id:
        return table
    metadata = dict(table.schema.metadata or {})
    metadata[PARQUET_KEY] = output_id.encode()
    return table.replace_schema_metadata(metadata)


def parquet_owner(fs: AbstractFileSystem, path: str) -> str | None:
    """The output id in a Parquet file's footer (None: none, or not a readable Parquet file)."""
    try:
        with fs.open(path, "rb") as f:
            metadata = pq.ParquetFile(f).schema_arrow.metadata or {}
    except Exception:
        return None
    value = metadata.get(PARQUET_KEY)
    return value.decode() if value else None


def read_json_file(fs: AbstractFileSystem, path: str) -> object:
    """A JSON file's content; None when it is missing or not JSON."""
    try:
        with fs.open(path, "r") as f:
            return json.load(f)
    except Exception:
        return None


def json_owner(fs: AbstractFileSystem, path: str) -> str | None:
    data = read_json_file(fs, path)
    value = data.get(JSON_KEY) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@dataclass
class Ownership:
    """The output id of the folder at ``root`` and the rules that tell its files apart."""

    root: str
    output_id: str
    fs: AbstractFileSystem = field(repr=False, default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.fs is None:
            self.fs, self.root = filesystem(self.root)

    # -- finding and claiming ---------------------------------------------------------------
    @staticmethod
    def read(root: str) -> Ownership | None:
        """The ownership record of the output at ``root``, or None when curate never wrote there."""
        fs, url = filesystem(root)
        owner_id = _owner_id(fs, url)
        return Ownership(url, owner_id, fs) if owner_id else None

    @staticmethod
    def claim(root: str, *, allow_other_files: bool = False, kind: str = "run") -> Ownership:
        """The output at ``root``, made curate's if it is not yet.

        Refuses (:class:`ForeignFilesError`) a folder that holds files curate did not
        write, unless ``allow_other_files``.
        """
        fs, url = filesystem(root)
        existing = Ownership.read(url)
        if existing is not None:
            if not allow_other_files:
                existing.refuse_foreign()
            return existing
        if not allow_other_files:
            others = find_files(fs, url)
            if others:
                raise ForeignFilesError(_foreign_message(url, others))
        owner = Ownership(url, uuid.uuid4().hex[:16], fs)
        owner._write_owner_file(kind)
        return owner

    def _write_owner_file(self, kind: str) -> None:
        record = {"output_id": self.output_id, "kind": kind, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_text_atomic(self.fs, join(self.root, OWNER_FILE), json.dumps(record, indent=2), self.output_id, makedirs=True)

    # -- telling files apart ---------------------------------------------------------------
    def classify(self) -> tuple[list[str], list[str]]:
        """(files curate wrote, files it did not) under the root, as full URLs."""
        files = find_files(self.fs, self.root)
        owners = {self.root: self.output_id}
        for path in files:  # nested outputs (a mixture's sources) judged by their own id
            if path.endswith("/" + OWNER_FILE):
                nested = path[: -len("/" + OWNER_FILE)]
                owner_id = _owner_id(self.fs, nested)
                if owner_id:
                    owners[nested] = owner_id
        shards: set[str] = set()
        for root, owner_id in owners.items():
            shards |= listed_shards(self.fs, root, owner_id)
        known = set(owners.values())

        def judge(path: str) -> bool:
            root = max((r for r in owners if path.startswith(r + "/")), key=len, default=self.root)
            return path in shards or _is_owned(self.fs, path, path[len(root) + 1:], owners[root], known)

        # Most files need their footer or JSON read: on an object store that is a round
        # trip each, so they are read concurrently.
        with ThreadPoolExecutor(max_workers=16) as pool:
            verdicts = list(pool.map(judge, files))
        owned = [p for p, mine in zip(files, verdicts) if mine]
        foreign = [p for p, mine in zip(files, verdicts) if not mine]
        return owned, foreign

    def refuse_foreign(self) -> None:
        _, foreign = self.classify()
        if foreign:
            raise ForeignFilesError(_foreign_message(self.root, foreign))

    def remove_owned(self, *, keep_owner_file: bool = True) -> int:
        """``--overwrite``: delete every file curate wrote under the root; returns how many.

        Files curate did not write stay, as do the folders that hold them.
        """
        owned, _ = self.classify()
        owner_file = join(self.root, OWNER_FILE)
        return remove_files(self.fs, self.root, [p for p in owned if not (keep_owner_file and p == owner_file)])


def listed_shards(fs: AbstractFileSystem, root: str, output_id: str) -> set[str]:
    """The training shards (full URLs) that the output at ``root`` owns: those its own
    ``manifest.json`` lists, and those a pending tokenize commit record names (see
    curate.tokenize.shards; shards carry no id of their own, so their bytes depend only on
    the input and the seed)."""
    found: set[str] = set()
    for path, key in ((join(root, "manifest.json"), "shards"), (join(root, "_curate", "tokenize", "commit.json"), None)):
        data = read_json_file(fs, path)
        if not isinstance(data, dict):
            continue
        if key is None:  # the commit record: its shards and its manifest's
            found |= {join(root, "tokens", name) for name in data.get("shards", [])}
            data = data.get("manifest") or {}
        elif data.get(JSON_KEY) != output_id:
            continue
        found |= {join(root, s["path"]) for s in data.get("shards", []) if isinstance(s, dict) and "path" in s}
    return found


def _owner_id(fs: AbstractFileSystem, root: str) -> str | None:
    data = read_json_file(fs, join(root, OWNER_FILE))
    value = data.get("output_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _is_owned(fs: AbstractFileSystem, path: str, relative: str, output_id: str, known: set[str]) -> bool:
    # curate's state folders first: everything in them is curate's, the temporary files a
    # killed step left there included (work folders name them without an output id)
    if relative in STATE_FILES or any(relative.startswith(folder) for folder in STATE_FOLDERS):
        return True
    name = relative.rsplit("/", 1)[-1]
    if name.startswith(TMP_PREFIX):
        return any(name.startswith(f"{TMP_PREFIX}{i}-") for i in known)
    if relative in ROOT_JSON:
        return json_owner(fs, path) == output_id
    if name.endswith(".parquet"):
        return parquet_owner(fs, path) in known
    return False


def _foreign_message(root: str, files: list[str]) -> str:
    shown = ", ".join(p[len(root.rstrip("/")) + 1:] or p for p in files[:SHOWN])
    more = f" and {len(files) - SHOWN} more" if len(files) > SHOWN else ""
    return (
        f"{root} holds {len(files)} file(s) curate did not write ({shown}{more}); "
        "write to another output, or allow them (--allow-other-files; allow_other_files=True in Python): "
        "curate writes beside them and never deletes them"
    )


def remove_files(fs: AbstractFileSystem, root: str, paths: list[str]) -> int:
    """Delete ``paths`` (files curate wrote under ``root``), then the local folders that
    this left empty, up to ``root``; returns how many files were deleted."""
    for path in paths:
        fs.rm(path)
    _remove_emptied_folders(fs, root, paths)
    return len(paths)


def _remove_emptied_folders(fs: AbstractFileSystem, root: str, removed: list[str]) -> None:
    if not is_local_fs(fs):
        return  # object stores have no folders to remove
    folders = {p.rsplit("/", 1)[0] for p in removed}
    for directory in sorted(folders, key=len, reverse=True):
        while directory.startswith(root + "/"):
            try:
                os.rmdir(directory)
            except OSError:
                break
            directory = directory.rsplit("/", 1)[0]


__all__ = ["ForeignFilesError", "Ownership", "listed_shards", "tagged", "tmp_name"]
