"""The columns and the drop reason the ``decontaminate`` stage writes."""

from __future__ import annotations

BENCHMARKS = "contamination_benchmarks"
NGRAMS = "contamination_ngrams"
FRACTION = "contamination_fraction"
ITEMS = "contamination_items"
REMOVED_CHARS = "contamination_removed_chars"
REASON_PREFIX = "contaminated:"
