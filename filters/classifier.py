"""Keep or drop documents by the probability a fastText classifier gives one of its labels.

The same :func:`prepare_text` turns a document into the line fastText reads at training
(``curate train-classifier``) and at inference (:class:`FastTextClassifierFilter`), so a
model trained here sees at inference exactly what it saw in training.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Filter, Resources, require

LABEL_PREFIX = "__label__"
# Enough for nearly every web document whole, while bounding pathological ones.
DEFAULT_MAX_CHARS = 100_000
# fastText's .bin/.ftz header: magic number and version (fastText >= 0.9 writes 12).
_FASTTEXT_MAGIC = 793712314


def prepare_text(text: str | None, *, max_chars: int | None = DEFAULT_MAX_CHARS, lowercase: bool = False) -> str:
    """The single line fastText classifies for ``text``, at training and at inference alike.

    fastText reads one document per line (a newline ends the example), so lines are joined
    with single spaces, as DCLM does for its quality classifier (``" ".join(text.strip()
    .splitlines())``).  Only the first ``max_chars`` characters are used (None: all).
    ``__label__`` inside the text is defused, since fastText would read such a word as an
    extra label of the training example.  ``lowercase`` is off by default (DCLM's public
    models were trained on cased text); a model trained with it must be run with it.
    """
    if not text:
        return ""
    if max_chars is not None and max_chars >= 0:
        text = text[:max_chars]
    line = " ".join(text.strip().splitlines())
    if LABEL_PREFIX in line:
        line = line.replace(LABEL_PREFIX, "label__")
    return line.lower() if lowercase else line


def load_fasttext_model(path: str) -> Any:
    """Load a fastText model with whichever ``fasttext`` module is installed.

    ``fasttext-predict`` (inference only, curate's default) and the full fastText bindings
    from ``curate[train]`` install the same module name; both have ``_FastText`` and the
    ``f.predict(line, k, threshold, on_unicode_error)`` call used here.
    """
    require("fasttext", package="fasttext-predict")
    from fasttext.FastText import _FastText  # not load_model: the full one prints a warning

    return _FastText(model_path=path)


def label_probabilities(model: Any, line: str, k: int = -1) -> dict[str, float]:
    """Label (without ``__label__``) -> probability for one prepared line.

    fasttext-predict's batch call returns labels without probabilities, so this is one
    C++ call per document.  ``k=-1`` asks for every label; a model trained with
    hierarchical softmax (``loss hs``) still leaves out labels below a probability of
    about 1e-5.
    """
    return {
        name.removeprefix(LABEL_PREFIX): prob
        for prob, name in model.f.predict(line + "\n", k, 0.0, "replace")
    }


def read_fasttext_labels(path: str | os.PathLike[str]) -> list[str]:
    """The labels (without ``__label__``) stored in a fastText ``.bin``/``.ftz`` file.

    Reads the dictionary at the start of the file (fasttext-predict has no ``get_labels``);
    labels are stored after the words.
    """
    with open(path, "rb") as f:
        magic, _version = struct.unpack("<ii", f.read(8))
        if magic != _FASTTEXT_MAGIC:
            raise ValueError(f"{path} is not a fastText model file")
        f.read(12 * 4 + 8)  # the training arguments: 12 int32 and one double
        size, nwords, nlabels = struct.unpack("<iii", f.read(12))
        f.read(16)  # ntokens, pruneidx_size (int64 each)
        buffer = b""
        labels: list[str] = []
        for index in range(size):
            while (end := buffer.find(b"\0")) < 0 or len(buffer) < end + 10:
                chunk = f.read(1 << 20)
                if not chunk:
                    raise ValueError(f"{path}: truncated fastText dictionary")
                buffer += chunk
            word = buffer[:end]
            buffer = buffer[end + 10 :]  # the word's NUL, int64 count, int8 entry type
            if index >= nwords:
                labels.append(word.decode("utf-8", "replace").removeprefix(LABEL_PREFIX))
        if len(labels) != nlabels:
            raise ValueError(f"{path}: expected {nlabels} labels, found {len(labels)}")
        return labels


def resolve_model(model: str) -> str:
    """A local path for ``model`` (a path, ``~``-path or fsspec URL, cached once)."""
    from curate.stages.langid import resolve_model_path

    if not model:
        raise ValueError("fasttext_classifier: set 'model' to a fastText .bin/.ftz path or URL")
    return resolve_model_path(model)


@register
class FastTextClassifierFilter(Filter):
    """Keep documents by the probability a fastText classifier gives the label ``class_label``.

    ``model`` (required): a supervised fastText ``.bin``/``.ftz`` (local path or URL),
    e.g. DCLM's quality classifier (Li et al. 2024, "DataComp-LM"; labels ``hq`` / ``cc``;
    DCLM-Baseline keeps about the top 10% of its pool by ``hq`` probability), a toxicity or NSFW
    classifier, or one trained by ``curate train-classifier`` (labels as in its data,
    e.g. ``1`` / ``0``).  Each document (its first ``max_chars`` characters, lines joined
    with spaces, as in training) gets the probability of ``class_label``, written as the
    float32 column ``score_column`` (default ``<class_label>_score``).

    Drops documents scoring below ``threshold`` with ``<stage>:below_threshold``; with
    ``keep_below: true`` (toxicity-like models, where a high score is bad) it drops those
    scoring at or above it with ``<stage>:above_threshold`` instead.  ``<stage>`` is the
    stage's ``label`` when set, else ``fasttext_classifier``.  ``k`` is how many labels
    fastText returns per document: -1 (default) returns all, so the wanted probability is
    always there; with a smaller ``k`` a document whose top labels exclude
    ``class_label`` scores 0.  The stage ``label`` names this instance (statistics,
    reasons); ``class_label`` is the model's label to score.
    """

    name = "fasttext_classifier"
    stateful = True
    resources = Resources(cpus=1)

    model: str
    class_label: str = "hq"
    threshold: float = 0.5
    keep_below: bool = False
    score_column: str | None = None  # type: ignore[misc]  # a setting here, not Filter's class default
    max_chars: int | None = DEFAULT_MAX_CHARS
    lowercase: bool = False
    k: int = -1

    def __post_init__(self) -> None:
        # Workers (possibly on other machines or in another working directory) get the
        # configuration as is: make a local path absolute here, on the driver.
        if self.model and "://" not in self.model:
            self.model = os.path.abspath(os.path.expanduser(self.model))

    @property
    def wanted_label(self) -> str:
        return str(self.class_label).removeprefix(LABEL_PREFIX)

    @property
    def output_column(self) -> str:
        return self.score_column or f"{self.wanted_label}_score"

    def validate(self) -> None:
        super().validate()
        require("fasttext", package="fasttext-predict")
        if not self.wanted_label:
            raise ValueError(f"{self.stage_id}: set 'class_label', the model label to score (e.g. hq)")
        if not 0.0 <= float(self.threshold) <= 1.0:
            raise ValueError(f"{self.stage_id}: threshold {self.threshold} is not a probability in [0, 1]")
        if self.k == 0 or self.k < -1:
            raise ValueError(f"{self.stage_id}: k must be -1 (all labels) or at least 1, not {self.k}")
        if not self.model or "://" not in self.model:
            resolve_model(self.model)  # a missing local model fails here, on the driver

    def setup(self) -> None:
        path = resolve_model(self.model)
        self._model = load_fasttext_model(path)
        if self.wanted_label not in label_probabilities(self._model, "", -1):
            # Softmax and one-vs-all models return every label above; read the file for
            # the rest (hierarchical softmax prunes improbable labels).
            labels = read_fasttext_labels(path)
            if self.wanted_label not in labels:
                raise ValueError(
                    f"{self.stage_id}: class_label {self.wanted_label!r} is not a label of "
                    f"model {self.model}; its labels are: {_some(labels)}"
                )

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        want = LABEL_PREFIX + self.wanted_label
        predict = self._model.f.predict
        texts = batch[TEXT].to_pylist()
        scores = np.zeros(len(texts), dtype=np.float32)
        for i, text in enumerate(texts):
            line = prepare_text(text, max_chars=self.max_chars, lowercase=self.lowercase)
            for prob, name in predict(line + "\n", self.k, 0.0, "replace"):
                if name == want:
                    scores[i] = prob
                    break
        return {self.output_column: pa.array(scores, pa.float32())}

    def keep(self, score: dict[str, pa.Array]) -> pa.Array:
        values = score[self.output_column]
        # Compare in float32, the type written: a score equal to the threshold counts as
        # reaching it.
        threshold = pa.scalar(float(self.threshold), pa.float32())
        none = pa.scalar(None, pa.string())
        if self.keep_below:
            return pc.if_else(pc.greater_equal(values, threshold), f"{self.stage_id}:above_threshold", none)
        return pc.if_else(pc.less(values, threshold), f"{self.stage_id}:below_threshold", none)



def _some(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"
