"""The report's decontamination section: per benchmark, the documents that overlap it (kept,
dropped, cut) and the benchmark items touched, from ``stats.json``'s ``decontamination``
figures (counted over the whole output by :mod:`curate.decontam.summary`, so exact)."""

from __future__ import annotations

from typing import Any

from curate.report.charts import DROPPED_COLOR, KEPT_COLOR, grouped_bars
from curate.report.page import chart, esc, table


def decontamination_section(stats: dict[str, Any], specs: dict[str, Any]) -> str:
    """HTML for every ``decontaminate`` stage of the run; empty when there is none."""
    parts: list[str] = []
    for i, (stage, info) in enumerate((stats.get("decontamination") or {}).items()):
        index = info.get("index") or {}
        benchmarks = info.get("benchmarks") or {}
        rows = [[name, b.get("documents", 0), b.get("documents_kept", 0), b.get("documents_dropped", 0),
                 b.get("documents_cut", 0), b.get("items_touched", 0), b.get("items", 0), b.get("items_too_short", 0)]
                for name, b in benchmarks.items()]
        values = [{"benchmark": name, "set": s, "documents": b.get(f"documents_{s}", 0)}
                  for name, b in benchmarks.items() for s in ("kept", "dropped")]
        spec_id = f"decontamination-{i}"
        specs[spec_id] = grouped_bars("documents per benchmark", values, "benchmark", "set", "documents", ["kept", "dropped"],
                                      [KEPT_COLOR, DROPPED_COLOR], "documents that overlap the benchmark", list(benchmarks))
        how = (f"policy {info.get('policy')}, {info.get('ngram')}-word n-grams (items shorter than that matched whole "
               f"down to {info.get('min_ngram')} words); index of {index.get('entries', 0):,} n-grams "
               f"({index.get('bytes', 0) / 2**20:.1f} MiB, {'joined by hash partition' if index.get('partitioned') else 'loaded in every worker'}); "
               f"chance of a false match per n-gram {index.get('false_positive_rate_per_ngram', 0):.1e}")
        parts += [f'<h3>{esc(stage)}</h3><p class=note>{esc(how)}. Counted over the whole output: '
                  f'{info.get("documents_flagged", 0):,} documents overlap a benchmark, {info.get("documents_dropped", 0):,} '
                  f'dropped, {info.get("documents_cut", 0):,} kept with spans cut.</p>',
                  table(["benchmark", "documents", "kept", "dropped", "cut", "items touched", "items", "items too short"],
                        rows, {1, 2, 3, 4, 5, 6, 7}),
                  chart(spec_id)]
    if not parts:
        return ""
    return '<h2 id="decontamination">Decontamination</h2>' + "".join(parts)


__all__ = ["decontamination_section"]
