"""curate.inputs.expand_inputs: files, directories, globs and Common Crawl paths listings."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import fsspec
import pytest

from curate.inputs import (
    COMMON_CRAWL_BASE_URL,
    InputError,
    directory_files,
    discover_inputs,
    expand_inputs,
    read_paths_listing,
)
from curate.pipeline import load_pipeline

from .conftest import REPO

COMMONCRAWL_PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"

TREE = [
    "a.warc.gz",
    "b.jsonl",
    "notes.txt",
    "README.md",
    "listing.warc.paths.gz",
    "sub/c.arc.gz",
    "sub/d.jsonl.gz",
    "sub/image.png",
    "sub/deeper/e.parquet",
    "sub/deeper/f.warc.wet.gz",
    "sub/deeper/g.csv",
    "empty/.keep",
]


@pytest.fixture
def tree(tmp_path) -> Path:
    for rel in TREE:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return tmp_path


def _paths(files) -> list[str]:
    return [f.path for f in files]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        pytest.param(
            ["."],
            ["a.warc.gz", "b.jsonl", "notes.txt", "sub/c.arc.gz", "sub/d.jsonl.gz", "sub/deeper/e.parquet", "sub/deeper/f.warc.wet.gz"],
            id="directory-recursive",
        ),
        pytest.param(["sub/deeper"], ["sub/deeper/e.parquet", "sub/deeper/f.warc.wet.gz"], id="subdirectory"),
        pytest.param(["*.warc.gz"], ["a.warc.gz"], id="glob-top-level"),
        pytest.param(["**/*.jsonl*"], ["b.jsonl", "sub/d.jsonl.gz"], id="glob-recursive"),
        pytest.param(["sub/*"], ["sub/c.arc.gz", "sub/d.jsonl.gz", "sub/image.png"], id="glob-files-only"),
        pytest.param(["b.jsonl"], ["b.jsonl"], id="single-file"),
        pytest.param(["notes.txt"], ["notes.txt"], id="explicit-file-any-name"),
        pytest.param(["b.jsonl", "b.jsonl", "*.jsonl"], ["b.jsonl"], id="deduplicated"),
        pytest.param(["sub/deeper", "a.warc.gz"], ["a.warc.gz", "sub/deeper/e.parquet", "sub/deeper/f.warc.wet.gz"], id="sorted"),
    ],
)
def test_expand_local(tree, specs, expected):
    files = expand_inputs([str(tree / s) for s in specs])
    assert _paths(files) == [str(tree / e) for e in expected]
    assert all(f.is_local for f in files)


def test_expand_limit(tree):
    files = expand_inputs([str(tree)], limit=2)
    assert _paths(files) == [str(tree / "a.warc.gz"), str(tree / "b.jsonl")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("missing.warc.gz", "does not exist", id="missing-file"),
        pytest.param("no/such/dir", "does not exist", id="missing-dir"),
        pytest.param("*.nothing", "matches no files", id="glob-no-match"),
        pytest.param("empty", "no readable files", id="dir-without-readable-files"),
    ],
)
def test_expand_errors(tree, spec, message):
    with pytest.raises(InputError, match=message) as info:
        expand_inputs([str(tree / spec)])
    assert spec.split("/")[0] in str(info.value)
    assert isinstance(info.value, ValueError)


LISTING = [
    "crawl-data/CC-MAIN-2024-22/segments/1/warc/a.warc.gz",
    "/crawl-data/CC-MAIN-2024-22/segments/1/warc/b.warc.gz",
    "",
    "# a comment",
    "  crawl-data/CC-MAIN-2024-22/segments/2/warc/c.warc.gz  ",
    "s3://commoncrawl/crawl-data/d.warc.gz",
    "crawl-data/CC-MAIN-2024-22/segments/1/warc/a.warc.gz",
]


@pytest.mark.parametrize("name", ["warc.paths.gz", "warc.paths"])
@pytest.mark.parametrize(
    ("base", "prefix"),
    [
        (None, COMMON_CRAWL_BASE_URL),
        ("https://mirror.example.org/cc", "https://mirror.example.org/cc/"),
        ("https://mirror.example.org/cc/", "https://mirror.example.org/cc/"),
        ("s3://commoncrawl", "s3://commoncrawl/"),
    ],
)
def test_expand_paths_listing(tmp_path, name, base, prefix):
    data = ("\n".join(LISTING) + "\n").encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    kwargs = {} if base is None else {"paths_base_url": base}
    files = expand_inputs([str(path)], **kwargs)
    assert _paths(files) == sorted(
        [
            prefix + "crawl-data/CC-MAIN-2024-22/segments/1/warc/a.warc.gz",
            prefix + "crawl-data/CC-MAIN-2024-22/segments/1/warc/b.warc.gz",
            prefix + "crawl-data/CC-MAIN-2024-22/segments/2/warc/c.warc.gz",
            "s3://commoncrawl/crawl-data/d.warc.gz",
        ]
    )
    assert not any(f.is_local for f in files)


def test_expand_remote_url_passes_through():
    url = "https://data.commoncrawl.org/crawl-data/x.warc.gz"
    assert _paths(expand_inputs([url])) == [url]


def test_shared_paths_listing(shared_data):
    path = shared_data / "warc/commoncrawl-whirlwind/CC-MAIN-2024-22.warc.paths.gz"
    urls = read_paths_listing(str(path), COMMON_CRAWL_BASE_URL)
    files = expand_inputs([str(path)])
    assert len(urls) == len(files) == 300
    assert _paths(files) == sorted(urls)
    # the excerpt lists bare file names (columnar-index parquet parts), joined to the base URL
    assert all(u.startswith("https://data.commoncrawl.org/") for u in urls)
    assert all("://" not in u.removeprefix("https://") for u in urls)
    assert len(set(urls)) == 300


def test_shared_warc_directory(shared_data):
    root = shared_data / "warc"
    files = expand_inputs([str(root)])
    names = {Path(f.path).name for f in files}
    assert "example.arc.gz" in names and "warcfile.warc.gz" in names and "dolma-cc_en_head-0091.jsonl.gz" in names
    assert "MANIFEST.md" not in names and "CC-MAIN-2024-22.warc.paths.gz" not in names
    assert _paths(files) == sorted(_paths(files))


# -- a directory stands for the files of the pipeline's input format ----------------------

WARC_FAMILY = ["a.warc.gz", "sub/c.arc.gz", "sub/deeper/f.warc.wet.gz"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        pytest.param(None, ["a.warc.gz", "b.jsonl", "notes.txt", "sub/c.arc.gz", "sub/d.jsonl.gz", "sub/deeper/e.parquet", "sub/deeper/f.warc.wet.gz"], id="no-format-every-readable-file"),
        pytest.param("auto", WARC_FAMILY, id="auto-warc-family-present"),
        pytest.param("warc", WARC_FAMILY, id="warc"),
        pytest.param("jsonl", ["b.jsonl", "sub/d.jsonl.gz"], id="jsonl"),
        pytest.param("parquet", ["sub/deeper/e.parquet"], id="parquet"),
        pytest.param("text", ["notes.txt"], id="text"),
    ],
)
def test_directory_follows_format(tree, fmt, expected):
    found = discover_inputs([str(tree)], fmt=fmt)
    assert _paths(found.files) == [str(tree / e) for e in expected]
    every = _paths(expand_inputs([str(tree)]))
    assert found.left_out == sorted(set(every) - set(_paths(found.files)))


def test_auto_without_warc_files_takes_every_readable_file(tree):
    files = expand_inputs([str(tree / "sub")], fmt="auto")
    assert _paths(files) == [str(tree / e) for e in ("sub/c.arc.gz", "sub/deeper/f.warc.wet.gz")]
    (tree / "sub/c.arc.gz").unlink()
    (tree / "sub/deeper/f.warc.wet.gz").unlink()
    files = expand_inputs([str(tree / "sub")], fmt="auto")
    assert _paths(files) == [str(tree / e) for e in ("sub/d.jsonl.gz", "sub/deeper/e.parquet")]


def test_explicit_files_and_globs_are_kept_whatever_the_format(tree):
    files = expand_inputs([str(tree), str(tree / "notes.txt"), str(tree / "*.jsonl")], fmt="auto")
    assert _paths(files) == [str(tree / e) for e in ("a.warc.gz", "b.jsonl", "notes.txt", "sub/c.arc.gz", "sub/deeper/f.warc.wet.gz")]


def test_files_left_out_but_named_by_another_spec(tree):
    found = discover_inputs([str(tree), str(tree / "b.jsonl")], fmt="auto")
    assert _paths(found.files) == [str(tree / e) for e in ("a.warc.gz", "b.jsonl", "sub/c.arc.gz", "sub/deeper/f.warc.wet.gz")]
    assert found.left_out == [str(tree / e) for e in ("notes.txt", "sub/d.jsonl.gz", "sub/deeper/e.parquet")]
    (note,) = found.notes
    assert "left out 3 other readable files (notes.txt, d.jsonl.gz, e.parquet)" in note


def test_directory_without_files_of_the_format(tree):
    with pytest.raises(InputError, match="no readable files of format epub"):
        expand_inputs([str(tree)], fmt="epub")


@pytest.mark.parametrize(
    ("paths", "fmt", "taken", "left_out"),
    [
        (["x.json", "y.warc.gz", "z.txt", "w.png"], "auto", ["y.warc.gz"], ["x.json", "z.txt"]),
        (["x.json", "z.txt", "w.png"], "auto", ["x.json", "z.txt"], []),
        (["x.json", "y.warc.gz"], None, ["x.json", "y.warc.gz"], []),
        (["x.json", "y.warc.gz"], "jsonl", ["x.json"], ["y.warc.gz"]),
        ([], "auto", [], []),
    ],
)
def test_directory_files(paths, fmt, taken, left_out):
    assert directory_files(paths, fmt) == (taken, left_out)


@pytest.fixture
def crawl_dir(tmp_path, sample_warc) -> Path:
    """A crawl directory as people keep them: the WARC, with notes and metadata beside it."""
    root = tmp_path / "crawl"
    root.mkdir()
    (root / "CC-MAIN-sample.warc.gz").write_bytes(sample_warc.read_bytes())
    (root / "notes.txt").write_text("fetched 2024-05-01 from the CC-MAIN-2024-22 crawl\n")
    (root / "meta.json").write_text('{"crawl": "CC-MAIN-2024-22", "segments": 1}\n')
    return root


def test_commoncrawl_pipeline_directory_reads_only_the_warc(crawl_dir, caplog):
    pipeline = load_pipeline(COMMONCRAWL_PIPELINE)
    assert pipeline.input.format == "auto"
    with caplog.at_level(logging.WARNING, logger="curate.inputs"):
        files = expand_inputs(
            [str(crawl_dir)],
            pipeline.input.paths_base_url,
            pipeline.input.storage_options,
            pipeline.input.limit,
            fmt=pipeline.input.format,
        )
    assert _paths(files) == [str(crawl_dir / "CC-MAIN-sample.warc.gz")]
    (message,) = [r.getMessage() for r in caplog.records if r.name == "curate.inputs"]
    assert "left out 2 other readable files (meta.json, notes.txt)" in message


def test_commoncrawl_run_on_a_crawl_directory(crawl_dir, tmp_path):
    from curate.run import run_pipeline

    result = run_pipeline(load_pipeline(COMMONCRAWL_PIPELINE), [str(crawl_dir)], str(tmp_path / "out"), executor="local")
    assert result.inputs_total == 1
    assert result.stats["damaged_inputs"] == []
    assert result.kept > 0


def test_remote_directory_follows_format(sample_warc):
    fs = fsspec.filesystem("memory")
    fs.pipe("/crawldir/seg/a.warc.gz", sample_warc.read_bytes())
    fs.pipe("/crawldir/seg/meta.json", b"{}")
    fs.pipe("/crawldir/notes.txt", b"notes")
    try:
        found = discover_inputs(["memory://crawldir"], fmt="auto")
    finally:
        fs.rm("/crawldir", recursive=True)
    assert [f.path.rsplit("/", 2)[-2:] for f in found.files] == [["seg", "a.warc.gz"]]
    assert not found.files[0].is_local
    assert sorted(p.rsplit("/", 1)[-1] for p in found.left_out) == ["meta.json", "notes.txt"]
    assert all(p.startswith("memory://") for p in found.left_out)


def test_shared_warc_directory_auto(shared_data):
    files = expand_inputs([str(shared_data / "warc")], fmt="auto")
    names = {Path(f.path).name for f in files}
    assert "example.arc.gz" in names and "warcfile.warc.gz" in names and "whirlwind.warc.wet.gz" in names
    assert not any(n.endswith((".jsonl", ".jsonl.gz", ".md")) for n in names)
