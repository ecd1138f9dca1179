"""What ``curate report`` shows, as plain dicts; reads a capped sample, renders nothing.

:func:`report_data` reads ``stats.json`` and ``manifest.json`` whole, and from ``data/`` and
``rejects/`` at most ``max_rows`` rows each (:func:`sample_rows`: whole row groups at random),
only the columns it needs.
Distributions, the language and length histograms, the what-if curves and the example
documents come from that sample; the funnel comes from ``stats.json`` (exact).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.output import OutputLayout
from curate.report.thresholds import thresholds_from_manifest
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL

DEFAULT_MAX_ROWS = 20_000
BINS = 40
WHATIF_POINTS = 60
SAMPLE_TEXT_CHARS = 1000
# Numeric columns that are not scores.
NOT_SCORES = {"row", "_row"}


class UnsupportedOutput(ValueError):
    """The directory is not an output of ``curate run`` (tokenized, mixture, or unknown)."""


def _row_groups(layout: OutputLayout, directory: str) -> tuple[list[tuple[str, int, int]], pa.Schema | None]:
    """Every row group of the folder's part files as ``(path, index, rows)`` (from the footers
    alone), and the first part's schema (None without parts)."""
    groups: list[tuple[str, int, int]] = []
    schema = None
    for path in layout.part_files(directory):
        with layout.fs.open(path, "rb") as f:
            meta = pq.ParquetFile(f).metadata
            if schema is None:
                schema = meta.schema.to_arrow_schema()
            groups.extend((path, i, meta.row_group(i).num_rows) for i in range(meta.num_row_groups))
    return groups, schema


def sample_rows(layout: OutputLayout, directory: str, columns: list[str], max_rows: int,
                seed: int = 0) -> tuple[pa.Table | None, int, int]:
    """At most ``max_rows`` rows of ``columns`` (those present) from the folder: every row when
    there are no more, else whole row groups drawn at random (``seed``), the last one read only
    up to the cap.  Returns the table (None without parts), the folder's total rows, and the
    rows read from storage (never more than ``max_rows``)."""
    groups, schema = _row_groups(layout, directory)
    total = sum(n for _, _, n in groups)
    if schema is None:
        return None, 0, 0
    present = [c for c in columns if c in schema.names]
    order = list(range(len(groups)))
    if total > max_rows:
        order = [int(i) for i in np.random.default_rng(seed).permutation(len(groups))]
    tables = []
    read = 0
    for i in order:
        if read >= max_rows:
            break
        path, index, rows = groups[i]
        with layout.fs.open(path, "rb") as f:
            part = pq.ParquetFile(f)
            if rows <= max_rows - read:
                table = part.read_row_group(index, columns=present, use_threads=False)
            else:  # the first rows of the group, up to the cap
                batch = next(part.iter_batches(batch_size=max_rows - read, row_groups=[index], columns=present,
                                               use_threads=False))
                table = pa.Table.from_batches([batch])
        tables.append(table)
        read += table.num_rows
    return pa.concat_tables(tables, promote_options="permissive"), total, read


def score_columns(*schemas: pa.Schema | None) -> list[str]:
    """Numeric columns (integers and floats, not booleans) of the schemas, in first-seen order."""
    out: list[str] = []
    for schema in schemas:
        if schema is None:
            continue
        for field in schema:
            numeric = pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
            if numeric and field.name not in NOT_SCORES and not field.name.startswith("_") and field.name not in out:
                out.append(field.name)
    return out


def _values(table: pa.Table | None, column: str) -> np.ndarray:
    """The column's non-null, finite values as float64 (empty when absent)."""
    if table is None or column not in table.column_names:
        return np.zeros(0)
    values = pc.drop_null(table[column]).to_numpy().astype(np.float64)
    return values[np.isfinite(values)]


def histogram(kept: np.ndarray, dropped: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Kept and dropped values counted in ``bins`` equal bins over their common range: one dict
    per bin with ``start``, ``end``, ``kept``, ``dropped``.  Empty when there is no value."""
    both = np.concatenate([kept, dropped])
    if both.size == 0:
        return []
    lo, hi = float(both.min()), float(both.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    k, _ = np.histogram(kept, edges)
    d, _ = np.histogram(dropped, edges)
    return [{"start": float(edges[i]), "end": float(edges[i + 1]), "kept": int(k[i]), "dropped": int(d[i])}
            for i in range(bins)]


def whatif_curve(values: np.ndarray, weights: np.ndarray, direction: str, current: float,
                 points: int = WHATIF_POINTS) -> list[dict[str, float]]:
    """The weighted fraction of ``values`` that a threshold keeps (``>=`` it for ``"min"``,
    ``<=`` for ``"max"``), at ``points`` thresholds over the values' range and at ``current``:
    one ``{"threshold", "kept_fraction"}`` per threshold, ascending.  Empty without values."""
    if values.size == 0 or weights.sum() <= 0:
        return []
    grid = np.unique(np.concatenate([np.linspace(values.min(), values.max(), points), [current]]))
    order = np.argsort(values)
    sorted_values, cum = values[order], np.concatenate([[0.0], np.cumsum(weights[order])])
    total = cum[-1]
    if direction == "min":  # kept: value >= t
        kept = total - cum[np.searchsorted(sorted_values, grid, side="left")]
    else:  # kept: value <= t
        kept = cum[np.searchsorted(sorted_values, grid, side="right")]
    return [{"threshold": float(t), "kept_fraction": float(f)} for t, f in zip(grid, kept / total)]


def _documents(table: pa.Table, limit: int, columns: list[str]) -> list[dict[str, Any]]:
    """The first ``limit`` rows of ``columns`` (those present), text cut to
    :data:`SAMPLE_TEXT_CHARS` characters."""
    rows = table.select([c for c in columns if c in table.column_names]).slice(0, limit).to_pylist()
    for row in rows:
        text = row.get(TEXT) or ""
        row[TEXT] = text if len(text) <= SAMPLE_TEXT_CHARS else text[:SAMPLE_TEXT_CHARS] + "..."
    return rows


def _languages(table: pa.Table | None) -> dict[str, int]:
    """Rows per identified language (``language``, else the extraction cascade's
    ``prefilter_language``, else ``"(none)"``), most frequent first."""
    if table is None or table.num_rows == 0:
        return {}
    found = [table[c].cast(pa.string()) for c in ("language", "prefilter_language") if c in table.column_names]
    if not found:
        return {}
    languages = pc.coalesce(*found) if len(found) > 1 else found[0]
    counts = pc.value_counts(pc.fill_null(languages, "(none)")).to_pylist()
    return {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: -c["counts"])}


def _supported(layout: OutputLayout, directory: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """stats.json and manifest.json of an output of ``curate run``; raises
    :class:`UnsupportedOutput` for tokenized and mixture outputs (their report is
    :mod:`curate.report.tokenized`, which ``build_report`` routes them to) and for a stats.json
    without stages, FileNotFoundError without stats.json."""
    manifest = layout.read_json_file("manifest.json") or {}
    stats = layout.read_json_file("stats.json")
    kind = str(manifest.get("format", ""))
    if stats is None and not kind.startswith("curate.tokenized/"):
        raise FileNotFoundError(f"{directory} has no stats.json: is it the output of 'curate run'?")
    if kind.startswith("curate.tokenized/") or manifest.get("sources"):
        raise UnsupportedOutput(f"{directory} is a tokenized or mixture output: see curate.report.tokenized")
    if stats is None or "stages" not in stats:
        raise UnsupportedOutput(f"{directory}: its stats.json has no stages: is it the output of 'curate run'?")
    return stats, manifest


def report_data(directory: str, max_rows: int = DEFAULT_MAX_ROWS, samples: int = 3) -> dict[str, Any]:
    """What the report of an output of ``curate run`` shows, as a dict of plain values:

    - ``directory``, ``pipeline`` (its name), ``documents`` (kept / rejected, from stats.json);
    - ``funnel``: per stage ``stage``, ``rows_in``, ``rows_out``, ``dropped`` (reason -> n),
      ``seconds``, exactly as stats.json has them;
    - ``sample``: per folder (``kept``, ``dropped``) ``total`` rows, rows ``read`` and rows
      ``used`` (at most ``max_rows``);
    - ``scores``: per numeric column, ``histogram`` (see :func:`histogram`), ``thresholds``
      (those of :func:`thresholds_from_manifest` on that column) and, per threshold,
      ``whatif`` curves (:func:`whatif_curve`) over the rows that reached its stage;
    - ``languages``: ``{"kept": {lang: n}, "dropped": {lang: n}}`` in the sample (see
      :func:`_languages`);
    - ``text_length``: a histogram of characters per document, kept vs dropped, in the sample;
    - ``kept_examples``: ``samples`` kept documents; ``dropped_examples``: up to ``samples``
      per ``(dropped_by, reason)`` in the sample, as ``{"stage", "reason", "documents"}``.

    Raises :class:`UnsupportedOutput` for tokenized and mixture outputs, FileNotFoundError for a
    folder without stats.json.
    """
    layout = OutputLayout(directory)
    stats, manifest = _supported(layout, directory)
    _, data_schema = _row_groups(layout, layout.data_dir)
    _, rejects_schema = _row_groups(layout, layout.rejects_dir)
    scores = score_columns(data_schema, rejects_schema)
    shown = ["id", URL, TEXT, "language", "prefilter_language"]
    kept, kept_total, kept_read = sample_rows(layout, layout.data_dir, shown + scores, max_rows)
    dropped, dropped_total, dropped_read = sample_rows(
        layout, layout.rejects_dir, shown + [REJECT_DROPPED_BY, REJECT_REASON] + scores, max_rows)

    funnel = [{"stage": s["stage"], "rows_in": s.get("rows_in", 0), "rows_out": s.get("rows_out", 0),
               "dropped": dict(s.get("dropped", {})), "seconds": s.get("seconds")} for s in stats["stages"]]
    stage_index = {row["stage"]: i for i, row in enumerate(funnel)}
    # Each sampled row stands for this many rows of its folder.
    kept_weight = kept_total / kept.num_rows if kept is not None and kept.num_rows else 0.0
    dropped_weight = dropped_total / dropped.num_rows if dropped is not None and dropped.num_rows else 0.0
    dropped_at = np.zeros(0, dtype=np.int64)
    if dropped is not None and REJECT_DROPPED_BY in dropped.column_names:
        at = pc.index_in(dropped[REJECT_DROPPED_BY], value_set=pa.array([row["stage"] for row in funnel], pa.string()))
        dropped_at = pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    thresholds = thresholds_from_manifest(manifest)
    score_data: dict[str, Any] = {}
    for column in scores:
        k, d = _values(kept, column), _values(dropped, column)
        if k.size + d.size == 0:
            continue
        entry: dict[str, Any] = {"histogram": histogram(k, d), "thresholds": [], "whatif": []}
        for t in (t for t in thresholds if t["column"] == column):
            entry["thresholds"].append(t)
            position = stage_index.get(t["stage"])
            if position is None:
                continue
            values, weights = k, np.full(k.size, kept_weight)
            if dropped is not None and column in dropped.column_names:
                reached = dropped_at >= position
                col = dropped[column].to_numpy(zero_copy_only=False).astype(np.float64)
                mask = reached & np.isfinite(col)
                values = np.concatenate([values, col[mask]])
                weights = np.concatenate([weights, np.full(int(mask.sum()), dropped_weight)])
            curve = whatif_curve(values, weights, t["direction"], t["value"])
            if curve:
                entry["whatif"].append({**t, "curve": curve})
        score_data[column] = entry

    def lengths(table: pa.Table | None) -> np.ndarray:
        if table is None or TEXT not in table.column_names:
            return np.zeros(0)
        return pc.utf8_length(pc.fill_null(table[TEXT], "")).to_numpy(zero_copy_only=False).astype(np.float64)

    dropped_examples: list[dict[str, Any]] = []
    if dropped is not None and REJECT_REASON in dropped.column_names and samples > 0:
        keys = dropped.select([REJECT_DROPPED_BY, REJECT_REASON]).group_by([REJECT_DROPPED_BY, REJECT_REASON]).aggregate([])
        for key in keys.to_pylist():
            stage, reason = key[REJECT_DROPPED_BY], key[REJECT_REASON]
            mask = pc.and_(pc.equal(dropped[REJECT_DROPPED_BY], stage), pc.equal(dropped[REJECT_REASON], reason))
            dropped_examples.append({"stage": stage, "reason": reason,
                                     "documents": _documents(dropped.filter(mask), samples, ["id", URL, TEXT])})
        dropped_examples.sort(key=lambda e: (stage_index.get(e["stage"], math.inf), str(e["reason"])))
    return {
        "directory": directory,
        "pipeline": stats.get("pipeline"),
        "documents": stats.get("documents", {}),
        "funnel": funnel,
        "sample": {
            "max_rows": max_rows,
            "kept": {"total": kept_total, "read": kept_read, "used": kept.num_rows if kept is not None else 0},
            "dropped": {"total": dropped_total, "read": dropped_read, "used": dropped.num_rows if dropped is not None else 0},
        },
        "scores": score_data,
        "languages": {"kept": _languages(kept), "dropped": _languages(dropped)},
        "text_length": histogram(lengths(kept), lengths(dropped)),
        "kept_examples": _documents(kept, samples, ["id", URL, "language", TEXT]) if kept is not None else [],
        "dropped_examples": dropped_examples,
    }
