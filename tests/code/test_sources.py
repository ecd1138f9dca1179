"""Repositories in every form: git (at revisions, bare), working trees, archives, damage."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from curate.code.archives import archive_stem, common_folder
from curate.code.sources import open_repository, repository_license
from tests.code.conftest import MIT_TEXT, by_path, git, read_repo, write_tree

V1 = "def version():\n    return 1\n"
V2 = "def version():\n    return 2\n"


@pytest.fixture
def git_repo(tmp_path, git_available) -> tuple[Path, str, str]:
    """A repository ``proj`` with two commits; (path, first sha, second sha)."""
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_tree(root, {"LICENSE": MIT_TEXT, "pkg/version.py": V1, ".gitignore": "*.log\nbuild/\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    first = git(root, "rev-parse", "HEAD")
    write_tree(
        root, {"pkg/version.py": V2, "pkg/extra.py": "X = 1\n", "docs/big.md": "# big\n" * 10}
    )
    os.symlink("version.py", root / "pkg" / "alias.py")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "second")
    second = git(root, "rev-parse", "HEAD")
    return root, first, second


def test_git_at_first_revision(git_repo):
    root, first, _ = git_repo
    rows, report, _ = read_repo(root, revision=first)
    assert report.damaged is None
    assert {r["path"] for r in rows} == {".gitignore", "LICENSE", "pkg/version.py"}
    version = by_path(rows)["pkg/version.py"]
    assert version["text"] == V1
    assert version["revision"] == first
    assert version["id"] == f"proj/pkg/version.py@{first}"
    assert version["license"] == "MIT" and version["language"] == "Python"


def test_git_at_head_with_symlink_and_short_revision(git_repo):
    root, first, second = git_repo
    rows, report, _ = read_repo(root, revision="HEAD")
    files = by_path(rows)
    assert set(files) == {
        ".gitignore",
        "LICENSE",
        "pkg/version.py",
        "pkg/extra.py",
        "pkg/alias.py",
        "docs/big.md",
    }
    assert files["pkg/version.py"]["text"] == V2
    assert files["pkg/alias.py"]["_reason"] == "symlink"
    assert report.skipped == {"symlink": 1}
    assert {r["revision"] for r in rows} == {second}
    # any revision git understands; the id names the resolved commit
    short = by_path(read_repo(root, revision=first[:8])[0])
    assert short["pkg/version.py"]["id"] == f"proj/pkg/version.py@{first}"
    # too large is decided from git's size, without reading
    big = by_path(read_repo(root, revision="HEAD", max_file_bytes=20)[0])["docs/big.md"]
    assert big["_reason"] == "too_large" and big["size_bytes"] == 60


def test_bare_clone_reads_head(git_repo, tmp_path):
    root, _, second = git_repo
    bare = tmp_path / "clones" / "proj.git"
    bare.parent.mkdir()
    git(bare.parent, "clone", "-q", "--bare", str(root), str(bare))
    rows, report, _ = read_repo(bare)
    assert report.damaged is None
    work = read_repo(root, revision="HEAD")[0]
    # the name comes from the origin (proj), so ids match the working tree's at HEAD
    assert [r["id"] for r in rows] == [r["id"] for r in work]
    assert [r["text"] for r in rows] == [r["text"] for r in work]
    assert {r["repo"] for r in rows} == {"proj"} and {r["revision"] for r in rows} == {second}


def test_working_tree_without_revision(git_repo):
    """Files as on disk, as git lists them: edits and untracked files, not ignored ones."""
    root, _, _ = git_repo
    write_tree(
        root,
        {
            "pkg/version.py": "edited = True\n",
            "new.py": "N = 1\n",
            "debug.log": "x\n",
            "build/out.py": "o\n",
        },
    )
    rows, report, _ = read_repo(root)
    files = by_path(rows)
    assert "debug.log" not in files and "build/out.py" not in files
    assert not any(p.startswith(".git/") for p in files)
    assert files["pkg/version.py"]["text"] == "edited = True\n"
    assert files["new.py"]["_reason"] is None
    assert files["new.py"]["revision"] is None and files["new.py"]["id"] == "proj/new.py"
    os.remove(root / "pkg" / "extra.py")
    assert by_path(read_repo(root)[0])["pkg/extra.py"]["_reason"] == "missing"


def test_bad_revision_is_damage(git_repo):
    root, _, _ = git_repo
    rows, report, _ = read_repo(root, revision="no-such-branch")
    assert rows == []
    assert "no-such-branch" in report.damaged and str(root) in report.damaged


def test_revision_on_a_plain_directory_is_damage(tmp_path):
    root = write_tree(tmp_path / "plain", {"a.py": "x = 1\n"})
    rows, report, _ = read_repo(root, revision="HEAD")
    assert rows == [] and "not a git repository" in report.damaged


# -- archives ------------------------------------------------------------------------------

ARCHIVE_FILES = {
    "LICENSE": MIT_TEXT,
    "src/main.c": "int main(void) { return 0; }\n",
    "README.md": "# x\n",
}


def make_tar(
    path: Path, files: dict[str, str], top: str | None, symlink: str | None = None
) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        if top:
            info = tarfile.TarInfo(top)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}" if top else rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(f"{top}/{symlink}" if top else symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "src/main.c"
            tar.addfile(info)
    return path


def make_zip(path: Path, files: dict[str, str], top: str | None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if top:
            zf.writestr(f"{top}/", b"")
        for rel, text in files.items():
            zf.writestr(f"{top}/{rel}" if top else rel, text)
    return path


@pytest.mark.parametrize("kind", ["tar.gz", "tgz", "zip"])
def test_archive_with_top_folder(tmp_path, kind):
    path = tmp_path / f"widget-1a2b3c.{kind}"
    if kind == "zip":
        make_zip(path, ARCHIVE_FILES, "widget-1a2b3c")
    else:
        make_tar(path, ARCHIVE_FILES, "widget-1a2b3c", symlink="link.c")
    rows, report, _ = read_repo(path)
    files = by_path(rows)
    assert report.damaged is None
    expected = set(ARCHIVE_FILES) | (set() if kind == "zip" else {"link.c"})
    assert set(files) == expected
    main = files["src/main.c"]
    assert main["text"] == ARCHIVE_FILES["src/main.c"]
    assert (main["repo"], main["id"], main["language"], main["license"]) == (
        "widget-1a2b3c", "widget-1a2b3c/src/main.c", "C", "MIT",
    )  # fmt: skip
    assert main["revision"] is None
    if kind != "zip":
        assert files["link.c"]["_reason"] == "symlink"


def test_archive_without_top_folder(tmp_path):
    rows = read_repo(make_tar(tmp_path / "flat.tar.gz", ARCHIVE_FILES, None))[0]
    assert {r["path"] for r in rows} == set(ARCHIVE_FILES)
    rows = read_repo(make_zip(tmp_path / "flat.zip", ARCHIVE_FILES, None))[0]
    assert {r["id"] for r in rows} == {f"flat/{p}" for p in ARCHIVE_FILES}


def test_archive_of_a_git_repo(git_repo, tmp_path):
    """``git archive`` output (a GitHub-style top folder) reads like the repository."""
    root, _, _ = git_repo
    archive = tmp_path / "proj-main.tar.gz"
    git(root, "archive", "--format=tar.gz", "--prefix=proj-main/", "-o", str(archive), "HEAD")
    rows = by_path(read_repo(archive)[0])
    assert rows["pkg/version.py"]["text"] == V2
    assert rows["pkg/alias.py"]["_reason"] == "symlink"
    assert rows["LICENSE"]["license"] == "MIT"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.tar.gz", None, "does not exist"),
        ("notes.txt", b"just text\n", "not a repository"),
        ("broken.zip", b"PK\x03\x04" + b"\x00" * 40, "not a repository"),
        ("truncated.tar.gz", "truncate", "not a readable tar archive"),
    ],
)
def test_damaged_inputs(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "truncate":
        big = {f"f{i}.txt": os.urandom(3000).hex() for i in range(20)}
        data = make_tar(tmp_path / "whole.tar.gz", big, "top").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content is not None:
        path.write_bytes(content)
    rows, report, _ = read_repo(path)
    assert rows == []
    assert message in report.damaged and str(path) in report.damaged
    assert "\n" not in report.damaged


def test_determinism(git_repo, tmp_path):
    root, _, _ = git_repo
    for spec, options in ((root, {"revision": "HEAD"}), (root, {})):
        first, second = read_repo(spec, **options)[0], read_repo(spec, **options)[0]
        assert [r["id"] for r in first] == [r["id"] for r in second]
        assert first == second
        assert len({r["id"] for r in first}) == len(first)


# -- licence of the repository -----------------------------------------------------------------


def test_repository_license_files(tmp_path, git_available):
    apache = pytest.importorskip("identify.vendor.licenses")
    texts = dict(apache.LICENSES)
    cases = {
        "dual": (
            {"LICENSE-MIT": texts["MIT"], "LICENSE-APACHE": texts["Apache-2.0"]},
            "Apache-2.0 OR MIT",
        ),
        "lgpl": ({"COPYING": texts["GPL-3.0"], "COPYING.LESSER": texts["LGPL-3.0"]}, "LGPL-3.0"),
        "plain-first": (
            {"LICENSE.md": texts["BSD-3-Clause"], "LICENSE-MIT": texts["MIT"]},
            "BSD-3-Clause",
        ),
        "none": ({"README.md": "no licence\n"}, None),
        "nested-only": ({"docs/LICENSE": texts["MIT"]}, None),
    }
    for name, (files, expected) in cases.items():
        with open_repository(str(write_tree(tmp_path / name, files))) as repo:
            assert repository_license(repo) == expected, name


def test_archive_helpers():
    assert archive_stem("/x/requests-2.31.0.tar.gz") == "requests-2.31.0"
    assert archive_stem("s3://b/repo.zip") == "repo"
    assert common_folder([("a", True), ("a/x.py", False)]) == "a"
    assert common_folder([("a/x.py", False), ("b/y.py", False)]) is None
    assert common_folder([("a", False)]) is None
