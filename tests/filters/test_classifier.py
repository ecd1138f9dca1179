"""curate.filters.classifier: fasttext_classifier scores documents with a fastText model and
keeps them by threshold.  The models are trained here on a tiny synthetic set (milliseconds),
so nothing needs the network or shared data."""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from curate.filters import FastTextClassifierFilter
from curate.filters.classifier import (
    LABEL_PREFIX,
    prepare_text,
    read_fasttext_labels,
)

from curate.registry import build_stage, get_stage_class
from curate.schema import DROPPED_BY, REASON, TEXT
from curate.stage import run_stage
from curate.stages.langid import bundled_lid_model
from curate.train_classifier import TrainSettings, fit_fasttext

GOOD_WORDS = "theorem proof analysis research experiment measurement evidence method study result".split()
SPAM_WORDS = "casino bonus cheap click viagra winner free offer deal subscribe".split()
GOOD = "the theorem and its proof follow from careful analysis of the experiment"
SPAM = "click now casino bonus free offer cheap deal winner"
MIXED = "research study casino bonus free analysis cheap"


def _write_training_file(path: Path, labels: dict[str, list[str]], n: int = 80) -> Path:
    rng = random.Random(0)
    lines = []
    for label, words in labels.items():
        for _ in range(n):
            lines.append(f"{LABEL_PREFIX}{label} " + " ".join(rng.choices(words, k=12)))
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def _train(path: Path, **settings) -> None:
    options = {"epoch": 20, "lr": 0.5, "dim": 10, "word_ngrams": 1, **settings}
    fit_fasttext(str(path.with_suffix(".txt")), TrainSettings(**options)).save_model(str(path))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """hq/cc (softmax, like DCLM's quality model) and a three-label hierarchical-softmax one."""
    root = tmp_path_factory.mktemp("fasttext-models")
    _write_training_file(root / "quality.txt", {"hq": GOOD_WORDS, "cc": SPAM_WORDS})
    _train(root / "quality.bin")
    topics = {"science": GOOD_WORDS, "spam": SPAM_WORDS, "food": "bread cheese soup salad pasta rice bean tomato onion garlic".split()}
    _write_training_file(root / "topics.txt", topics)
    _train(root / "topics.bin", loss="hs")
    return root


@pytest.fixture(scope="module")
def quality_model(model_dir) -> str:
    return str(model_dir / "quality.bin")


def _run(stage: FastTextClassifierFilter, texts: list[str | None]) -> pa.Table:
    stage.validate()
    out, _ = run_stage(stage, pa.table({TEXT: pa.array(texts, pa.large_string())}))
    return out


KEEP = None
BELOW = "fasttext_classifier:below_threshold"
ABOVE = "fasttext_classifier:above_threshold"

# settings, [(text, expected reason)]
CASES = [
    pytest.param({"class_label": "hq", "threshold": 0.5}, [(GOOD, KEEP), (SPAM, BELOW)], id="quality-keeps-hq"),
    pytest.param({"class_label": "hq"}, [(GOOD, KEEP), (SPAM, BELOW)], id="default-threshold-0.5"),
    pytest.param({"class_label": "cc", "threshold": 0.5}, [(GOOD, BELOW), (SPAM, KEEP)], id="other-label"),
    pytest.param(
        {"class_label": "cc", "threshold": 0.5, "keep_below": True},
        [(GOOD, KEEP), (SPAM, ABOVE)],
        id="keep-below-drops-high-scores",
    ),
    pytest.param({"class_label": "hq", "threshold": 0.0}, [(GOOD, KEEP), (SPAM, KEEP)], id="threshold-0-keeps-all"),
    pytest.param(
        {"class_label": "hq", "threshold": 0.0, "keep_below": True},
        [(GOOD, ABOVE), (SPAM, ABOVE)],
        id="keep-below-0-drops-all",
    ),
    pytest.param(
        {"class_label": "hq", "label": "quality"},
        [(GOOD, KEEP), (SPAM, "quality:below_threshold")],
        id="stage-label-names-reason",
    ),
    pytest.param({"class_label": "__label__hq"}, [(GOOD, KEEP), (SPAM, BELOW)], id="label-prefix-accepted"),
    pytest.param({"class_label": "hq", "k": 1}, [(GOOD, KEEP), (SPAM, BELOW)], id="k-1"),
    pytest.param(
        {"class_label": "hq", "max_chars": 20},
        [(GOOD + " " + SPAM, KEEP), (SPAM + " " + GOOD, BELOW)],
        id="max-chars-reads-the-start",
    ),
]


@pytest.mark.parametrize("settings, rows", CASES)
def test_keep_and_drop(quality_model, settings, rows):
    stage = FastTextClassifierFilter(model=quality_model, **settings)
    out = _run(stage, [text for text, _ in rows])
    assert out[REASON].to_pylist() == [reason for _, reason in rows]
    expected_by = [None if reason is None else stage.stage_id for _, reason in rows]
    assert out[DROPPED_BY].to_pylist() == expected_by


def test_score_column_is_float32_probability(quality_model):
    texts = [GOOD, SPAM, MIXED, "", None, "line one\nline two"]
    out = _run(FastTextClassifierFilter(model=quality_model, class_label="hq"), texts)
    assert out.schema.field("hq_score").type == pa.float32()
    hq = np.array(out["hq_score"].to_pylist())
    assert ((hq >= 0) & (hq <= 1)).all()
    assert hq[0] > 0.9 > 0.1 > hq[1]
    assert hq[1] < hq[2] < hq[0]
    # Two softmax labels: the probabilities of hq and cc add up to one.
    cc = _run(FastTextClassifierFilter(model=quality_model, class_label="cc"), texts)["cc_score"].to_numpy()
    np.testing.assert_allclose(hq + cc, 1.0, atol=1e-4)
    # k=1 keeps only the top label: a document whose top label is cc scores 0 for hq.
    top1 = _run(FastTextClassifierFilter(model=quality_model, class_label="hq", k=1), [GOOD, SPAM])
    assert top1["hq_score"].to_pylist()[1] == 0.0


def test_score_column_name_is_configurable(quality_model):
    out = _run(FastTextClassifierFilter(model=quality_model, class_label="hq", score_column="quality"), [GOOD])
    assert "quality" in out.column_names and "hq_score" not in out.column_names


def test_score_equal_to_threshold_reaches_it(quality_model):
    """Scores are float32; a document scoring exactly the threshold counts as reaching it."""
    score = _run(FastTextClassifierFilter(model=quality_model), [MIXED])["hq_score"][0].as_py()
    at = _run(FastTextClassifierFilter(model=quality_model, threshold=score), [MIXED])
    assert at[REASON].to_pylist() == [KEEP]
    below = _run(FastTextClassifierFilter(model=quality_model, threshold=score, keep_below=True), [MIXED])
    assert below[REASON].to_pylist() == [ABOVE]


def test_newlines_do_not_end_the_document(quality_model):
    """fastText reads one line: a newline must not cut the document short."""
    one_line = _run(FastTextClassifierFilter(model=quality_model), [SPAM + " " + GOOD])["hq_score"][0].as_py()
    two_lines = _run(FastTextClassifierFilter(model=quality_model), [SPAM + "\n" + GOOD])["hq_score"][0].as_py()
    assert one_line == pytest.approx(two_lines)


@pytest.mark.parametrize(
    "model_name, class_label",
    [("quality.bin", "toxic"), ("topics.bin", "sports"), ("quality.bin", "HQ")],
    ids=["softmax", "hierarchical-softmax", "case-matters"],
)
def test_label_not_in_model_names_the_labels(model_dir, model_name, class_label):
    stage = FastTextClassifierFilter(model=str(model_dir / model_name), class_label=class_label)
    stage.validate()  # the driver only checks the file; the labels are read on the worker
    with pytest.raises(ValueError) as info:
        stage.ensure_setup()
    text = str(info.value)
    assert f"class_label {class_label!r} is not a label of model" in text
    assert "\n" not in text
    for label in read_fasttext_labels(model_dir / model_name):
        assert label in text


def test_hierarchical_softmax_model_scores(model_dir):
    out = _run(FastTextClassifierFilter(model=str(model_dir / "topics.bin"), class_label="food"), ["bread cheese soup salad", "casino bonus free"])
    assert out[REASON].to_pylist() == [KEEP, BELOW]


def test_label_check_reads_the_file_when_predictions_leave_it_out(model_dir, monkeypatch):
    """hs models leave labels below ~1e-5 out of predictions; then the labels come from the file."""
    import curate.filters.classifier as classifier

    monkeypatch.setattr(classifier, "label_probabilities", lambda *args, **kwargs: {})
    FastTextClassifierFilter(model=str(model_dir / "topics.bin"), class_label="food").ensure_setup()
    with pytest.raises(ValueError, match="its labels are: "):
        FastTextClassifierFilter(model=str(model_dir / "topics.bin"), class_label="sports").ensure_setup()


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"model": "/no/such/model.bin"}, FileNotFoundError, "/no/such/model.bin does not exist"),
        ({"model": ""}, ValueError, "set 'model'"),
        ({"threshold": 1.5}, ValueError, "not a probability"),
        ({"k": 0}, ValueError, "k must be -1"),
        ({"class_label": ""}, ValueError, "set 'class_label'"),
    ],
    ids=["missing-model", "no-model", "threshold-out-of-range", "k-zero", "no-label"],
)
def test_validate_fails_fast(quality_model, settings, error, message):
    stage = FastTextClassifierFilter(**{"model": quality_model, **settings})
    with pytest.raises(error, match=message):
        stage.validate()


def test_registered_as_stateful_stage(quality_model):
    assert get_stage_class("fasttext_classifier") is FastTextClassifierFilter
    assert FastTextClassifierFilter.stateful
    stage = build_stage("fasttext_classifier", {"model": quality_model, "class_label": "hq", "threshold": 0.3})
    assert stage.config()["threshold"] == 0.3 and stage.output_column == "hq_score"
    with pytest.raises(ValueError, match="model"):
        build_stage("fasttext_classifier", {})


def test_ships_to_workers_without_the_model(quality_model):
    """Ray pickles the stage: configuration only; each worker loads the model in setup()."""
    stage = FastTextClassifierFilter(model=quality_model)
    stage.ensure_setup()
    copy = pickle.loads(pickle.dumps(stage))
    assert not hasattr(copy, "_model")
    assert run_stage(copy, pa.table({TEXT: [GOOD, SPAM]}))[0][REASON].to_pylist() == [KEEP, BELOW]


@pytest.mark.parametrize(
    "text, settings, expected",
    [
        ("a\nb", {}, "a b"),
        ("  a\r\nb\rc\n\n", {}, "a b c"),
        ("a\n\nb", {}, "a  b"),
        ("Hello World", {"lowercase": True}, "hello world"),
        ("Hello World", {}, "Hello World"),
        ("abcdef", {"max_chars": 3}, "abc"),
        ("abcdef", {"max_chars": None}, "abcdef"),
        (None, {}, ""),
        ("", {}, ""),
        ("see __label__hq here", {}, "see label__hq here"),
        ("a\u2028b\x0bc", {}, "a b c"),
    ],
)
def test_prepare_text(text, settings, expected):
    line = prepare_text(text, **settings)
    assert line == expected
    assert "\n" not in line


def test_read_labels_of_quantized_lid_model():
    labels = read_fasttext_labels(bundled_lid_model())
    assert len(labels) == 176 and {"en", "de", "ja"} <= set(labels)


def test_read_labels_rejects_other_files(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a fastText model"):
        read_fasttext_labels(path)


@pytest.mark.parametrize(
    "model, expected",
    [
        ("models/quality.bin", os.path.join(os.getcwd(), "models", "quality.bin")),
        ("~/quality.bin", os.path.join(os.path.expanduser("~"), "quality.bin")),
        ("https://example.org/quality.bin", "https://example.org/quality.bin"),
        ("/abs/quality.bin", "/abs/quality.bin"),
    ],
)
def test_local_model_path_made_absolute_for_workers(model, expected):
    assert FastTextClassifierFilter(model=model).model == expected
