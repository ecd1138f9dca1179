"""``curate train-classifier``: train a fastText document classifier from labelled data.

Reads JSONL or Parquet rows with a text and a label column, holds out a stratified,
seeded share of them, trains a supervised fastText model on the rest (text prepared by
:func:`curate.filters.classifier.prepare_text`, exactly as ``fasttext_classifier`` prepares
it at inference), measures it on the held-out rows through the same prediction call the
filter makes, and writes ``<name>.bin`` (optionally a quantized ``<name>.ftz``) and a JSON
report ``<name>.json`` beside it.

Training needs the full fastText bindings (``pip install 'curate[train]'``); curate's own
``fasttext-predict`` only predicts.  Both install the module ``fasttext``: the one installed
last wins, and the full one also serves inference.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curate.filters.classifier import (
    DEFAULT_MAX_CHARS,
    LABEL_PREFIX,
    label_probabilities,
    load_fasttext_model,
    prepare_text,
)
from curate.stage import MissingDependencyError

TRAIN_EXTRA = "pip install 'curate[train]'"
TRAINING_PACKAGE = "fasttext-numpy2-wheel"
LOSSES = ("softmax", "hs", "ova", "ns")
THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 10))
# fastText after its 0.9.2 release (fasttext-numpy2-wheel, fasttext 0.9.3, fasttext-modern;
# not the older fasttext-wheel 0.9.2, whose predict() fails under numpy 2) fills its input matrix in ten blocks, one per training thread
# (DenseMatrix::uniformThread), so with fewer than ten threads most rows keep whatever the
# allocator handed out: zeros for large fresh allocations, but garbage (and "Encountered NaN")
# for small models or memory reused in a long-lived process.  Eleven threads cover all ten
# blocks and the remainder.  Training then runs hogwild, so results vary slightly between runs.
MIN_THREADS = 11
# Label names read as "the positive class" when --positive-label is not given.
_POSITIVE_NAMES = ("1", "hq", "true", "yes", "pos", "positive")


@dataclass
class TrainSettings:
    """fastText's supervised-training settings.

    fastText's defaults, except: word bigrams (as DCLM's quality classifier), and 25 epochs at
    learning rate 0.5 instead of 5 at 0.1, which leave a few thousand labelled documents
    underfitted (on DCLM's 499 human quality labels: held-out accuracy 0.56 against 0.78).  With
    hundreds of thousands of documents, ``epoch=5`` is enough and five times faster.

    ``seed`` seeds the held-out split and fastText's initialisation; training itself runs on
    several threads (see ``MIN_THREADS``), so two runs can differ slightly.
    """

    epoch: int = 25
    lr: float = 0.5
    word_ngrams: int = 2
    dim: int = 100
    min_count: int = 1
    loss: str = "softmax"
    bucket: int = 2_000_000
    threads: int = MIN_THREADS  # fewer are raised to MIN_THREADS
    seed: int = 0


@dataclass
class TrainResult:
    model: Path
    report_path: Path
    report: dict[str, Any] = field(default_factory=dict)


def training_fasttext() -> Any:
    """The ``fasttext`` module if it can train; a one-line error naming the extra otherwise."""
    try:
        import fasttext
    except ImportError as exc:
        raise MissingDependencyError(
            f"training a classifier needs fastText with training support: {TRAIN_EXTRA}"
        ) from exc
    if not hasattr(fasttext, "train_supervised"):
        raise MissingDependencyError(
            "training a classifier needs fastText with training support, but the installed "
            f"'fasttext' module is fasttext-predict (inference only): {TRAIN_EXTRA} (if it "
            f"is installed, fasttext-predict was installed over it: "
            f"pip install --force-reinstall --no-deps {TRAINING_PACKAGE})"
        )
    return fasttext


# -- reading -------------------------------------------------------------------------------


def label_name(value: Any) -> str | None:
    """A label value (0/1, bool, string) as a fastText label name; None for a missing one."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    name = "_".join(str(value).split()).removeprefix(LABEL_PREFIX)
    return name or None


def read_labelled(path: str | Path, text_field: str, label_field: str) -> tuple[list[Any], list[Any]]:
    """Texts and raw labels of a JSONL (``.jsonl``, ``.json``, ``.gz``) or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file {path} does not exist")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
        missing = [f for f in (text_field, label_field) if f not in names]
        if missing:
            raise ValueError(f"{path} has no column {missing[0]!r} (columns: {', '.join(names)})")
        table = pq.read_table(path, columns=[text_field, label_field])
        return table[text_field].to_pylist(), table[label_field].to_pylist()
    texts: list[Any] = []
    labels: list[Any] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON line ({exc.msg})") from exc
            if not isinstance(row, dict) or text_field not in row or label_field not in row:
                fields = ", ".join(row) if isinstance(row, dict) else type(row).__name__
                raise ValueError(
                    f"{path}:{number}: needs the fields {text_field!r} and {label_field!r} "
                    f"(found: {fields}); set --text-field / --label-field"
                )
            texts.append(row[text_field])
            labels.append(row[label_field])
    return texts, labels


def deduplicate(lines: list[str], gold: list[str]) -> tuple[list[str], list[str], int, int]:
    """One row per distinct prepared text, so no held-out text is also trained on.

    Returns the rows left, the number of duplicate rows removed, and the number of texts
    dropped because their copies carry different labels.
    """
    labels_of: dict[str, set[str]] = {}
    for line, name in zip(lines, gold):
        labels_of.setdefault(line, set()).add(name)
    kept_lines = [line for line, names in labels_of.items() if len(names) == 1]
    kept_gold = [next(iter(labels_of[line])) for line in kept_lines]
    conflicting = len(labels_of) - len(kept_lines)
    return kept_lines, kept_gold, len(lines) - len(labels_of), conflicting


def stratified_split(labels: list[str], test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and held-out rows: ``test_fraction`` of each label, seeded.

    A label with at least two rows keeps at least one on each side when the fraction is
    above zero.  The training indices are shuffled (fastText learns in file order).
    """
    rng = np.random.default_rng(seed)
    array = np.asarray(labels, dtype=object)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for name in sorted(set(labels)):
        idx = np.flatnonzero(array == name)
        rng.shuffle(idx)
        n_test = int(round(len(idx) * test_fraction))
        if test_fraction > 0 and len(idx) >= 2:
            n_test = min(max(n_test, 1), len(idx) - 1)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    train_idx = np.concatenate(train)
    rng.shuffle(train_idx)
    return train_idx, np.sort(np.concatenate(test))


# -- evaluation ----------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties averaged); None without both classes."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if not n_pos or not n_neg:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts):
        ranks[order[start : start + count]] = start + (count + 1) / 2.0
    return round(float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 4)


def evaluate(
    model: Any,
    lines: list[str],
    gold: list[str],
    labels: list[str],
    positive: str | None,
    thresholds: tuple[float, ...] = THRESHOLDS,
) -> dict[str, Any]:
    """Accuracy, per-label precision/recall/F1 (top label), and for ``positive`` the
    precision/recall of keeping documents whose probability reaches each threshold."""
    probs = [label_probabilities(model, line, -1) for line in lines]
    predicted = [max(p, key=p.get) if p else "" for p in probs]
    result: dict[str, Any] = {
        "docs": len(lines),
        "accuracy": round(sum(p == g for p, g in zip(predicted, gold)) / len(lines), 4) if lines else 0.0,
        "majority_share": round(max(Counter(gold).values()) / len(gold), 4) if gold else 0.0,
        "per_label": {},
    }
    for name in labels:
        tp = sum(p == name and g == name for p, g in zip(predicted, gold))
        fp = sum(p == name and g != name for p, g in zip(predicted, gold))
        fn = sum(p != name and g == name for p, g in zip(predicted, gold))
        result["per_label"][name] = {**_prf(tp, fp, fn), "support": tp + fn}
    if positive is not None and lines:
        score = np.array([p.get(positive, 0.0) for p in probs], dtype=np.float32)
        is_pos = np.array([g == positive for g in gold])
        rows = []
        for threshold in thresholds:
            kept = score >= np.float32(threshold)
            tp = int((kept & is_pos).sum())
            row = {"threshold": threshold, **_prf(tp, int((kept & ~is_pos).sum()), int((~kept & is_pos).sum()))}
            row["kept"] = round(float(kept.mean()), 4)
            rows.append(row)
        result["positive_label"] = positive
        result["roc_auc"] = roc_auc(score.astype(np.float64), is_pos)
        result["thresholds"] = rows
    return result


# -- training ------------------------------------------------------------------------------


def training_threads(settings: TrainSettings) -> int:
    return max(settings.threads, MIN_THREADS)


def fit_fasttext(train_file: str, settings: TrainSettings, verbose: int = 0) -> Any:
    """Train a supervised fastText model on a ``__label__X text`` file."""
    fasttext = training_fasttext()
    try:
        return fasttext.train_supervised(
            input=train_file,
            epoch=settings.epoch,
            lr=settings.lr,
            wordNgrams=settings.word_ngrams,
            dim=settings.dim,
            minCount=settings.min_count,
            loss=settings.loss,
            bucket=settings.bucket,
            thread=training_threads(settings),
            seed=settings.seed,
            verbose=verbose,
        )
    except RuntimeError as exc:  # fastText raises "Encountered NaN." when training diverges
        raise ValueError(f"fastText training diverged ({exc}); lower --lr (now {settings.lr})") from exc


def _positive_label(labels: list[str], requested: str | None) -> str | None:
    if requested is not None:
        requested = label_name(requested)
        if requested not in labels:
            raise ValueError(f"--positive-label {requested!r} is not one of the labels: {', '.join(labels)}")
        return requested
    if len(labels) != 2:
        return None
    found = [name for name in labels if name.lower() in _POSITIVE_NAMES]
    return found[0] if len(found) == 1 else None


def _output_paths(output: str | Path) -> tuple[Path, Path, Path]:
    path = Path(output).expanduser().absolute()
    if path.suffix in (".ftz", ".json"):
        raise ValueError(f"--output {path}: give the .bin path; the .ftz and .json are written beside it")
    if path.suffix != ".bin":
        path = path.with_name(path.name + ".bin")
    return path, path.with_suffix(".ftz"), path.with_suffix(".json")


def train_classifier(
    inputs: list[str | Path],
    output: str | Path,
    *,
    text_field: str = "text",
    label_field: str = "label",
    test_fraction: float = 0.1,
    settings: TrainSettings | None = None,
    max_chars: int | None = DEFAULT_MAX_CHARS,
    lowercase: bool = False,
    positive_label: str | None = None,
    quantize: bool = False,
    verbose: int = 1,
) -> TrainResult:
    """Train, evaluate on the held-out split, and save the model and its JSON report."""
    settings = settings or TrainSettings()
    if not inputs:
        raise ValueError("give at least one labelled JSONL or Parquet file")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"--test-fraction {test_fraction} must be in [0, 1)")
    if settings.loss not in LOSSES:
        raise ValueError(f"--loss {settings.loss!r} must be one of {', '.join(LOSSES)}")
    model_path, ftz_path, report_path = _output_paths(output)
    training_fasttext()

    lines: list[str] = []
    gold: list[str] = []
    skipped = 0
    for path in inputs:
        texts, raw = read_labelled(path, text_field, label_field)
        for text, value in zip(texts, raw):
            name = label_name(value)
            line = prepare_text(text if isinstance(text, str) else None, max_chars=max_chars, lowercase=lowercase)
            if name is None or not line.strip():
                skipped += 1
                continue
            lines.append(line)
            gold.append(name)
    lines, gold, duplicates, conflicting = deduplicate(lines, gold)
    labels = sorted(set(gold))
    if len(labels) < 2:
        raise ValueError(f"training needs at least two labels; found {labels or 'none'} in {len(lines)} usable rows")
    positive = _positive_label(labels, positive_label)
    train_idx, test_idx = stratified_split(gold, test_fraction, settings.seed)

    model_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="curate-train-") as tmp:
        train_file = os.path.join(tmp, "train.txt")
        with open(train_file, "w", encoding="utf-8") as f:
            for i in train_idx:
                f.write(f"{LABEL_PREFIX}{gold[i]} {lines[i]}\n")
        model = fit_fasttext(train_file, settings, verbose)
        model.save_model(str(model_path))
        if quantize:
            model.quantize(input=train_file, retrain=True, qnorm=True, cutoff=100_000, thread=training_threads(settings), verbose=verbose)
            model.save_model(str(ftz_path))

    test_lines = [lines[i] for i in test_idx]
    test_gold = [gold[i] for i in test_idx]
    # Measure the saved file through the filter's own loader and prediction call.
    held_out = evaluate(load_fasttext_model(str(model_path)), test_lines, test_gold, labels, positive) if len(test_idx) else None
    report: dict[str, Any] = {
        "model": str(model_path),
        "quantized_model": str(ftz_path) if quantize else None,
        "inputs": [str(p) for p in inputs],
        "text_field": text_field,
        "label_field": label_field,
        "labels": {
            name: {"train": sum(gold[i] == name for i in train_idx), "test": sum(gold[i] == name for i in test_idx)}
            for name in labels
        },
        "skipped_rows": skipped,
        "duplicate_rows": duplicates,
        "conflicting_texts": conflicting,
        "test_fraction": test_fraction,
        "preprocessing": {"max_chars": max_chars, "lowercase": lowercase},
        "training": asdict(settings),
        "held_out": held_out,
    }
    if quantize and len(test_idx):
        report["held_out_quantized"] = evaluate(load_fasttext_model(str(ftz_path)), test_lines, test_gold, labels, positive)
    stage: dict[str, Any] = {"model": str(model_path), "class_label": positive or labels[-1], "threshold": 0.5}
    if max_chars != DEFAULT_MAX_CHARS:
        stage["max_chars"] = max_chars
    if lowercase:
        stage["lowercase"] = True
    report["filter"] = {"fasttext_classifier": stage}
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return TrainResult(model=model_path, report_path=report_path, report=report)


# -- printing ------------------------------------------------------------------------------


def format_report(report: dict[str, Any]) -> str:
    """The report as a few readable lines."""
    out = []
    counts = ", ".join(f"{name}: {c['train']} train / {c['test']} test" for name, c in report["labels"].items())
    out.append(f"labels      {counts}")
    dropped = [
        f"{report['skipped_rows']} rows without text or label" if report["skipped_rows"] else "",
        f"{report['duplicate_rows']} duplicate rows" if report["duplicate_rows"] else "",
        f"{report['conflicting_texts']} texts with conflicting labels" if report["conflicting_texts"] else "",
    ]
    if any(dropped):
        out.append(f"left out    {', '.join(d for d in dropped if d)}")
    for key, title in (("held_out", "held-out"), ("held_out_quantized", "held-out .ftz")):
        result = report.get(key)
        if not result:
            continue
        out.append(f"{title:<11} {result['docs']} docs, accuracy {result['accuracy']:.3f}")
        if result["accuracy"] <= result["majority_share"]:
            out.append(
                "  note: no better than always answering the commonest label; "
                "try more training (--epoch, --lr) or more labelled data"
            )
        for name, m in result["per_label"].items():
            out.append(
                f"  label {name:<10} precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
                f"f1 {m['f1']:.3f}  support {m['support']}"
            )
        if result.get("thresholds"):
            auc = result["roc_auc"]
            out.append(f"  keep if P({result['positive_label']}) >= t" + (f"   (ROC AUC {auc:.3f})" if auc is not None else ""))
            for row in result["thresholds"]:
                out.append(
                    f"    t={row['threshold']:.1f}  precision {row['precision']:.3f}  recall {row['recall']:.3f}  "
                    f"f1 {row['f1']:.3f}  kept {row['kept']:.1%}"
                )
    if not report.get("held_out"):
        out.append("held-out    none (--test-fraction 0)")
    out.append(f"model       {report['model']}")
    if report.get("quantized_model"):
        out.append(f"quantized   {report['quantized_model']}")
    stage = report["filter"]["fasttext_classifier"]
    settings = ", ".join(f"{k}: {json.dumps(v)}" for k, v in stage.items())
    out.append(f"use it      - fasttext_classifier: {{{settings}}}")
    return "\n".join(out)


