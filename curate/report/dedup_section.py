"""The report's deduplication section: what a dedup stage recorded, cluster sizes, and the
largest clusters with the kept document beside one removed document, differences marked.

Shown when the run had a dedup stage (``minhash_dedup`` / ``exact_dedup``, or any stage with a
summary under ``dedup`` in stats.json).  Cluster sizes come from the report's sample of
``data/`` (its ``id`` and ``duplicate_cluster_size``, see
:func:`curate.report.data.read_run_sample`); from ``rejects/`` only ``id`` and
``duplicate_of`` are read, row group by row group until every chosen cluster has a removed
member; text is read for the chosen ids only.
"""

from __future__ import annotations

import difflib
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curate.output import OutputLayout
from curate.report.charts import HEIGHT, KEPT_COLOR, WIDTH
from curate.report.data import RunSample
from curate.report.page import chart, esc, table
from curate.schema import ID, REJECT_REASON, TEXT, URL
from curate.storage import parquet_file

DEDUP_STAGE_NAMES = ("minhash_dedup", "exact_dedup")
CLUSTER_SIZE = "duplicate_cluster_size"
DUPLICATE_OF = "duplicate_of"
DIFF_TEXT_CHARS = 1500
# Text read per document for the comparison (the shown part is DIFF_TEXT_CHARS around the first difference).
DIFF_INPUT_CHARS = 50_000
# Words shown before the first difference.
CONTEXT_WORDS = 40
# Figures of a dedup summary shown first, in this order; other scalar figures follow.
FIRST_FIGURES = ("documents", "hashed", "empty", "candidate_pairs", "verified_pairs", "rejected_pairs",
                 "duplicate_groups", "clusters", "largest_cluster", "removed")


def dedup_stages(stats: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The ids of the run's dedup stages, in pipeline order: stages named ``minhash_dedup`` or
    ``exact_dedup`` (also under a label, from manifest.json) and stages with a ``dedup`` summary."""
    named = set(DEDUP_STAGE_NAMES) | set(stats.get("dedup") or {})
    pipeline = manifest.get("pipeline") if isinstance(manifest.get("pipeline"), dict) else {}
    for entry in (pipeline or {}).get("stages") or []:
        if isinstance(entry, dict) and len(entry) == 1:
            (name, settings), = entry.items()
            if name in DEDUP_STAGE_NAMES and isinstance(settings, dict) and settings.get("label"):
                named.add(str(settings["label"]))
    return [s["stage"] for s in stats.get("stages", []) if s.get("stage") in named]


def stage_figures(stats: dict[str, Any], stage: str) -> list[tuple[str, Any]]:
    """The scalar figures the dedup ``stage`` recorded (its summary under ``dedup`` in
    stats.json, less ``steps``), known ones first, plus ``dropped`` reasons from its stage
    entry as ``dropped:REASON``; a list of (figure, value)."""
    summary = (stats.get("dedup") or {}).get(stage) or {}
    scalars = {k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool)) and k != "steps"}
    order = [k for k in FIRST_FIGURES if k in scalars] + [k for k in scalars if k not in FIRST_FIGURES]
    figures = [(k, scalars[k]) for k in order]
    for entry in stats.get("stages", []):
        if entry.get("stage") == stage:
            figures += [(f"dropped: {reason}", n) for reason, n in (entry.get("dropped") or {}).items()]
    return figures


def _find_removed(layout: OutputLayout, kept_ids: list[str]) -> dict[str, str]:
    """For each of ``kept_ids``, the id of one document removed as its duplicate
    (``duplicate_of``), reading ``id`` and ``duplicate_of`` of rejects/ row group by row group
    and stopping once each has one; a dict kept id -> removed id."""
    found: dict[str, str] = {}
    wanted = pa.array(kept_ids, pa.string())
    for path in layout.part_files(layout.rejects_dir):
        pf = parquet_file(layout.fs, path)
        if DUPLICATE_OF not in pf.schema_arrow.names:
            continue
        for i in range(pf.num_row_groups):
            group = pf.read_row_group(i, columns=[ID, DUPLICATE_OF], use_threads=False)
            hits = group.filter(pc.fill_null(pc.is_in(group[DUPLICATE_OF].cast(pa.string()), value_set=wanted), False))
            for row in hits.to_pylist():
                found.setdefault(row[DUPLICATE_OF], row[ID])
            if len(found) == len(kept_ids):
                return found
    return found


def _read_ids(layout: OutputLayout, directory: str, ids: list[str], columns: list[str]) -> dict[str, dict[str, Any]]:
    """``columns`` of the rows of ``directory`` whose id is one of ``ids``; a dict id -> row."""
    table = layout.read_folder(directory, [ID, *columns], pa.array(ids, pa.string()))
    return {} if table is None else {row[ID]: row for row in reversed(table.to_pylist())}


def _cut(text: str | None) -> str:
    """``text`` cut to :data:`DIFF_INPUT_CHARS` characters (what the comparison reads)."""
    return (text or "")[:DIFF_INPUT_CHARS]


def dedup_data(run: RunSample, samples: int = 3) -> dict[str, Any] | None:
    """The dedup section's data from the output as :func:`~curate.report.data.read_run_sample`
    read it, or None when the run had no dedup stage:

    - ``stages``: per dedup stage ``{"stage", "figures": [(figure, value)]}`` (stats.json);
    - ``cluster_sizes``: ``[{"size", "clusters"}]``, kept documents (one per cluster) per
      ``duplicate_cluster_size`` in the sample of data/, ascending;
    - ``sample``: ``{"total", "used"}`` rows of data/;
    - ``clusters``: up to ``samples`` of the largest clusters of the sample (size >= 2) that
      have a removed member: ``{"size", "kept", "removed"}``, each document ``id``, ``url``,
      ``text`` (cut to :data:`DIFF_INPUT_CHARS`; the page shows about :data:`DIFF_TEXT_CHARS`), the removed one with its ``reason``.
    """
    stats, layout, kept = run.stats, run.layout, run.kept
    stages = dedup_stages(stats, run.manifest)
    if not stages:
        return None
    if kept is not None:
        kept = kept.select([c for c in (ID, CLUSTER_SIZE) if c in kept.column_names])
    sizes: list[dict[str, int]] = []
    clusters: list[dict[str, Any]] = []
    if kept is not None and CLUSTER_SIZE in kept.column_names and kept.num_rows:
        counts = pc.value_counts(pc.drop_null(kept[CLUSTER_SIZE])).to_pylist()
        sizes = sorted(({"size": int(c["values"]), "clusters": int(c["counts"])} for c in counts), key=lambda c: c["size"])
        order = pc.array_sort_indices(pc.fill_null(kept[CLUSTER_SIZE], 0), order="descending")
        big = kept.take(order)
        big = big.filter(pc.greater_equal(pc.fill_null(big[CLUSTER_SIZE], 0), 2)).slice(0, max(samples, 0) * 4)
        candidates = [(str(r[ID]), int(r[CLUSTER_SIZE])) for r in big.to_pylist()]
        removed_of = _find_removed(layout, [i for i, _ in candidates]) if candidates else {}
        chosen = [(i, n) for i, n in candidates if i in removed_of][: max(samples, 0)]
        if chosen:
            kept_rows = _read_ids(layout, layout.data_dir, [i for i, _ in chosen], [URL, TEXT])
            removed_rows = _read_ids(layout, layout.rejects_dir, [removed_of[i] for i, _ in chosen], [URL, TEXT, REJECT_REASON])
            for kept_id, size in chosen:
                k, r = kept_rows.get(kept_id, {}), removed_rows.get(removed_of[kept_id], {})
                clusters.append({
                    "size": size,
                    "kept": {ID: kept_id, URL: k.get(URL), TEXT: _cut(k.get(TEXT))},
                    "removed": {ID: removed_of[kept_id], URL: r.get(URL), TEXT: _cut(r.get(TEXT)),
                                REJECT_REASON: r.get(REJECT_REASON)},
                })
    return {
        "stages": [{"stage": s, "figures": stage_figures(stats, s)} for s in stages],
        "cluster_sizes": sizes,
        "sample": {"total": run.kept_total, "used": kept.num_rows if kept is not None else 0},
        "clusters": clusters,
    }


def cluster_size_chart(sizes: list[dict[str, int]]) -> dict[str, Any]:
    """A Vega-Lite bar chart spec: clusters (kept documents) per cluster size."""
    return {
        "description": "duplicate cluster sizes",
        "data": {"values": sizes},
        "width": WIDTH,
        "height": HEIGHT,
        "mark": {"type": "bar", "color": KEPT_COLOR},
        "encoding": {
            "x": {"field": "size", "type": "ordinal", "title": "cluster size (documents)"},
            "y": {"field": "clusters", "type": "quantitative", "title": "clusters (sample)", "scale": {"type": "symlog"}},
            "tooltip": [{"field": "size", "type": "ordinal"}, {"field": "clusters", "type": "quantitative"}],
        },
    }


def _window(words: list[str], start: int) -> tuple[list[str], bool, bool]:
    """The words of ``words`` from ``start`` up to about :data:`DIFF_TEXT_CHARS` characters;
    returns (those words, whether words were left out before, whether words were left out after)."""
    out: list[str] = []
    chars = 0
    for word in words[start:]:
        if chars >= DIFF_TEXT_CHARS:
            break
        out.append(word)
        chars += len(word) + 1
    return out, start > 0, start + len(out) < len(words)


def marked_diff(kept: str, removed: str, context: int = CONTEXT_WORDS) -> tuple[str, str]:
    """The two texts as HTML, compared word by word (split on whitespace) with
    :class:`difflib.SequenceMatcher`: every word escaped first, then the words that differ
    wrapped in ``<mark>``; each text shown from ``context`` words before the first difference
    for about :data:`DIFF_TEXT_CHARS` characters (``...`` where cut).  Returns (kept HTML,
    removed HTML)."""
    a, b = kept.split(), removed.split()
    changed_a = [False] * len(a)
    changed_b = [False] * len(b)
    first: tuple[int, int] | None = None
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        first = first or (i1, j1)
        changed_a[i1:i2] = [True] * (i2 - i1)
        changed_b[j1:j2] = [True] * (j2 - j1)
    # Before the first difference the texts agree word for word: start both at the same offset back.
    back = min(context, first[0], first[1]) if first else 0
    start_a, start_b = (first[0] - back, first[1] - back) if first else (0, 0)

    def render(words: list[str], changed: list[bool], start: int) -> str:
        shown, before, after = _window(words, start)
        html_words = [f"<mark>{esc(w)}</mark>" if changed[start + k] else esc(w) for k, w in enumerate(shown)]
        return ("... " if before else "") + " ".join(html_words) + (" ..." if after else "")

    return render(a, changed_a, start_a), render(b, changed_b, start_b)


def _side(title: str, doc: dict[str, Any], body: str) -> str:
    """One document of a pair: title, escaped id / url / reason, and the marked-up ``body``."""
    meta = " | ".join(f"{esc(k)}: {esc(v)}" for k, v in doc.items() if k != TEXT and v is not None)
    return f'<div class="dedup-side" style="flex: 1 1 0; min-width: 0"><h4>{esc(title)}</h4><div class="note">{meta}</div><pre class="doc">{body}</pre></div>'


def dedup_section(data: dict[str, Any] | None, specs: dict[str, Any]) -> str:
    """The section's HTML (empty without dedup ``data``); adds the ``dedup-cluster-sizes`` spec
    to ``specs`` when there are cluster sizes."""
    if not data:
        return ""
    parts = ['<h2 id="dedup">Deduplication</h2>']
    for stage in data["stages"]:
        parts.append(f"<h3>{esc(stage['stage'])}</h3>")
        numbers = [[k, v] for k, v in stage["figures"] if isinstance(v, (int, float)) and not isinstance(v, bool)]
        words = [f"{k}: {v}" for k, v in stage["figures"] if not isinstance(v, (int, float)) or isinstance(v, bool)]
        if words:
            parts.append(f"<p class=note>{esc(', '.join(words))}</p>")
        if numbers:
            parts.append(table(["figure", "value"], numbers, {1}))
        elif not words:
            parts.append("<p class=note>stats.json records no figures for this stage.</p>")
    if data["cluster_sizes"]:
        specs["dedup-cluster-sizes"] = cluster_size_chart(data["cluster_sizes"])
        sample = data["sample"]
        parts.append(f"<h3>Cluster sizes</h3><p class=note>Kept documents per duplicate_cluster_size, "
                     f"{sample['used']:,} of {sample['total']:,} kept rows read.</p>"
                     + chart("dedup-cluster-sizes"))
    if data["clusters"]:
        parts.append("<h3>Largest clusters</h3><p class=note>The kept document beside one removed as its "
                     f"duplicate; words that differ are marked; each text shown for about {DIFF_TEXT_CHARS:,} characters "
                     "from just before the first difference.</p>")
        for cluster in data["clusters"]:
            kept_html, removed_html = marked_diff(cluster["kept"][TEXT], cluster["removed"][TEXT])
            same = " (the texts shown are identical)" if "<mark>" not in kept_html + removed_html else ""
            parts.append(f"<h4>Cluster of {cluster['size']:,} documents{same}</h4>"
                         '<div class="grid dedup-pair">'
                         + _side("kept", cluster["kept"], kept_html)
                         + _side("removed", cluster["removed"], removed_html) + "</div>")
    return "".join(parts)
