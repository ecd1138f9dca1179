"""curate.output: parts, rejects, resume planning, clearing; and one in-process run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from curate.config import OutputConfig
from curate.output import (
    OutputLayout,
    part_key,
    plan_resume,
    rows_per_input,
    write_parts,
)
from curate.ownership import Ownership
from curate.pipeline import load_pipeline
from curate.readers.base import ReadReport
from curate.run import run_pipeline
from curate.schema import DROPPED_BY, INPUT_KEY, PAYLOAD, REASON

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "pipelines" / "commoncrawl-text.yaml"

KEY_A = "a.warc-0123456789ab"
KEY_B = "b.jsonl-ba9876543210"
PART_FILE = re.compile(r"^part-(?P<key>.+)-[0-9a-f]{12}\.parquet$")
MINIMAL_COLUMNS = ["id", "url", "source", "dropped_by", "reason"]


def make_batch(rows: list[tuple[str, str | None, str | None]], with_drop_columns: bool = True) -> pa.Table:
    """rows: (input key, dropped_by, reason) per row."""
    n = len(rows)
    columns = {
        "id": [f"doc{i}" for i in range(n)],
        "url": [f"https://site.example/{i}" for i in range(n)],
        "source": [f"/data/{key}" for key, _, _ in rows],
        "text": pa.array([f"text number {i}" for i in range(n)], pa.large_string()),
        PAYLOAD: pa.array([b"<html>raw</html>"] * n, pa.large_binary()),
        "language": ["en"] * n,
        "language_score": pa.array([0.9] * n, pa.float32()),
    }
    if with_drop_columns:
        columns[DROPPED_BY] = pa.array([d for _, d, _ in rows], pa.string())
        columns[REASON] = pa.array([r for _, _, r in rows], pa.string())
    columns[INPUT_KEY] = pa.array([key for key, _, _ in rows], pa.string())
    return pa.table(columns)


def read_parts(directory: Path) -> pa.Table | None:
    files = sorted(directory.glob("part-*.parquet"))
    if not files:
        return None
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def counts_by_file(written: list[dict]) -> dict[tuple[str, str], int]:
    return {(f["kind"], f["input"]): f["rows"] for f in written}


# -- write_parts -------------------------------------------------------------------------------


KEPT = (None, None)
NOT_HTML = ("read", "not_html")
WRONG_LANG = ("language_filter", "wrong_language")

WRITE_CASES = [
    pytest.param(
        [(KEY_A, *KEPT), (KEY_A, *NOT_HTML), (KEY_A, *KEPT)],
        True,
        {("data", KEY_A): 2, ("rejects", KEY_A): 1},
        id="one-input",
    ),
    pytest.param(
        [(KEY_A, *KEPT), (KEY_B, *WRONG_LANG), (KEY_B, *KEPT), (KEY_A, *NOT_HTML), (KEY_B, *KEPT)],
        True,
        {("data", KEY_A): 1, ("rejects", KEY_A): 1, ("data", KEY_B): 2, ("rejects", KEY_B): 1},
        id="two-inputs",
    ),
    pytest.param(
        [(KEY_A, *NOT_HTML), (KEY_B, *WRONG_LANG)],
        True,
        {("rejects", KEY_A): 1, ("rejects", KEY_B): 1},
        id="all-rejected",
    ),
    pytest.param(
        [(KEY_A, *KEPT), (KEY_B, *KEPT)],
        True,
        {("data", KEY_A): 1, ("data", KEY_B): 1},
        id="all-kept",
    ),
    pytest.param(
        [(KEY_A, *KEPT), (KEY_A, *KEPT)],
        False,
        {("data", KEY_A): 2},
        id="no-drop-columns",
    ),
    pytest.param([], True, {}, id="empty"),
]


@pytest.mark.parametrize("rejects_mode", ["full", "minimal"])
@pytest.mark.parametrize("rows, with_drop_columns, expected", WRITE_CASES)
def test_write_parts_splits_by_input_and_kind(tmp_path, rejects_mode, rows, with_drop_columns, expected):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    table = make_batch(rows, with_drop_columns)
    written = write_parts(layout, table, OutputConfig(rejects=rejects_mode))

    assert counts_by_file(written) == expected
    assert len(written) == len(expected)
    on_disk = {f.name for d in ("data", "rejects") for f in (tmp_path / d).iterdir()}
    assert on_disk == {Path(f["path"]).name for f in written}
    for f in written:
        path = Path(f["path"])
        assert path.parent.name == f["kind"]
        match = PART_FILE.match(path.name)
        assert match and match.group("key") == f["input"] == part_key(str(path))
        meta = pq.ParquetFile(path).metadata
        assert meta.num_rows == f["rows"]
        assert all(
            meta.row_group(0).column(i).compression == "ZSTD" for i in range(meta.num_columns)
        )
        assert not list(path.parent.glob(".tmp-*"))

    data = read_parts(tmp_path / "data")
    if data is not None:
        assert not [c for c in data.column_names if c.startswith("_")]
        assert PAYLOAD not in data.column_names
        assert {"id", "url", "source", "text", "language", "language_score"} <= set(data.column_names)
        assert "dropped_by" not in data.column_names
    rejects = read_parts(tmp_path / "rejects")
    if rejects is not None:
        if rejects_mode == "minimal":
            assert rejects.column_names == MINIMAL_COLUMNS
        else:
            assert {"dropped_by", "reason", "text", "language"} <= set(rejects.column_names)
            assert INPUT_KEY not in rejects.column_names
            assert PAYLOAD not in rejects.column_names
            assert DROPPED_BY not in rejects.column_names and REASON not in rejects.column_names
        assert rejects["reason"].null_count == 0
        expected_pairs = sorted((d, r) for _, d, r in rows if d is not None)
        assert sorted(zip(rejects["dropped_by"].to_pylist(), rejects["reason"].to_pylist())) == expected_pairs
    # Every row lands in exactly one file.
    total = (data.num_rows if data is not None else 0) + (rejects.num_rows if rejects is not None else 0)
    assert total == len(rows)


def test_write_parts_types_all_null_columns(tmp_path):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    table = pa.table(
        {
            "id": ["x", "y"],
            "text": pa.nulls(2),
            "title": pa.nulls(2),
            DROPPED_BY: pa.array([None, "extract_html"], pa.string()),
            REASON: pa.array([None, "no_text"], pa.string()),
            INPUT_KEY: [KEY_A, KEY_A],
        }
    )
    write_parts(layout, table, OutputConfig())
    data = pq.read_schema(next((tmp_path / "data").glob("part-*.parquet")))
    assert data.field("text").type == pa.large_string()
    assert data.field("title").type == pa.string()


def test_write_parts_honours_compression_setting(tmp_path):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    written = write_parts(layout, make_batch([(KEY_A, *KEPT)]), OutputConfig(compression="snappy", compression_level=None))
    meta = pq.ParquetFile(written[0]["path"]).metadata
    assert meta.row_group(0).column(0).compression == "SNAPPY"


# -- resume ------------------------------------------------------------------------------------


def write_report(layout: OutputLayout, key: str, rows: int) -> None:
    report = ReadReport(input=f"/data/{key}", key=key, records=rows, rows=rows)
    layout.write_json(layout.report_path(key), report.to_dict())


def setup_input(layout: OutputLayout, key: str, parts: list[int], report_rows: int | None) -> None:
    """Write ``parts`` batches (each half kept, half rejected) and optionally a report."""
    for n in parts:
        rows = [(key, *(KEPT if i % 2 == 0 else NOT_HTML)) for i in range(n)]
        write_parts(layout, make_batch(rows), OutputConfig())
    if report_rows is not None:
        write_report(layout, key, report_rows)


RESUME_CASES = [
    pytest.param([3, 2], 5, True, id="complete"),
    pytest.param([1], 1, True, id="complete-only-data"),
    pytest.param([], 0, True, id="complete-empty-input"),
    pytest.param([3, 2], None, False, id="report-missing"),
    pytest.param([3], 5, False, id="rows-missing"),
    pytest.param([3, 3], 5, False, id="too-many-rows"),
    pytest.param([], 4, False, id="report-but-no-parts"),
    pytest.param([], None, False, id="never-started"),
]


@pytest.mark.parametrize("parts, report_rows, complete", RESUME_CASES)
def test_plan_resume(tmp_path, parts, report_rows, complete):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    setup_input(layout, KEY_A, parts, report_rows)
    # a second, complete input that must never be touched
    setup_input(layout, KEY_B, [4], 4)
    before_b = sorted(p.name for p in tmp_path.rglob(f"part-{KEY_B}-*.parquet"))

    done, redo = plan_resume(layout, [KEY_A, KEY_B])

    assert KEY_B in done
    assert sorted(p.name for p in tmp_path.rglob(f"part-{KEY_B}-*.parquet")) == before_b
    assert Path(layout.report_path(KEY_B)).exists()
    parts_a = list(tmp_path.rglob(f"part-{KEY_A}-*.parquet"))
    if complete:
        assert (done, redo) == ({KEY_A, KEY_B}, set())
        assert len(parts_a) == sum(1 + (n > 1) for n in parts)
        assert (report_rows is None) or Path(layout.report_path(KEY_A)).exists()
    else:
        assert (done, redo) == ({KEY_B}, {KEY_A})
        assert parts_a == [], "partial output of a redone input must be deleted"
        assert not Path(layout.report_path(KEY_A)).exists()
    counts, _ = rows_per_input(layout)
    assert counts[KEY_B] == 4


def test_plan_resume_only_considers_given_keys(tmp_path):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    setup_input(layout, KEY_A, [2], None)  # incomplete, but not asked about
    done, redo = plan_resume(layout, [KEY_B])
    assert (done, redo) == (set(), {KEY_B})
    assert list(tmp_path.rglob(f"part-{KEY_A}-*.parquet"))


@pytest.mark.parametrize(
    "relative",
    [
        "data/.tmp-part-a.warc-0123456789ab-abcdefabcdef.parquet",
        "rejects/.tmp-part-a.warc-0123456789ab-abcdefabcdef.parquet",
        "_curate/inputs/.tmp-a.warc-0123456789ab.json.1234abcd",
        ".tmp-stats.json.1234abcd",
        ".tmp-manifest.json.1234abcd",
    ],
)
def test_plan_resume_removes_temporary_files(tmp_path, relative):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    setup_input(layout, KEY_A, [2], 2)
    tmp = tmp_path / relative
    tmp.write_bytes(b"half a file")
    done, _ = plan_resume(layout, [KEY_A])
    assert not tmp.exists()
    assert done == {KEY_A}


def test_plan_resume_removes_temporary_run_state(tmp_path):
    layout = OutputLayout(str(tmp_path))
    layout.makedirs()
    tmp = tmp_path / "_curate" / ".tmp-run.json.1234abcd"
    tmp.write_text("{")
    plan_resume(layout, [])
    assert not tmp.exists()


def test_remove_owned_removes_only_what_curate_wrote(tmp_path):
    owner = Ownership.claim(str(tmp_path))
    layout = OutputLayout(str(tmp_path), owner_id=owner.output_id)
    layout.makedirs()
    setup_input(layout, KEY_A, [3], 3)
    layout.write_json(layout.path("stats.json"), {"x": 1})
    layout.write_json(layout.path("manifest.json"), {"x": 1})
    layout.write_json(layout.path("_curate", "run.json"), {"x": 1})
    (tmp_path / "README.txt").write_text("mine")
    (tmp_path / "data" / "notes.txt").write_text("mine too")
    assert layout.has_output()

    owner.remove_owned(keep_owner_file=False)

    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == ["README.txt", "data/notes.txt"]
    assert not list((tmp_path / "rejects").glob("*")) if (tmp_path / "rejects").exists() else True
    owner.remove_owned()  # idempotent


def test_read_ownership_of_missing_directory(tmp_path):
    assert Ownership.read(str(tmp_path / "never-created")) is None
    assert not OutputLayout(str(tmp_path / "never-created")).exists()


# -- one in-process run ------------------------------------------------------------------------


def check_output_consistent(out: Path, result) -> tuple[pa.Table, pa.Table]:
    stats = json.loads((out / "stats.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    data = read_parts(out / "data")
    rejects = read_parts(out / "rejects")
    kept, rejected = data.num_rows, rejects.num_rows

    assert stats["documents"] == {"kept": kept, "rejected": rejected}
    assert manifest["documents"] == stats["documents"]
    assert (result.kept, result.rejected) == (kept, rejected)
    assert stats["inputs"] == {"total": 1, "completed": 1, "damaged": 0}
    assert "warning" not in stats
    files = {f"{d}/{p.name}" for d in ("data", "rejects") for p in (out / d).glob("part-*.parquet")}
    assert {f["path"] for f in manifest["files"]} == files
    for f in manifest["files"]:
        assert pq.ParquetFile(out / f["path"]).metadata.num_rows == f["rows"]
    assert sum(f["rows"] for f in manifest["files"]) == kept + rejected
    assert manifest["pipeline"]["name"] == "commoncrawl-text"
    assert len(manifest["inputs"]) == 1

    stages = stats["stages"]
    assert [s["stage"] for s in stages] == ["read", "extract_html", "fasttext_language_id", "language_filter"]
    assert stages[0]["rows_in"] == kept + rejected
    assert stages[-1]["rows_out"] == kept
    for before, after in zip(stages, stages[1:]):
        assert before["rows_out"] == after["rows_in"]
    for stage in stages:
        assert stage["rows_in"] - stage["rows_out"] == sum(stage["dropped"].values())
    # drop reasons in stats match the rejects on disk
    on_disk: dict[tuple[str, str], int] = {}
    for d, r in zip(rejects["dropped_by"].to_pylist(), rejects["reason"].to_pylist()):
        on_disk[(d, r)] = on_disk.get((d, r), 0) + 1
    in_stats = {(s["stage"], r): n for s in stages for r, n in s["dropped"].items()}
    assert in_stats == on_disk

    assert {"id", "text", "url", "source", "language", "language_score"} <= set(data.column_names)
    assert not [c for c in data.column_names if c.startswith("_")]
    assert PAYLOAD not in data.column_names
    assert pc.all(pc.greater(pc.utf8_length(data["text"]), 0)).as_py()
    assert set(data["language"].to_pylist()) == {"en"}
    assert pc.min(data["language_score"]).as_py() >= 0.65
    assert len(set(data["id"].to_pylist())) == kept
    assert rejects["reason"].null_count == 0
    assert not list(out.rglob(".tmp-*"))
    return data, rejects


def test_run_local_end_to_end_and_resume(sample_warc, tmp_path):
    out = tmp_path / "out"
    pipeline = load_pipeline(PIPELINE)
    first = run_pipeline(pipeline, [str(sample_warc)], str(out), executor="local")
    assert (first.inputs_total, first.inputs_skipped) == (1, 0)
    assert first.kept > 0 and first.rejected > 0
    data, rejects = check_output_consistent(out, first)
    assert "prefilter:wrong_language" in set(rejects["reason"].to_pylist())  # the extraction cascade
    reports = list((out / "_curate" / "inputs").glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    assert report["rows"] == first.kept + first.rejected
    files_before = sorted(p.relative_to(out) for p in out.rglob("part-*.parquet"))

    second = run_pipeline(load_pipeline(PIPELINE), [str(sample_warc)], str(out), executor="local")
    assert (second.inputs_total, second.inputs_skipped) == (1, 1)
    data2, rejects2 = check_output_consistent(out, second)
    assert sorted(data2["id"].to_pylist()) == sorted(data["id"].to_pylist())
    assert sorted(rejects2["id"].to_pylist()) == sorted(rejects["id"].to_pylist())
    assert sorted(p.relative_to(out) for p in out.rglob("part-*.parquet")) == files_before
    assert second.stats["documents"] == first.stats["documents"]
    assert [s["dropped"] for s in second.stats["stages"]] == [s["dropped"] for s in first.stats["stages"]]
