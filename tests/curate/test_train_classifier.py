"""``curate train-classifier``: train a fastText classifier from labelled JSONL/Parquet, report
held-out precision/recall, and write a model that ``fasttext_classifier`` runs.

The DCLM human quality labels (shared data) check the real use end to end; small synthetic
sets made here check the mechanics without shared data."""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import types
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from curate.filters import FastTextClassifierFilter
from curate.filters.classifier import prepare_text, read_fasttext_labels

from curate.cli import main
from curate.schema import REASON, REJECT_REASON, TEXT
from curate.stage import run_stage
from curate.train_classifier import deduplicate, evaluate, label_name, roc_auc, stratified_split

# Small, fast settings: the defaults (2M buckets x 100 dims) make an 800 MB model.
FAST = ["--dim", "16", "--bucket", "20000", "-q"]
DCLM_FILES = ("dclm-agreement_data.jsonl", "dclm-majority_data.jsonl")

GOOD_WORDS = "theorem proof analysis research experiment measurement evidence method study result".split()
SPAM_WORDS = "casino bonus cheap click viagra winner free offer deal subscribe".split()


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _synthetic_rows(n: int = 60, seed: int = 0) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    rows = [(" ".join(rng.choices(GOOD_WORDS, k=15)), True) for _ in range(n)]
    rows += [(" ".join(rng.choices(SPAM_WORDS, k=15)), False) for _ in range(n)]
    rng.shuffle(rows)
    return rows


# -- DCLM human quality labels (shared data) --------------------------------------------------


@pytest.fixture(scope="module")
def dclm(shared_data, tmp_path_factory):
    """One training run on both DCLM label files, shared by the tests below."""
    folder = shared_data / "quality-labels"
    inputs = [str(folder / name) for name in DCLM_FILES]
    model = tmp_path_factory.mktemp("dclm") / "quality.bin"
    rc, stdout, stderr = _cli(["train-classifier", *inputs, "--output", str(model), "--test-fraction", "0.2", *FAST])
    assert rc == 0, stderr
    return {"inputs": inputs, "model": model, "stdout": stdout, "report": json.loads(model.with_suffix(".json").read_text())}


def test_dclm_reports_held_out_precision_and_recall(dclm):
    report = dclm["report"]
    # The 281 agreement documents are also in the majority file: trained once, so 499
    # documents, 20% of each label held out (45 of 227 label-0, 54 of 272 label-1).
    assert report["duplicate_rows"] == 281 and report["conflicting_texts"] == 0
    assert report["labels"] == {"0": {"train": 182, "test": 45}, "1": {"train": 218, "test": 54}}
    held_out = report["held_out"]
    assert held_out["docs"] == 99
    # Over eight seeds (default sizes): accuracy 0.78 on average (lowest 0.73), ROC AUC 0.87
    # (lowest 0.78), precision and recall of each label at least 0.55.
    for label in ("0", "1"):
        metrics = held_out["per_label"][label]
        assert 0.5 <= metrics["precision"] <= 1 and 0.5 <= metrics["recall"] <= 1
    assert held_out["accuracy"] >= 0.7
    assert held_out["roc_auc"] >= 0.75
    assert [row["threshold"] for row in held_out["thresholds"]] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    kept = [row["kept"] for row in held_out["thresholds"]]
    assert kept == sorted(kept, reverse=True)  # a higher threshold never keeps more
    stdout = dclm["stdout"]
    assert "held-out    99 docs, accuracy" in stdout
    assert "label 1" in stdout and "precision" in stdout and "recall" in stdout
    assert "keep if P(1) >= t" in stdout
    assert "fasttext_classifier" in stdout


def test_dclm_model_runs_in_the_filter(dclm):
    """The saved model scores the labelled documents; the kept ones are mostly label 1."""
    rows = [json.loads(line) for path in dclm["inputs"] for line in Path(path).read_text().splitlines()]
    table = pa.table({TEXT: [row["text"] for row in rows]})
    gold = np.array([row["label"] for row in rows])
    stage = FastTextClassifierFilter(model=str(dclm["model"]), class_label="1", threshold=0.5)
    stage.validate()
    out, stats = run_stage(stage, table)
    assert out.schema.field("1_score").type == pa.float32()
    kept = np.array([reason is None for reason in out[REASON].to_pylist()])
    assert set(stats.dropped) == {"fasttext_classifier:below_threshold"}
    assert gold[kept].mean() > 0.8 > 0.2 > gold[~kept].mean()


def test_dclm_model_in_a_pipeline_run(dclm, tmp_path):
    """``curate run`` with the trained model: quality-labelled JSONL in, label-1 documents out."""
    pipeline = tmp_path / "quality.yaml"
    pipeline.write_text(
        "name: quality\n"
        "input:\n  format: jsonl\n  options: {fields: [label]}\n"
        "stages:\n"
        f"  - fasttext_classifier: {{model: {dclm['model']}, class_label: '1', threshold: 0.5, label: quality}}\n"
    )
    out = tmp_path / "out"
    rc, _, stderr = _cli(["run", str(pipeline), "--input", dclm["inputs"][0], "--output", str(out), "--executor", "local", "-q"])
    assert rc == 0, stderr
    kept = pa.concat_tables([pq.read_table(p) for p in sorted((out / "data").glob("*.parquet"))])
    rejected = pa.concat_tables([pq.read_table(p) for p in sorted((out / "rejects").glob("*.parquet"))])
    assert kept.num_rows + rejected.num_rows == 281
    assert "1_score" in kept.column_names
    assert set(rejected[REJECT_REASON].to_pylist()) == {"quality:below_threshold"}
    assert [str(v) for v in kept["label"].to_pylist()].count("1") / kept.num_rows > 0.8


# -- synthetic data: formats, fields, labels ----------------------------------------------------


def _write(path: Path, rows: list[tuple[str, bool]], text_field: str, label_field: str, kind: str) -> None:
    values = {
        "int": lambda good: int(good),
        "string": lambda good: "good" if good else "bad",
        "bool": lambda good: good,
    }[kind]
    records = [{text_field: text, label_field: values(good)} for text, good in rows]
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(records), path)
    else:
        path.write_text("".join(json.dumps(record) + "\n" for record in records))


@pytest.mark.parametrize(
    "filename, fields, kind, extra, positive, labels",
    [
        ("labels.jsonl", ("text", "label"), "int", [], "1", ["0", "1"]),
        ("labels.jsonl", ("content", "quality"), "string", ["--positive-label", "good"], "good", ["bad", "good"]),
        ("labels.parquet", ("body", "is_good"), "bool", [], "1", ["0", "1"]),
        ("labels.parquet", ("text", "label"), "string", ["--lowercase", "--max-chars", "50"], None, ["bad", "good"]),
    ],
    ids=["jsonl-01", "jsonl-strings-custom-fields", "parquet-bool", "parquet-strings-no-positive"],
)
def test_train_on_synthetic_data(tmp_path, filename, fields, kind, extra, positive, labels):
    data = tmp_path / filename
    _write(data, _synthetic_rows(), *fields, kind)
    model = tmp_path / "model"  # .bin is added
    argv = ["train-classifier", str(data), "-o", str(model), "--text-field", fields[0], "--label-field", fields[1], "--test-fraction", "0.25", *FAST, *extra]
    rc, stdout, stderr = _cli(argv)
    assert rc == 0, stderr
    report = json.loads((tmp_path / "model.json").read_text())
    assert sorted(report["labels"]) == labels
    assert {name: c["test"] for name, c in report["labels"].items()} == {name: 15 for name in labels}
    assert report["held_out"]["accuracy"] >= 0.9
    assert report["held_out"].get("positive_label") == positive
    assert sorted(read_fasttext_labels(tmp_path / "model.bin")) == labels
    settings = report["filter"]["fasttext_classifier"]
    assert settings["class_label"] == (positive or labels[-1])
    if "--lowercase" in extra:
        assert settings["lowercase"] is True and settings["max_chars"] == 50
        assert report["preprocessing"] == {"max_chars": 50, "lowercase": True}
    # The filter runs with the settings the report suggests.
    stage = FastTextClassifierFilter(**settings)
    out, _ = run_stage(stage, pa.table({TEXT: [" ".join(GOOD_WORDS), " ".join(SPAM_WORDS)]}))
    good_label = "1" if kind != "string" else "good"
    expect = [None, "fasttext_classifier:below_threshold"] if settings["class_label"] == good_label else ["fasttext_classifier:below_threshold", None]
    assert out[REASON].to_pylist() == expect


def test_quantized_model(tmp_path):
    data = tmp_path / "labels.jsonl"
    _write(data, _synthetic_rows(), "text", "label", "int")
    rc, stdout, stderr = _cli(["train-classifier", str(data), "-o", str(tmp_path / "m.bin"), "--quantize", *FAST])
    assert rc == 0, stderr
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["quantized_model"] == str(tmp_path / "m.ftz")
    assert report["held_out_quantized"]["accuracy"] >= 0.9
    assert "held-out .ftz" in stdout
    stage = FastTextClassifierFilter(model=str(tmp_path / "m.ftz"), class_label="1")
    out, _ = run_stage(stage, pa.table({TEXT: [" ".join(GOOD_WORDS), " ".join(SPAM_WORDS)]}))
    assert out[REASON].to_pylist() == [None, "fasttext_classifier:below_threshold"]


def test_no_held_out_split(tmp_path):
    data = tmp_path / "labels.jsonl"
    _write(data, _synthetic_rows(10), "text", "label", "int")
    rc, stdout, _ = _cli(["train-classifier", str(data), "-o", str(tmp_path / "m.bin"), "--test-fraction", "0", *FAST])
    assert rc == 0
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["held_out"] is None and report["labels"]["1"] == {"train": 10, "test": 0}
    assert "held-out    none" in stdout and (tmp_path / "m.bin").exists()


def test_rows_without_text_or_label_are_skipped(tmp_path):
    data = tmp_path / "labels.jsonl"
    rows = [{"text": text, "label": int(good)} for text, good in _synthetic_rows(10)]
    rows += [{"text": "", "label": 1}, {"text": None, "label": 0}, {"text": "orphan words", "label": None}]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    rc, stdout, _ = _cli(["train-classifier", str(data), "-o", str(tmp_path / "m.bin"), *FAST])
    assert rc == 0
    assert json.loads((tmp_path / "m.json").read_text())["skipped_rows"] == 3
    assert "left out    3 rows without text or label" in stdout


def test_duplicates_are_trained_once_and_conflicts_dropped(tmp_path):
    """The same text in two files (as DCLM's agreement set inside its majority set) must not
    land on both sides of the split; a text labelled both ways is left out."""
    rows = [{"text": text, "label": int(good)} for text, good in _synthetic_rows(20)]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(row) + "\n" for row in rows))
    conflict = {"text": "casino research", "label": 1}
    second.write_text("".join(json.dumps(row) + "\n" for row in rows[:10] + [conflict, {**conflict, "label": 0}]))
    rc, stdout, _ = _cli(["train-classifier", str(first), str(second), "-o", str(tmp_path / "m.bin"), *FAST])
    assert rc == 0
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["duplicate_rows"] == 11 and report["conflicting_texts"] == 1
    assert sum(c["train"] + c["test"] for c in report["labels"].values()) == 40
    assert "11 duplicate rows, 1 texts with conflicting labels" in stdout


@pytest.mark.parametrize(
    "lines, gold, expected",
    [
        (["a", "b"], ["1", "0"], (["a", "b"], ["1", "0"], 0, 0)),
        (["a", "a", "b"], ["1", "1", "0"], (["a", "b"], ["1", "0"], 1, 0)),
        (["a", "a", "b"], ["1", "0", "0"], (["b"], ["0"], 1, 1)),
    ],
)
def test_deduplicate(lines, gold, expected):
    assert deduplicate(lines, gold) == expected


# -- errors: one line on stderr, exit status 2 --------------------------------------------------


@pytest.fixture
def labelled(tmp_path) -> Path:
    data = tmp_path / "labels.jsonl"
    _write(data, _synthetic_rows(5), "text", "label", "int")
    return data


@pytest.mark.parametrize(
    "argv, message",
    [
        (["/no/such/labels.jsonl"], "input file /no/such/labels.jsonl does not exist"),
        (["{data}", "--label-field", "quality"], "needs the fields 'text' and 'quality'"),
        (["{data}", "--test-fraction", "1"], "--test-fraction 1.0 must be in [0, 1)"),
        (["{data}", "--positive-label", "2"], "--positive-label '2' is not one of the labels: 0, 1"),
        (["{data}", "--output", "{tmp}/model.ftz"], "give the .bin path"),
    ],
    ids=["missing-file", "missing-field", "bad-fraction", "unknown-positive-label", "ftz-output"],
)
def test_cli_errors(labelled, tmp_path, argv, message):
    argv = [a.format(data=labelled, tmp=tmp_path) for a in argv]
    if "--output" not in argv:
        argv += ["--output", str(tmp_path / "model.bin")]
    rc, stdout, stderr = _cli(["train-classifier", *argv, "-q"])
    assert rc == 2
    assert stderr.startswith("curate: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert not (tmp_path / "model.bin").exists()


def test_one_label_is_an_error(tmp_path):
    data = tmp_path / "labels.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": 1}) + "\n" for t, _ in _synthetic_rows(5)))
    rc, _, stderr = _cli(["train-classifier", str(data), "-o", str(tmp_path / "m.bin"), "-q"])
    assert rc == 2 and "at least two labels" in stderr


@pytest.mark.parametrize(
    "module",
    [None, types.SimpleNamespace(load_model=lambda path: None)],
    ids=["not-installed", "only-fasttext-predict"],
)
def test_missing_training_package_names_the_extra(labelled, tmp_path, monkeypatch, module):
    monkeypatch.setitem(sys.modules, "fasttext", module)  # None makes the import fail
    rc, _, stderr = _cli(["train-classifier", str(labelled), "-o", str(tmp_path / "m.bin")])
    assert rc == 2
    assert "pip install 'curate[train]'" in stderr and stderr.count("\n") == 1


# -- pieces --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [(1, "1"), (0, "0"), (True, "1"), (False, "0"), (1.0, "1"), (0.5, "0.5"), ("hq", "hq"),
     ("__label__hq", "hq"), ("high quality", "high_quality"), (None, None), ("", None), (float("nan"), None)],
)
def test_label_name(value, expected):
    assert label_name(value) == expected


@pytest.mark.parametrize(
    "labels, fraction, expected_test",
    [
        (["a"] * 10 + ["b"] * 20, 0.1, {"a": 1, "b": 2}),
        (["a"] * 10 + ["b"] * 20, 0.5, {"a": 5, "b": 10}),
        (["a"] * 2 + ["b"] * 3, 0.1, {"a": 1, "b": 1}),  # at least one of each label held out
        (["a"] * 1 + ["b"] * 3, 0.5, {"b": 2}),  # a label seen once stays in training
        (["a"] * 4 + ["b"] * 4, 0.0, {}),
    ],
)
def test_stratified_split(labels, fraction, expected_test):
    train, test = stratified_split(labels, fraction, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(labels)))
    counts = {name: sum(labels[i] == name for i in test) for name in sorted(set(labels))}
    assert {k: v for k, v in counts.items() if v} == expected_test
    again_train, again_test = stratified_split(labels, fraction, seed=0)
    assert again_test.tolist() == test.tolist() and again_train.tolist() == train.tolist()


def test_split_depends_on_the_seed():
    labels = ["a"] * 50 + ["b"] * 50
    assert stratified_split(labels, 0.2, seed=0)[1].tolist() != stratified_split(labels, 0.2, seed=1)[1].tolist()


@pytest.mark.parametrize(
    "scores, positive, expected",
    [
        ([0.9, 0.8, 0.2, 0.1], [True, True, False, False], 1.0),
        ([0.1, 0.2, 0.8, 0.9], [True, True, False, False], 0.0),
        ([0.5, 0.5, 0.5, 0.5], [True, False, True, False], 0.5),
        ([0.9, 0.3, 0.6, 0.1], [True, False, True, False], 1.0),
        ([0.9, 0.7, 0.6, 0.1], [True, False, True, False], 0.75),
        ([0.9, 0.8], [True, True], None),
    ],
)
def test_roc_auc(scores, positive, expected):
    assert roc_auc(np.array(scores), np.array(positive)) == expected


class _FixedModel:
    """Stands in for a fastText model: each line's probabilities come from a table."""

    def __init__(self, table: dict[str, dict[str, float]]) -> None:
        self.f = self
        self.table = table

    def predict(self, line: str, k: int, threshold: float, errors: str) -> list[tuple[float, str]]:
        return [(p, "__label__" + name) for name, p in self.table[line.rstrip("\n")].items()]


def test_evaluate_counts():
    # four docs: gold 1,1,0,0; P(1) = 0.9, 0.4, 0.6, 0.1
    probs = {"a": 0.9, "b": 0.4, "c": 0.6, "d": 0.1}
    model = _FixedModel({line: {"1": p, "0": 1 - p} for line, p in probs.items()})
    result = evaluate(model, ["a", "b", "c", "d"], ["1", "1", "0", "0"], ["0", "1"], "1", thresholds=(0.3, 0.5, 0.95))
    assert result["accuracy"] == 0.5 and result["majority_share"] == 0.5
    assert result["per_label"]["1"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["per_label"]["0"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    at = {row["threshold"]: row for row in result["thresholds"]}
    assert at[0.3] == {"threshold": 0.3, "precision": 0.6667, "recall": 1.0, "f1": 0.8, "kept": 0.75}
    assert at[0.5]["precision"] == 0.5 and at[0.5]["kept"] == 0.5
    assert at[0.95] == {"threshold": 0.95, "precision": 0.0, "recall": 0.0, "f1": 0.0, "kept": 0.0}
    assert result["roc_auc"] == 0.75


def test_training_and_inference_prepare_text_alike():
    """The trainer writes prepare_text's line; the filter predicts on the same line."""
    text = "First line\r\nSecond  line\n\nThird"
    assert prepare_text(text) == "First line Second  line  Third"
