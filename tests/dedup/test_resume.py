"""Resuming ``curate dedup``: a finished run is left alone, a damaged one is completed."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from tests.dedup.helpers import (
    check_consistent,
    outcome,
    random_doc,
    replace_words,
    run_dedup,
    write_parquet,
)


@pytest.fixture
def dataset(tmp_path) -> Path:
    """Three files; clusters inside and across files."""
    rng = random.Random(21)
    bases = [random_doc(rng, 300) for _ in range(6)]
    for f in range(3):
        ids, texts = [], []
        for i, base in enumerate(bases):
            if (i + f) % 2 == 0:
                ids.append(f"f{f}-b{i}")
                texts.append(replace_words(rng, base, f))
        ids.append(f"f{f}-own")
        texts.append(random_doc(rng, 300))
        write_parquet(tmp_path / "in" / f"part{f}.parquet", ids, texts)
    return tmp_path / "in"


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of the output (data, rejects, reports), by relative path."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and (p.parts[len(out.parts)] in ("data", "rejects") or p.parent.name == "inputs")
    }


def decisions(out: Path):
    result = outcome(out)
    check_consistent(result)
    stages = [{k: v for k, v in s.items() if k != "seconds"} for s in result.stats["stages"]]
    return result.kept_ids, result.clusters(), set(result.removed), result.stats["documents"], stages


def test_second_run_has_nothing_left_to_do(dataset, tmp_path, capsys):
    out = tmp_path / "out"
    run_dedup(dataset, out)
    before = snapshot(out)
    first = decisions(out)
    assert first[3]["rejected"] > 0
    computed = (out / "_curate" / "dedup" / "minhash_dedup" / "complete.json").stat().st_mtime_ns
    capsys.readouterr()
    run_dedup(dataset, out)
    err = capsys.readouterr().err
    assert "nothing left to do" in err
    # the clusters are not computed again
    assert (out / "_curate" / "dedup" / "minhash_dedup" / "complete.json").stat().st_mtime_ns == computed
    assert snapshot(out) == before
    assert decisions(out) == first


def lose_one_part(out: Path) -> None:
    """Delete the data part of input part2.parquet and its reader report."""
    victim = sorted((out / "data").glob("part-part2-*"))
    assert len(victim) == 1
    key = victim[0].name[len("part-"):-len("-" + victim[0].name.rsplit("-", 1)[1])]
    report = out / "_curate" / "inputs" / f"{key}.json"
    assert report.exists()
    victim[0].unlink()
    report.unlink()


def test_lost_output_part_is_redone(dataset, tmp_path, capsys):
    """The final output lost one input's part and report: the next run redoes that input.

    (A run that completes never loses one; this is what resume must repair whatever
    ``_curate/run.json`` says.)
    """
    out = tmp_path / "out"
    run_dedup(dataset, out)
    first = decisions(out)
    lose_one_part(out)
    capsys.readouterr()
    run_dedup(dataset, out)
    err = capsys.readouterr().err
    result = outcome(out)
    assert result.kept_ids | set(result.removed) == first[0] | first[2], "the lost input was not redone"
    assert "warning" not in result.stats, result.stats["warning"]
    assert "2 of 3 inputs already complete" in err
    assert decisions(out) == first
    assert len(list((out / "data").glob("part-part2-*"))) == 1
    # its rejects were written again too, not twice
    assert len(list((out / "rejects").glob("part-part2-*"))) == 1


def mark_incomplete(out: Path) -> None:
    """What ``_curate/run.json`` says while a run is still going (or was killed)."""
    state = json.loads((out / "_curate" / "run.json").read_text())
    state["complete"] = False
    (out / "_curate" / "run.json").write_text(json.dumps(state))
    (out / "stats.json").unlink()


def test_run_killed_while_writing_output_resumes(dataset, tmp_path, capsys):
    out = tmp_path / "out"
    run_dedup(dataset, out)
    first = decisions(out)
    lose_one_part(out)
    mark_incomplete(out)
    capsys.readouterr()
    run_dedup(dataset, out)
    err = capsys.readouterr().err
    assert "already computed" in err
    assert "2 of 3 inputs already complete" in err
    assert decisions(out) == first
    assert len(list((out / "data").glob("part-part2-*"))) == 1
    assert len(list((out / "rejects").glob("part-part2-*"))) == 1


def test_run_killed_while_computing_clusters_resumes(dataset, tmp_path):
    reference = tmp_path / "reference"
    run_dedup(dataset, reference)
    out = tmp_path / "out"
    run_dedup(dataset, out)
    # the state of a run killed during the buckets step: some signature tasks done,
    # no clusters, no output yet
    work = out / "_curate" / "dedup" / "minhash_dedup"
    (work / "complete.json").unlink()
    for name in ("decisions", "members", "cc", "edges", "verify", "candidates"):
        shutil.rmtree(work / name, ignore_errors=True)
    (work / "bands" / "_done" / "f000001.json").unlink()
    for name in ("data", "rejects", "_curate/inputs"):
        shutil.rmtree(out / name)
    mark_incomplete(out)
    run_dedup(dataset, out)
    assert decisions(out) == decisions(reference)


def test_changed_settings_need_overwrite(dataset, tmp_path, capsys):
    from curate.cli import main

    out = tmp_path / "out"
    run_dedup(dataset, out)
    capsys.readouterr()
    rc = main(["dedup", str(dataset), "--output", str(out), "--executor", "local", "-q", "--threshold", "0.5"])
    assert rc == 2
    assert "different pipeline configuration" in capsys.readouterr().err
    run_dedup(dataset, out, "--threshold", "0.5", "--overwrite")
    assert outcome(out).stats["dedup"]["minhash_dedup"]["threshold"] == 0.5
