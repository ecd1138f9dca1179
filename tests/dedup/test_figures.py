"""The figures a dedup prints and records agree with what it decided.

``clusters``, ``removed`` and ``largest_cluster`` (the summary and the ``decisions``
step) must equal what the output holds: the clusters read back from ``data/``
(``duplicate_cluster_id``, ``duplicate_cluster_size``) and ``rejects/`` (``duplicate_of``);
the candidate pairs a step reports must be the pairs the summary counts.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.dedup.helpers import (
    Outcome,
    check_consistent,
    outcome,
    random_doc,
    replace_words,
    run_dedup,
    write_parquet,
)

WORK = ("_curate", "dedup", "minhash_dedup")


def recorded(out: Path) -> dict[str, Any]:
    """The summary ``stage.compute`` returned (what the run printed), from complete.json."""
    return json.loads(out.joinpath(*WORK, "complete.json").read_text())["summary"]


def clusters_in_output(result: Outcome, reference_ids: set[str] = frozenset()) -> dict[str, int]:
    """Kept id -> size of each cluster of two or more that has a document in this output
    (a document of an earlier run's index that the cluster points at counts once)."""
    members: dict[str, set[str]] = {}
    for doc, row in result.kept.items():
        members.setdefault(row["duplicate_cluster_id"], set()).add(doc)
    for doc, row in result.removed.items():
        members.setdefault(row["duplicate_of"], set()).add(doc)
    sizes = {rep: len(docs | ({rep} if rep in reference_ids else set())) for rep, docs in members.items()}
    return {rep: n for rep, n in sizes.items() if n >= 2}


def check_figures(out: Path, reference_ids: set[str] = frozenset()) -> dict[str, int]:
    result = outcome(out)
    check_consistent(result, reference_ids)
    sizes = clusters_in_output(result, reference_ids)
    # every row of a cluster carries the size the figures count
    for doc, row in [*result.kept.items(), *result.removed.items()]:
        rep = row["duplicate_cluster_id"]
        if rep in sizes:
            assert row["duplicate_cluster_size"] == sizes[rep], doc
    summary = recorded(out)
    steps = {s["step"]: s for s in summary["steps"]}
    expected = {"clusters": len(sizes), "removed": len(result.removed), "largest_cluster": max(sizes.values(), default=0)}
    assert {k: steps["decisions"].get(k) for k in expected} == expected
    assert {k: summary.get(k) for k in expected} == expected
    return sizes


def books_like(tmp_path: Path) -> Path:
    rng = random.Random(51)
    one, two = random_doc(rng, 300), random_doc(rng, 300)
    write_parquet(tmp_path / "in" / "a.parquet", ["one_a", "one_b", "lone_a"],
                  [one, replace_words(rng, one, 2), random_doc(rng, 300)])
    write_parquet(tmp_path / "in" / "b.parquet", ["two_a", "two_b", "one_c", "lone_b"],
                  [two, replace_words(rng, two, 2), replace_words(rng, one, 1), random_doc(rng, 300)])
    write_parquet(tmp_path / "in" / "c.parquet", ["two_c"], [replace_words(rng, two, 1)])
    return tmp_path / "in"


def test_two_clusters_of_three_whose_kept_documents_are_in_different_files(tmp_path):
    """As the books sample: two clusters of three; each cluster's decisions are made by
    the task of its kept document's file, so summing the tasks' maxima said 6."""
    run_dedup(books_like(tmp_path), tmp_path / "out")
    assert check_figures(tmp_path / "out") == {"one_a": 3, "two_a": 3}


def test_steps_report_the_candidate_pairs_the_summary_counts(tmp_path):
    """A pair shares buckets in several band partitions: the buckets step counted it in
    each (24) while the summary counted it once (6)."""
    run_dedup(books_like(tmp_path), tmp_path / "out")
    summary = recorded(tmp_path / "out")
    assert summary["candidate_pairs"] == 6  # the three pairs of each cluster of three
    for step in summary["steps"]:
        if "candidate_pairs" in step:
            assert step["candidate_pairs"] == 6, step


def test_index_run_counts_only_its_own_clusters(tmp_path):
    """Against an index: a cluster of the earlier run's documents only (x0 and its copy)
    is not a cluster of this run, and the largest is not a sum over tasks."""
    rng = random.Random(31)
    x = [random_doc(rng, 300) for _ in range(4)]
    write_parquet(tmp_path / "x" / "x1.parquet", ["x0", "x1", "x2"], x[:3])
    write_parquet(tmp_path / "x" / "x2.parquet", ["x3", "x0copy"], [x[3], x[0]])
    y_own = random_doc(rng, 300)
    write_parquet(tmp_path / "y" / "y1.parquet", ["y_dup_x1", "y_near_x3", "y_own"],
                  [x[1], replace_words(rng, x[3], 2), y_own])
    write_parquet(tmp_path / "y" / "y2.parquet", ["y_own_copy", "y_dup_x2"], [replace_words(rng, y_own, 1), x[2]])
    run_dedup(tmp_path / "x", tmp_path / "x_out")
    assert clusters_in_output(outcome(tmp_path / "x_out")) == {"x0": 2}
    run_dedup(tmp_path / "y", tmp_path / "y_out", "--index", str(tmp_path.joinpath("x_out", *WORK)))
    sizes = check_figures(tmp_path / "y_out", reference_ids={"x0", "x1", "x2", "x3"})
    assert sizes == {"x1": 2, "x2": 2, "x3": 2, "y_own": 2}
