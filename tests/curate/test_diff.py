"""``curate diff RUN_A RUN_B``: real runs of the shipped sample, one threshold changed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from curate.cli import main
from curate.diff import diff_runs
from curate.diff_view import diff_outputs
from tests.curate.report_runs import run_sample

# Kept documents of the sample have 197 to 340 words: 250 drops some of them.
MIN_DOC_WORDS = 250
# Kept documents of the sample score 0.90 to 0.99 as English: 0.95 drops some of them.
MIN_LANGUAGE_SCORE = 0.95


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, str]:
    """Four outputs of the sample: as shipped (twice), gopher_quality min_doc_words raised, and
    language_filter min_score raised."""
    root = tmp_path_factory.mktemp("diff")
    return {
        "a": run_sample(root / "a"),
        "a_again": run_sample(root / "a_again"),
        "words": run_sample(root / "words", stage_settings={"gopher_quality": {"min_doc_words": MIN_DOC_WORDS}}),
        "language": run_sample(root / "language", stage_settings={"language_filter": {"min_score": MIN_LANGUAGE_SCORE}}),
    }


@pytest.fixture(scope="module")
def words_diff(runs) -> dict:
    return diff_runs(runs["a"], runs["words"], samples=2)


@pytest.fixture
def wide(monkeypatch):
    """rich wraps at the terminal width; make it wide so lines are not broken."""
    monkeypatch.setenv("COLUMNS", "200")


def _table(directory: str, folder: str) -> pa.Table:
    files = sorted((Path(directory) / folder).glob("part-*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def _ids(directory: str, folder: str) -> set[str]:
    return set(_table(directory, folder)["id"].to_pylist())


def test_counts_add_up(runs, words_diff):
    counts = words_diff["counts"]
    kept_a, kept_b = _ids(runs["a"], "data"), _ids(runs["words"], "data")
    rejected_a, rejected_b = _ids(runs["a"], "rejects"), _ids(runs["words"], "rejects")
    assert counts["kept_a"] == len(kept_a) == counts["kept_both"] + counts["only_kept_a"]
    assert counts["kept_b"] == len(kept_b) == counts["kept_both"] + counts["only_kept_b"]
    assert counts["kept_both"] == len(kept_a & kept_b)
    assert counts["only_kept_a"] == len(kept_a - kept_b) > 0
    assert counts["only_kept_b"] == 0  # a stricter threshold keeps nothing new
    assert counts["jaccard"] == pytest.approx(len(kept_a & kept_b) / len(kept_a | kept_b), abs=1e-6)
    assert counts["only_in_output_a"] == counts["only_in_output_b"] == 0  # same inputs
    assert counts["rejected_both"] == len(rejected_a & rejected_b)
    assert counts["rejected_both_differently"] == 0
    assert sum(group["count"] for group in words_diff["only_kept_a"]) == counts["only_kept_a"]
    assert words_diff["only_kept_b"] == []


def test_only_kept_in_a_were_dropped_by_the_changed_rule(runs, words_diff):
    data_a = {row["id"]: row for row in _table(runs["a"], "data").to_pylist()}
    only_a = _ids(runs["a"], "data") - _ids(runs["words"], "data")
    groups = words_diff["only_kept_a"]
    assert [(g["dropped_by"], g["reason"]) for g in groups] == [("gopher_quality", "gopher:too_few_words")]
    examples = groups[0]["examples"]
    assert len(examples) == min(2, len(only_a))
    for example in examples:
        assert example["id"] in only_a
        row = data_a[example["id"]]
        assert example["url"] == row["url"]
        assert " ".join(row["text"].split()).startswith(example["text"].removesuffix("..."))
        words = example["scores"]["gopher_word_count"]
        assert words["a"] == words["b"] == row["gopher_word_count"]
        assert 50 <= words["a"] < MIN_DOC_WORDS


def test_the_other_direction_mirrors(runs, words_diff):
    reverse = diff_runs(runs["words"], runs["a"], samples=2)
    counts, mirrored = reverse["counts"], words_diff["counts"]
    assert (counts["kept_a"], counts["kept_b"]) == (mirrored["kept_b"], mirrored["kept_a"])
    assert (counts["only_kept_a"], counts["only_kept_b"]) == (mirrored["only_kept_b"], mirrored["only_kept_a"])
    assert reverse["only_kept_a"] == []
    groups = reverse["only_kept_b"]
    assert [(g["dropped_by"], g["reason"], g["count"]) for g in groups] == [
        (g["dropped_by"], g["reason"], g["count"]) for g in words_diff["only_kept_a"]
    ]
    for example in groups[0]["examples"]:  # A is now the run that dropped it
        assert example["scores"]["gopher_word_count"]["a"] == example["scores"]["gopher_word_count"]["b"]
    assert reverse["settings"] == [{"setting": "gopher_quality.min_doc_words", "a": MIN_DOC_WORDS, "b": 50}]


def test_changed_setting_and_funnel(words_diff):
    assert words_diff["settings_recorded"] is True
    assert words_diff["settings"] == [{"setting": "gopher_quality.min_doc_words", "a": 50, "b": MIN_DOC_WORDS}]
    stages = {row["stage"]: row for row in words_diff["stages"]}
    only_a = words_diff["counts"]["only_kept_a"]
    gopher = stages["gopher_quality"]
    assert gopher["rows_in"]["difference"] == 0
    assert gopher["rows_out"]["difference"] == -only_a
    (too_few,) = [d for d in gopher["dropped"] if d["reason"] == "gopher:too_few_words"]
    assert too_few["b"] - too_few["a"] == too_few["difference"] == only_a
    for name in ("read", "extract_html", "language_filter"):
        assert all(d["difference"] == 0 for d in stages[name]["dropped"])
        assert stages[name]["rows_out"]["difference"] == 0


def test_language_threshold_shows_the_language_score(runs):
    diff = diff_runs(runs["a"], runs["language"], samples=5)
    assert diff["settings"] == [{"setting": "language_filter.min_score", "a": 0.65, "b": MIN_LANGUAGE_SCORE}]
    groups = diff["only_kept_a"]
    assert [(g["dropped_by"], g["reason"]) for g in groups] == [("language_filter", "low_language_score")]
    assert groups[0]["count"] == diff["counts"]["only_kept_a"] > 0
    for example in groups[0]["examples"]:
        score = example["scores"]["language_score"]
        assert score["a"] == score["b"] < MIN_LANGUAGE_SCORE


def test_identical_runs_give_an_empty_diff(runs):
    diff = diff_runs(runs["a"], runs["a_again"])
    counts = diff["counts"]
    assert counts["jaccard"] == 1.0
    assert counts["only_kept_a"] == counts["only_kept_b"] == 0
    assert counts["kept_a"] == counts["kept_b"] == counts["kept_both"] > 0
    assert diff["only_kept_a"] == diff["only_kept_b"] == diff["rejected_differently"] == []
    assert diff["settings"] == []
    for row in diff["stages"]:
        assert row["rows_in"]["difference"] == row["rows_out"]["difference"] == 0
        assert all(d["difference"] == 0 for d in row["dropped"])


def test_diff_runs_prints_nothing(runs, capfd):
    capfd.readouterr()
    diff_runs(runs["a"], runs["words"])
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_render_shows_counts_settings_reasons(runs):
    buffer = io.StringIO()
    diff = diff_outputs(runs["a"], runs["words"], samples=1, console=Console(file=buffer, width=200))
    printed = buffer.getvalue()
    flat = " ".join(printed.split())
    counts = diff["counts"]
    assert f"kept: A {counts['kept_a']}, B {counts['kept_b']}, both {counts['kept_both']}" in flat
    assert f"gopher_quality.min_doc_words: 50 -> {MIN_DOC_WORDS}" in flat
    assert f"Only kept in A ({counts['only_kept_a']})" in flat
    assert f"gopher_quality:gopher:too_few_words: {counts['only_kept_a']}" in flat
    assert diff["only_kept_a"][0]["examples"][0]["url"] in printed
    assert "gopher_word_count" in printed
    assert "Stages" in printed


def test_cli_prints_and_writes_json(runs, tmp_path, capsys, wide):
    out = tmp_path / "diff.json"
    capsys.readouterr()
    assert main(["diff", runs["a"], runs["words"], "--samples", "1", "--json", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "Only kept in A" in printed
    assert f"gopher_quality.min_doc_words: 50 -> {MIN_DOC_WORDS}" in printed
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(diff_runs(runs["a"], runs["words"], samples=1)))
    assert all(len(g["examples"]) <= 1 for g in written["only_kept_a"])


def test_cli_identical_runs(runs, capsys, wide):
    capsys.readouterr()
    assert main(["diff", runs["a"], runs["a_again"]]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "Jaccard 1.0000" in printed
    assert "Both runs kept the same documents." in printed
    assert "Settings: identical" in printed


def test_bad_directory_is_a_one_line_error(runs, tmp_path, capsys):
    missing = tmp_path / "missing"
    with pytest.raises(ValueError, match="missing.*curate run"):
        diff_runs(str(missing), runs["a"])
    capsys.readouterr()
    assert main(["diff", str(missing), runs["a"]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "curate run" in err

    not_a_run = tmp_path / "not_a_run"
    (not_a_run / "data").mkdir(parents=True)
    with pytest.raises(ValueError, match="not_a_run has no stats.json"):
        diff_runs(runs["a"], str(not_a_run))


def test_tokenized_output_is_refused(runs, tmp_path):
    tokenized = tmp_path / "tokenized"
    tokenized.mkdir()
    (tokenized / "manifest.json").write_text(json.dumps({"format": "curate.tokenized/1", "shards": []}))
    with pytest.raises(ValueError, match="tokenized"):
        diff_runs(runs["a"], str(tokenized))


def test_reads_file_and_memory_urls(runs, words_diff):
    fsspec = pytest.importorskip("fsspec")
    assert diff_runs(Path(runs["a"]).as_uri(), Path(runs["words"]).as_uri(), samples=2)["counts"] == words_diff["counts"]
    memory = fsspec.filesystem("memory")
    for name in ("a", "words"):
        memory.put(runs[name], f"/curate-diff-test/{name}", recursive=True)
    try:
        remote = diff_runs("memory://curate-diff-test/a", "memory://curate-diff-test/words", samples=2)
    finally:
        memory.rm("/curate-diff-test", recursive=True)
    assert remote["counts"] == words_diff["counts"]
    assert remote["only_kept_a"] == words_diff["only_kept_a"]
    assert remote["settings"] == words_diff["settings"]
