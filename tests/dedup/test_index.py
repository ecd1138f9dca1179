"""``--index``: deduplicate a new dataset against the index an earlier run left behind."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curate.pipeline import pipeline_from_dict
from curate.run import run_pipeline
from tests.dedup.helpers import (
    check_consistent,
    outcome,
    random_doc,
    replace_words,
    run_dedup,
    write_parquet,
)

INDEX = ("_curate", "dedup", "minhash_dedup")


def index_of(out: Path) -> Path:
    return out.joinpath(*INDEX)


def two_datasets(tmp_path: Path) -> tuple[Path, Path]:
    rng = random.Random(31)
    x = [random_doc(rng, 300) for _ in range(5)]
    y_own = random_doc(rng, 300)
    write_parquet(tmp_path / "x" / "x1.parquet", ["x0", "x1", "x2"], x[:3])
    write_parquet(tmp_path / "x" / "x2.parquet", ["x3", "x4", "x0copy"], [x[3], x[4], x[0]])
    write_parquet(
        tmp_path / "y" / "y1.parquet",
        ["y_dup_x1", "y_near_x3", "y_own", "y_own_copy", "y_unique"],
        [x[1], replace_words(rng, x[3], 2), y_own, replace_words(rng, y_own, 1), random_doc(rng, 300)],
    )
    write_parquet(tmp_path / "y" / "y2.parquet", ["y_dup_x0"], [replace_words(rng, x[0], 1)])
    return tmp_path / "x", tmp_path / "y"


@pytest.mark.parametrize("verify", ["none", "estimated", "exact"])
def test_new_dataset_against_an_earlier_index(tmp_path, verify):
    x, y = two_datasets(tmp_path)
    x_out, y_out = tmp_path / "x_out", tmp_path / "y_out"
    run_dedup(x, x_out, "--verify", verify)
    x_result = outcome(x_out)
    assert x_result.kept_ids == {"x0", "x1", "x2", "x3", "x4"}
    run_dedup(y, y_out, "--verify", verify, "--index", str(index_of(x_out)))
    result = outcome(y_out)
    check_consistent(result, reference_ids=x_result.kept_ids)
    assert result.kept_ids == {"y_own", "y_unique"}
    assert {i: r["duplicate_of"] for i, r in result.removed.items()} == {
        "y_dup_x1": "x1",
        "y_near_x3": "x3",
        "y_dup_x0": "x0",
        "y_own_copy": "y_own",  # a duplicate inside the new dataset only
    }
    assert result.kept["y_own"]["duplicate_cluster_size"] == 2
    assert result.kept["y_unique"]["duplicate_cluster_size"] == 1
    # the earlier run's output is untouched
    assert outcome(x_out).kept == x_result.kept


def test_index_points_at_the_document_the_earlier_run_kept(tmp_path):
    """The earlier run kept the longest of a cluster; the new run's duplicate of that
    cluster names the document the earlier output holds, not one it removed."""
    rng = random.Random(32)
    text = random_doc(rng, 300)
    longer = text + " and a few more words"
    write_parquet(tmp_path / "x" / "x.parquet", ["x_short", "x_long"], [text, longer])
    write_parquet(tmp_path / "y" / "y.parquet", ["y"], [text])
    run_dedup(tmp_path / "x", tmp_path / "x_out", "--keep", "longest")
    assert outcome(tmp_path / "x_out").kept_ids == {"x_long"}
    run_dedup(tmp_path / "y", tmp_path / "y_out", "--keep", "longest", "--index", str(index_of(tmp_path / "x_out")))
    result = outcome(tmp_path / "y_out")
    assert result.kept_ids == set()
    assert result.removed["y"]["duplicate_of"] == "x_long"


def run_stage(inputs: Path, out: Path, executor: str = "local", **settings):
    pipeline = pipeline_from_dict({"stages": [{"minhash_dedup": settings}]})
    return run_pipeline(pipeline, [str(inputs)], str(out), executor=executor)


def test_index_with_a_different_number_of_partitions(tmp_path):
    """The earlier run split its band records into other partitions (a larger or smaller
    corpus, or another cluster size picks another count): duplicates are still found."""
    x, y = two_datasets(tmp_path)
    run_stage(x, tmp_path / "x_out", partitions=2)
    run_stage(y, tmp_path / "y_out", partitions=5, index=[str(index_of(tmp_path / "x_out"))])
    result = outcome(tmp_path / "y_out")
    assert result.kept_ids == {"y_own", "y_unique"}
    assert result.removed["y_dup_x1"]["duplicate_of"] == "x1"


def pipeline_index(tmp_path: Path) -> tuple[list[str], Path]:
    """An index written by a run in phases (JSONL input, a stage before the dedup): the
    run removes its phase outputs, so the text the index was built from is gone."""
    rng = random.Random(33)
    x_texts = [random_doc(rng, 300) for _ in range(3)]
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "x.jsonl").write_text(
        "".join(f'{{"id": "x{i}", "text": "{t}"}}\n' for i, t in enumerate(x_texts))
    )
    pipeline = pipeline_from_dict({"stages": ["normalize_whitespace", {"minhash_dedup": {"verify": "exact"}}]})
    run_pipeline(pipeline, [str(tmp_path / "x")], str(tmp_path / "x_out"), executor="local")
    assert outcome(tmp_path / "x_out").kept_ids == {"x0", "x1", "x2"}
    index = index_of(tmp_path / "x_out")
    assert not any(Path(f).exists() for f in json.loads((index / "index.json").read_text())["files"])
    # near, not equal: exact and estimated verification both decide, by different measures
    write_parquet(tmp_path / "y" / "y.parquet", ["y_dup_x2", "y_near_x0", "y_new"],
                  [x_texts[2], replace_words(rng, x_texts[0], 3), random_doc(rng, 300)])
    return x_texts, index


@pytest.mark.parametrize("verify", ["exact", "estimated"])
def test_index_of_a_pipeline_run_with_stages_before_dedup(tmp_path, verify):
    """The index keeps the signatures (``estimated``) and the shingle hashes (``exact``,
    the default), so either works after the run deleted the texts, as the README's
    ``curate dedup NEW --output OUT --index OLD/_curate/dedup/minhash_dedup`` does."""
    _, index = pipeline_index(tmp_path)
    run_dedup(tmp_path / "y", tmp_path / "y_out", "--verify", verify, "--index", str(index))
    result = outcome(tmp_path / "y_out")
    assert result.kept_ids == {"y_new"}
    assert result.removed["y_dup_x2"]["duplicate_of"] == "x2"
    assert result.removed["y_near_x0"]["duplicate_of"] == "x0"


def test_exact_verification_from_the_index_equals_verification_from_the_text(tmp_path):
    """The shingle hashes kept in the index give the same Jaccard as the text: the
    same pairs pass, with the texts present (read) or gone (the index's hashes)."""
    x, y = two_datasets(tmp_path)
    run_dedup(x, tmp_path / "x_out")
    index = index_of(tmp_path / "x_out")
    # a verification that reads the text: the index without its shingle hashes
    text_only = tmp_path / "text_only"
    shutil.copytree(index, text_only)
    shutil.rmtree(text_only / "shingles", ignore_errors=True)
    run_dedup(y, tmp_path / "from_text", "--index", str(text_only))
    shutil.rmtree(x)
    run_dedup(y, tmp_path / "from_index", "--index", str(index))
    from_text, from_index = outcome(tmp_path / "from_text"), outcome(tmp_path / "from_index")
    assert from_index.kept == from_text.kept and from_index.removed == from_text.removed
    summaries = [json.loads((out / "_curate/dedup/minhash_dedup/complete.json").read_text())["summary"]
                 for out in (tmp_path / "from_text", tmp_path / "from_index")]
    keys = ("candidate_pairs", "verified_pairs", "rejected_pairs", "clusters", "removed")
    assert [{k: s[k] for k in keys} for s in summaries][0] == {k: summaries[1][k] for k in keys}


def test_stored_shingle_hashes_are_the_text_shingle_sets(tmp_path):
    from curate.dedup.minhash import MinHasher

    x, _ = two_datasets(tmp_path)
    run_dedup(x, tmp_path / "x_out")
    index = index_of(tmp_path / "x_out")
    for i, name in enumerate(["x1.parquet", "x2.parquet"]):
        stored = pq.read_table(index / "shingles" / f"f{i:06d}.parquet")["shingles"].combine_chunks()
        text = pq.read_table(x / name)["text"]
        assert stored.to_pylist() == MinHasher(num_perm=128, ngram=5, seed=1).shingle_set_list(text).to_pylist()


def test_an_index_without_shingle_hashes_fails_before_any_task(tmp_path, capsys):
    """An index of an older curate (no shingle hashes) whose texts are gone: ``exact``
    stops with one line naming the index and what to do, before any task runs."""
    _, index = pipeline_index(tmp_path)
    shutil.rmtree(index / "shingles", ignore_errors=True)  # as an older curate wrote it
    capsys.readouterr()
    from curate.cli import main

    args = ["dedup", str(tmp_path / "y"), "--executor", "local", "-q", "--index", str(index)]
    assert main([*args, "--output", str(tmp_path / "y_exact")]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("curate: error: "), err
    assert "Traceback" not in err
    assert str(index) in errors[0] and "--verify estimated" in errors[0]
    assert not index_of(tmp_path / "y_exact").joinpath("bands").exists()
    run_dedup(tmp_path / "y", tmp_path / "y_out", "--verify", "estimated", "--index", str(index))
    assert outcome(tmp_path / "y_out").kept_ids == {"y_new"}


def test_index_settings_must_match(tmp_path, capsys):
    from curate.cli import main

    x, y = two_datasets(tmp_path)
    run_dedup(x, tmp_path / "x_out")
    capsys.readouterr()
    args = ["dedup", str(y), "--executor", "local", "-q", "--index"]
    assert main([*args, str(index_of(tmp_path / "x_out")), "--output", str(tmp_path / "a"), "--num-perm", "64"]) == 2
    assert "was built with" in capsys.readouterr().err
    assert main([*args, str(tmp_path / "x_out"), "--output", str(tmp_path / "b")]) == 2
    assert "not a minhash index" in capsys.readouterr().err
