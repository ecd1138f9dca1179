"""A repository's name: owner/name from a hosted remote, else its own directory's name, so
two clones of one local repository (both with origin ``.../main``) do not share a row."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from curate.code.git import repository_name


def clone_with_origin(root: Path, name: str, url: str | None) -> str:
    path = root / name
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if url:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", url], check=True)
    return str(path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/psf/requests.git", "psf/requests"),
        ("https://gitlab.example.org/group/proj", "group/proj"),
        ("git@github.com:psf/requests.git", "psf/requests"),
        ("ssh://git@host:22/team/proj.git", "team/proj"),
        ("/srv/checkouts/main", "here"),
        ("file:///srv/checkouts/main", "here"),
        (None, "here"),
    ],
)
def test_names(tmp_path, url, expected):
    assert repository_name(clone_with_origin(tmp_path, "here", url)) == expected


def test_two_clones_of_one_local_repository_have_their_own_names(tmp_path):
    a = clone_with_origin(tmp_path, "alpha", "/srv/checkouts/main")
    b = clone_with_origin(tmp_path, "beta", "/srv/checkouts/main")
    assert (repository_name(a), repository_name(b)) == ("alpha", "beta")
