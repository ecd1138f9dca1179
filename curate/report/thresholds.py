"""Which setting of which stage is a threshold on which score column.

Only mappings read from the filters' code are listed (``filters/gopher.py``, ``c4.py``,
``fineweb.py``, ``language.py``, ``books.py``); a score without an entry gets no threshold on its chart
and no what-if curve.  ``"min"``: a document is dropped below the value; ``"max"``: above.
"""

from __future__ import annotations

from typing import Any

# stage -> setting -> (score column, direction, reason): the reason is the one a document gets
# when that rule is the first it fails (``first_failure`` in the filters); the [n, fraction] pairs
# of gopher_repetition are added in :func:`thresholds_from_manifest`.
THRESHOLDS: dict[str, dict[str, tuple[str, str, str]]] = {
    "language_filter": {
        "min_score": ("language_score", "min", "low_language_score"),
    },
    "gopher_quality": {
        "min_doc_words": ("gopher_word_count", "min", "gopher:too_few_words"),
        "max_doc_words": ("gopher_word_count", "max", "gopher:too_many_words"),
        "min_avg_word_length": ("gopher_mean_word_length", "min", "gopher:mean_word_length_too_low"),
        "max_avg_word_length": ("gopher_mean_word_length", "max", "gopher:mean_word_length_too_high"),
        "max_bullet_lines_ratio": ("gopher_bullet_lines_frac", "max", "gopher:too_many_bullet_lines"),
        "max_ellipsis_lines_ratio": ("gopher_ellipsis_lines_frac", "max", "gopher:too_many_ellipsis_lines"),
        "min_alpha_words_ratio": ("gopher_alpha_words_frac", "min", "gopher:too_few_alpha_words"),
        "min_stop_words": ("gopher_stop_word_count", "min", "gopher:too_few_stop_words"),
    },
    "gopher_repetition": {
        "dup_line_frac": ("gopher_dup_line_frac", "max", "gopher:dup_line_frac"),
        "dup_para_frac": ("gopher_dup_para_frac", "max", "gopher:dup_para_frac"),
        "dup_line_char_frac": ("gopher_dup_line_char_frac", "max", "gopher:dup_line_char_frac"),
        "dup_para_char_frac": ("gopher_dup_para_char_frac", "max", "gopher:dup_para_char_frac"),
    },
    "c4_quality": {
        "min_num_sentences": ("c4_sentence_count", "min", "c4:too_few_sentences"),
    },
    "fineweb_quality": {
        "line_punct_thr": ("fineweb_line_punct_ratio", "min", "fineweb:line_punct_ratio"),
        "short_line_thr": ("fineweb_short_line_ratio", "max", "fineweb:short_line_ratio"),
        "char_duplicates_ratio": ("fineweb_char_dup_ratio", "max", "fineweb:char_dup_ratio"),
        "new_line_ratio": ("fineweb_list_ratio", "max", "fineweb:list_ratio"),
    },
    "book_quality": {
        "min_words": ("book_word_count", "min", "book_quality:too_few_words"),
        "max_symbol_ratio": ("book_symbol_ratio", "max", "book_quality:symbol_ratio"),
        "min_plain_word_ratio": ("book_plain_word_ratio", "min", "book_quality:plain_word_ratio"),
        "min_mean_word_length": ("book_mean_word_length", "min", "book_quality:mean_word_length"),
        "max_mean_word_length": ("book_mean_word_length", "max", "book_quality:mean_word_length"),
        "max_garbage_line_ratio": ("book_garbage_line_ratio", "max", "book_quality:garbage_lines"),
    },
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def thresholds_from_manifest(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The thresholds of the pipeline as it ran (``manifest["pipeline"]["stages"]``): one dict
    per mapped numeric setting, with ``stage`` (its label, else its name), ``position`` (index
    among the stages), ``setting``, ``column``, ``direction``, ``value`` and ``reason`` (the
    reject reason of that rule).  Empty when the manifest records no
    pipeline."""
    out: list[dict[str, Any]] = []
    stages = (manifest.get("pipeline") or {}).get("stages") or []
    for position, entry in enumerate(stages):
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        (name, settings), = entry.items()
        settings = settings or {}
        label = settings.get("label") or name
        found: list[tuple[str, str, str, str, Any]] = [
            (setting, column, direction, reason, settings.get(setting))
            for setting, (column, direction, reason) in THRESHOLDS.get(name, {}).items()]
        if name == "gopher_repetition":  # [[n, fraction], ...] pairs
            for key, template in (("top_n_grams", "gopher_top_{}_gram_char_frac"), ("dup_n_grams", "gopher_dup_{}_gram_char_frac")):
                for pair in settings.get(key) or []:
                    if isinstance(pair, (list, tuple)) and len(pair) == 2:
                        found.append((f"{key}[{pair[0]}]", template.format(pair[0]), "max",
                                      f"gopher:{key[:3]}_{pair[0]}_gram", pair[1]))
        for setting, column, direction, reason, value in found:
            if _number(value):
                out.append({"stage": label, "position": position, "setting": setting, "column": column,
                            "direction": direction, "value": float(value), "reason": reason})
    return out
