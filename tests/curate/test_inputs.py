"""curate.inputs.expand_inputs: files, directories, globs and Common Crawl paths listings."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from curate.inputs import COMMON_CRAWL_BASE_URL, InputError, expand_inputs, read_paths_listing

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
