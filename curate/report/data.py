"""What ``curate report`` shows, as plain dicts; reads a capped sample, renders nothing.

:func:`report_data` reads ``stats.json`` and ``manifest.json`` whole, and from ``data/`` and
``rejects/`` at most ``max_rows`` rows each (:func:`sample_rows`: whole row groups at random),
only the columns it needs.
Distributions, the language and length histograms, the what-if curves and the example
documents come from that sample; the funnel comes from ``stats.json`` (exact).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.loader.format import is_tokenized_manifest
from curate.output import OutputLayout
from curate.report.removed_lines import COLUMNS as REMOVED_COLUMNS
from curate.report.removed_lines import LIST_COLUMNS as REMOVED_LIST_COLUMNS
from curate.report.removed_lines import cut_segments, removed_view
from curate.report.thresholds import thresholds_from_manifest
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL

DEFAULT_MAX_ROWS = 20_000
BINS = 40
WHATIF_POINTS = 60
SAMPLE_TEXT_CHARS = 1000
# Documents shown on each side of a threshold, and the characters of text shown for each.
NEAR_CUT = 3
SNIPPET_CHARS = 240
# Funnel figures shown when stats.json records them per stage.
FUNNEL_EXTRAS = ("bytes_dropped", "bytes_in", "bytes_out", "tokens_in", "tokens_out")
# Columns that name where a document came from: books (input file, title) and code (repository).
ORIGIN_COLUMNS = ["source", "title", "repo"]
# Sources (input files, repositories, languages) listed per table, most documents first.
TOP_ORIGINS = 30
# Numeric columns that are not scores.
NOT_SCORES = {"row", "_row"}
# The format of a tokenized (or mixture) output's manifest.json.
class UnsupportedOutput(ValueError):
    """The directory is not an output of ``curate run`` (tokenized, mixture, or unknown)."""


# A folder's row groups as (path, index, rows, the part's footer), and its first part's
# schema (see _row_groups).
RowGroups = tuple[list[tuple[str, int, int, pq.FileMetaData]], pa.Schema | None]


def _row_groups(layout: OutputLayout, directory: str) -> RowGroups:
    """Every row group of the folder's part files as ``(path, index, rows, footer)`` (from the
    footers alone, each read once), and the first part's schema (None without parts)."""
    groups: list[tuple[str, int, int, pq.FileMetaData]] = []
    schema = None
    for path in layout.part_files(directory):
        with layout.fs.open(path, "rb") as f:
            meta = pq.ParquetFile(f).metadata
            if schema is None:
                schema = meta.schema.to_arrow_schema()
            groups.extend((path, i, meta.row_group(i).num_rows, meta) for i in range(meta.num_row_groups))
    return groups, schema


def sample_rows(layout: OutputLayout, directory: str, columns: list[str], max_rows: int,
                seed: int = 0, row_groups: RowGroups | None = None) -> tuple[pa.Table | None, int, int]:
    """At most ``max_rows`` rows of ``columns`` (those present) from the folder: every row when
    there are no more, else whole row groups drawn at random (``seed``), the last one read only
    up to the cap.  ``row_groups``: the folder's :func:`_row_groups` when already read.
    Returns the table (None without parts), the folder's total rows, and the rows read from
    storage (never more than ``max_rows``)."""
    groups, schema = row_groups if row_groups is not None else _row_groups(layout, directory)
    total = sum(n for _, _, n, _ in groups)
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
        path, index, rows, meta = groups[i]
        with layout.fs.open(path, "rb") as f:
            part = pq.ParquetFile(f, metadata=meta)  # the footer as _row_groups read it
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


def whatif_grid(values: np.ndarray, current: float, points: int = WHATIF_POINTS) -> np.ndarray:
    """``points`` thresholds evenly over the values' range, and ``current``, ascending."""
    return np.unique(np.concatenate([np.linspace(values.min(), values.max(), points), [current]]))


def kept_weights_at(values: np.ndarray, weights: np.ndarray, direction: str, grid: np.ndarray) -> np.ndarray:
    """At each threshold of ``grid``, the summed ``weights`` of the ``values`` it keeps
    (``>=`` it for ``"min"``, ``<=`` for ``"max"``)."""
    if values.size == 0:
        return np.zeros(grid.size)
    order = np.argsort(values)
    sorted_values, cum = values[order], np.concatenate([[0.0], np.cumsum(weights[order])])
    if direction == "min":  # kept: value >= t
        return cum[-1] - cum[np.searchsorted(sorted_values, grid, side="left")]
    return cum[np.searchsorted(sorted_values, grid, side="right")]  # kept: value <= t


def whatif_curve(values: np.ndarray, weights: np.ndarray, direction: str, current: float,
                 points: int = WHATIF_POINTS, grid: np.ndarray | None = None) -> list[dict[str, float]]:
    """The weighted fraction of ``values`` that a threshold keeps (``>=`` it for ``"min"``,
    ``<=`` for ``"max"``), at ``points`` thresholds over the values' range and at ``current``
    (or at the thresholds of ``grid``): one ``{"threshold", "kept_fraction"}`` per threshold,
    ascending.  Empty without values."""
    if values.size == 0 or weights.sum() <= 0:
        return []
    grid = whatif_grid(values, current, points) if grid is None else grid
    kept = kept_weights_at(values, weights, direction, grid)
    return [{"threshold": float(t), "kept_fraction": float(f)} for t, f in zip(grid, kept / weights.sum())]


def pipeline_curve(values: np.ndarray, weights: np.ndarray, fixed_kept: float, total: float, direction: str,
                   grid: np.ndarray) -> list[dict[str, float]]:
    """The fraction of the whole output (``total``, weighted) kept at each threshold of
    ``grid`` when only the documents of ``values`` (weighted by ``weights``) move with the
    threshold and ``fixed_kept`` stays kept whatever it is: one ``{"threshold",
    "kept_fraction"}`` per threshold.  Empty when ``total`` is not positive."""
    if total <= 0 or grid.size == 0:
        return []
    kept = fixed_kept + kept_weights_at(values, weights, direction, grid)
    return [{"threshold": float(t), "kept_fraction": float(f)} for t, f in zip(grid, kept / total)]


def fails(values: np.ndarray, direction: str, value: float) -> np.ndarray:
    """Where a rule with this threshold drops the value (below it for ``"min"``, above for
    ``"max"``); NaN (no score) never fails."""
    with np.errstate(invalid="ignore"):
        return values < value if direction == "min" else values > value


def float_column(table: pa.Table | None, column: str) -> np.ndarray:
    """The column as float64 with NaN for nulls (all NaN when absent; empty without a table)."""
    if table is None:
        return np.zeros(0)
    if column not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return pc.fill_null(table[column].cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False).astype(np.float64)


def reason_anchor(stage: Any, reason: Any) -> str:
    """A safe HTML id for the dropped examples of ``(stage, reason)``: letters, digits and
    ``-`` only, with a hash of both so that different pairs never share one."""
    key = f"{stage}\x00{reason}"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{stage}-{reason}").strip("-")[:60]
    return f"drop-{slug}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"


def _near_document(table: pa.Table, row: int, score: float) -> dict[str, Any]:
    """One row of the sample for "near the cut": id, url, score, status, snippet."""
    columns = [c for c in ("id", URL, TEXT, REJECT_DROPPED_BY, REJECT_REASON) if c in table.column_names]
    doc = table.slice(row, 1).select(columns).to_pylist()[0]
    text = doc.get(TEXT) or ""
    status = (f"dropped by {doc.get(REJECT_DROPPED_BY)}: {doc.get(REJECT_REASON)}"
              if REJECT_DROPPED_BY in doc else "kept")
    return {"id": doc.get("id"), "url": doc.get(URL), "score": score, "status": status,
            "snippet": text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "..."}


def near_cut(kept: pa.Table | None, dropped: pa.Table | None, reached: np.ndarray, column: str, direction: str,
             value: float, n: int = NEAR_CUT) -> dict[str, list[dict[str, Any]]]:
    """Up to ``n`` documents on each side of a threshold, nearest first: ``"passes"`` and
    ``"fails"``, among the sampled kept rows and the sampled dropped rows where ``reached``
    (those that got to the rule's stage).  Each is ``id``, ``url``, ``score``, ``status``
    (``kept``, or the stage and reason that dropped it) and ``snippet`` (the first
    :data:`SNIPPET_CHARS` characters; text is taken for these rows only)."""
    kept_values, dropped_values = float_column(kept, column), float_column(dropped, column)
    dropped_rows = np.nonzero(reached)[0] if dropped_values.size else np.zeros(0, dtype=np.int64)
    values = np.concatenate([kept_values, dropped_values[dropped_rows]])
    from_dropped = np.concatenate([np.zeros(kept_values.size, bool), np.ones(dropped_rows.size, bool)])
    rows = np.concatenate([np.arange(kept_values.size), dropped_rows])
    finite, failing = np.isfinite(values), fails(values, direction, value)
    out: dict[str, list[dict[str, Any]]] = {}
    for side, mask in (("passes", finite & ~failing), ("fails", finite & failing)):
        chosen = np.nonzero(mask)[0]
        chosen = chosen[np.argsort(np.abs(values[chosen] - value), kind="stable")[:n]]
        out[side] = [_near_document(dropped if from_dropped[i] else kept, int(rows[i]), float(values[i]))  # type: ignore[arg-type]
                     for i in chosen]
    return out


def _counts(table: pa.Table | None, column: str) -> dict[str, int]:
    """Rows per value of ``column`` (nulls as ``"(none)"``)."""
    if table is None or column not in table.column_names or table.num_rows == 0:
        return {}
    counts = pc.value_counts(pc.fill_null(table[column].cast(pa.string()), "(none)")).to_pylist()
    return {c["values"]: c["counts"] for c in counts}


def origin_counts(kept: pa.Table | None, dropped: pa.Table | None, column: str,
                  top: int = TOP_ORIGINS) -> list[dict[str, Any]]:
    """Kept and dropped rows per value of ``column`` (an input file, a repository, a language):
    ``{"name", "kept", "dropped"}``, the ``top`` values with most rows first."""
    k, d = _counts(kept, column), _counts(dropped, column)
    names = sorted(set(k) | set(d), key=lambda name: (-(k.get(name, 0) + d.get(name, 0)), name))[:top]
    return [{"name": name, "kept": k.get(name, 0), "dropped": d.get(name, 0)} for name in names]


def _titles(kept: pa.Table | None, dropped: pa.Table | None) -> dict[str, str]:
    """Input file -> book title, from the distinct (source, title) pairs of the sample."""
    out: dict[str, str] = {}
    for table in (kept, dropped):
        if table is None or "source" not in table.column_names or "title" not in table.column_names:
            continue
        pairs = table.select(["source", "title"]).group_by(["source", "title"]).aggregate([])
        for pair in pairs.to_pylist():
            if pair["source"] is not None and pair["title"] is not None:
                out.setdefault(pair["source"], pair["title"])
    return out


def origins(kept: pa.Table | None, dropped: pa.Table | None) -> list[dict[str, Any]]:
    """Per-source counts for books (per input file, with its title; when the output has a
    ``title`` column) and code (per repository and per language; when it has ``repo``):
    ``{"column", "label", "rows"}`` (rows of :func:`origin_counts`, books' with ``title``)."""
    names = set((kept.column_names if kept is not None else []) + (dropped.column_names if dropped is not None else []))
    out: list[dict[str, Any]] = []
    if "repo" in names:
        out.append({"column": "repo", "label": "repository", "rows": origin_counts(kept, dropped, "repo")})
        if "language" in names:
            out.append({"column": "language", "label": "language", "rows": origin_counts(kept, dropped, "language")})
    elif "title" in names and "source" in names:
        titles = _titles(kept, dropped)
        rows = [{**r, "title": titles.get(r["name"])} for r in origin_counts(kept, dropped, "source")]
        out.append({"column": "source", "label": "input file", "rows": rows})
    return out


def _documents(table: pa.Table, limit: int, columns: list[str]) -> list[dict[str, Any]]:
    """The first ``limit`` rows of ``columns`` (those present), text cut to
    :data:`SAMPLE_TEXT_CHARS` characters.  A document that ``c4_quality`` or ``line_dedup``
    removed lines from also gets ``removed_lines``: :func:`~curate.report.removed_lines.removed_view`
    of its whole text, its ``segments`` then cut by :func:`~curate.report.removed_lines.cut_segments`
    (``cut``: whether the kept text was cut; ``hidden``: removed lines left out there)."""
    present = [c for c in columns if c in table.column_names]
    extra = [c for c in REMOVED_COLUMNS if c in table.column_names and c not in present] if TEXT in present else []
    rows = table.select(present + extra).slice(0, limit).to_pylist()
    for row in rows:
        text = row.get(TEXT) or ""
        view = removed_view(text, row) if extra else None
        for column in extra:
            del row[column]
        row[TEXT] = text if len(text) <= SAMPLE_TEXT_CHARS else text[:SAMPLE_TEXT_CHARS] + "..."
        if view is not None:
            view["segments"], view["cut"], view["hidden"] = cut_segments(view["segments"], SAMPLE_TEXT_CHARS)
            row["removed_lines"] = view
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


def _supported(directory: str, stats: Any, manifest: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``stats`` and ``manifest`` (stats.json and manifest.json as read, None where absent) of
    an output of ``curate run`` (one with ``output.tokenized`` too: its manifest is the
    tokenized one, its stats.json has the stages); raises :class:`UnsupportedOutput` for
    tokenized and mixture outputs without stages (their report is
    :mod:`curate.report.tokenized`, which ``build_report`` routes them to) and for a stats.json
    without stages, FileNotFoundError without stats.json."""
    manifest = manifest or {}
    tokenized = is_tokenized_manifest(manifest)
    if stats is None and not tokenized:
        raise FileNotFoundError(f"{directory} has no stats.json: is it the output of 'curate run'?")
    if manifest.get("sources") or (tokenized and (not isinstance(stats, dict) or "stages" not in stats)):
        raise UnsupportedOutput(f"{directory} is a tokenized or mixture output: see curate.report.tokenized")
    if stats is None or "stages" not in stats:
        raise UnsupportedOutput(f"{directory}: its stats.json has no stages: is it the output of 'curate run'?")
    return stats, manifest


@dataclass
class RunSample:
    """What one report build reads of an output of ``curate run``, once (see
    :func:`read_run_sample`): its stats.json and manifest.json, the score columns
    (:func:`score_columns`), and the capped samples of data/ (``kept``) and rejects/
    (``dropped``) with each folder's total rows and the rows read (see :func:`sample_rows`)."""

    layout: OutputLayout
    stats: dict[str, Any]
    manifest: dict[str, Any]
    scores: list[str]
    kept: pa.Table | None
    kept_total: int
    kept_read: int
    dropped: pa.Table | None
    dropped_total: int
    dropped_read: int


def read_run_sample(directory: str, max_rows: int = DEFAULT_MAX_ROWS,
                    files: tuple[Any, Any] | None = None) -> RunSample:
    """Read the output ``directory`` for its report: stats.json and manifest.json (``files``:
    both as already read, None where absent), each folder's Parquet footers once, and at most
    ``max_rows`` rows of each folder (the shown columns and every score column).  Raises as
    :func:`_supported` does."""
    layout = OutputLayout(directory)
    if files is None:
        files = layout.read_json_file("stats.json"), layout.read_json_file("manifest.json")
    stats, manifest = _supported(directory, *files)
    data_groups = _row_groups(layout, layout.data_dir)
    rejects_groups = _row_groups(layout, layout.rejects_dir)
    scores = score_columns(data_groups[1], rejects_groups[1])
    shown = ["id", URL, TEXT, "language", "prefilter_language", *ORIGIN_COLUMNS, *REMOVED_LIST_COLUMNS]
    kept, kept_total, kept_read = sample_rows(layout, layout.data_dir, shown + scores, max_rows,
                                              row_groups=data_groups)
    dropped, dropped_total, dropped_read = sample_rows(
        layout, layout.rejects_dir, shown + [REJECT_DROPPED_BY, REJECT_REASON] + scores, max_rows,
        row_groups=rejects_groups)
    return RunSample(layout, stats, manifest, scores, kept, kept_total, kept_read, dropped, dropped_total, dropped_read)


def report_data(directory: str, max_rows: int = DEFAULT_MAX_ROWS, samples: int = 3,
                run: RunSample | None = None) -> dict[str, Any]:
    """What the report of an output of ``curate run`` shows, as a dict of plain values:

    - ``directory``, ``pipeline`` (its name), ``documents`` (kept / rejected, from stats.json);
    - ``funnel``: per stage ``stage``, ``rows_in``, ``rows_out``, ``dropped`` (reason -> n),
      ``seconds``, and those of :data:`FUNNEL_EXTRAS` it records, exactly as stats.json has
      them; ``funnel_not_recorded``: the :data:`FUNNEL_EXTRAS` no stage records;
    - ``sample``: per folder (``kept``, ``dropped``) ``total`` rows, rows ``read`` and rows
      ``used`` (at most ``max_rows``);
    - ``scores``: per numeric column, ``histogram`` (see :func:`histogram`), ``thresholds``
      (those of :func:`thresholds_from_manifest` on that column) and, per threshold,
      ``whatif`` curves: ``curve`` (:func:`whatif_curve`, the rule alone: over the rows that
      reached its stage) and ``pipeline_curve`` (:func:`pipeline_curve`, the whole output:
      kept rows move with the threshold, and so do the rows its stage dropped for this rule
      alone, i.e. with this rule's reason and no other thresholded rule of the stage failing;
      every other row keeps its fate), and ``near_cut`` (:func:`near_cut`);
    - ``languages``: ``{"kept": {lang: n}, "dropped": {lang: n}}`` in the sample (see
      :func:`_languages`);
    - ``text_length``: a histogram of characters per document, kept vs dropped, in the sample;
    - ``kept_examples``: ``samples`` kept documents; ``dropped_examples``: up to ``samples``
      per ``(dropped_by, reason)`` in the sample, as ``{"stage", "reason", "anchor",
      "documents"}`` (``anchor``: :func:`reason_anchor`);
    - ``origins``: per-source counts of books and code in the sample (:func:`origins`).

    ``run``: the output as :func:`read_run_sample` read it (read here when not given).
    Raises :class:`UnsupportedOutput` for tokenized and mixture outputs, FileNotFoundError for a
    folder without stats.json.
    """
    run = run if run is not None else read_run_sample(directory, max_rows)
    stats, manifest, scores = run.stats, run.manifest, run.scores
    kept, kept_total, kept_read = run.kept, run.kept_total, run.kept_read
    dropped, dropped_total, dropped_read = run.dropped, run.dropped_total, run.dropped_read

    funnel = [{"stage": s["stage"], "rows_in": s.get("rows_in", 0), "rows_out": s.get("rows_out", 0),
               "dropped": dict(s.get("dropped", {})), "seconds": s.get("seconds"),
               **{k: s[k] for k in FUNNEL_EXTRAS if k in s}} for s in stats["stages"]]
    stage_index = {row["stage"]: i for i, row in enumerate(funnel)}
    # Each sampled row stands for this many rows of its folder.
    kept_weight = kept_total / kept.num_rows if kept is not None and kept.num_rows else 0.0
    dropped_weight = dropped_total / dropped.num_rows if dropped is not None and dropped.num_rows else 0.0
    dropped_at = np.full(dropped.num_rows if dropped is not None else 0, -1, dtype=np.int64)
    if dropped is not None and REJECT_DROPPED_BY in dropped.column_names:
        at = pc.index_in(dropped[REJECT_DROPPED_BY], value_set=pa.array([row["stage"] for row in funnel], pa.string()))
        dropped_at = pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    thresholds = thresholds_from_manifest(manifest)
    whole = float(kept_total + dropped_total)  # the output's rows, kept and dropped
    dropped_reasons = (dropped[REJECT_REASON].to_numpy(zero_copy_only=False) if dropped is not None
                       and REJECT_REASON in dropped.column_names else np.full(dropped_at.size, None))
    score_data: dict[str, Any] = {}
    for column in scores:
        k, d = _values(kept, column), _values(dropped, column)
        if k.size + d.size == 0:
            continue
        entry: dict[str, Any] = {"histogram": histogram(k, d), "thresholds": [], "whatif": [], "near_cut": []}
        for t in (t for t in thresholds if t["column"] == column):
            entry["thresholds"].append(t)
            position = stage_index.get(t["stage"])
            if position is None:
                continue
            values, weights = k, np.full(k.size, kept_weight)
            reached = dropped_at >= position
            col = float_column(dropped, column)
            if col.size:
                mask = reached & np.isfinite(col)
                values = np.concatenate([values, col[mask]])
                weights = np.concatenate([weights, np.full(int(mask.sum()), dropped_weight)])
            entry["near_cut"].append({**t, **near_cut(kept, dropped, reached, column, t["direction"], t["value"])})
            if values.size == 0:
                continue
            grid = whatif_grid(values, t["value"])
            curve = whatif_curve(values, weights, t["direction"], t["value"], grid=grid)
            # The whole output: rows this rule alone dropped move with the threshold, as do kept rows.
            alone = (dropped_at == position) & np.isfinite(col) if col.size else np.zeros(0, bool)
            if col.size and t.get("reason") is not None:
                alone &= dropped_reasons == t["reason"]
            elif col.size:
                alone &= fails(col, t["direction"], t["value"])
            for other in thresholds:
                if other is not t and other["stage"] == t["stage"] and col.size:
                    alone &= ~fails(float_column(dropped, other["column"]), other["direction"], other["value"])
            moving = np.concatenate([k, col[alone]]) if col.size else k
            moving_weights = np.concatenate([np.full(k.size, kept_weight), np.full(int(alone.sum()), dropped_weight)])
            fixed = (kept.num_rows - k.size) * kept_weight if kept is not None else 0.0
            if curve:
                entry["whatif"].append({**t, "curve": curve, "pipeline_curve": pipeline_curve(
                    moving, moving_weights, fixed, whole, t["direction"], grid)})
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
            dropped_examples.append({"stage": stage, "reason": reason, "anchor": reason_anchor(stage, reason),
                                     "documents": _documents(dropped.filter(mask), samples, ["id", URL, TEXT])})
        dropped_examples.sort(key=lambda e: (stage_index.get(e["stage"], math.inf), str(e["reason"])))
    return {
        "directory": directory,
        "pipeline": stats.get("pipeline"),
        "documents": stats.get("documents", {}),
        "funnel": funnel,
        "funnel_not_recorded": [k for k in FUNNEL_EXTRAS if not any(k in row for row in funnel)],
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
        "origins": origins(kept, dropped),
    }
