"""Inputs given as fsspec URLs (here the in-memory filesystem standing in for s3:// or
https://) and Common Crawl paths listings read through the same code path as remote files."""

from __future__ import annotations

import gzip

import fsspec
import pytest

from curate.inputs import expand_inputs
from curate.pipeline import load_pipeline
from curate.run import run_pipeline

from .conftest import REPO

PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"


@pytest.fixture
def memory_bucket(sample_warc):
    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/crawl-data/seg1/warc/a.warc.gz", sample_warc.read_bytes())
    fs.pipe("/bucket/crawl-data/seg2/warc/b.warc.gz", sample_warc.read_bytes())
    listing = b"crawl-data/seg1/warc/a.warc.gz\ncrawl-data/seg2/warc/b.warc.gz\n"
    fs.pipe("/bucket/warc.paths.gz", gzip.compress(listing))
    yield fs
    fs.rm("/bucket", recursive=True)


def test_paths_listing_joins_base_url(memory_bucket):
    files = expand_inputs(["memory://bucket/warc.paths.gz"], paths_base_url="memory://bucket/")
    assert [f.path for f in files] == [
        "memory://bucket/crawl-data/seg1/warc/a.warc.gz",
        "memory://bucket/crawl-data/seg2/warc/b.warc.gz",
    ]
    assert not files[0].is_local


def test_glob_over_url(memory_bucket):
    files = expand_inputs(["memory://bucket/crawl-data/*/warc/*.warc.gz"])
    assert len(files) == 2 and all(f.path.startswith("memory://") for f in files)


def test_run_on_remote_inputs_matches_local(memory_bucket, tmp_path, sample_warc):
    local = run_pipeline(load_pipeline(PIPELINE), [str(sample_warc)], str(tmp_path / "local"), executor="local")
    pipeline = load_pipeline(PIPELINE)
    pipeline.input.paths_base_url = "memory://bucket/"
    remote = run_pipeline(pipeline, ["memory://bucket/warc.paths.gz"], str(tmp_path / "remote"), executor="local")
    assert remote.inputs_total == 2
    # Both inputs are the same file: minhash_dedup keeps one copy of each document.
    assert remote.kept == local.kept
    def dedup(result):
        return next(s for s in result.stats["stages"] if s["stage"] == "minhash_dedup")

    assert dedup(remote)["rows_in"] == 2 * dedup(local)["rows_in"]
    assert dedup(remote)["rows_out"] == dedup(local)["rows_out"] == local.kept
    assert remote.stats["damaged_inputs"] == []


# -- damage in remote inputs (no size known up front) -------------------------------------

_NOT_A_WARC = b"<html><body>an HTML page saved under a WARC name</body></html>\n" * 40


def _read_remote(fs, path: str, data: bytes):
    from curate.readers import InputFile, ReadReport, WarcReader

    fs.pipe(path, data)
    source = InputFile(f"memory://{path.lstrip('/')}")
    assert not source.is_local and source.size is None
    report = ReadReport(source.path, source.key)
    tables = list(WarcReader().read(source, report))
    return tables, report


@pytest.fixture
def memory_fs():
    fs = fsspec.filesystem("memory")
    yield fs
    if fs.exists("/damaged"):
        fs.rm("/damaged", recursive=True)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("x.warc.gz", _NOT_A_WARC, id="text-as-warc.gz"),
        pytest.param("x.warc.gz", gzip.compress(_NOT_A_WARC), id="gzip-but-not-warc"),
        pytest.param("x.warc", _NOT_A_WARC, id="text-as-warc"),
        pytest.param("x.warc.zst", _NOT_A_WARC, id="text-as-warc.zst"),
        pytest.param("x.arc.gz", bytes(range(256)) * 8, id="binary-as-arc.gz"),
    ],
)
def test_remote_non_warc_is_damaged(memory_fs, name, data):
    tables, report = _read_remote(memory_fs, f"/damaged/{name}", data)
    assert tables == [] and report.records == 0
    assert report.damaged


@pytest.mark.parametrize(
    ("name", "data"),
    [("x.warc.gz", b""), ("x.warc", b""), ("x.arc.gz", b""), ("x.warc.gz", b"\r\n\r\n"), ("x.warc", b"\r\n\r\n")],
)
def test_remote_empty_input_is_not_damaged(memory_fs, name, data):
    tables, report = _read_remote(memory_fs, f"/damaged/{name}", data)
    assert tables == [] and report.damaged is None


def test_remote_cut_gzip_is_damaged(memory_fs, sample_warc):
    """The cut-gzip check ran on local files only; it reads remote streams the same way."""
    data = sample_warc.read_bytes()
    _, report = _read_remote(memory_fs, "/damaged/cut.warc.gz", data[:-4])
    assert report.damaged and "cut short" in report.damaged
    _, report = _read_remote(memory_fs, "/damaged/whole.warc.gz", data)
    assert report.damaged is None


def test_run_reports_remote_non_warc(memory_fs, sample_warc, tmp_path):
    memory_fs.pipe("/damaged/a.warc.gz", sample_warc.read_bytes())
    memory_fs.pipe("/damaged/b.warc.gz", _NOT_A_WARC)
    result = run_pipeline(load_pipeline(PIPELINE), ["memory://damaged/*.warc.gz"], str(tmp_path / "out"), executor="local")
    damaged = result.stats["damaged_inputs"]
    assert len(damaged) == 1 and damaged[0]["input"].endswith("/damaged/b.warc.gz")
    assert damaged[0]["damage"].startswith("no WARC/ARC records found")
    assert damaged[0]["records_read"] == 0
    assert result.kept > 0
