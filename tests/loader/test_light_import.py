"""``import curate.loader`` stays light: no pipeline machinery, no heavy dependencies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "ray",
    "trafilatura",
    "numba",
    "pydantic",
    "yaml",
    "rich",
    "resiliparse",
    "fastwarc",
    "tokenizers",
    "tiktoken",
    "datasketch",
    "torch",
)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_loader_imports_no_heavy_module():
    out = _run("import curate.loader, json, sys; print(json.dumps(sorted(sys.modules)))")
    modules = set(json.loads(out.strip().splitlines()[-1]))
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []
    # curate._version is the one line that holds ``curate.__version__``.
    light = ("curate.loader", "curate._version")
    other = sorted(
        m
        for m in modules
        if m.startswith("curate.") and not any(m == x or m.startswith(x + ".") for x in light)
    )
    assert other == []


def test_top_level_names_still_import():
    out = _run(
        "from curate import Filter, Pipeline, Resources, Stage, __version__, load_pipeline, "
        "register, row_filter\n"
        "import curate\n"
        "assert set(curate.__all__) <= set(dir(curate))\n"
        "print(Stage.__name__, Filter.__name__, Pipeline.__name__, callable(row_filter))"
    )
    assert out.split() == ["Stage", "Filter", "Pipeline", "True"]
