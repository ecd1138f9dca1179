"""A YAML pipeline with stages before and after ``minhash_dedup`` runs in phases."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from curate.pipeline import load_pipeline, pipeline_from_dict
from curate.plan import plan_phases
from curate.run import run_pipeline
from tests.dedup.helpers import check_consistent, outcome, random_doc, random_words, read_dir

PIPELINE = {
    "name": "dedup-in-the-middle",
    "stages": [
        "normalize_whitespace",
        # drops long documents before the dedup (phase 1)
        {"gopher_quality": {"label": "too_long", "min_doc_words": None, "max_doc_words": 400,
                            **dict.fromkeys(["min_avg_word_length", "max_avg_word_length", "max_symbol_word_ratio",
                                             "max_bullet_lines_ratio", "max_ellipsis_lines_ratio",
                                             "min_alpha_words_ratio", "min_stop_words"])}},
        {"minhash_dedup": {"verify": "exact"}},
        # drops short documents after it (phase 2)
        {"gopher_quality": {"label": "too_short", "min_doc_words": 50, "max_doc_words": None,
                            **dict.fromkeys(["min_avg_word_length", "max_avg_word_length", "max_symbol_word_ratio",
                                             "max_bullet_lines_ratio", "max_ellipsis_lines_ratio",
                                             "min_alpha_words_ratio", "min_stop_words"])}},
    ],
    "execution": {"batch_rows": 3},
    "output": {"min_rows_per_file": 2},
}


def spaced(rng: random.Random, text: str) -> str:
    """The same words with other whitespace (what normalize_whitespace undoes)."""
    return "".join(w + rng.choice([" ", "  ", "\t", " \u00a0", "\n"]) for w in text.split()) + "\n\n\n"


def jsonl(path: Path, rows: list[dict | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def write_inputs(tmp_path: Path) -> Path:
    rng = random.Random(41)
    doc = random_doc(rng, 200)
    other = random_doc(rng, 200)
    short = random_doc(rng, 30)
    long_doc = random_doc(rng, 600)
    jsonl(tmp_path / "in" / "a.jsonl", [
        {"id": "doc", "text": doc},
        {"id": "short", "text": short},
        {"id": "long", "text": long_doc},
        {"id": "other", "text": other},
        "{not json",
        {"id": "no_text", "body": "no text field"},
        {"id": "unique_a", "text": random_doc(rng, 150)},
    ])
    jsonl(tmp_path / "in" / "b.jsonl", [
        {"id": "doc_spaced", "text": spaced(rng, doc)},
        {"id": "short_copy", "text": short},
        {"id": "long_copy", "text": long_doc},
        {"id": "other_near", "text": other.replace(other.split()[50], "CHANGED", 1)},
        {"id": "unique_b", "text": " ".join(random_words(rng, 150))},
    ])
    return tmp_path / "in"


def test_pipeline_with_stages_before_and_after_dedup(tmp_path):
    inputs = write_inputs(tmp_path)
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(PIPELINE))
    pipeline = load_pipeline(path)
    phases = plan_phases(pipeline, "auto", [])
    assert [[s.stage_id for s in p.stages] for p in phases] == [["normalize_whitespace", "too_long"], ["too_short"]]
    assert phases[1].global_stage.stage_id == "minhash_dedup"
    out = tmp_path / "out"
    result = run_pipeline(pipeline, [str(inputs)], str(out), executor="local")
    stats = json.loads((out / "stats.json").read_text())
    assert stats == {**result.stats, "seconds_this_run": stats["seconds_this_run"]}
    stages = [(s["stage"], s["rows_in"], s["rows_out"], s["dropped"]) for s in stats["stages"]]
    assert stages == [
        ("read", 12, 10, {"malformed_json": 1, "missing_text": 1}),
        ("normalize_whitespace", 10, 10, {}),
        ("too_long", 10, 8, {"gopher:too_many_words": 2}),
        ("minhash_dedup", 8, 5, {"near_duplicate": 3}),
        ("too_short", 5, 4, {"gopher:too_few_words": 1}),
    ]
    for before, after in zip(stats["stages"], stats["stages"][1:]):
        assert before["rows_out"] == after["rows_in"]
    assert stats["documents"] == {"kept": 4, "rejected": 8}
    assert "warning" not in stats

    data, rejects = read_dir(out / "data"), read_dir(out / "rejects")
    assert data.num_rows + rejects.num_rows == 12
    assert sorted(data["id"].to_pylist()) == ["doc", "other", "unique_a", "unique_b"]
    dropped = {r["id"]: (r["dropped_by"], r["reason"]) for r in rejects.select(["id", "dropped_by", "reason"]).to_pylist()
               if r["id"] is not None and not r["id"].startswith("a.jsonl")}
    assert dropped == {
        "no_text": ("read", "missing_text"),
        "long": ("too_long", "gopher:too_many_words"),
        "long_copy": ("too_long", "gopher:too_many_words"),
        "doc_spaced": ("minhash_dedup", "near_duplicate"),
        "short_copy": ("minhash_dedup", "near_duplicate"),
        "other_near": ("minhash_dedup", "near_duplicate"),
        "short": ("too_short", "gopher:too_few_words"),
    }
    assert set(rejects["dropped_by"].to_pylist()) == {"read", "too_long", "minhash_dedup", "too_short"}
    duplicate_of = dict(zip(rejects["id"].to_pylist(), rejects["duplicate_of"].to_pylist()))
    assert duplicate_of["doc_spaced"] == "doc" and duplicate_of["other_near"] == "other"
    # the kept documents went through every phase: normalised, counted, clustered
    kept = {r["id"]: r for r in data.drop_columns(["text"]).to_pylist()}
    assert kept["doc"]["duplicate_cluster_size"] == 2
    assert "whitespace_removed" in data.column_names and "gopher_word_count" in data.column_names
    assert not (out / "_curate" / "phases" / "0" / "data").exists()  # intermediate output removed
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(f["rows"] for f in manifest["files"]) == 12

    # and again: nothing left to do, same output
    again = run_pipeline(load_pipeline(path), [str(inputs)], str(out), executor="local")
    assert again.stats["stages"] == [{**s, "seconds": s["seconds"]} for s in stats["stages"]]
    assert sorted(read_dir(out / "data")["id"].to_pylist()) == ["doc", "other", "unique_a", "unique_b"]


def test_keep_first_follows_input_order_through_phases(tmp_path):
    """Phase 1 splits each input into several parts; the dedup after it still keeps the
    first document of each cluster in the order of the original inputs, and two runs of
    the same pipeline decide the same."""
    rng = random.Random(42)
    bases = [random_doc(rng, 120) for _ in range(8)]
    # a.jsonl: the originals first, then their copies
    jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"orig{i}", "text": t} for i, t in enumerate(bases)]
          + [{"id": f"copy{i}", "text": t} for i, t in enumerate(bases)])
    data = {
        "stages": ["normalize_whitespace", "minhash_dedup"],
        "execution": {"batch_rows": 1},
        "output": {"min_rows_per_file": 1},
    }
    kept = []
    for run in ("one", "two"):
        run_pipeline(pipeline_from_dict(data), [str(tmp_path / "in")], str(tmp_path / run), executor="local")
        result = outcome(tmp_path / run)
        check_consistent(result)
        kept.append(result.kept_ids)
    assert kept[0] == kept[1]
    assert kept[0] == {f"orig{i}" for i in range(8)}


def test_source_names_the_original_input(tmp_path):
    """Rows that went through a phase boundary still name the input they were read from
    (the intermediate Parquet parts are deleted when the run ends)."""
    inputs = write_inputs(tmp_path)
    out = tmp_path / "out"
    run_pipeline(pipeline_from_dict(PIPELINE), [str(inputs)], str(out), executor="local")
    originals = {str(inputs / "a.jsonl"), str(inputs / "b.jsonl")}
    for kind in ("data", "rejects"):
        table = read_dir(out / kind)
        by_id = dict(zip(table["id"].to_pylist(), table["source"].to_pylist()))
        assert set(by_id.values()) <= originals, {i: s for i, s in by_id.items() if s not in originals}
