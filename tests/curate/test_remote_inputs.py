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
    local = run_pipeline(load_pipeline(PIPELINE), [str(sample_warc)], str(tmp_path / "local"), executor="local", progress=False)
    pipeline = load_pipeline(PIPELINE)
    pipeline.input.paths_base_url = "memory://bucket/"
    remote = run_pipeline(pipeline, ["memory://bucket/warc.paths.gz"], str(tmp_path / "remote"), executor="local", progress=False)
    assert remote.inputs_total == 2
    # Both inputs are the same file: minhash_dedup keeps one copy of each document.
    assert remote.kept == local.kept
    def dedup(result):
        return next(s for s in result.stats["stages"] if s["stage"] == "minhash_dedup")

    assert dedup(remote)["rows_in"] == 2 * dedup(local)["rows_in"]
    assert dedup(remote)["rows_out"] == dedup(local)["rows_out"] == local.kept
    assert remote.stats["damaged_inputs"] == []
