"""Checks of a pipeline as a whole, run before any work: settings that depend on each other.

- ``extract_html``'s ``prefilter_languages: auto`` takes the languages the later
  ``language_filter`` stages keep (:func:`resolve_prefilter_languages`);
- filters whose rules cover some languages only are warned about when the pipeline lets
  other languages reach them (:func:`language_support_warnings`).

Each stage's own settings are checked by :mod:`curate.settings` and ``Stage.validate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curate.pipeline import Pipeline


def resolve_prefilter_languages(pipeline: Pipeline) -> list[str]:
    """``prefilter_languages: auto`` (``extract_html``'s cascade) takes the languages the
    pipeline's later ``language_filter`` stages keep, so the two cannot drift apart; with no
    language filter after it the cascade is off.  Returns notes saying what was chosen."""
    notes = []
    for i, stage in enumerate(pipeline.stages):
        if getattr(stage, "prefilter_languages", None) != ["auto"]:
            continue
        later = _languages_kept_after(pipeline, i)
        stage.prefilter_languages = sorted(later) if later else None  # type: ignore[attr-defined]
        if not later:
            notes.append(f"{stage.stage_id}: prefilter_languages is auto but no language_filter follows; the cascade is off")
    return notes


def _languages_kept_after(pipeline: Pipeline, index: int) -> set[str]:
    """The languages the ``language_filter`` stages after stage ``index`` keep (any of them)."""
    return {lang for s in pipeline.stages[index + 1:] if s.name == "language_filter" for lang in getattr(s, "languages", None) or []}


def language_support_warnings(pipeline: Pipeline) -> list[str]:
    """Filters whose rules do not cover the languages an earlier language filter keeps."""
    kept: set[str] | None = None  # None: any language may reach this point
    warnings = []
    for i, stage in enumerate(pipeline.stages):
        prefilter: list[str] | None = getattr(stage, "prefilter_languages", None)
        if not prefilter:
            continue
        lost = _languages_kept_after(pipeline, i) - set(prefilter)
        if lost:
            warnings.append(
                f"{stage.stage_id}'s prefilter_languages ({', '.join(prefilter)}) rejects pages in "
                f"{', '.join(sorted(lost))}, which language_filter keeps; add them to prefilter_languages"
            )
    for stage in pipeline.stages:
        languages = getattr(stage, "languages", None)
        if stage.name == "language_filter" and languages:
            kept = set(languages) if kept is None else kept & set(languages)
            continue
        supported = stage.supported_languages
        if supported is None:
            continue
        if kept is None:
            warnings.append(
                f"{stage.stage_id} supports {', '.join(supported)} only, but no language_filter before it "
                "restricts the languages it sees"
            )
        elif not kept <= set(supported):
            warnings.append(
                f"{stage.stage_id} supports {', '.join(supported)} only, but the pipeline keeps "
                f"{', '.join(sorted(kept - set(supported)))} as well"
            )
    return warnings


__all__ = ["language_support_warnings", "resolve_prefilter_languages"]
