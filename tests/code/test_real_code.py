"""Real code end to end: this repository through git, the standard library, a pipeline run."""

from __future__ import annotations

import json
import subprocess
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.code.licenses import license_file_rank
from curate.pipeline import pipeline_from_dict
from curate.run import run_pipeline
from tests.code.conftest import MIT_TEXT, by_path, read_repo, write_tree

REPO = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def git_out(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    ).stdout


def test_this_repository_at_head(git_available):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    head = git_out("rev-parse", "HEAD").strip()
    listed = [p for p in git_out("ls-tree", "-r", "-z", "--name-only", "HEAD").split("\0") if p]
    rows, report, _ = read_repo(REPO, revision="HEAD")
    assert report.damaged is None
    assert [r["path"] for r in rows] == listed
    files = by_path(rows)
    root_licences = [p for p in files if "/" not in p and license_file_rank(p) is not None]
    # the project declares Apache-2.0 in pyproject.toml; a licence file would say so
    expected_licence = "Apache-2.0" if root_licences else None
    for path in ("curate/run.py", "curate/readers/base.py", "curate/inputs.py"):
        row = files[path]
        assert row["_reason"] is None and row["language"] == "Python"
        assert row["license"] == expected_licence
        assert row["revision"] == head and row["id"] == f"{row['repo']}/{path}@{head}"
        assert row["text"] == git_out("show", f"HEAD:{path}")
        assert row["lines"] == row["text"].count("\n") + (0 if row["text"].endswith("\n") else 1)
    assert files["pyproject.toml"]["language"] == "TOML"
    assert files["README.md"]["language"] == "Markdown"
    if "docker/Dockerfile" in files:
        assert files["docker/Dockerfile"]["language"] == "Dockerfile"


def test_standard_library_json_package():
    if not (STDLIB / "json" / "__init__.py").exists():
        pytest.skip(f"no standard library sources at {STDLIB}")
    rows, report, _ = read_repo(STDLIB, include=["json/*.py"])
    kept = {r["path"]: r for r in rows if r["_reason"] is None}
    expected = sorted(p.relative_to(STDLIB).as_posix() for p in (STDLIB / "json").glob("*.py"))
    assert sorted(kept) == expected
    assert report.skipped.get("excluded", 0) == len(rows) - len(kept)
    assert all(r["language"] == "Python" for r in kept.values())
    licence = "PSF-2.0" if (STDLIB / "LICENSE.txt").exists() else None
    assert {r["license"] for r in kept.values()} == {licence}
    assert "def dumps(" in kept["json/__init__.py"]["text"]


def test_pipeline_run_without_stages(tmp_path):
    root = write_tree(
        tmp_path / "demo",
        {
            "LICENSE": MIT_TEXT,
            "app.py": "print('hi')\n",
            "lib/util.js": "export const x = 1;\n",
            "node_modules/dep/index.js": "module.exports = 1;\n",
            "yarn.lock": "# yarn lockfile v1\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
        },
    )
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"not an archive")
    pipeline = pipeline_from_dict(
        {"input": {"format": "code"}, "stages": [], "output": {"min_rows_per_file": 1}}
    )
    out = tmp_path / "out"
    result = run_pipeline(
        pipeline, [str(root), str(archive)], str(out), executor="local"
    )
    data = pa.concat_tables([pq.read_table(f) for f in sorted((out / "data").glob("*.parquet"))])
    rejects = pa.concat_tables(
        [pq.read_table(f) for f in sorted((out / "rejects").glob("*.parquet"))]
    )
    assert sorted(data["path"].to_pylist()) == ["LICENSE", "app.py", "lib/util.js"]
    assert sorted(zip(rejects["path"].to_pylist(), rejects["reason"].to_pylist(), strict=True)) == [
        ("logo.png", "binary"),
        ("node_modules/dep/index.js", "vendored"),
        ("yarn.lock", "lock_file"),
    ]
    assert set(data["license"].to_pylist()) == {"MIT"}
    assert (result.kept, result.rejected) == (3, 3)
    stats = (
        json.loads((out / "stats.json").read_text())
        if (out / "stats.json").exists()
        else result.stats
    )
    assert stats["inputs"]["damaged"] == 1
    assert "broken.tar.gz" in stats["damaged_inputs"][0]["damage"]
