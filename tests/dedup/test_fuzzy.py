"""``curate dedup`` (MinHash-LSH) end to end on small Parquet datasets, in-process."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.dedup.base import doc_keys
from curate.dedup.fuzzy import MinhashDedup, lsh_parameters
from curate.registry import build_stage
from tests.dedup.helpers import (
    check_consistent,
    jaccard,
    outcome,
    random_doc,
    random_words,
    replace_words,
    run_dedup,
    write_parquet,
)


@pytest.mark.parametrize("verify", ["none", "estimated", "exact"])
def test_exact_near_and_non_duplicates(tmp_path, verify):
    rng = random.Random(1)
    base = random_doc(rng, 500)
    near = replace_words(rng, base, 3)
    other = random_doc(rng, 500)
    half = replace_words(rng, other, 250)
    window = random_words(rng, 560)
    shifted_a, shifted_b = " ".join(window[:400]), " ".join(window[160:])
    assert jaccard(base, near) > 0.9
    assert jaccard(other, half) < 0.1
    assert 0.3 < jaccard(shifted_a, shifted_b) < 0.6
    write_parquet(tmp_path / "in" / "a.parquet", ["base", "other", "shifted_a", "unique1"],
                  [base, other, shifted_a, random_doc(rng, 300)])
    write_parquet(tmp_path / "in" / "b.parquet", ["copy", "near", "half", "shifted_b", "unique2"],
                  [base, near, half, shifted_b, random_doc(rng, 300)])
    out = tmp_path / "out"
    run_dedup(tmp_path / "in", out, "--verify", verify)
    result = outcome(out)
    check_consistent(result)
    assert result.kept_ids == {"base", "other", "shifted_a", "unique1", "half", "shifted_b", "unique2"}
    assert set(result.removed) == {"copy", "near"}
    for doc in ("copy", "near"):
        assert result.removed[doc]["duplicate_of"] == "base"
        assert result.removed[doc]["reason"] == "near_duplicate"
    assert result.kept["base"]["duplicate_cluster_size"] == 3
    for doc in ("other", "half", "shifted_a", "shifted_b", "unique1", "unique2"):
        assert result.kept[doc]["duplicate_cluster_id"] == doc
        assert result.kept[doc]["duplicate_cluster_size"] == 1
    summary = result.stats["dedup"]["minhash_dedup"]
    assert summary["documents"] == 9 and summary["hashed"] == 9
    assert summary["removed"] == 2 and summary["clusters"] == 1
    assert summary["verify"] == verify
    assert [s["step"] for s in summary["steps"]][:2] == ["bands", "buckets"]
    assert summary["peak_rss_mb"] > 0
    stages = [(s["stage"], s["rows_in"], s["rows_out"]) for s in result.stats["stages"]]
    assert stages == [("read", 9, 9), ("minhash_dedup", 9, 7)]
    # kept documents keep their text and columns
    data = pq.read_table(next((out / "data").glob("part-a-*")))
    assert data.column("text").to_pylist()[0] == base
    assert not [c for c in data.column_names if c.startswith("_")]


def test_threshold_decides_between_near_and_far(tmp_path):
    """A pair with Jaccard ~0.67: a duplicate at threshold 0.5, not at 0.8 (exact verify)."""
    rng = random.Random(2)
    seq = random_words(rng, 1200)
    a, b = " ".join(seq[:1000]), " ".join(seq[200:1200])
    assert 0.6 < jaccard(a, b) < 0.72
    write_parquet(tmp_path / "in.parquet", ["a", "b"], [a, b])
    run_dedup(tmp_path / "in.parquet", tmp_path / "high", "--threshold", "0.8", "--verify", "exact")
    assert outcome(tmp_path / "high").kept_ids == {"a", "b"}
    run_dedup(tmp_path / "in.parquet", tmp_path / "low", "--threshold", "0.5", "--verify", "exact")
    low = outcome(tmp_path / "low")
    assert low.kept_ids == {"a"} and low.removed["b"]["duplicate_of"] == "a"


def test_many_copies_exceeding_max_bucket_pairs_form_one_cluster(tmp_path):
    """A bucket larger than max_bucket_pairs (64) becomes a star: still one cluster."""
    rng = random.Random(4)
    base = random_doc(rng, 200)
    texts = [base if i % 2 == 0 else replace_words(rng, base, 1) for i in range(100)]
    ids = [f"d{i:03d}" for i in range(100)]
    write_parquet(tmp_path / "in" / "a.parquet", ids[:50], texts[:50])
    write_parquet(tmp_path / "in" / "b.parquet", ids[50:], texts[50:])
    run_dedup(tmp_path / "in", tmp_path / "out", "--verify", "exact")
    result = outcome(tmp_path / "out")
    check_consistent(result)
    assert result.kept_ids == {"d000"}
    assert result.kept["d000"]["duplicate_cluster_size"] == 100
    assert {r["duplicate_of"] for r in result.removed.values()} == {"d000"}


def chain_texts(seed: int = 3) -> tuple[str, str, str]:
    """A ~ B ~ C with A and C not similar: three windows of one random word sequence."""
    rng = random.Random(seed)
    seq = random_words(rng, 1120)
    return " ".join(seq[:1000]), " ".join(seq[60:1060]), " ".join(seq[120:1120])


def test_chain_is_one_cluster(tmp_path):
    a, b, c = chain_texts()
    threshold = 0.84
    assert jaccard(a, b) > threshold + 0.04 and jaccard(b, c) > threshold + 0.04
    assert jaccard(a, c) < threshold - 0.04
    rng = random.Random(8)
    # C comes first in the input, A last: the kept document is the first in input order
    write_parquet(tmp_path / "in" / "1.parquet", ["C", "x1"], [c, random_doc(rng)])
    write_parquet(tmp_path / "in" / "2.parquet", ["x2", "B", "A"], [random_doc(rng), b, a])
    out = tmp_path / "out"
    # many short bands: every pair here is a candidate, the exact check decides
    run_dedup(tmp_path / "in", out, "--threshold", str(threshold), "--verify", "exact", "--bands", "32", "--rows", "4")
    result = outcome(out)
    check_consistent(result)
    assert result.kept_ids == {"C", "x1", "x2"}
    assert result.kept["C"]["duplicate_cluster_size"] == 3
    assert result.removed["A"]["duplicate_of"] == "C"
    assert result.removed["B"]["duplicate_of"] == "C"
    assert result.cluster_of("A") == {"A", "B", "C"}
    # the graph has the edges C-B and B-A; A-C was a candidate, rejected by the exact check
    work = out / "_curate" / "dedup" / "minhash_dedup"
    edges = pa.concat_tables([pq.read_table(p) for p in sorted((work / "edges").glob("*/edges.parquet"))])
    key = {"C": (0, 0), "B": (1, 1), "A": (1, 2)}  # (file index, row)
    key = {name: int(doc_keys(f, r, 1)[0]) for name, (f, r) in key.items()}
    assert set(zip(edges["u"].to_pylist(), edges["v"].to_pylist())) == {(key["C"], key["B"]), (key["B"], key["A"])}
    summary = result.stats["dedup"]["minhash_dedup"]
    assert summary["rejected_pairs"] >= 1
    assert summary["removed"] == 2


def test_chain_not_linked_through_a_dissimilar_document(tmp_path):
    """Without B, A and C stay apart (the chain is what joins them)."""
    a, _, c = chain_texts()
    write_parquet(tmp_path / "in.parquet", ["A", "C"], [a, c])
    run_dedup(tmp_path / "in.parquet", tmp_path / "out", "--threshold", "0.84", "--verify", "exact", "--bands", "32", "--rows", "4")
    assert outcome(tmp_path / "out").kept_ids == {"A", "C"}


def keep_dataset(tmp_path):
    """Two clusters spread over two files, with lengths and a quality score."""
    rng = random.Random(5)
    p = random_doc(rng, 300)
    q = random_doc(rng, 300)
    docs = {
        # id: (file, text, score)
        "p_short": ("b", p, 0.5),
        "p_long": ("b", p + " " + " ".join(random_words(rng, 10)), 0.2),
        "p_mid": ("a", p + " " + " ".join(random_words(rng, 4)), None),
        "q_first": ("a", q, 0.1),
        "q_best": ("b", replace_words(rng, q, 2), 0.9),
        "q_longest": ("b", q + " " + " ".join(random_words(rng, 12)), 0.3),
        "lonely": ("a", random_doc(rng, 300), 0.0),
    }
    for name in ("a", "b"):
        mine = [(i, t, s) for i, (f, t, s) in docs.items() if f == name]
        write_parquet(
            tmp_path / "in" / f"{name}.parquet", [i for i, _, _ in mine], [t for _, t, _ in mine],
            quality=pa.array([s for _, _, s in mine], pa.float64()),
        )
    return tmp_path / "in"


@pytest.mark.parametrize(
    ("keep", "kept_p", "kept_q"),
    [
        ("first", "p_mid", "q_first"),  # a.parquet comes before b.parquet; rows in order within a file
        ("longest", "p_long", "q_longest"),
        ("score:quality", "p_short", "q_best"),  # the highest score; a missing score never wins
    ],
)
def test_keep_policies(tmp_path, keep, kept_p, kept_q):
    inputs = keep_dataset(tmp_path)
    out = tmp_path / "out"
    run_dedup(inputs, out, "--keep", keep)
    result = outcome(out)
    check_consistent(result)
    assert result.kept_ids == {kept_p, kept_q, "lonely"}
    for doc in ("p_short", "p_long", "p_mid"):
        assert result.clusters()[doc] == kept_p
    for doc in ("q_first", "q_best", "q_longest"):
        assert result.clusters()[doc] == kept_q
    assert result.kept[kept_p]["duplicate_cluster_size"] == 3
    assert result.kept[kept_q]["duplicate_cluster_size"] == 3
    assert result.kept["lonely"]["duplicate_cluster_size"] == 1
    # other columns travel with the documents
    assert "quality" in result.kept[kept_p]
    if keep.startswith("score:"):
        assert result.kept["q_best"]["quality"] == 0.9


def test_keep_score_with_an_unknown_column_is_an_error(tmp_path, capsys):
    from curate.cli import main

    write_parquet(tmp_path / "in.parquet", ["a"], ["some text here"])
    rc = main(["dedup", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"), "--executor", "local",
               "-q", "--keep", "score:nope"])
    assert rc != 0
    assert "nope" in capsys.readouterr().err


def test_same_input_twice_gives_identical_decisions(tmp_path):
    rng = random.Random(6)
    texts, ids = [], []
    for c in range(12):
        base = random_doc(rng, 500)
        for k in range(rng.randint(1, 4)):
            texts.append(base if k == 0 else replace_words(rng, base, rng.randint(1, 3)))
            ids.append(f"c{c}-{k}")
    order = list(range(len(ids)))
    rng.shuffle(order)
    half = len(order) // 2
    write_parquet(tmp_path / "in" / "a.parquet", [ids[i] for i in order[:half]], [texts[i] for i in order[:half]])
    write_parquet(tmp_path / "in" / "b.parquet", [ids[i] for i in order[half:]], [texts[i] for i in order[half:]])
    run_dedup(tmp_path / "in", tmp_path / "one")
    run_dedup(tmp_path / "in", tmp_path / "two")
    one, two = outcome(tmp_path / "one"), outcome(tmp_path / "two")
    check_consistent(one)
    assert one.kept_ids == two.kept_ids
    assert one.clusters() == two.clusters()
    assert {i: r["duplicate_cluster_size"] for i, r in one.kept.items()} == {
        i: r["duplicate_cluster_size"] for i, r in two.kept.items()
    }
    # and the clusters are the ones the data was made of
    assert {i: i.split("-")[0] for i in one.clusters()} == {i: one.clusters()[i].split("-")[0] for i in one.clusters()}
    assert len(one.kept) == 12


def test_null_and_empty_texts(tmp_path):
    rng = random.Random(7)
    base = random_doc(rng, 100)
    write_parquet(
        tmp_path / "in" / "a.parquet",
        ["n1", "e1", "e2", "w1", "d1", "d2", "n2", "short1", "short2"],
        [None, "", "", "  \n\t ", base, base, None, "hi", "hi"],
    )
    write_parquet(tmp_path / "in" / "b.parquet", ["n3"], [None])
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), tmp_path / "in" / "c.parquet")
    out = tmp_path / "out"
    run_dedup(tmp_path / "in", out)
    result = outcome(out)
    check_consistent(result)
    assert {i for i, r in result.removed.items() if r["reason"] == "missing_text"} == {"n1", "n2", "n3"}
    assert {r["dropped_by"] for i, r in result.removed.items() if i.startswith("n")} == {"read"}
    assert result.removed["d2"]["duplicate_of"] == "d1"
    # empty documents have no shingles: never duplicates of each other; short ones are
    assert {"e1", "e2", "w1", "d1", "short1"} <= result.kept_ids
    assert result.removed["short2"]["duplicate_of"] == "short1"
    summary = result.stats["dedup"]["minhash_dedup"]
    assert summary["documents"] == 10 and summary["empty"] == 3
    read = result.stats["stages"][0]
    assert read["rows_in"] == 10 and read["dropped"] == {"missing_text": 3}


def test_settings_are_validated():
    with pytest.raises(ValueError, match="threshold"):
        build_stage("minhash_dedup", {"threshold": 1.5}).validate()
    with pytest.raises(ValueError, match="verify"):
        build_stage("minhash_dedup", {"verify": "maybe"}).validate()
    with pytest.raises(ValueError, match="bands and rows"):
        build_stage("minhash_dedup", {"bands": 4}).validate()
    with pytest.raises(ValueError, match="exceeds num_perm"):
        build_stage("minhash_dedup", {"bands": 20, "rows": 10}).validate()
    with pytest.raises(ValueError, match="keep"):
        build_stage("minhash_dedup", {"keep": "shortest"}).validate()
    stage = build_stage("minhash_dedup", {})
    assert isinstance(stage, MinhashDedup)
    bands, rows = stage.lsh()
    # verification on (the default): LSH favours recall (missed duplicates weigh 0.9)
    assert (bands, rows) == lsh_parameters(0.8, 128, 0.1, 0.9) and bands * rows <= 128



def as_jsonl_and_renamed(tmp_path):
    """keep_dataset as JSONL and as Parquet, with the text and id under other names."""
    import json

    inputs = keep_dataset(tmp_path)
    for name in ("a", "b"):
        table = pq.read_table(inputs / f"{name}.parquet")
        lines = [json.dumps({"doc_id": r["id"], "body": r["text"], "quality": r["quality"]}) for r in table.to_pylist()]
        (tmp_path / "jsonl").mkdir(exist_ok=True)
        (tmp_path / "jsonl" / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
        (tmp_path / "renamed").mkdir(exist_ok=True)
        pq.write_table(table.rename_columns(["doc_id", "body", "quality"]), tmp_path / "renamed" / f"{name}.parquet")
    return inputs, tmp_path / "jsonl", tmp_path / "renamed"


@pytest.mark.parametrize("keep", ["first", "longest", "score:quality"])
@pytest.mark.parametrize("source", ["jsonl", "renamed"])
def test_jsonl_input_and_other_field_names(tmp_path, source, keep):
    """JSONL inputs (read to Parquet in a first phase) decide like Parquet ones, keep=score
    included; the text and id columns may have other names."""
    parquet, jsonl, renamed = as_jsonl_and_renamed(tmp_path)
    run_dedup(parquet, tmp_path / "expected", "--keep", keep)
    expected = outcome(tmp_path / "expected")
    inputs = jsonl if source == "jsonl" else renamed
    run_dedup(inputs, tmp_path / "out", "--keep", keep, "--text-field", "body", "--id-field", "doc_id")
    result = outcome(tmp_path / "out")
    check_consistent(result)
    assert result.kept_ids == expected.kept_ids
    assert result.clusters() == expected.clusters()


def test_jsonl_input_keeps_the_documents_other_fields(tmp_path):
    """What curate dedup writes for a JSONL input carries the documents' other fields, as
    it does for a Parquet input (only duplicates are removed)."""
    _, jsonl, renamed = as_jsonl_and_renamed(tmp_path)
    fields = ("--text-field", "body", "--id-field", "doc_id")
    run_dedup(renamed, tmp_path / "from_parquet", *fields)
    assert "quality" in outcome(tmp_path / "from_parquet").kept["lonely"]
    run_dedup(jsonl, tmp_path / "from_jsonl", *fields)
    assert "quality" in outcome(tmp_path / "from_jsonl").kept["lonely"]


@pytest.mark.parametrize("num_perm", [2, 64, 96, 128, 256])
@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.1, 0.9), (0.9, 0.1)])
def test_lsh_parameters_are_datasketchs_optimum(threshold, num_perm, weights):
    """The public-API route (MinHashLSH(...).b, .r, and the one-band case it refuses) gives
    what datasketch's own optimiser gives, where this datasketch still has it."""
    lsh = pytest.importorskip("datasketch.lsh")
    optimum = getattr(lsh, "_optimal_param", None)
    if optimum is None:
        pytest.skip("this datasketch has no _optimal_param to compare with")
    assert lsh_parameters(threshold, num_perm, *weights) == tuple(optimum(threshold, num_perm, *weights))
