"""The Ray path end to end: the same decisions as the in-process run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from curate.pipeline import load_pipeline
from curate.run import run_pipeline
from tests.dedup.helpers import check_consistent, outcome, run_dedup
from tests.dedup.test_fuzzy import keep_dataset
from tests.dedup.test_pipeline import PIPELINE, write_inputs

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.ray


def decisions(out: Path):
    result = outcome(out)
    # (a filter after the dedup may drop a cluster's kept document: those are rejects)
    check_consistent(result, reference_ids={i for i, r in result.removed.items() if r["reason"] != "near_duplicate"})
    stages = [(s["stage"], s["rows_in"], s["rows_out"], s["dropped"]) for s in result.stats["stages"]]
    return result.kept_ids, result.clusters(), stages


def test_ray_gives_the_same_decisions_as_local(ray_session, tmp_path):
    # curate dedup on Parquet: the global stage's tasks run as Ray tasks
    inputs = keep_dataset(tmp_path)
    run_dedup(inputs, tmp_path / "local", "--keep", "score:quality")
    run_dedup(inputs, tmp_path / "ray", "--keep", "score:quality", executor="ray")
    assert decisions(tmp_path / "ray") == decisions(tmp_path / "local")
    assert outcome(tmp_path / "ray").kept_ids == {"p_short", "q_best", "lonely"}
    summary = outcome(tmp_path / "ray").stats["dedup"]["minhash_dedup"]
    assert summary["partitions"] >= 2  # 2 x the cluster's CPUs

    # a pipeline in phases, with stages before and after the dedup, through Ray Data
    jsonl = write_inputs(tmp_path / "jsonl")
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(PIPELINE))
    for executor in ("local", "ray"):
        run_pipeline(load_pipeline(path), [str(jsonl)], str(tmp_path / f"p_{executor}"), executor=executor)
    assert decisions(tmp_path / "p_ray") == decisions(tmp_path / "p_local")


@pytest.mark.slow
def test_curate_dedup_starts_its_own_ray(tmp_path):
    """``curate dedup`` with the default executor (Ray) and no Ray running: it starts one."""
    inputs = keep_dataset(tmp_path)
    run_dedup(inputs, tmp_path / "local")
    env = {**os.environ, "RAY_DEDUP_LOGS": "0"}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "curate.cli", "dedup", str(inputs), "--output", str(tmp_path / "ray"), "-q",
         "--num-cpus", "2"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert decisions(tmp_path / "ray") == decisions(tmp_path / "local")
