"""Every file of a run lives on the output's filesystem (or the scratch URL), never on the
local disk by accident: phases, dedup work folders, rejects, resume state, stats."""

from __future__ import annotations

import json
import os

import fsspec
import pyarrow.parquet as pq
import pytest

from curate.pipeline import load_pipeline
from curate.run import run_pipeline

from .conftest import REPO, SAMPLE_WARC

PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"  # has a global stage (minhash_dedup)


def ids(fs, folder: str) -> list[str]:
    found = []
    for path in fs.find(folder):
        if path.endswith(".parquet"):
            with fs.open(path, "rb") as f:
                found += pq.read_table(f, columns=["id"])["id"].to_pylist()
    return sorted(found)


@pytest.fixture
def memory_root():
    root = f"/curate-test-{os.getpid()}"
    fs = fsspec.filesystem("memory")
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_a_phased_run_into_a_url_writes_nothing_locally(tmp_path, memory_root, monkeypatch):
    """The bug this guards: with an ``s3://`` output, the phase outputs, dedup work folder and
    phase-0 rejects went to ``./BUCKET/...`` with the scheme stripped."""
    fs, root = memory_root
    monkeypatch.chdir(tmp_path)
    local = run_pipeline(load_pipeline(PIPELINE), [str(SAMPLE_WARC)], str(tmp_path / "local"), executor="local")
    os.makedirs(tmp_path / "cwd")
    monkeypatch.chdir(tmp_path / "cwd")
    remote = run_pipeline(load_pipeline(PIPELINE), [str(SAMPLE_WARC)], f"memory://{root}/out", executor="local")

    assert os.listdir(tmp_path / "cwd") == []
    assert (remote.kept, remote.rejected) == (local.kept, local.rejected)
    assert "warning" not in remote.stats
    assert ids(fs, f"{root}/out/data") == ids(fsspec.filesystem("file"), str(tmp_path / "local" / "data"))
    assert ids(fs, f"{root}/out/rejects") == ids(fsspec.filesystem("file"), str(tmp_path / "local" / "rejects"))
    stats = json.loads(fs.cat_file(f"{root}/out/stats.json"))
    expected = json.loads((tmp_path / "local" / "stats.json").read_text())
    assert [(s["stage"], s["rows_in"], s["rows_out"], s["dropped"]) for s in stats["stages"]] == [
        (s["stage"], s["rows_in"], s["rows_out"], s["dropped"]) for s in expected["stages"]
    ]
    assert fs.exists(f"{root}/out/_curate/dedup/minhash_dedup/complete.json")
    # every part path the run reports is a URL on the output's filesystem
    assert all(f["path"].startswith("memory://") for f in remote.files)


def test_scratch_holds_the_intermediate_data_and_overwrite_clears_it(tmp_path):
    pipeline = load_pipeline(PIPELINE)
    pipeline.execution.scratch = str(tmp_path / "scratch")
    out = tmp_path / "out"
    first = run_pipeline(pipeline, [str(SAMPLE_WARC)], str(out), executor="local")
    (work,) = list((tmp_path / "scratch").iterdir())
    assert work.name.startswith("curate-")
    assert (work / "dedup" / "minhash_dedup" / "complete.json").exists()
    assert not (out / "_curate" / "dedup").exists()
    assert not list(out.glob("_curate/phases/*/data/*.parquet"))
    assert not list(work.glob("phases/*/data/*.parquet"))  # phase data removed at the end

    again = run_pipeline(pipeline, [str(SAMPLE_WARC)], str(out), executor="local",
                     overwrite=True)
    assert (again.kept, again.rejected) == (first.kept, first.rejected)
    assert [p.name for p in (tmp_path / "scratch").iterdir()] == [work.name]  # the same output id, recreated


def test_an_input_has_one_key_however_it_is_typed(tmp_path, monkeypatch):
    """A relative input, and the same file by its absolute path, are one input: the second
    run resumes the first, and stats.json names the input by its absolute path."""
    import shutil

    from curate.readers.base import InputFile

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE_WARC, data / "sample.warc.gz")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    relative = os.path.join("..", "data", "sample.warc.gz")
    assert InputFile(relative).key == InputFile(str(data / "sample.warc.gz")).key
    pipeline = REPO / "pipelines" / "commoncrawl-text.yaml"
    first = run_pipeline(load_pipeline(pipeline), [relative], "out", executor="local")
    assert first.inputs_skipped == 0
    again = run_pipeline(load_pipeline(pipeline), [str(data / "sample.warc.gz")], str(tmp_path / "work" / "out"),
                         executor="local")
    assert again.inputs_skipped == 1 and again.kept == first.kept
    manifest = json.loads((tmp_path / "work" / "out" / "manifest.json").read_text())
    assert manifest["inputs"] == [str(data / "sample.warc.gz")]


def test_later_phases_name_their_parts_by_what_they_hold(tmp_path):
    out = tmp_path / "out"
    run_pipeline(load_pipeline(PIPELINE), [str(SAMPLE_WARC)], str(out), executor="local")
    names = [p.name for p in (out / "data").glob("*.parquet")] + [p.name for p in (out / "rejects").glob("*.parquet")]
    assert names and all(n.startswith("part-commoncrawl-sample.warc-") for n in names), names
    assert not [n for n in names if "part-part" in n or ".parquet-" in n]
