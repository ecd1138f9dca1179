"""expand_inputs with ``format: code``: a directory is one repository input."""

from __future__ import annotations

import pytest

from curate.inputs import InputError, expand_inputs, reads_directories
from tests.code.conftest import write_tree


@pytest.fixture
def repos(tmp_path):
    write_tree(tmp_path / "alpha", {"a.py": "x\n", "sub/b.py": "y\n"})
    write_tree(tmp_path / "beta", {"c.go": "package c\n"})
    (tmp_path / "gamma.tar.gz").write_bytes(b"archive")
    (tmp_path / "notes.txt").write_text("x")
    return tmp_path


def test_directory_is_one_input(repos):
    files = expand_inputs([str(repos / "alpha"), str(repos / "beta") + "/"], fmt="code")
    assert [f.path for f in files] == [str(repos / "alpha"), str(repos / "beta")]
    assert len({f.key for f in files}) == 2


def test_glob_matches_directories_and_archives(repos):
    files = expand_inputs([str(repos / "*")], fmt="code")
    names = [f.path.rsplit("/", 1)[-1] for f in files]
    assert names == ["alpha", "beta", "gamma.tar.gz", "notes.txt"]


def test_archive_and_limit(repos):
    assert [f.path for f in expand_inputs([str(repos / "gamma.tar.gz")], fmt="code")] == [
        str(repos / "gamma.tar.gz")
    ]
    assert len(expand_inputs([str(repos / "*")], fmt="code", limit=2)) == 2


def test_other_formats_keep_expanding_directories(repos):
    with pytest.raises(InputError, match="no readable files"):
        expand_inputs([str(repos / "alpha")])
    with pytest.raises(InputError, match="no readable files"):
        expand_inputs([str(repos / "alpha")], fmt="jsonl")
    assert [f.path for f in expand_inputs([str(repos / "*")], fmt="auto")] == [
        str(repos / "gamma.tar.gz"),
        str(repos / "notes.txt"),
    ]


def test_missing_repository(repos):
    with pytest.raises(InputError, match="does not exist"):
        expand_inputs([str(repos / "nope")], fmt="code")


def test_reads_directories():
    assert reads_directories("code")
    assert (
        not reads_directories("jsonl")
        and not reads_directories("auto")
        and not reads_directories(None)
    )
