"""Keep documents in the configured languages."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.stage import Filter


@register
class LanguageFilter(Filter):
    """Keep documents whose ``language`` is one of ``languages`` with a score of at least
    ``min_score`` (a number, or a mapping language -> threshold).

    Needs ``fasttext_language_id`` earlier in the pipeline.  Drops with
    ``wrong_language`` or ``low_language_score``.  FineWeb (Penedo et al. 2024) keeps
    English above 0.65, the default here.  An empty ``languages`` keeps every language
    above the threshold.
    """

    languages: list[str] | None = None
    min_score: float | dict[str, float] = 0.65
    language_column: str = "language"
    score_column_name: str = "language_score"

    write_scores = False

    def score(self, batch: pa.Table) -> pa.Table:
        return batch.select([self.language_column, self.score_column_name])

    def keep(self, score: pa.Table) -> pa.Array:
        language = score[self.language_column]
        value = pc.fill_null(score[self.score_column_name], 0.0)
        if isinstance(self.min_score, dict):
            default = float(self.min_score.get("default", 0.0))
            keys = [k for k in self.min_score if k != "default"]
            thresholds = pc.fill_null(
                pc.take(
                    pa.array([float(self.min_score[k]) for k in keys], pa.float64()),
                    pc.index_in(language, value_set=pa.array(keys, pa.string())),
                ),
                default,
            )
        else:
            thresholds = pa.scalar(float(self.min_score))
        # Scores are float32: 0.65 is stored as 0.6499999762, so compare with a tolerance.
        low = pc.less(pc.add(value, 1e-6), thresholds)
        if self.languages:
            wrong = pc.invert(pc.fill_null(pc.is_in(language, value_set=pa.array(self.languages, pa.string())), False))
        else:
            wrong = pc.is_null(language)
        none = pa.scalar(None, pa.string())
        return pc.if_else(wrong, "wrong_language", pc.if_else(low, "low_language_score", none))
