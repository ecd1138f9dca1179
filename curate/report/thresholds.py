"""Which setting of which stage is a threshold on which score column.

Only mappings read from the filters' code are listed (``filters/gopher.py``, ``c4.py``,
``fineweb.py``, ``language.py``, ``books.py``); a score without an entry gets no threshold on its chart
and no what-if curve.  ``"min"``: a document is dropped below the value; ``"max"``: above.
"""

from __future__ import annotations

from typing import Any

# stage -> setting -> (score column, direction)
THRESHOLDS: dict[str, dict[str, tuple[str, str]]] = {
    "language_filter": {"min_score": ("language_score", "min")},
    "gopher_quality": {
        "min_doc_words": ("gopher_word_count", "min"),
        "max_doc_words": ("gopher_word_count", "max"),
        "min_avg_word_length": ("gopher_mean_word_length", "min"),
        "max_avg_word_length": ("gopher_mean_word_length", "max"),
        "max_bullet_lines_ratio": ("gopher_bullet_lines_frac", "max"),
        "max_ellipsis_lines_ratio": ("gopher_ellipsis_lines_frac", "max"),
        "min_alpha_words_ratio": ("gopher_alpha_words_frac", "min"),
        "min_stop_words": ("gopher_stop_word_count", "min"),
    },
    "gopher_repetition": {
        "dup_line_frac": ("gopher_dup_line_frac", "max"),
        "dup_para_frac": ("gopher_dup_para_frac", "max"),
        "dup_line_char_frac": ("gopher_dup_line_char_frac", "max"),
        "dup_para_char_frac": ("gopher_dup_para_char_frac", "max"),
    },
    "c4_quality": {"min_num_sentences": ("c4_sentence_count", "min")},
    "fineweb_quality": {
        "line_punct_thr": ("fineweb_line_punct_ratio", "min"),
        "short_line_thr": ("fineweb_short_line_ratio", "max"),
        "char_duplicates_ratio": ("fineweb_char_dup_ratio", "max"),
        "new_line_ratio": ("fineweb_list_ratio", "max"),
    },
    "book_quality": {
        "min_words": ("book_word_count", "min"),
        "max_symbol_ratio": ("book_symbol_ratio", "max"),
        "min_plain_word_ratio": ("book_plain_word_ratio", "min"),
        "min_mean_word_length": ("book_mean_word_length", "min"),
        "max_mean_word_length": ("book_mean_word_length", "max"),
        "max_garbage_line_ratio": ("book_garbage_line_ratio", "max"),
    },
}


# stage -> setting -> the reason a document gets when that rule is the first it fails
# (``first_failure`` in the filters); the n-gram pairs of gopher_repetition are added below.
REASONS: dict[str, dict[str, str]] = {
    "language_filter": {"min_score": "low_language_score"},
    "gopher_quality": {
        "min_doc_words": "gopher:too_few_words",
        "max_doc_words": "gopher:too_many_words",
        "min_avg_word_length": "gopher:mean_word_length_too_low",
        "max_avg_word_length": "gopher:mean_word_length_too_high",
        "max_bullet_lines_ratio": "gopher:too_many_bullet_lines",
        "max_ellipsis_lines_ratio": "gopher:too_many_ellipsis_lines",
        "min_alpha_words_ratio": "gopher:too_few_alpha_words",
        "min_stop_words": "gopher:too_few_stop_words",
    },
    "gopher_repetition": {
        "dup_line_frac": "gopher:dup_line_frac",
        "dup_para_frac": "gopher:dup_para_frac",
        "dup_line_char_frac": "gopher:dup_line_char_frac",
        "dup_para_char_frac": "gopher:dup_para_char_frac",
    },
    "c4_quality": {"min_num_sentences": "c4:too_few_sentences"},
    "fineweb_quality": {
        "line_punct_thr": "fineweb:line_punct_ratio",
        "short_line_thr": "fineweb:short_line_ratio",
        "char_duplicates_ratio": "fineweb:char_dup_ratio",
        "new_line_ratio": "fineweb:list_ratio",
    },
    "book_quality": {
        "min_words": "book_quality:too_few_words",
        "max_symbol_ratio": "book_quality:symbol_ratio",
        "min_plain_word_ratio": "book_quality:plain_word_ratio",
        "min_mean_word_length": "book_quality:mean_word_length",
        "max_mean_word_length": "book_quality:mean_word_length",
        "max_garbage_line_ratio": "book_quality:garbage_lines",
    },
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def thresholds_from_manifest(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The thresholds of the pipeline as it ran (``manifest["pipeline"]["stages"]``): one dict
    per mapped numeric setting, with ``stage`` (its label, else its name), ``position`` (index
    among the stages), ``setting``, ``column``, ``direction``, ``value`` and ``reason`` (the
    reject reason of that rule, None where unknown).  Empty when the manifest records no
    pipeline."""
    out: list[dict[str, Any]] = []
    stages = (manifest.get("pipeline") or {}).get("stages") or []
    for position, entry in enumerate(stages):
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        (name, settings), = entry.items()
        settings = settings or {}
        label = settings.get("label") or name
        found: list[tuple[str, str, str, Any]] = []
        reasons = dict(REASONS.get(name, {}))
        for setting, (column, direction) in THRESHOLDS.get(name, {}).items():
            found.append((setting, column, direction, settings.get(setting)))
        if name == "gopher_repetition":  # [[n, fraction], ...] pairs
            for key, template in (("top_n_grams", "gopher_top_{}_gram_char_frac"), ("dup_n_grams", "gopher_dup_{}_gram_char_frac")):
                for pair in settings.get(key) or []:
                    if isinstance(pair, (list, tuple)) and len(pair) == 2:
                        found.append((f"{key}[{pair[0]}]", template.format(pair[0]), "max", pair[1]))
                        reasons[f"{key}[{pair[0]}]"] = f"gopher:{key[:3]}_{pair[0]}_gram"
        for setting, column, direction, value in found:
            if _number(value):
                out.append({"stage": label, "position": position, "setting": setting, "column": column,
                            "direction": direction, "value": float(value), "reason": reasons.get(setting)})
    return out
