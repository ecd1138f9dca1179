"""``curate run pipelines/books.yaml`` end to end: both editions of each book are found to be
near-duplicates, the two books are not."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.books.gutenberg import strip_gutenberg
from curate.cli import main
from curate.dedup.minhash import shingles
from curate.pipeline import load_pipeline
from tests.books.helpers import pg_phrases_in

REPO = Path(__file__).resolve().parents[2]


def read_dir(directory: Path) -> pa.Table:
    return pa.concat_tables(
        [pq.read_table(f) for f in sorted(directory.glob("part-*.parquet"))],
        promote_options="permissive",
    )


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a, 5), shingles(b, 5)
    return len(sa & sb) / len(sa | sb)


def test_edition_similarity(devils, nowhere):
    """The stripped editions share almost all their 5-word shingles; the books share none."""
    text = {
        p.name: strip_gutenberg(p.read_text()).text
        for p in (
            devils / "972.txt",
            devils / "old-dvldc10.txt",
            nowhere / "3261.txt",
            nowhere / "old-nwsnw10.txt",
        )
    }
    assert jaccard(text["972.txt"], text["old-dvldc10.txt"]) > 0.98  # measured 0.983
    assert jaccard(text["3261.txt"], text["old-nwsnw10.txt"]) > 0.99  # measured 0.998
    assert jaccard(text["972.txt"], text["3261.txt"]) < 0.01  # measured 0.0002


@pytest.fixture(scope="module")
def run_books(tmp_path_factory, devils, nowhere, moby):
    out = tmp_path_factory.mktemp("books-run") / "out"
    inputs = [
        devils / "972.txt",
        devils / "old-dvldc10.txt",
        nowhere / "3261.txt",
        nowhere / "old-nwsnw10.txt",
        moby,
        nowhere / "3261-h.htm",
    ]
    rc = main(
        [
            "run",
            str(REPO / "pipelines" / "books.yaml"),
            "--input",
            *map(str, inputs),
            "--output",
            str(out),
            "--executor",
            "local",
            "-q",
        ]
    )
    assert rc == 0
    return out


def test_books_pipeline(run_books):
    out = run_books
    stats = json.loads((out / "stats.json").read_text())
    stages = {s["stage"]: (s["rows_in"], s["rows_out"], s["dropped"]) for s in stats["stages"]}
    assert stages == {
        "read": (6, 6, {}),
        "extract_html": (6, 6, {}),
        "fasttext_language_id": (6, 6, {}),
        "language_filter": (6, 6, {}),
        "book_quality": (6, 6, {}),
        "minhash_dedup": (6, 3, {"near_duplicate": 3}),
    }
    assert stats["documents"] == {"kept": 3, "rejected": 3} and not stats["damaged_inputs"]
    data, rejects = read_dir(out / "data"), read_dir(out / "rejects")
    kept = {r["source"].rsplit("/", 1)[1]: r for r in data.to_pylist()}
    removed = {r["source"].rsplit("/", 1)[1]: r for r in rejects.to_pylist()}
    # keep: longest keeps the fullest edition of each cluster: for News from Nowhere the
    # current plain text (the HTML edition's extraction drops the headings), for the
    # dictionary the old edition (365,789 vs 365,122 characters once stripped)
    assert set(kept) == {"old-dvldc10.txt", "3261.txt", "moby-dick.epub"}
    assert set(removed) == {"972.txt", "3261-h.htm", "old-nwsnw10.txt"}
    assert {name: r["reason"] for name, r in removed.items()} == dict.fromkeys(
        removed, "near_duplicate"
    )
    assert removed["972.txt"]["duplicate_of"] == kept["old-dvldc10.txt"]["id"]
    assert (
        removed["3261-h.htm"]["duplicate_of"]
        == removed["old-nwsnw10.txt"]["duplicate_of"]
        == kept["3261.txt"]["id"]
    )
    assert (
        kept["old-dvldc10.txt"]["duplicate_cluster_size"],
        kept["3261.txt"]["duplicate_cluster_size"],
        kept["moby-dick.epub"]["duplicate_cluster_size"],
    ) == (2, 3, 1)
    for row in kept.values():
        assert row["language"] == "en" and row["language_score"] > 0.9
        assert row["book_word_count"] > 50_000 and pg_phrases_in(row["text"]) == []
        assert "payload" not in row
    assert (
        kept["moby-dick.epub"]["title"],
        kept["old-dvldc10.txt"]["author"],
        kept["3261.txt"]["pg_id"],
    ) == (
        "Moby-Dick",
        "Ambrose Bierce",
        3261,
    )
    assert kept["3261.txt"]["book_format"] == "gutenberg_text"
    assert removed["3261-h.htm"]["book_format"] == "html"


def test_books_yaml_loads():
    pipeline = load_pipeline(REPO / "pipelines" / "books.yaml")
    assert [s.stage_id for s in pipeline.stages] == [
        "extract_html",
        "fasttext_language_id",
        "language_filter",
        "book_quality",
        "minhash_dedup",
    ]
    assert pipeline.input.format == "auto"
