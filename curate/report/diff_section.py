"""The report's comparison section (``curate report A -o r.html --diff B``), built from
:func:`curate.diff.diff_runs`: the counts, the settings that differ, and the documents only one
run kept, grouped by the other run's ``stage:reason`` (a table, a bar chart, examples)."""

from __future__ import annotations

from typing import Any

from curate.report.charts import DROPPED_COLOR, KEPT_COLOR, grouped_bars
from curate.report.page import chart, document, esc, table

COUNT_LABELS = (
    ("kept_a", "kept in A"), ("kept_b", "kept in B"), ("kept_both", "kept in both"),
    ("only_kept_a", "only kept in A"), ("only_kept_b", "only kept in B"), ("jaccard", "Jaccard of kept ids"),
    ("only_in_output_a", "only in A's output"), ("only_in_output_b", "only in B's output"),
    ("rejected_both", "rejected in both"), ("rejected_both_differently", "rejected in both, differently"),
)


def reason_label(group: dict[str, Any]) -> str:
    """A group's ``dropped_by:reason`` as one label (``(not in the output)`` when both are None)."""
    stage, reason = group.get("dropped_by"), group.get("reason")
    if stage is None and reason is None:
        return "(not in the output)"
    return f"{stage if stage is not None else '?'}:{reason if reason is not None else '?'}"


def only_kept_chart(diff: dict[str, Any]) -> dict[str, Any]:
    """A Vega-Lite bar chart spec: documents only one run kept, per the other run's
    ``stage:reason``, one colour per side."""
    values = [{"side": f"only kept in {side.upper()}", "reason": reason_label(g), "documents": g["count"]}
              for side in ("a", "b") for g in diff[f"only_kept_{side}"]]
    return grouped_bars("documents only one run kept, by the other run's reason", values, "reason", "side",
                        "documents", ["only kept in A", "only kept in B"], [KEPT_COLOR, DROPPED_COLOR], "documents",
                        "-x")


def _example(example: dict[str, Any]) -> str:
    """One example document (escaped by :func:`document`) with its scores in A and B as a table."""
    doc = {k: example.get(k) for k in ("id", "url", "text")}
    scores = example.get("scores") or {}
    rows = [[column, pair.get("a"), pair.get("b")] for column, pair in scores.items()]
    return document(doc) + (table(["score", "A", "B"], rows, {1, 2}) if rows else "")


def diff_section(diff: dict[str, Any], specs: dict[str, Any]) -> str:
    """The comparison section's HTML from the dict of :func:`curate.diff.diff_runs`; adds the
    ``diff-only-kept`` spec to ``specs`` when either run kept documents the other did not."""
    counts = diff["counts"]
    parts = ['<h2 id="diff">Compared with another run</h2>',
             f"<p>A: {esc(diff['run_a'])} ({esc(diff.get('pipeline_a'))}); "
             f"B: {esc(diff['run_b'])} ({esc(diff.get('pipeline_b'))}). Documents are matched by id.</p>",
             table(["", "documents"], [[label, counts.get(key)] for key, label in COUNT_LABELS if key in counts], {1}),
             "<h3>Settings that differ</h3>"]
    if not diff.get("settings_recorded"):
        parts.append("<p class=note>An output does not record its pipeline (manifest.json).</p>")
    elif diff.get("settings"):
        parts.append(table(["setting", "A", "B"], [[s["setting"], str(s["a"]), str(s["b"])]
                                                  for s in diff["settings"]]))
    else:
        parts.append("<p class=note>None: both ran with the same settings.</p>")
    groups = [(side, g) for side in ("a", "b") for g in diff[f"only_kept_{side}"]]
    if groups:
        specs["diff-only-kept"] = only_kept_chart(diff)
        parts += ["<h3>Documents only one run kept</h3>",
                  "<p class=note>Grouped by the stage and reason of the run that did not keep them.</p>",
                  table(["kept only in", "dropped by the other run as", "documents"],
                        [[side.upper(), reason_label(g), g["count"]] for side, g in groups], {2}),
                  chart("diff-only-kept")]
        for side, g in groups:
            other = "B" if side == "a" else "A"
            parts.append(f"<h4>Only kept in {side.upper()}; {other}: {esc(reason_label(g))} "
                         f"({g['count']:,} documents)</h4>")
            parts += [_example(e) for e in g.get("examples", [])]
    else:
        parts.append("<p class=note>Both runs kept the same documents.</p>")
    if diff.get("rejected_differently"):
        parts += ["<h3>Rejected by both, for different reasons</h3>",
                  table(["A", "B", "documents"], [[r["a"], r["b"], r["count"]] for r in diff["rejected_differently"]], {2})]
    return "".join(parts)
